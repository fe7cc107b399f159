"""Re-pricing bounded: a refresh of one offer younger than `GATEWAY_REFRESH_REUSE_S` is answered
from the earlier one, and refreshes of one offer in flight at once make one set of calls, in
this process and across the fleet.

Without this, a client sending 30 requests with two `flightOffer(refresh: true)` each caused 270
upstream calls in 0.19 s (issue 18): coalescing alone shares only calls in flight at the same
instant, in one process. Here, for one offer id:

1. A complete refresh (every provider's outcome OK: a GONE offer is an answer) younger than
   `reuse_s` is reused: from this process's memory first (`LOCAL_ENTRIES`, least recent
   dropped), then from the shared store (`refresh:<id>`, sealed). Its outcomes say
   `cached: true` with no latency, as a search's cache hits do.
2. Otherwise one task per process asks (`SingleFlight`), and, with a shared store, one process
   of the fleet: a lock per offer (`refresh:<id>:lock`, SET NX with a TTL and a random token)
   elects it; the others poll for its result (`POLL_S`) and fall back to asking themselves if
   the lock frees without one, or after `wait_s` (the provider timeout and a second: the
   longest a re-pricing takes).
3. The result is kept in the shared store, complete ones for `reuse_s`, others for
   `WAITERS_TTL_S` only, for the processes that waited on it (a failure is shared with them,
   never reused afterwards), and complete ones in this process's memory.

A result read from the store is untrusted: beyond its seal, it is at most `MAX_RESULT_BYTES`,
decodes strictly, is for the offer asked (its id, and each source's fare or room, provider,
offer id and previous price exactly the offer's own, in order: so no provider text or forged
source reaches a client), its statuses agree with its prices (plausible, `domain.plausible`;
UNCHANGED the same as before), it asked at most `MAX_REPRICED_SOURCES`, its outcomes name the
offer's providers once each, with bounded numbers and messages of printable ASCII, and it was
made no later than now (give or take `CLOCK_SKEW_S` between machines). A store that is down
leaves each process to refresh on its own (still coalesced and reused within it).

Every upstream call a refresh makes is the provider's own re-pricing call, through its
`UpstreamClient` (rate limiter and retries), as a search's are: nothing here calls a provider.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec

from gateway.domain import (
    FlightOffer,
    HotelOffer,
    Money,
    ProviderOutcome,
    ProviderStatus,
    RecheckedRoom,
    RepricedSource,
    RepricingStatus,
    plausible,
)
from gateway.fleet.shared import Shared
from gateway.search.repricing import MAX_REPRICED_SOURCES
from gateway.search.single_flight import SingleFlight

log = logging.getLogger(__name__)

C = TypeVar("C", RepricedSource, RecheckedRoom)

REUSE_S = 5.0
"""Default of `GATEWAY_REFRESH_REUSE_S`. A burst (a double click, a retrying client, a page of
widgets each refreshing the offer shown) lands within a second or two; a traveller reading the
price and pressing "book" takes longer, and a booking prices the offer again anyway. Within 5 s
a provider's price rarely moves, and its own offers stay valid for minutes (Duffel's ~30)."""
MAX_REUSE_S = 60.0
"""`GATEWAY_REFRESH_REUSE_S` at most: a re-pricing is asked for to learn the price now."""
WAITERS_TTL_S = 2.0
"""How long a refresh that is not reusable (a provider failed, or `reuse_s` is 0) stays in the
shared store: long enough for the processes polling for it, too short to be anyone's answer."""
POLL_S = 0.02
"""How often a process waiting for another's refresh looks for it."""
LOCAL_ENTRIES = 2_000
"""Complete refreshes this process keeps for reuse, at most (~1–3 KB each: ~6 MB at worst),
least recently made dropped first; they live `reuse_s` only."""
MAX_RESULT_BYTES = 64 * 1024
"""Largest refresh shared or read back (one of a flight offer with 6 sources: ~1.5 KB)."""
MAX_MESSAGE_CHARS = 200
"""An outcome's message read back is at most this long (ours are short fixed phrases)."""
MAX_LATENCY_MS = 3_600_000
CLOCK_SKEW_S = 2.0
"""How far apart the wall clocks of a fleet's machines may be when comparing a refresh's time."""
KEY_PREFIX = "refresh:"
WHAT = "re-pricings"
_MESSAGE = re.compile(rf"^[\x20-\x7e]{{0,{MAX_MESSAGE_CHARS}}}\Z")
_PRICED = frozenset({RepricingStatus.UNCHANGED, RepricingStatus.CHANGED})


class Refreshed(msgspec.Struct, Generic[C], frozen=True, gc=False, forbid_unknown_fields=True):
    """One refresh of an offer, as shared."""

    offer_id: str
    at_ms: int
    """When it was made: Unix time in ms (wall clock, compared across machines)."""
    token: str
    """Random, one per refresh: a process waiting for another's tells a new result by it."""
    sources: tuple[C, ...]
    outcomes: tuple[ProviderOutcome, ...]

    @property
    def complete(self) -> bool:
        """Whether every provider answered: only then is it reused."""
        return all(outcome.status is ProviderStatus.OK for outcome in self.outcomes)


