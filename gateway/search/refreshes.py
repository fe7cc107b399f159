"""Re-pricing bounded: a refresh of one offer younger than `GATEWAY_REFRESH_REUSE_S` is answered
from the earlier one, and refreshes of one offer in flight at once make one set of calls, in
this process and across the fleet.

Without this, a client sending 30 requests with two `flightOffer(refresh: true)` each caused 270
upstream calls in 0.19 s (issue 18): coalescing alone shares only calls in flight at the same
instant, in one process. Here, for one offer id and one variant (a digest of what of this
gateway's settings changes the answer: which of the offer's sources it asks, so which
providers it has and which rates they check, under a quota or not, and the hotel markup; so
instances configured differently never answer each other's refreshes):

1. A complete refresh (every provider's outcome OK: a GONE offer is an answer) younger than
   `reuse_s` is reused: from this process's memory first (`LOCAL_ENTRIES`, least recent
   dropped), then from the shared store (`refresh:<id>:<variant>`, sealed). Its outcomes say
   `cached: true` with no latency, as a search's cache hits do.
2. Otherwise one task per process asks (`SingleFlight`), and, with a shared store, one process
   of the fleet: a lock per offer (`refresh:<id>:<variant>:lock`, SET NX with a TTL and a
   random token) elects it; the others poll for its result, after `POLL_S` at first, twice as
   long each time up to `MAX_POLL_S` (five looks a second at most, two Redis commands each,
   where 50 a second for 9 s made ~1,300 commands for one orphaned lock). A waiter asks
   itself if the lock frees without a result, if the result is a failure (another process's
   open circuit, saturation or quota refusal is not this one's answer), or once waiting longer
   would leave its own ask less than its room before the field's deadline (`deadline_s` from
   the field's start): the provider timeout, or half the deadline when that is shorter
   (`ROOM_SHARE`), so with the defaults (8 s, 8 s) a waiter waits 4 s at most and asks with
   the 4 s left. An ask never runs past the deadline: its providers get the time left, the
   provider timeout at most.
3. The result is kept in the shared store, complete ones for `reuse_s`, others for
   `WAITERS_TTL_S` only, for the processes that waited on it (a failure is never reused, nor
   taken by a waiter as its answer), and complete ones in this process's memory.

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
shared store: long enough for the processes polling for it (a complete one is their answer; a
failure tells them to ask themselves), too short to be anyone's answer later."""
POLL_S = 0.02
"""How long a process waiting for another's refresh waits before it first looks for it (the
lock and the result: two Redis commands); each later look waits twice as long as the last, up
to `MAX_POLL_S`. A re-pricing takes from ~0.1 s (a simulator) to a few seconds."""
MAX_POLL_S = 0.2
"""The longest wait between two looks: an answer is seen at most this late."""
ROOM_SHARE = 0.5
"""A waiter leaves its own ask the provider timeout before the field's deadline, or this share
of the deadline when the timeout is longer (the default: the timeout is the deadline)."""
LOCK_SLACK_S = 1.0
"""Beyond the deadline, how long a lock outlives its holder's refresh (writing its result), and
how much longer than the provider timeout a waiter may still hope for the holder's answer."""
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
"""Then the offer's id and the variant: `tgw:fleet:v1:refresh:O…:<variant>`."""
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
        deadline_s: float = 8.0,
        ask_s: float | None = None,
        poll_s: float = POLL_S,
        max_poll_s: float = MAX_POLL_S,
        max_entries: int = LOCAL_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._shared = shared
        self.reuse_s = reuse_s
        self._deadline_s = deadline_s
        """The field's deadline: a refresh answers within it, counted from the field's start."""
        self._ask_s = min(ask_s if ask_s is not None else deadline_s, deadline_s)
        """The provider timeout: the longest an ask takes."""
        self._room_s = min(self._ask_s, deadline_s * ROOM_SHARE)
        """What a waiter leaves its own ask before the deadline."""
        self._poll_s = poll_s
        self._max_poll_s = max_poll_s
        self._max_entries = max_entries
        self.clock = clock
        """Monotonic time: deadlines (`run`'s `begun_at`), and how long a refresh is kept."""
        self._wall = wall
        self._sleep = sleep
        self._local: OrderedDict[str, _Local] = OrderedDict()
        self._flights: SingleFlight[Refresh[Any]] = SingleFlight()

    async def run(
        self,
        offer: FlightOffer | HotelOffer,
        ask: Callable[[float], Awaitable[Answer[C]]],
        *,
        variant: str = "",
        begun_at: float | None = None,
    ) -> Refresh[C]:
        """`offer` (as served, id checked) refreshed: reused, awaited, or asked here with
        `ask(timeout_s)` (each provider call within `timeout_s`). `variant` names what of this
        gateway's settings changes the answer; `begun_at` (`clock`) is when the field began,
        its deadline `deadline_s` later (default: now)."""
        key = f"{KEY_PREFIX}{offer.id}:{variant}" if variant else f"{KEY_PREFIX}{offer.id}"
        kept = self._recent(key)
        if kept is not None:
            return _reused(kept, "reused")
        deadline_at = (begun_at if begun_at is not None else self.clock()) + self._deadline_s
        refresh, _ = await self._flights.run(
            key, lambda: self._refresh(key, offer, ask, deadline_at)
        )
        return refresh

    async def _refresh(
        self,
        key: str,
        offer: FlightOffer | HotelOffer,
        ask: Callable[[float], Awaitable[Answer[C]]],
        deadline_at: float,
    ) -> Refresh[C]:
        shared = self._shared
        if shared is None:
            return await self._ask(key, offer, ask, deadline_at)
        seen = await self._read(shared, key, offer)
        if seen is not None and self._reusable(seen):
            self._remember(key, seen)
            return _reused(seen, "reused")
        lock_key, token = f"{key}:lock", secrets.token_hex(8)
        # Wait no longer than the holder's refresh can take, nor than leaves this one's own ask
        # its room before the deadline.
        give_up_at = min(self.clock() + self._ask_s + LOCK_SLACK_S, deadline_at - self._room_s)
        delay = self._poll_s
        waited = False
        while True:
            taken = await shared.lock(lock_key, token, self._deadline_s + LOCK_SLACK_S, WHAT)
            if taken and waited:
                # The process that held the lock may have finished just before it was taken.
                done = await self._read(shared, key, offer)
                if done is not None and done.complete and _newer(done, seen):
                    await shared.unlock(lock_key, token, WHAT)
                    return self._awaited(key, done)
            if taken is not False or self.clock() >= give_up_at:
                # Elected, the store is down (None), or the elected process never answered.
                try:
                    return await self._ask(key, offer, ask, deadline_at)
                finally:
                    if taken:
                        await shared.unlock(lock_key, token, WHAT)
            waited = True
            await self._sleep(max(0.0, min(delay, give_up_at - self.clock())))
            delay = min(delay * 2, self._max_poll_s)
            done = await self._read(shared, key, offer)
            if done is not None and _newer(done, seen):
                if done.complete:
                    return self._awaited(key, done)
                # Another process's failure (its open circuit, its saturation, its quota) is
                # not this one's answer: it asks itself, once it holds the lock (the failed
                # one is freeing it) or its time to wait is up; a later result is looked for.
                seen = done
                delay = self._poll_s

    async def _ask(
        self,
        key: str,
        offer: FlightOffer | HotelOffer,
        ask: Callable[[float], Awaitable[Answer[C]]],
        deadline_at: float,
    ) -> Refresh[C]:
        """The providers asked by this process, within the provider timeout and the time left
        before the deadline; the result kept for reuse and for waiters."""
        sources, outcomes = await ask(max(0.0, min(self._ask_s, deadline_at - self.clock())))
        made = Refreshed(
            offer.id, round(self._wall() * 1000), secrets.token_hex(8), sources, outcomes
        )
        if made.complete:
            self._remember(key, made)
        if self._shared is not None:
            payload = _encoder.encode(made)
            ttl_s = max(self.reuse_s, WAITERS_TTL_S) if made.complete else WAITERS_TTL_S
            if len(payload) <= MAX_RESULT_BYTES:
                await self._shared.set(key, payload, ttl_s, WHAT)
        return Refresh(sources, outcomes, "asked")

    def _awaited(self, key: str, done: Refreshed[C]) -> Refresh[C]:
        """Another process's complete refresh, made while this one waited."""
        self._remember(key, done)
        return _reused(done, "awaited")

    def _reusable(self, result: Refreshed[Any]) -> bool:
        if self.reuse_s <= 0 or not result.complete:
            return False
        return self._wall() - result.at_ms / 1000 <= self.reuse_s

    def _recent(self, key: str) -> Refreshed[Any] | None:
        local = self._local.get(key)
        if local is None:
            return None
        if local.expires_at <= self.clock():
            del self._local[key]
            return None
        return local.result

    def _remember(self, key: str, result: Refreshed[Any]) -> None:
        """Keep a complete refresh under `key` for what is left of its `reuse_s`."""
        left_s = self.reuse_s - max(0.0, self._wall() - result.at_ms / 1000)
        if left_s <= 0:
            return
        now = self.clock()
        self._local[key] = _Local(now + left_s, result)
        self._local.move_to_end(key)
        while self._local:
            oldest = next(iter(self._local.values()))
            if len(self._local) <= self._max_entries and oldest.expires_at > now:
                break
            self._local.popitem(last=False)

    async def _read(
        self, shared: Shared, key: str, offer: FlightOffer | HotelOffer
    ) -> Refreshed[Any] | None:
        """The refresh of `offer` under `key` in the shared store, if there is one that passes
        every check."""
        payload = await shared.get(key, WHAT)
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
