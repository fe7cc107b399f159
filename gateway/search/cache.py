"""Provider results cached per search, and identical searches in flight coalesced into one call.

Keyed by field, provider and the normalised query the provider is sent (codes upper-cased,
currency resolved), each provider's answer is kept for the field's TTL, so a repeated search is
served without calling the provider. Only `OK` answers are kept; a failure is shared with the
searches waiting on the same call, never stored as a success.

Coalescing: within a process, one task per key fetches while the others await it (and the call is
cancelled only when every waiter has gone). With a shared backend (Redis), a lock per key elects
one process to fetch; the others wait for its answer in the cache, so identical searches arriving
at several workers or machines still make one upstream call per provider.

The backend is cashews: `mem://` (default, per process) or `redis://host:port/db`. Values are
encoded with msgspec's MessagePack into the typed domain objects, never pickled, so a shared Redis
cannot make the gateway run code.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

import msgspec
from cashews import Cache

from gateway.domain import FlightOffer, HotelOffer, ProviderStatus
from gateway.search.fanout import ProviderResult

log = logging.getLogger(__name__)

T = TypeVar("T", FlightOffer, HotelOffer)
R = TypeVar("R")

KEY_VERSION = "v1"
"""Part of every key: bump it when the cached shapes change, so old entries are never read."""
MEMORY_ENTRIES = 1000
"""Provider answers the in-memory backend keeps at most (tens of KB each)."""
FAILURE_TTL_S = 2.0
"""How long a failed answer is visible to the processes that waited for it (never as a hit)."""
OP_TIMEOUT_S = 2.0
"""Longest a cache operation may take before the cache counts as down. Not tighter: under load
the event loop itself lags, and a healthy Redis would look down (seen at 0.5 s)."""
REDIS_CONNECTIONS = 256
"""Every concurrent search may hold a connection: cashews' default pool of 10 is too small."""
DOWN_FOR_S = 5.0
"""After a failed cache operation, searches bypass the cache this long, then try it again."""

_RESULT_TYPES: dict[str, Any] = {
    "flights": ProviderResult[FlightOffer],
    "hotels": ProviderResult[HotelOffer],
}
_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_decoders = {field: msgspec.msgpack.Decoder(kind) for field, kind in _RESULT_TYPES.items()}


def search_key(field: str, provider: str, query: object) -> str:
    """The cache key of one provider's answer to one normalised query."""
    digest = hashlib.sha256(_encoder.encode(query)).hexdigest()[:32]
    return f"{KEY_VERSION}:{field}:{provider}:{digest}"


@dataclass(eq=False)
class _Flight(Generic[T]):
    task: asyncio.Task[ProviderResult[T]]
    waiters: int = 0


