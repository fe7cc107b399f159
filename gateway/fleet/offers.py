"""Served offers in the fleet's shared store, so any instance or worker answers `flightOffer(id)`
and `hotelOffer(id)` (with `refresh`) for an offer another one served.

Each offer a page serves is written under its id (`offer:<id>`), sealed (`fleet/shared.py`), as
msgspec MessagePack of the domain record exactly as served: Amadeus's quotes included (what
re-pricing sends back; already bounded per result set by `search/repricing.py`), net prices
included (the API layer hides them per client, as it does for offers found locally). It lives
for what is left of its result set's life: an id answers on any instance as long as it answers
on the one that served it (longer, if that one evicted the set early).

Redis is untrusted input. A value read back is served only if, beyond its seal (key, expiry,
signature when `GATEWAY_CACHE_SIGNING_KEY` is set), it is at most `MAX_OFFER_BYTES`, decodes
strictly into the record of the id's kind (flight ids start with F, hotel ids with O), holds
only plausible money (`domain.plausible`; a net price never above its price, in its currency),
names only providers this gateway has, has aware deadlines and known amenities, and its id,
computed again from its values (`search/identity.py`), is the id asked for. So a value planted
under another offer's id is refused even without a signing key; a self-consistent forgery under
its own new id (possible only without a key) is found by nobody but whoever knows that id.

Bounds: `MAX_OFFER_BYTES` per value (the demo's largest is ~8.4 KB), `MAX_PAGE_BYTES` per page
written (offers past it, in page order, stay in this process only), at most one value per
offer of a page (100). A page's values go in one shared-store operation, and a store that is
down costs the search nothing: `Shared` answers its default and the offers stay local. An offer
this process wrote lately is not written again (`REWRITE_AFTER`).
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from gateway.domain import (
    Amenity,
    Fare,
    FlightOffer,
    HotelOffer,
    Money,
    RoomOffer,
    plausible,
)
from gateway.fleet.shared import Shared
from gateway.search import identity

log = logging.getLogger(__name__)

K = TypeVar("K", FlightOffer, HotelOffer)

MAX_OFFER_BYTES = 128 * 1024
"""Largest offer shared, and read back (the demo's: 5–8.4 KB a flight offer with its quotes,
1.5–7 KB a hotel offer). A larger one stays in the process that served it."""
MAX_PAGE_BYTES = 1024 * 1024
"""Bytes of offers one page writes at most (a demo page of 20 flights: ~137 KB, of 100:
~230 KB; 20 hotels: ~77 KB). Offers past the bound, in page order, are not shared."""
KEY_PREFIX = "offer:"
"""Then the offer's id: `tgw:fleet:v1:offer:F…`."""
REWRITE_AFTER = 0.1
"""An offer this process wrote is written again (a later set serving it lives longer) only once
its copy would die this share of the TTL before the new set: repeated searches answered from
the cache serve the same ids, and writing them all again cost ~4 ms of CPU a search (20 + 20
offers). The price: in a set's last tenth of life (a minute by default), another process may
not find an offer of it; the one that served it still does."""
WRITTEN_ENTRIES = 40_000
"""Offers this process remembers writing, at most (~100 bytes each: ~4 MB), least recently
written forgotten first (then written again when served again): as many as `OfferIndex`."""
WHAT = "served offers"
"""How outages and refused values of these keys are named in the log."""
_IDS = {
    FlightOffer: re.compile(rf"^F[0-9a-f]{{{2 * identity.DIGEST_BYTES}}}\Z"),
    HotelOffer: re.compile(rf"^O[0-9a-f]{{{2 * identity.DIGEST_BYTES}}}\Z"),
}
"""What an id of each kind looks like (`search/identity.py`): anything else was never served,
and is not looked up."""
_AMENITIES = frozenset(amenity.value for amenity in Amenity)
_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_decoders: dict[type[Any], msgspec.msgpack.Decoder[Any]] = {
    FlightOffer: msgspec.msgpack.Decoder(FlightOffer),
    HotelOffer: msgspec.msgpack.Decoder(HotelOffer),
}


class Implausible(Exception):
    """A decoded offer no gateway would have served; the message names the check, never the
    value (it is untrusted)."""


