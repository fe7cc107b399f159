"""Served offers in the fleet's shared store, so any instance or worker answers `flightOffer(id)`
and `hotelOffer(id)` (with `refresh`) for an offer another one served.

Each offer a page serves is written under its id (`offer:<id>`), sealed (`fleet/shared.py`), as
msgspec MessagePack of the domain record exactly as served: Amadeus's quotes included (what
re-pricing sends back; already bounded per result set by `search/repricing.py`), net prices
included (the API layer hides them per client, as it does for offers found locally). It lives
for what is left of its result set's life: an id answers on any instance as long as it answers
on the one that served it (longer, if that one evicted the set early).

Written in the background (`share`): the page is answered first and never waits on Redis (a
page of a set this process holds costs ~5 ms; awaiting a Redis answering in 0.8 s made it
~750 ms). Another instance finds an offer once its write has landed: two Redis round trips
after the page was answered (the budget's count when it charges, then the values): typically
a millisecond or two, well before a client's next request reaches another instance. At most
`MAX_WRITES_IN_FLIGHT` pages are being written at once per process; a page served while that
many are (Redis slow) is not shared: its offers stay in this process, as with Redis down.

Redis is untrusted input. A value read back is served only if, beyond its seal (key, expiry,
signature when `GATEWAY_CACHE_SIGNING_KEY` is set), it is at most `MAX_OFFER_BYTES`, decodes
strictly into the record of the id's kind (flight ids start with F, hotel ids with O), passes
the checks an offer from the search cache passes (`search/entries.check_offer`: plausible
money everywhere, a net price never above its price, aware deadlines, known amenities, flights
in a flight offer), names only providers this gateway has, and its id, computed again from its
values (`search/identity.py`), is the id asked for. So a value planted under another offer's
id is refused even without a signing key; a self-consistent forgery under its own new id
(possible only without a key) is found by nobody but whoever knows that id.

Bounds: `MAX_OFFER_BYTES` per value (the demo's largest is ~8.4 KB), `MAX_PAGE_BYTES` per page
written (offers past it, in page order, stay in this process only), at most one value per
offer of a page (100), and for the whole fleet `GATEWAY_OFFERS_SHARED_MIB` per window: a
counter in Redis (`BUDGET_KEY`) that lives one window, the results' TTL (the longest an offer
lives), charged each value's bytes and `ENTRY_OVERHEAD_BYTES` before it is written. A process
charges an offer once a window: writing it again sooner replaces the value it charged for (or
puts back one Redis lost), adding nothing. So every offer in Redis was charged less than two
windows ago, a time that overlaps three of the counter's windows at most: Redis holds at most
three budgets of offers. Past the budget, offers stay in the process that served them until
the window lapses (one WARNING an hour per process). A page's values go in one shared-store
operation, and a store that is down costs the search nothing: `Shared` answers its default and
the offers stay local. An offer this process wrote lately is not written again
(`REWRITE_AFTER`, `MAX_SKIP_S`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

import msgspec

from gateway.domain import FlightOffer, HotelOffer
from gateway.fleet.shared import Shared
from gateway.search import identity
from gateway.search.entries import BadEntry, check_offer

log = logging.getLogger(__name__)

K = TypeVar("K", FlightOffer, HotelOffer)

MAX_OFFER_BYTES = 128 * 1024
"""Largest offer shared, and read back (the demo's: 5–8.4 KB a flight offer with its quotes,
1.5–7 KB a hotel offer). A larger one stays in the process that served it."""
MAX_PAGE_BYTES = 1024 * 1024
"""Bytes of offers one page writes at most (a demo page of 20 flights: ~137 KB, of 100:
~230 KB; 20 hotels: ~77 KB). Offers past the bound, in page order, are not shared."""
MAX_WRITES_IN_FLIGHT = 8
"""Pages whose offers this process is writing at once, at most. Writes are never awaited by a
page; with Redis slow they pile up, so past this many a page's offers are not shared (sharing
is for other instances: the one that served them finds them anyway). Also bounds what a slow
Redis holds in this process's memory: this many pages' values, `MAX_PAGE_BYTES` each."""
SHARED_BYTES = 256 * 1024**2
"""Default of `GATEWAY_OFFERS_SHARED_MIB` (256): bytes of offers the whole fleet writes per
window (the results' TTL, 10 minutes by default), each value charged its bytes and
`ENTRY_OVERHEAD_BYTES`. About 1,200 first pages of 20 flights and 20 hotels (~210 KB) never
served before per window: two a second. Redis holds at most three times this of offers (see
the module docstring)."""
ENTRY_OVERHEAD_BYTES = 256
"""What one value costs Redis beyond its payload: the seal (~120 bytes: frame, key, signature)
and Redis's own record of a key (~100). Charged to the budget, so small values are bounded
like large ones."""
BUDGET_KEY = "offers:bytes"
"""The fleet's count of offer bytes written in this window: `tgw:fleet:v1:offers:bytes`."""
BUDGET_PAUSE_S = 60.0
"""Once the fleet's budget is found spent, this process writes no offers for this long: the
window lapses in its own time, and every page would meanwhile cost a refused count."""
REPORT_EVERY_S = 3600.0
"""A spent fleet budget is logged once an hour at most, per process."""
KEY_PREFIX = "offer:"
"""Then the offer's id: `tgw:fleet:v1:offer:F…`."""
REWRITE_AFTER = 0.1
"""An offer this process wrote is written again (a later set serving it lives longer) only once
its copy would die this share of the TTL before the new set: repeated searches answered from
the cache serve the same ids, and writing them all again cost ~4 ms of CPU a search (20 + 20
offers). The price: in a set's last tenth of life (a minute by default), another process may
not find an offer of it; the one that served it still does."""
MAX_SKIP_S = 60.0
"""An offer this process wrote is written again when served this long after, however long its
copy should still live: if Redis lost it meanwhile (restarted empty, flushed, evicted: nothing
tells), other instances find it again once it is served again, within a minute, not after
most of the TTL. Also forgotten at once when a write fails (Redis down: it may come back
empty) and when this process looks the offer up in Redis and misses. Costs a write of a
search repeated from the cache once a minute (~4 ms of CPU), not charged to the fleet's budget
again within a window."""
WRITTEN_ENTRIES = 40_000
"""Offers this process remembers writing, at most (~100 bytes each: ~4 MB), least recently
written forgotten first (then written again when served again): as many as `OfferIndex`."""
WHAT = "served offers"
"""How outages and refused values of these keys are named in the log."""
STRANGER = "a provider this gateway does not have"
"""Who sold an offer naming a provider this gateway does not have, in a refusal."""
_IDS = {
    FlightOffer: re.compile(rf"^F[0-9a-f]{{{2 * identity.DIGEST_BYTES}}}\Z"),
    HotelOffer: re.compile(rf"^O[0-9a-f]{{{2 * identity.DIGEST_BYTES}}}\Z"),
}
"""What an id of each kind looks like (`search/identity.py`): anything else was never served,
and is not looked up."""
_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_decoders: dict[type[Any], msgspec.msgpack.Decoder[Any]] = {
    FlightOffer: msgspec.msgpack.Decoder(FlightOffer),
    HotelOffer: msgspec.msgpack.Decoder(HotelOffer),
}


class Implausible(Exception):
    """A decoded offer no gateway would have served; the message names the check, never the
    value (it is untrusted)."""


class _Written(NamedTuple):
    at: float
    """When this process wrote it last (`clock`)."""
    until: float
    """Until when that copy lives (`clock`)."""
    charged: float
    """When this process last charged it to the fleet's budget (`clock`)."""


class SharedOffers:
    """Served offers by id, in the fleet's shared store."""

    def __init__(
        self,
        shared: Shared,
        providers: Iterable[str],
        *,
        budget_bytes: int = SHARED_BYTES,
        window_s: float = 600.0,
        max_written: int = WRITTEN_ENTRIES,
        max_in_flight: int = MAX_WRITES_IN_FLIGHT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shared = shared
        self._providers = frozenset(providers)
        """The providers offers may name: those this gateway has."""
        self._budget_bytes = budget_bytes
        """`GATEWAY_OFFERS_SHARED_MIB`: what the fleet writes per window, at most."""
        self._window_s = window_s
        """The budget's window: the longest an offer lives (`GATEWAY_RESULTS_TTL_S`)."""
        self._written: OrderedDict[str, _Written] = OrderedDict()
        """Offers this process wrote: when, and until when their copy lives."""
        self._max_written = max_written
        self._max_in_flight = max_in_flight
        self._pending: set[asyncio.Task[int]] = set()
        """Writes begun by `share`, not yet done."""
        self._writing: set[str] = set()
        """Ids of the offers those writes hold: not written twice at once."""
        self._paused_until = -1.0
        """No write before this (`clock`): the fleet's budget was found spent."""
        self._reported_at = -REPORT_EVERY_S
        self._clock = clock

    def share(self, offers: Sequence[FlightOffer | HotelOffer], ttl_s: float) -> bool:
        """Write a page's `offers` in the background (`keep`), never waiting for it; whether a
        write began (not when nothing is due, nor with `MAX_WRITES_IN_FLIGHT` writes under way:
        then these offers stay in this process)."""
        due = [
            offer
            for offer in self._due(offers, ttl_s, self._clock())
            if offer.id not in self._writing
        ]
        if not due or len(self._pending) >= self._max_in_flight:
            return False
        ids = {offer.id for offer in due}
        self._writing |= ids
        task = asyncio.get_running_loop().create_task(self._write(due, ttl_s, ids))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return True

    async def flush(self) -> None:
        """Wait for the writes under way (each has `fleet/shared.OP_TIMEOUT_S` per operation):
        before the store closes, and in tests, to look up what a page shared."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def _write(
        self, offers: Sequence[FlightOffer | HotelOffer], ttl_s: float, ids: set[str]
    ) -> int:
        try:
            return await self.keep(offers, ttl_s)
        except Exception:  # a background task: nobody else would see it
            log.exception("sharing %s failed", WHAT)
            return 0
        finally:
            self._writing -= ids

    async def keep(self, offers: Sequence[FlightOffer | HotelOffer], ttl_s: float) -> int:
        """Write each of a page's `offers` (as served, with their ids) for `ttl_s`, in page
        order until `MAX_PAGE_BYTES`, but for those this process wrote lately (`REWRITE_AFTER`,
        `MAX_SKIP_S`), if the fleet's budget allows; how many were written (0 when the store
        is down or the budget spent). What `share` runs in the background."""
        now = self._clock()
        payloads: dict[str, bytes] = {}
        left = MAX_PAGE_BYTES
        for offer in self._due(offers, ttl_s, now):
            payload = _encoder.encode(offer)
            if len(payload) > MAX_OFFER_BYTES:
                continue
            if len(payload) > left:
                break
            left -= len(payload)
            payloads[KEY_PREFIX + offer.id] = payload
        charged = {key for key in payloads if self._charged(key.removeprefix(KEY_PREFIX), now)}
        if not payloads or not await self._within_budget(payloads, charged, now):
            return 0
        if not await self._shared.set_many(payloads, ttl_s, WHAT):
            self._written.clear()  # the store failed: it may come back without them
            return 0
        for key in payloads:
            offer_id = key.removeprefix(KEY_PREFIX)
            before = self._written.get(offer_id)
            charged_at = now if key in charged or before is None else before.charged
            self._written[offer_id] = _Written(now, now + ttl_s, charged_at)
            self._written.move_to_end(offer_id)
        while len(self._written) > self._max_written:
            self._written.popitem(last=False)
        return len(payloads)

    def _due(
        self, offers: Iterable[FlightOffer | HotelOffer], ttl_s: float, now: float
    ) -> list[FlightOffer | HotelOffer]:
        """The `offers` to write now for `ttl_s`: not those whose copy, written by this process
        less than `MAX_SKIP_S` ago, lives long enough already (the same values: ids digest
        them); none while the fleet's budget is spent."""
        if ttl_s <= 0 or now < self._paused_until:
            return []
        fresh_until = now + ttl_s * (1 - REWRITE_AFTER)
        due = []
        for offer in offers:
            written = self._written.get(offer.id)
            if written is None or written.until <= fresh_until or now - written.at >= MAX_SKIP_S:
                due.append(offer)
        return due

    def _charged(self, offer_id: str, now: float) -> bool:
        """Whether writing `offer_id` now is charged to the fleet's budget: unless this process
        charged it less than a window ago (its value is replaced, or put back if Redis lost
        it: nothing is added to what the charge counted)."""
        written = self._written.get(offer_id)
        return written is None or now - written.charged >= self._window_s

    async def _within_budget(
        self, payloads: dict[str, bytes], charged: set[str], now: float
    ) -> bool:
        """Whether the fleet's budget for this window takes `payloads`, those of `charged`
        keys charged to it now."""
        charge = sum(len(payloads[key]) + ENTRY_OVERHEAD_BYTES for key in charged)
        if not charge:
            return True
        spent = await self._shared.incr(BUDGET_KEY, charge, self._window_s, WHAT)
        if spent is None:
            self._written.clear()  # the store failed: it may come back without them
            return False
        # A counter is a number Redis adds to, so it cannot be sealed: below what was just
        # added, it was planted (a negative start would lift the budget), and counts as spent.
        if charge <= spent <= self._budget_bytes:
            return True
        self._paused_until = now + BUDGET_PAUSE_S
        if now - self._reported_at >= REPORT_EVERY_S:
            self._reported_at = now
            log.warning(
                "the fleet's %d bytes of shared offers for this window are spent "
                "(GATEWAY_OFFERS_SHARED_MIB); offers are found only where they were served "
                "until it lapses",
                self._budget_bytes,
            )
        return False

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
            # Not there (lost, evicted, or the store is down): if this process wrote it, it
            # writes it again the next time it serves it.
            self._written.pop(offer_id, None)
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
        try:
            check_offer(offer, self._providers, STRANGER)
        except BadEntry as bad:
            raise Implausible(str(bad)) from None
        served: Any = (
            identity.flight_offer(offer)
            if isinstance(offer, FlightOffer)
            else identity.hotel_offer(offer)
        )
        if offer.id != offer_id or served.id != offer_id:
            raise Implausible("its values are not those of the id asked for")
        return served  # type: ignore[no-any-return]
