"""What the search cache stores, and the checks a value read back must pass before it is served.

A value read from a shared Redis is untrusted input: whoever can reach Redis can write any key.
So a value is never unpickled or otherwise executed; it is bytes in a format of our own, and it is
served only if it passes every check below. One that fails any check is dropped by the cache and
the search goes to the provider, as on a miss.

Format (version 1), one value per provider answer:

    b"TGC" | version: 1 byte | flags: 1 byte (1 = signed) | expires at: 8 bytes, big-endian,
    Unix time in ms | key length: 2 bytes, big-endian | the key it was written under (UTF-8)
    | HMAC-SHA256: 32 bytes, signed values only | payload: the `ProviderResult` in MessagePack

Checks on read, in this order: at most `MAX_VALUE_BYTES` (before anything is decoded); magic and
version; signed exactly when a signing key is configured; written under the very key that was
read (so a genuine value copied to another search's key is refused); the HMAC, over everything but
itself, compared in constant time; not past its own expiry (so a genuine signed value saved by
an attacker cannot be replayed later under a fresh Redis TTL, stale prices and all; the gateways'
clocks are assumed to agree within seconds); strict typed decoding into the domain records
(unknown shapes, types or enum values are refused); then sanity checks a forgery must pass too:
the outcome names the key's provider, so does every offer's source (and room), the count matches
the offers, prices (and a room's net price, penalty and taxes) are plausible (finite, not
negative, under `domain.MAX_AMOUNT`, in an ISO 4217 code), a net price is never above its
price, a room's cancellation deadline is an instant (aware), a hotel's amenities are the
enum's, and the status is OK for an answer (not OK for a `:failed` one).

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
import hmac
import time
from collections.abc import Callable
from typing import Any

import msgspec

from gateway.domain import Amenity, FlightOffer, HotelOffer, Money, ProviderStatus, plausible
from gateway.search.fanout import ProviderResult
from gateway.search.stores import MAX_VALUE_BYTES

KEY_VERSION = "v6"
"""Part of every key: bump it when the stored format or shapes change, so old values are never
read (v1 held cashews values; v3: rooms carry the provider's id as `offer_id`; v4: flight
offers carry their fare; v5: hotel rates carry board, cancellation and taxes, hotels address,
reviews and amenities; v6: rates and sources carry the seller's net price apart from what the
traveller pays, and whether a rate must be checked before booking)."""
FAILED_SUFFIX = ":failed"
"""Appended to a key for a failed answer, shared briefly with the processes waiting for it."""
MAGIC = b"TGC"
"""First bytes of every value the gateway writes (travel-gateway cache)."""
FORMAT_VERSION = 1
"""The value layout in the module docstring; another version is refused."""
SIGNED = 0x01
"""Flag: the value carries an HMAC-SHA256 after its key."""
MAC_BYTES = hashlib.sha256().digest_size
EXPIRY_SLACK_S = 5.0
"""A value's own expiry trails its TTL in the store by this much, so the store drops it first and
gateways whose clocks differ by less never refuse a genuine value as expired."""

_EXPIRY_AT = len(MAGIC) + 2
_HEADER = _EXPIRY_AT + 8 + 2
_RESULT_TYPES: dict[str, Any] = {
    "flights": ProviderResult[FlightOffer],
    "hotels": ProviderResult[HotelOffer],
}
_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_decoders = {field: msgspec.msgpack.Decoder(kind) for field, kind in _RESULT_TYPES.items()}


class BadEntry(Exception):
    """A value that must not be served. The message says which check failed, never what the
    value holds (it is untrusted and may be anything, secrets or terminal escapes included)."""


def search_key(field: str, provider: str, query: object) -> str:
    """The cache key of one provider's answer to one normalised query."""
    digest = hashlib.sha256(_encoder.encode(query)).hexdigest()[:32]
    return f"{KEY_VERSION}:{field}:{provider}:{digest}"