class SearchCache:
    def __init__(
        self,
        backend: Cache,
        *,
        ttl_s: Mapping[str, float],
        shared: bool,
        poll_s: float = 0.02,
        max_wait_s: float = 8.0,
    ) -> None:
        self._backend = backend
        self._ttl_s = dict(ttl_s)
        self.shared = shared
        """Whether other processes see this cache (Redis): coalesce across them with a lock."""
        self._poll_s = poll_s
        self.max_wait_s = max_wait_s
        """Longest wait for another process's answer (the search deadline); then fetch anyway."""
        self._inflight: dict[str, _Flight[Any]] = {}
        self._down_until = 0.0

    def available(self) -> bool:
        return asyncio.get_running_loop().time() >= self._down_until

    async def _safely(
        self, operation: Callable[[], Awaitable[Any]], default: Any, what: str
    ) -> Any:
        """Run one backend operation; on any failure mark the cache down for a while."""
        if not self.available():
            return default
        try:
            async with asyncio.timeout(OP_TIMEOUT_S):
                if not self._backend.is_init:
                    await self._backend.init()  # at start, and again after an outage
                return await operation()
        except Exception as exc:  # the backend's errors are many (redis, sockets, timeouts)
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
        cls, url: str, *, ttl_s: Mapping[str, float], max_wait_s: float = 8.0
    ) -> SearchCache:
        backend = Cache()
        if url.startswith("mem://"):
            # Bounded (LRU) and swept lazily on read: no background task, memory capped.
            backend.setup(url, size=MEMORY_ENTRIES, check_interval=0)
        else:
            # Errors raise (we handle them); short timeouts: a cache must never slow a search.
            backend.setup(
                url,
                suppress=False,
                socket_connect_timeout=OP_TIMEOUT_S,
                socket_timeout=OP_TIMEOUT_S,
            )
        cache = cls(
            backend, ttl_s=ttl_s, shared=not url.startswith("mem://"), max_wait_s=max_wait_s
        )
        await cache._safely(backend.ping, None, "connect")  # connects now, or marks it down
        return cache

    async def close(self) -> None:
        await self._safely(self._backend.close, None, "close")

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
            return await self._single_flight(key, lambda: _awaited(run))
        cached = await self._get(field, key)
        if cached is not None:
            return cached
        return await self._single_flight(key, lambda: self._fetch_and_store(field, key, run))

    async def _single_flight(
        self, key: str, fetch: Callable[[], Coroutine[Any, Any, ProviderResult[T]]]
    ) -> ProviderResult[T]:
        """One task per key runs `fetch`; every caller with that key awaits the same answer."""
        flight = self._inflight.get(key)
        if flight is None:
            task = asyncio.create_task(fetch())
            flight = self._inflight[key] = _Flight(task)
            task.add_done_callback(lambda _: self._forget(key, flight))
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task)
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                flight.task.cancel()  # nobody wants the answer any more

    def _forget(self, key: str, flight: _Flight[Any]) -> None:
        if self._inflight.get(key) is flight:
            del self._inflight[key]

    async def _fetch_and_store(
        self, field: str, key: str, run: Callable[[], Awaitable[ProviderResult[T]]]
    ) -> ProviderResult[T]:
        if not self.shared:
            result = await run()
            await self._store(field, key, result)
            return result
        lock_key, token = f"{key}:lock", uuid.uuid4().hex
        backend = self._backend
        lock_ttl_s = self.max_wait_s + 1.0  # a crashed fetcher's lock frees itself soon after
        give_up_at = asyncio.get_running_loop().time() + self.max_wait_s
        while True:
            locked = await self._safely(
                lambda: backend.set_lock(lock_key, token, expire=lock_ttl_s), None, "lock"
            )
            overdue = asyncio.get_running_loop().time() >= give_up_at
            if locked or overdue or not self.available():
                try:
                    result = await run()
                    await self._store(field, key, result)
                    return result
                finally:
                    if locked:
                        await self._safely(lambda: backend.unlock(lock_key, token), None, "unlock")
            await self._wait_unlocked(lock_key, give_up_at)  # another process is fetching it
            answer = await self._get(field, key) or await self._get(field, f"{key}:failed")
            if answer is not None:
                return answer
            # The fetching process went away without an answer, or the cache went down: retry.

    async def _wait_unlocked(self, lock_key: str, give_up_at: float) -> None:
        """Poll until the lock goes: it is another process's, so no local Event can say."""
        while asyncio.get_running_loop().time() < give_up_at:
            if not await self._safely(lambda: self._backend.is_locked(lock_key), False, "wait"):
                return
            await asyncio.sleep(self._poll_s)

    async def _store(self, field: str, key: str, result: ProviderResult[Any]) -> None:
        ttl = self._ttl_s.get(field, 0)
        backend = self._backend
        if result.outcome.status is ProviderStatus.OK:
            if ttl > 0:
                value = _encoder.encode(result)
                await self._safely(lambda: backend.set(key, value, expire=ttl), None, "store")
        elif self.shared:
            value = _encoder.encode(result)
            failed = f"{key}:failed"
            await self._safely(
                lambda: backend.set(failed, value, expire=FAILURE_TTL_S), None, "store"
            )

    async def _get(self, field: str, key: str) -> ProviderResult[Any] | None:
        raw = await self._safely(lambda: self._backend.get(key), None, "read")
        if raw is None:
            return None
        try:
            result: ProviderResult[Any] = _decoders[field].decode(raw)
        except (msgspec.DecodeError, TypeError) as exc:
            log.warning("unreadable cache entry %s dropped: %s", key, exc)
            await self._safely(lambda: self._backend.delete(key), None, "delete")
            return None
        if key.endswith(":failed"):
            return result
        return replace(
            result, outcome=msgspec.structs.replace(result.outcome, latency_ms=0, cached=True)
        )


async def _awaited(run: Callable[[], Awaitable[R]]) -> R:
    """`run()` as a coroutine, which a task needs."""
    return await run()
