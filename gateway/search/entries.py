"""What the search cache stores, and the checks a value read back must pass before it is served.

A value read from a shared Redis is untrusted input: whoever can reach Redis can write any key.
So a value is never unpickled or otherwise executed; it is a sealed value (`fleet/sealed.py`:
framed with its key and expiry, signed when a key is configured) whose payload is the
`ProviderResult` in MessagePack, and it is served only if it passes every check below. One that
fails any check is dropped by the cache and the search goes to the provider, as on a miss.

Checks on read, in this order: the seal's (at most `MAX_VALUE_BYTES` before anything is decoded;
magic and version; signed exactly when a signing key is configured; written under the very key
that was read, so a genuine value copied to another search's key is refused; the HMAC, compared
in constant time; not past its own expiry, so a genuine signed value saved by an attacker cannot
be replayed later under a fresh Redis TTL, stale prices and all); strict typed decoding into the
domain records
(unknown shapes, types or enum values are refused); then sanity checks a forgery must pass too:
the outcome names the key's provider, the count matches the offers, the status is OK for an
answer (not OK for a `:failed` one), and each offer passes `check_offer`, the checker an offer
shared by another process passes too (`fleet/offers.py`): every seller (source, fare source,
room) is the key's provider, a flight offer has flights, every amount (prices, net prices, a
fare's penalties, base, taxes and prices per traveller, a room's penalty and taxes) is
plausible (finite, not negative, under `domain.MAX_AMOUNT`, in an ISO 4217 code), a net price
is never above its price, deadlines (a room's free cancellation, a fare's expiry) are instants
(aware), and a hotel's amenities are the enum's.

Decision on signing: without `GATEWAY_CACHE_SIGNING_KEY` nothing proves that a gateway wrote a
value, so a well-formed forgery under the right key (say, a price of 0.01) passes every check and
is served. It cannot run code, nor move a value to another key or provider, nor break a search.
That is acceptable for `mem://` (nobody else writes it) and for a Redis only the gateways can
reach; for any other shared Redis, set the key (the same on every gateway sharing it): then each
value carries an HMAC-SHA256 of its key, expiry and payload, and a value without a valid one is
dropped.
A gateway with a Redis URL and no key says so in one WARNING at start-up.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Container
from dataclasses import replace
from datetime import datetime
from typing import Any

import msgspec

from gateway.domain import (
    Amenity,
    FlightOffer,
    HotelOffer,
    Money,
    ProviderStatus,
    plausible,
)
from gateway.fleet.sealed import Sealer, Unsealable
from gateway.search import canonical
from gateway.search.fanout import ProviderResult

KEY_VERSION = "v6"
"""Part of every key: bump it when the stored format or shapes change, so old values are never
read (v1 held cashews values; v3: rooms carry the provider's id as `offer_id`; v4: flight
offers carry their fare; v5: hotel rates carry board, cancellation and taxes, hotels address,
reviews and amenities; v6: rates and sources carry the seller's net price apart from what the
traveller pays, and whether a rate must be checked before booking)."""
FAILED_SUFFIX = ":failed"
"""Appended to a key for a failed answer, shared briefly with the processes waiting for it."""
_RESULT_TYPES: dict[str, Any] = {
    "flights": ProviderResult[FlightOffer],
    "hotels": ProviderResult[HotelOffer],
}
_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_decoders = {field: msgspec.msgpack.Decoder(kind) for field, kind in _RESULT_TYPES.items()}


BadEntry = Unsealable
"""A value that must not be served (`fleet/sealed.py`)."""


def search_key(field: str, provider: str, query: object) -> str:
    """The cache key of one provider's answer to one query, and so the identity searches in
    flight coalesce on, in this process and across the fleet: the digest of the query's
    canonical form (`search/canonical.py`), so every spelling of one search is one key. The
    service hands over a canonical query already; this derives the key from that form whoever
    calls it (canonical forms are their own canonical form: nothing changes twice)."""
    digest = hashlib.sha256(_encoder.encode(canonical.search(query))).hexdigest()[:32]
    return f"{KEY_VERSION}:{field}:{provider}:{digest}"


class EntryCodec:
    """Provider answers to stored values and back, sealed (`fleet/sealed.py`): signed with
    `signing_key` when given."""

    def __init__(self, signing_key: str | None, *, clock: Callable[[], float] = time.time) -> None:
        self._sealer = Sealer(signing_key, clock=clock)

    @property
    def signed(self) -> bool:
        return self._sealer.signed

    def encode(self, key: str, result: ProviderResult[Any], ttl_s: float) -> bytes:
        """`result` as stored under `key` for `ttl_s` (its freshness is the seal's expiry)."""
        stored = result if result.fresh_until is None else replace(result, fresh_until=None)
        return self._sealer.seal(key, _encoder.encode(stored), ttl_s)

    def decode(self, key: str, raw: bytes) -> ProviderResult[Any]:
        """The answer stored under `key`, if `raw` passes every check; else BadEntry."""
        payload = self._sealer.unseal(key, raw)
        field, provider, failed = _parts(key)
        try:
            result: ProviderResult[Any] = _decoders[field].decode(payload)
        except msgspec.DecodeError:  # ValidationError included; its text may quote the value
            raise BadEntry("not a well-formed provider answer") from None
        _check_sane(result, provider, failed=failed)
        # Fresh until the seal says (what the payload says is ignored: it is never written).
        return replace(result, fresh_until=None if failed else self._sealer.expires_at(raw))


def _parts(key: str) -> tuple[str, str, bool]:
    """Field, provider and whether it holds a failure, from a key made by `search_key`."""
    failed = key.endswith(FAILED_SUFFIX)
    _, field, provider, _ = key.removesuffix(FAILED_SUFFIX).split(":")
    return field, provider, failed


def _check_sane(result: ProviderResult[Any], provider: str, *, failed: bool) -> None:
    """What any answer of `provider` satisfies, however it was made."""
    outcome = result.outcome
    if outcome.provider != provider:
        raise BadEntry("answer of another provider")
    if failed:
        if outcome.status is ProviderStatus.OK or result.offers:
            raise BadEntry("a failure holding a success")
        return
    if outcome.status is not ProviderStatus.OK:
        raise BadEntry("a success holding a failure")
    if outcome.offer_count != len(result.offers):
        raise BadEntry("offer count does not match the offers")
    for offer in result.offers:
        check_offer(offer, (provider,), "another provider")


def check_offer(offer: FlightOffer | HotelOffer, sellers: Container[str], stranger: str) -> None:
    """What any offer a gateway could serve satisfies, however it was made: one checker for
    every offer read back from a store (a provider's answer in the search cache, here; an offer
    another process served, `fleet/offers.py`), so both refuse the same forgeries. A flight
    offer has flights; every amount is plausible (`domain.plausible`: the offer's; each
    source's; each fare's, its penalties, and each of its sources' total, base, taxes and
    prices per traveller; each room's, its penalty and taxes); a net price is never above its
    price, in its currency; every seller (an offer's source, a fare's, a room's) is one of
    `sellers`, else it is "sold by `stranger`"; deadlines are instants (aware); a hotel's
    amenities are the enum's. `BadEntry` names the check, never the value.

    On every answer read from the cache, so amounts are gathered and checked in one pass
    (~3 µs an offer of three fares)."""
    amounts: list[Money | None] = [offer.price]
    for source in offer.sources:
        if source.provider not in sellers:
            raise BadEntry(f"offer sold by {stranger}")
        amounts.append(source.price)
        _check_net(source.net_price, source.price)
    if isinstance(offer, FlightOffer):
        if not offer.itineraries or not all(i.segments for i in offer.itineraries):
            raise BadEntry("a flight offer without flights")
        for fare in offer.fares:
            amounts += (fare.price, fare.refund.penalty, fare.change.penalty)
            for fare_source in fare.sources:
                if fare_source.provider not in sellers:
                    raise BadEntry(f"fare sold by {stranger}")
                amounts += (fare_source.price, fare_source.base, fare_source.taxes)
                for per_traveller in fare_source.per_traveller:
                    amounts.append(per_traveller.price)
                _check_aware(fare_source.expires_at)
    else:
        if not set(offer.hotel.amenities or ()) <= _AMENITIES:
            raise BadEntry("an amenity the gateway does not know")
        for room in offer.rooms:
            if room.provider not in sellers:
                raise BadEntry(f"room sold by {stranger}")
            amounts += (room.price, room.cancellation_penalty, room.included_taxes)
            amounts.append(room.due_at_hotel)
            _check_net(room.net_price, room.price)
            _check_aware(room.free_cancellation_until)
    if not all(map(plausible, filter(None, amounts))):
        raise BadEntry("an impossible price")


_AMENITIES = frozenset(amenity.value for amenity in Amenity)


def _check_net(net: Money | None, price: Money) -> None:
    """What the seller pays is never more than what the traveller pays, in the same currency
    (every provider's rule: a net rate, or a retail rate less commission, under its floor)."""
    if net is not None:
        _check_price(net)
        if net.currency != price.currency or net.amount > price.amount:
            raise BadEntry("a net price over its price")


def _check_price(price: Money) -> None:
    if not plausible(price):
        raise BadEntry("an impossible price")


def _check_aware(moment: datetime | None) -> None:
    if moment is not None and moment.tzinfo is None:
        raise BadEntry("a deadline without its offset")