class EntryCodec:
    """Provider answers to stored values and back, signed with `signing_key` when given."""

    def __init__(self, signing_key: str | None, *, clock: Callable[[], float] = time.time) -> None:
        self._mac_key = signing_key.encode() if signing_key else None
        self._clock = clock
        """Wall-clock time: expiry is compared across processes and machines."""

    @property
    def signed(self) -> bool:
        return self._mac_key is not None

    def encode(self, key: str, result: ProviderResult[Any], ttl_s: float) -> bytes:
        """`result` as stored under `key` for `ttl_s`."""
        payload = _encoder.encode(result)
        key_bytes = key.encode()
        expires_at_ms = round((self._clock() + ttl_s + EXPIRY_SLACK_S) * 1000)
        header = (
            MAGIC
            + bytes((FORMAT_VERSION, SIGNED if self._mac_key else 0))
            + expires_at_ms.to_bytes(8, "big")
            + len(key_bytes).to_bytes(2, "big")
            + key_bytes
        )
        if self._mac_key is None:
            return header + payload
        mac = hmac.new(self._mac_key, header, hashlib.sha256)
        mac.update(payload)
        return header + mac.digest() + payload

    def decode(self, key: str, raw: bytes) -> ProviderResult[Any]:
        """The answer stored under `key`, if `raw` passes every check; else BadEntry."""
        if len(raw) > MAX_VALUE_BYTES:
            raise BadEntry(f"{len(raw)} bytes, over the {MAX_VALUE_BYTES}-byte limit")
        if len(raw) < _HEADER or not raw.startswith(MAGIC):
            raise BadEntry("not a value the gateway wrote")
        version, flags = raw[len(MAGIC)], raw[len(MAGIC) + 1]
        if version != FORMAT_VERSION or flags & ~SIGNED:
            raise BadEntry("written in another format version")
        key_end = _HEADER + int.from_bytes(raw[_HEADER - 2 : _HEADER], "big")
        if raw[_HEADER:key_end] != key.encode():
            raise BadEntry("written under another key")
        payload_at = self._check_mac(raw, key_end, signed=bool(flags & SIGNED))
        expires_at_ms = int.from_bytes(raw[_EXPIRY_AT : _EXPIRY_AT + 8], "big")
        if expires_at_ms <= self._clock() * 1000:
            raise BadEntry("expired")
        field, provider, failed = _parts(key)
        try:
            result: ProviderResult[Any] = _decoders[field].decode(memoryview(raw)[payload_at:])
        except msgspec.DecodeError:  # ValidationError included; its text may quote the value
            raise BadEntry("not a well-formed provider answer") from None
        _check_sane(result, provider, failed=failed)
        return result

    def _check_mac(self, raw: bytes, key_end: int, *, signed: bool) -> int:
        """Where the payload starts, once the signature (if any is expected) is verified."""
        if self._mac_key is None:
            if signed:
                raise BadEntry("signed, and no signing key is configured to check it")
            return key_end
        if not signed:
            raise BadEntry("not signed")
        payload_at = key_end + MAC_BYTES
        view = memoryview(raw)
        mac = hmac.new(self._mac_key, view[:key_end], hashlib.sha256)
        mac.update(view[payload_at:])
        if not hmac.compare_digest(mac.digest(), raw[key_end:payload_at]):
            raise BadEntry("bad signature")
        return payload_at


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
        _check_price(offer.price)
        hotel = getattr(offer, "hotel", None)
        if hotel is not None and not set(hotel.amenities or ()) <= _AMENITIES:
            raise BadEntry("an amenity the gateway does not know")
        for source in offer.sources:
            if source.provider != provider:
                raise BadEntry("offer sold by another provider")
            _check_price(source.price)
            _check_net(source.net_price, source.price)
        for fare in getattr(offer, "fares", ()):
            _check_price(fare.price)
            for fare_source in fare.sources:
                if fare_source.provider != provider:
                    raise BadEntry("fare sold by another provider")
                _check_price(fare_source.price)
        for room in getattr(offer, "rooms", ()):
            if room.provider != provider:
                raise BadEntry("room sold by another provider")
            _check_price(room.price)
            _check_net(room.net_price, room.price)
            for amount in (room.cancellation_penalty, room.included_taxes, room.due_at_hotel):
                if amount is not None:
                    _check_price(amount)
            deadline = room.free_cancellation_until
            if deadline is not None and deadline.tzinfo is None:
                raise BadEntry("a deadline without its offset")


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
        raise BadEntry("impossible price")