Answer = tuple[tuple[C, ...], tuple[ProviderOutcome, ...]]
"""Each source (or room) as priced again, and each provider's outcome."""


class Unusable(Exception):
    """A shared refresh that must not be served; the message names the check, never the value."""


@dataclass(frozen=True, slots=True)
class Refresh(Generic[C]):
    """A refresh as answered, and how: `asked` (this process called the providers), `reused`
    (an earlier refresh), or `awaited` (another process's, made meanwhile)."""

    sources: tuple[C, ...]
    outcomes: tuple[ProviderOutcome, ...]
    how: str


_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_decoders: dict[type[Any], msgspec.msgpack.Decoder[Any]] = {
    FlightOffer: msgspec.msgpack.Decoder(Refreshed[RepricedSource]),
    HotelOffer: msgspec.msgpack.Decoder(Refreshed[RecheckedRoom]),
}


@dataclass(slots=True)
class _Local:
    expires_at: float
    result: Refreshed[Any]


class Refreshes:
    """Refreshes of offers, reused and coalesced (see the module docstring)."""

    def __init__(
        self,
        shared: Shared | None,
        *,
        reuse_s: float = REUSE_S,
        wait_s: float = 9.0,
        poll_s: float = POLL_S,
        max_entries: int = LOCAL_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._shared = shared
        self.reuse_s = reuse_s
        self._wait_s = wait_s
        """Longest wait for another process's refresh; then this one asks."""
        self._poll_s = poll_s
        self._max_entries = max_entries
        self._clock = clock
        self._wall = wall
        self._local: OrderedDict[str, _Local] = OrderedDict()
        self._flights: SingleFlight[Refresh[Any]] = SingleFlight()

    async def run(
        self, offer: FlightOffer | HotelOffer, ask: Callable[[], Awaitable[Answer[C]]]
    ) -> Refresh[C]:
        """`offer` (as served, id checked) refreshed: reused, awaited, or `ask()`ed here."""
        kept = self._recent(offer.id)
        if kept is not None:
            return _reused(kept, "reused")
        refresh, _ = await self._flights.run(offer.id, lambda: self._refresh(offer, ask))
        return refresh

    async def _refresh(
        self, offer: FlightOffer | HotelOffer, ask: Callable[[], Awaitable[Answer[C]]]
    ) -> Refresh[C]:
        shared = self._shared
        if shared is None:
            return await self._ask(offer, ask)
        seen = await self._read(shared, offer)
        if seen is not None and self._reusable(seen):
            self._remember(seen)
            return _reused(seen, "reused")
        lock_key, token = f"{KEY_PREFIX}{offer.id}:lock", secrets.token_hex(8)
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._wait_s
        waited = False
        while True:
            taken = await shared.lock(lock_key, token, self._wait_s + 1.0, WHAT)
            if taken and waited:
                # The process that held the lock may have finished just before it was taken.
                done = await self._read(shared, offer)
                if done is not None and _newer(done, seen):
                    await shared.unlock(lock_key, token, WHAT)
                    return self._awaited(done)
            if taken is not False or loop.time() >= give_up_at:
                # Elected, the store is down (None), or the elected process never answered.
                try:
                    return await self._ask(offer, ask)
                finally:
                    if taken:
                        await shared.unlock(lock_key, token, WHAT)
            waited = True
            await asyncio.sleep(self._poll_s)
            done = await self._read(shared, offer)
            if done is not None and _newer(done, seen):
                return self._awaited(done)

    async def _ask(
        self, offer: FlightOffer | HotelOffer, ask: Callable[[], Awaitable[Answer[C]]]
    ) -> Refresh[C]:
        """The providers asked by this process; the result kept for reuse and for waiters."""
        sources, outcomes = await ask()
        made = Refreshed(
            offer.id, round(self._wall() * 1000), secrets.token_hex(8), sources, outcomes
        )
        if made.complete:
            self._remember(made)
        if self._shared is not None:
            payload = _encoder.encode(made)
            ttl_s = max(self.reuse_s, WAITERS_TTL_S) if made.complete else WAITERS_TTL_S
            if len(payload) <= MAX_RESULT_BYTES:
                await self._shared.set(KEY_PREFIX + offer.id, payload, ttl_s, WHAT)
        return Refresh(sources, outcomes, "asked")

    def _awaited(self, done: Refreshed[C]) -> Refresh[C]:
        """Another process's refresh, made while this one waited: reused if complete; a
        failure is passed on as it was (as the search cache passes on a failed answer)."""
        if not done.complete:
            return Refresh(done.sources, done.outcomes, "awaited")
        self._remember(done)
        return _reused(done, "awaited")

    def _reusable(self, result: Refreshed[Any]) -> bool:
        if self.reuse_s <= 0 or not result.complete:
            return False
        return self._wall() - result.at_ms / 1000 <= self.reuse_s

    def _recent(self, offer_id: str) -> Refreshed[Any] | None:
        local = self._local.get(offer_id)
        if local is None:
            return None
        if local.expires_at <= self._clock():
            del self._local[offer_id]
            return None
        return local.result

    def _remember(self, result: Refreshed[Any]) -> None:
        """Keep a complete refresh for what is left of its `reuse_s`."""
        left_s = self.reuse_s - max(0.0, self._wall() - result.at_ms / 1000)
        if left_s <= 0:
            return
        now = self._clock()
        self._local[result.offer_id] = _Local(now + left_s, result)
        self._local.move_to_end(result.offer_id)
        while self._local:
            oldest = next(iter(self._local.values()))
            if len(self._local) <= self._max_entries and oldest.expires_at > now:
                break
            self._local.popitem(last=False)

    async def _read(self, shared: Shared, offer: FlightOffer | HotelOffer) -> Refreshed[Any] | None:
        """The refresh of `offer` in the shared store, if there is one that passes every check."""
        payload = await shared.get(KEY_PREFIX + offer.id, WHAT)
        if payload is None:
            return None
        try:
            return self._checked(offer, payload)
        except Unusable as bad:
            log.warning("shared %s value refused: %s", WHAT, bad)
            return None

    def _checked(self, offer: FlightOffer | HotelOffer, payload: memoryview) -> Refreshed[Any]:
        if len(payload) > MAX_RESULT_BYTES:
            raise Unusable(f"over {MAX_RESULT_BYTES} bytes")
        try:
            result: Refreshed[Any] = _decoders[type(offer)].decode(payload)
        except msgspec.DecodeError:  # ValidationError included; its text may quote the value
            raise Unusable("not a well-formed re-pricing") from None
        if result.offer_id != offer.id:
            raise Unusable("a re-pricing of another offer")
        if result.at_ms / 1000 > self._wall() + CLOCK_SKEW_S:
            raise Unusable("made in the future")
        if [_skeleton(source) for source in result.sources] != _expected(offer):
            raise Unusable("sources that are not the offer's")
        for source in result.sources:
            _check_status(source.status, source.previous_price, source.current_price)
        if sum(s.status is not RepricingStatus.SKIPPED for s in result.sources) > (
            MAX_REPRICED_SOURCES
        ):
            raise Unusable("more sources asked than a re-pricing asks")
        _check_outcomes(result.outcomes, {source.provider for source in result.sources})
        return result


def _reused(result: Refreshed[C], how: str) -> Refresh[C]:
    """An earlier refresh as answered again: no provider was called for it now."""
    outcomes = tuple(
        msgspec.structs.replace(outcome, latency_ms=0, cached=True) for outcome in result.outcomes
    )
    return Refresh(result.sources, outcomes, how)


def _newer(found: Refreshed[Any], seen: Refreshed[Any] | None) -> bool:
    """Whether `found` was made after a process started waiting, having seen `seen`."""
    return seen is None or found.token != seen.token


def _expected(offer: FlightOffer | HotelOffer) -> list[tuple[str, str, str, Money]]:
    """What each source of a refresh of `offer` must say of itself, in order."""
    if isinstance(offer, FlightOffer):
        return [
            (fare.id, source.provider, source.offer_id, source.price)
            for fare in offer.fares
            for source in fare.sources
        ]
    return [(room.id, room.provider, room.offer_id, room.price) for room in offer.rooms]


def _skeleton(source: RepricedSource | RecheckedRoom) -> tuple[str, str, str, Money]:
    own = source.fare_id if isinstance(source, RepricedSource) else source.room_id
    return own, source.provider, source.offer_id, source.previous_price


def _check_status(status: RepricingStatus, previous: Money, current: Money | None) -> None:
    if status not in _PRICED:
        if current is not None:
            raise Unusable("a price where there is none")
        return
    if current is None or not plausible(current):
        raise Unusable("an impossible price")
    same = current.currency == previous.currency and current.amount == previous.amount
    if same != (status is RepricingStatus.UNCHANGED):
        raise Unusable("a status that does not match its prices")


def _check_outcomes(outcomes: tuple[ProviderOutcome, ...], providers: set[str]) -> None:
    names = [outcome.provider for outcome in outcomes]
    if len(names) > MAX_REPRICED_SOURCES or len(set(names)) != len(names):
        raise Unusable("outcomes that are not one per provider")
    for outcome in outcomes:
        if outcome.provider not in providers:
            raise Unusable("an outcome of a provider the offer does not name")
        if not 0 <= outcome.latency_ms <= MAX_LATENCY_MS:
            raise Unusable("an impossible latency")
        if not 0 <= outcome.offer_count <= MAX_REPRICED_SOURCES:
            raise Unusable("an impossible count")
        if outcome.message is not None and not _MESSAGE.match(outcome.message):
            raise Unusable("a message the gateway does not write")