class SharedOffers:
    """Served offers by id, in the fleet's shared store."""

    def __init__(
        self,
        shared: Shared,
        providers: Iterable[str],
        *,
        max_written: int = WRITTEN_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shared = shared
        self._providers = frozenset(providers)
        """The providers offers may name: those this gateway has."""
        self._written: OrderedDict[str, float] = OrderedDict()
        """Offers this process wrote, and until when their copy lives (`clock`)."""
        self._max_written = max_written
        self._clock = clock

    async def keep(self, offers: Sequence[FlightOffer | HotelOffer], ttl_s: float) -> int:
        """Write each of a page's `offers` (as served, with their ids) for `ttl_s`, in page
        order until `MAX_PAGE_BYTES`, but for those this process wrote lately (`REWRITE_AFTER`);
        how many were written (0 when the store is down)."""
        if ttl_s <= 0:
            return 0
        now = self._clock()
        fresh_until = now + ttl_s * (1 - REWRITE_AFTER)
        payloads: dict[str, bytes] = {}
        left = MAX_PAGE_BYTES
        for offer in offers:
            if self._written.get(offer.id, now) > fresh_until:
                continue  # the same values (ids digest them), there long enough already
            payload = _encoder.encode(offer)
            if len(payload) > MAX_OFFER_BYTES:
                continue
            if len(payload) > left:
                break
            left -= len(payload)
            payloads[KEY_PREFIX + offer.id] = payload
        if not payloads or not await self._shared.set_many(payloads, ttl_s, WHAT):
            return 0
        for key in payloads:
            offer_id = key.removeprefix(KEY_PREFIX)
            self._written[offer_id] = now + ttl_s
            self._written.move_to_end(offer_id)
        while len(self._written) > self._max_written:
            self._written.popitem(last=False)
        return len(payloads)

    async def flight(self, offer_id: str) -> FlightOffer | None:
        """The flight offer served under `offer_id` by any process, as served; None when there
        is none, the store is down, or the value fails a check (logged)."""
        return await self._find(FlightOffer, offer_id)

    async def hotel(self, offer_id: str) -> HotelOffer | None:
        """The hotel offer served under `offer_id` by any process, as served; else None."""
        return await self._find(HotelOffer, offer_id)

    async def _find(self, kind: type[K], offer_id: str) -> K | None:
        if not _IDS[kind].match(offer_id):
            return None
        payload = await self._shared.get(KEY_PREFIX + offer_id, WHAT)
        if payload is None:
            return None
        try:
            return self._checked(kind, offer_id, payload)
        except Implausible as bad:
            log.warning("shared %s value refused: %s", WHAT, bad)
            return None

    def _checked(self, kind: type[K], offer_id: str, payload: memoryview) -> K:
        if len(payload) > MAX_OFFER_BYTES:
            raise Implausible(f"over {MAX_OFFER_BYTES} bytes")
        try:
            offer: K = _decoders[kind].decode(payload)
        except msgspec.DecodeError:  # ValidationError included; its text may quote the value
            raise Implausible(f"not a well-formed {kind.__name__}") from None
        if isinstance(offer, FlightOffer):
            self._check_flight(offer)
            served: Any = identity.flight_offer(offer)
        else:
            self._check_hotel(offer)
            served = identity.hotel_offer(offer)
        if offer.id != offer_id or served.id != offer_id:
            raise Implausible("its values are not those of the id asked for")
        return served  # type: ignore[no-any-return]

    def _check_flight(self, offer: FlightOffer) -> None:
        if not offer.itineraries or not all(i.segments for i in offer.itineraries):
            raise Implausible("a flight offer without flights")
        _money(offer.price)
        for source in offer.sources:
            self._provider(source.provider)
            _money(source.price)
            _net(source.net_price, source.price)
        for fare in offer.fares:
            _check_fare(fare)
            for fare_source in fare.sources:
                self._provider(fare_source.provider)
                _aware(fare_source.expires_at)

    def _check_hotel(self, offer: HotelOffer) -> None:
        if not set(offer.hotel.amenities or ()) <= _AMENITIES:
            raise Implausible("an amenity the gateway does not know")
        _money(offer.price)
        for source in offer.sources:
            self._provider(source.provider)
            _money(source.price)
            _net(source.net_price, source.price)
        for room in offer.rooms:
            self._provider(room.provider)
            _check_room(room)

    def _provider(self, name: str) -> None:
        if name not in self._providers:
            raise Implausible("a provider this gateway does not have")


def _check_fare(fare: Fare) -> None:
    _money(fare.price)
    for penalty in (fare.refund.penalty, fare.change.penalty):
        _optional(penalty)
    for source in fare.sources:
        _money(source.price)
        _optional(source.base)
        _optional(source.taxes)
        for per_traveller in source.per_traveller:
            _money(per_traveller.price)


def _check_room(room: RoomOffer) -> None:
    _money(room.price)
    _net(room.net_price, room.price)
    for amount in (room.cancellation_penalty, room.included_taxes, room.due_at_hotel):
        _optional(amount)
    _aware(room.free_cancellation_until)


def _money(money: Money) -> None:
    if not plausible(money):
        raise Implausible("an impossible price")


def _optional(money: Money | None) -> None:
    if money is not None:
        _money(money)


def _net(net: Money | None, price: Money) -> None:
    """What the seller pays is never more than what the traveller pays, in the same currency."""
    if net is not None:
        _money(net)
        if net.currency != price.currency or net.amount > price.amount:
            raise Implausible("a net price over its price")


def _aware(moment: datetime | None) -> None:
    if moment is not None and moment.tzinfo is None:
        raise Implausible("a deadline without its offset")
