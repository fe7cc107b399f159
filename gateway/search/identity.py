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

R = TypeVar("R", Fare, Hotel, RoomOffer)

DIGEST_BYTES = 10
"""80 bits: no two of the values a gateway ever serves collide in practice."""
_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_PREFIXES = {FlightOffer: "F", Fare: "P", HotelOffer: "O", Hotel: "H", RoomOffer: "R"}
"""P for a fare: a pricing option of an itinerary."""
_KINDS = {kind: (prefix, kind.__name__.encode()[:16]) for kind, prefix in _PREFIXES.items()}
"""Each kind's id prefix and the digest's personalisation (its name)."""


def _identified(record: R) -> R:
    """`record` with its id the digest of its type and of every other value it holds."""
    blank = record if record.id == "" else msgspec.structs.replace(record, id="")
    return msgspec.structs.replace(blank, id=_digest(blank))


def _digest(blank: Record) -> str:
    """The id of `blank`, a record whose id is empty (the digest covers every other value)."""
    prefix, person = _KINDS[type(blank)]
    content = _encoder.encode(blank)
    return prefix + hashlib.blake2b(content, digest_size=DIGEST_BYTES, person=person).hexdigest()


def flight_offer(offer: FlightOffer) -> FlightOffer:
    """Each fare first: the offer's own id covers theirs."""
    inner = msgspec.structs.replace(
        offer, id="", fares=tuple(_identified(fare) for fare in offer.fares)
    )
    return msgspec.structs.replace(inner, id=_digest(inner))


def hotel_offer(offer: HotelOffer) -> HotelOffer:
    """The hotel and each room first: the offer's own id covers theirs."""
    inner = msgspec.structs.replace(
        offer,
        id="",
        hotel=_identified(offer.hotel),
        rooms=tuple(_identified(room) for room in offer.rooms),
    )
    return msgspec.structs.replace(inner, id=_digest(inner))
