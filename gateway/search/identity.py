"""Ids that identify: an offer's, fare's, hotel's or room's id digests every value it carries.

The rule: the id of a `FlightOffer`, `Fare`, `HotelOffer`, `Hotel` or `RoomOffer` is a short
hash of its type and of all its fields as the gateway serves them (nested objects by their own
ids, which follow the same rule). So two of them share an id exactly when every value a client
can read is the same: repeating a search repeats its ids, and anything that changes a value —
travellers, currency, dates, cabin, a provider's price, an exchange rate, a hotel's distance
from the searched centre — gives a new id. A normalised client cache (Apollo Client, Relay,
urql: one record per `__typename` + `id`) can never hold two values under one id.

Identity without the values (the flights flown, the hotel) is not an id here: the same flight
at two prices is two offers to a cache. Merging and paging keep their own keys.

Ids are computed for the offers of the page being returned only (~5 µs each), never for a
whole result set.
"""

from __future__ import annotations

import hashlib
from typing import TypeVar

import msgspec

from gateway.domain import Fare, FlightOffer, Hotel, HotelOffer, Record, RoomOffer

R = TypeVar("R", bound=Record)

DIGEST_BYTES = 10
"""80 bits: no two of the values a gateway ever serves collide in practice."""
_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_PREFIXES = {FlightOffer: "F", Fare: "P", HotelOffer: "O", Hotel: "H", RoomOffer: "R"}
"""P for a fare: a pricing option of an itinerary."""


def _identified(record: R) -> R:
    """`record` with its id the digest of its type and of every other value it holds."""
    kind = type(record)
    content = _encoder.encode(msgspec.structs.replace(record, id=""))
    digest = hashlib.blake2b(content, digest_size=DIGEST_BYTES, person=kind.__name__.encode()[:16])
    return msgspec.structs.replace(record, id=_PREFIXES[kind] + digest.hexdigest())


def flight_offer(offer: FlightOffer) -> FlightOffer:
    """Each fare first: the offer's own id covers theirs."""
    inner = msgspec.structs.replace(offer, fares=tuple(_identified(fare) for fare in offer.fares))
    return _identified(inner)


def hotel_offer(offer: HotelOffer) -> HotelOffer:
    """The hotel and each room first: the offer's own id covers theirs."""
    inner = msgspec.structs.replace(
        offer,
        hotel=_identified(offer.hotel),
        rooms=tuple(_identified(room) for room in offer.rooms),
    )
    return _identified(inner)
