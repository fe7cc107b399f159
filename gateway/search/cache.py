"""Provider results cached per search, and identical searches in flight coalesced into one call.

Keyed by field, provider and the normalised query the provider is sent (codes upper-cased,
currency resolved), each provider's answer is kept for the field's TTL, so a repeated search is
served without calling the provider. Only `OK` answers are kept; a failure is shared with the
searches waiting on the same call, never stored as a success.

Coalescing: within a process, one task per key fetches while the others await it (and the call is
cancelled only when every waiter has gone). With a shared store (Redis), a lock per key elects
one process to fetch; the others wait for its answer in the cache, so identical searches arriving
at several workers or machines still make one upstream call per provider.

Stores (`search/stores.py`): `mem://` (default, per process, bounded) or `redis://host:port/db`,
both plain bytes. Every value read back is untrusted input: it is served only if it passes the
checks of `search/entries.py` (a format of our own bound to its key and carrying its expiry, a
size cap, strict typed decoding, sanity checks, and an HMAC when `GATEWAY_CACHE_SIGNING_KEY` is
set; nothing is ever unpickled). A value that fails is dropped, logged once, and the search goes
to the provider. Without a signing key a well-formed forgery in a shared Redis would be served:
see the decision in `search/entries.py`, and the WARNING logged at start-up.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

import msgspec

from gateway.domain import FlightOffer, HotelOffer, ProviderStatus
from gateway.observe.events import NO_EVENTS, CacheUsed, Events
from gateway.search.entries import FAILED_SUFFIX, BadEntry, EntryCodec
from gateway.search.fanout import ProviderResult
from gateway.search.single_flight import SingleFlight
from gateway.search.stores import (
    MAX_VALUE_BYTES,
    MEMORY_BYTES,
    CacheStore,
    Unreadable,
    open_store,
)

log = logging.getLogger(__name__)

T = TypeVar("T", FlightOffer, HotelOffer)
R = TypeVar("R")

FAILURE_TTL_S = 2.0
"""How long a failed answer is visible to the processes that waited for it (never as a hit)."""
OP_TIMEOUT_S = 2.0
"""Longest a cache operation may take before the cache counts as down. Not tighter: under load
the event loop itself lags, and a healthy Redis would look down (seen at 0.5 s)."""
DOWN_FOR_S = 5.0
"""After a failed cache operation, searches bypass the cache this long, then try it again."""
UNSIGNED_WARNING = (
    "search cache values in Redis are not authenticated: a well-formed forgery written by "
    "whoever can reach this Redis would be served as a provider's answer; set "
    "GATEWAY_CACHE_SIGNING_KEY (at least 32 random characters, the same on every gateway "
    "sharing this Redis) to sign values and refuse any other"
)
"""Logged once at start-up by a gateway that shares a cache without a signing key."""


class SearchCache:
    def __init__(
        self,
        store: CacheStore,
        *,
        ttl_s: Mapping[str, float],
        shared: bool,
        codec: EntryCodec | None = None,
        poll_s: float = 0.02,
        max_wait_s: float = 8.0,
        events: Events = NO_EVENTS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._clock = clock
        """Wall-clock time, as the seals' expiries are."""
        self._events = events
        """Told how each search was answered (`CacheUsed`): what the cache saves."""
        self._codec = codec if codec is not None else EntryCodec(None)
        self._ttl_s = dict(ttl_s)
        self.shared = shared
        """Whether other processes see this cache (Redis): coalesce across them with a lock."""
        self._poll_s = poll_s
        self.max_wait_s = max_wait_s
        """Longest wait for another process's answer (the search deadline); then fetch anyway."""
        self._flights: SingleFlight[ProviderResult[Any]] = SingleFlight()
        self._down_until = 0.0

    @property
    def store(self) -> CacheStore:
        """Where values are kept: the fleet's shared state uses the same Redis connections."""
        return self._store

    def available(self) -> bool:
        return asyncio.get_running_loop().time() >= self._down_until

    async def _safely(
        self, operation: Callable[[], Awaitable[Any]], default: Any, what: str
    ) -> Any:
        """Run one store operation; on any failure mark the cache down for a while."""
        if not self.available():
            return default
        try:
            async with asyncio.timeout(OP_TIMEOUT_S):
                return await operation()
        except Exception as exc:  # the store's errors are many (redis, sockets, timeouts)
            was_up = self.available()
            self._down_until = asyncio.get_running_loop().time() + DOWN_FOR_S
            if not was_up:
                return default  # already reported by the operation that found it down
            log.warning(
                "search cache unavailable (%s failed: %s); searching without it for %g s",
                what,
                str(exc) or type(exc).__name__,
                DOWN_FOR_S,
            )
            return default

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        ttl_s: Mapping[str, float],
        max_wait_s: float = 8.0,
        signing_key: str | None = None,
        memory_bytes: int = MEMORY_BYTES,
        events: Events = NO_EVENTS,
    ) -> SearchCache:
        """A cache on `url`: Redis, or this process's memory holding `memory_bytes` at most."""
        shared = not url.startswith("mem://")
        if shared and signing_key is None:
            log.warning(UNSIGNED_WARNING)
        store = open_store(url, timeout_s=OP_TIMEOUT_S, memory_bytes=memory_bytes)
        cache = cls(
            store,
            ttl_s=ttl_s,
            shared=shared,
            codec=EntryCodec(signing_key),
            max_wait_s=max_wait_s,
            events=events,
        )
        await cache._safely(store.ping, None, "connect")  # connects now, or marks it down
        return cache

    async def close(self) -> None:
        await self._safely(self._store.close, None, "close")

    async def ping(self) -> bool:
        """Whether the store answers now. A cache marked down counts as not answering until
        its next try (`DOWN_FOR_S`), as searches do not use it meanwhile either."""
        return await self._safely(self._store.ping, False, "ping") is not False

    async def fetch(
        self,
        field: str,
        key: str,
        run: Callable[[], Awaitable[ProviderResult[T]]],
    ) -> ProviderResult[T]:
        """The cached answer for `key`, or the answer of one shared call to `run`.

        A field whose TTL is 0 is not cached, but identical searches in flight still share one
        call (in this process).
        """
        if self._ttl_s.get(field, 0) <= 0:
            result, joined = await self._flights.run(key, lambda: _awaited(run))
            self._note(field, "coalesced" if joined else "miss", result)
            return result
        cached = await self._get(key)
        if cached is not None:
            self._note(field, "hit", cached)
            return cached
        result, joined = await self._flights.run(
            key, lambda: self._fetch_and_store(field, key, run)
        )
        if joined:
            self._note(field, "coalesced", result)
        return result

    def _note(self, field: str, use: str, result: ProviderResult[Any]) -> None:
        if self._events:
            self._events.emit(CacheUsed(field, result.outcome.provider, use))

    async def _fetch_and_store(
        self, field: str, key: str, run: Callable[[], Awaitable[ProviderResult[T]]]
    ) -> ProviderResult[T]:
        if not self.shared:
            result = await run()
            self._note(field, "miss", result)
            return await self._keep(field, key, result)
        lock_key, token = f"{key}:lock", uuid.uuid4().hex
        store = self._store
        lock_ttl_s = self.max_wait_s + 1.0  # a crashed fetcher's lock frees itself soon after
        give_up_at = asyncio.get_running_loop().time() + self.max_wait_s
        while True:
            locked = await self._safely(
                lambda: store.lock(lock_key, token, lock_ttl_s), None, "lock"
            )
            overdue = asyncio.get_running_loop().time() >= give_up_at
            if locked or overdue or not self.available():
                try:
                    result = await run()
                    self._note(field, "miss", result)
                    return await self._keep(field, key, result)
                finally:
                    if locked:
                        await self._safely(lambda: store.unlock(lock_key, token), None, "unlock")
            await self._wait_unlocked(lock_key, give_up_at)  # another process is fetching it
            answer = await self._get(key) or await self._get(key + FAILED_SUFFIX)
            if answer is not None:
                self._note(field, "coalesced", answer)  # another process made the call
                return answer
            # The fetching process went away without an answer, or the cache went down: retry.

    async def _wait_unlocked(self, lock_key: str, give_up_at: float) -> None:
        """Poll until the lock goes: it is another process's, so no local Event can say."""
        while asyncio.get_running_loop().time() < give_up_at:
            if not await self._safely(lambda: self._store.is_locked(lock_key), False, "wait"):
                return
            await asyncio.sleep(self._poll_s)

    async def _keep(self, field: str, key: str, result: ProviderResult[Any]) -> ProviderResult[Any]:
        """Store an OK answer for the field's TTL (it then says until when it is fresh); share
        a failure briefly with other processes."""
        if result.outcome.status is ProviderStatus.OK:
            stored_key, ttl = key, self._ttl_s.get(field, 0)
        elif self.shared:
            stored_key, ttl = key + FAILED_SUFFIX, FAILURE_TTL_S
        else:
            return result
        if ttl <= 0:
            return result
        value = self._codec.encode(stored_key, result, ttl)
        if len(value) > MAX_VALUE_BYTES:
            return result  # it would be refused when read
        store = self._store
        await self._safely(lambda: store.set(stored_key, value, ttl), None, "store")
        if stored_key != key:
            return result
        # As fresh as the cache would serve it, kept or not (the store may be down).
        return replace(result, fresh_until=self._clock() + ttl)

    async def _get(self, key: str) -> ProviderResult[Any] | None:
        """The answer under `key` if there is one and it passes every check (else dropped)."""
        raw = await self._safely(lambda: self._store.get(key), None, "read")
        if raw is None:
            return None
        try:
            if isinstance(raw, Unreadable):
                raise BadEntry(raw.reason)
            result = self._codec.decode(key, raw)
        except BadEntry as bad:
            log.warning("search cache value under %s dropped as untrusted: %s", key, bad)
            await self._safely(lambda: self._store.delete(key), None, "delete")
            return None
        if key.endswith(FAILED_SUFFIX):
            return result
        return replace(
            result, outcome=msgspec.structs.replace(result.outcome, latency_ms=0, cached=True)
        )


async def _awaited(run: Callable[[], Awaitable[R]]) -> R:
    """`run()` as a coroutine, which a task needs."""
    return await run()
