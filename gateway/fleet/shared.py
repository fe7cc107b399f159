"""The fleet's shared store: what every instance and worker must see alike, in the Redis the
search cache uses (`GATEWAY_CACHE_URL=redis://…`).

Values are sealed (`sealed.py`: framed with their key and expiry, signed with the cache's
`GATEWAY_CACHE_SIGNING_KEY`), and what a payload means is checked again by whoever reads it:
Redis is untrusted input. Every operation has a time bound; a failure marks the store down for
`DOWN_FOR_S`, during which no operation is tried (each answers its `default`: callers decide
what an outage means for them, a quota failing closed, a rate limit open) and is reported in
one WARNING a minute at most. With `mem://` there is no fleet: there is no `Shared` either, and
each component keeps its state in its process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from gateway.fleet.sealed import Sealer, Unsealable
from gateway.search.stores import CacheStore, Unreadable

log = logging.getLogger(__name__)

T = TypeVar("T")
OP_TIMEOUT_S = 1.0
"""One shared-state operation, at most: the state is small, and a search must not wait on it."""
DOWN_FOR_S = 5.0
"""How long a failing store is left alone before it is tried again."""
REPORT_EVERY_S = 60.0
"""An outage is logged once a minute at most, however many operations meet it."""
PREFIX = "tgw:fleet:v1:"
"""Every shared key starts so: apart from the search cache's keys, and versioned."""


class Shared:
    def __init__(
        self,
        store: CacheStore,
        sealer: Sealer,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._sealer = sealer
        self._clock = clock
        self._down_until = -1.0
        self._reported_at = -REPORT_EVERY_S

    def available(self) -> bool:
        """Whether operations are tried now (not within `DOWN_FOR_S` of a failure)."""
        return self._clock() >= self._down_until

    async def run(self, operation: Callable[[], Awaitable[T]], default: T, what: str) -> T:
        """`operation()` within `OP_TIMEOUT_S`; `default` when the store is down or fails."""
        if not self.available():
            return default
        try:
            async with asyncio.timeout(OP_TIMEOUT_S):
                return await operation()
        except Exception as exc:  # the store's errors are many (redis, sockets, timeouts)
            self._down_until = self._clock() + DOWN_FOR_S
            if self._clock() - self._reported_at >= REPORT_EVERY_S:
                self._reported_at = self._clock()
                log.warning(
                    "shared state (Redis) unavailable (%s failed: %s); each process keeps its "
                    "own for now",
                    what,
                    str(exc) or type(exc).__name__,
                )
            return default

    async def get(self, key: str, what: str) -> memoryview | None:
        """The payload sealed under `key`; None when there is none, the store is down, or the
        value fails its seal (logged, never served)."""
        full = PREFIX + key
        raw: Any = await self.run(lambda: self._store.get(full), None, what)
        if raw is None:
            return None
        if isinstance(raw, Unreadable):
            log.warning("shared %s value refused: %s", what, raw.reason)
            return None
        try:
            return self._sealer.unseal(full, raw)
        except Unsealable as bad:
            log.warning("shared %s value refused: %s", what, bad)
            return None

    async def set(self, key: str, payload: bytes, ttl_s: float, what: str) -> bool:
        """Keep `payload` under `key` for `ttl_s`; whether it was kept."""
        full = PREFIX + key
        sealed = self._sealer.seal(full, payload, ttl_s)

        async def put() -> bool:
            await self._store.set(full, sealed, ttl_s)
            return True

        return await self.run(put, False, what)

    async def set_many(self, payloads: Mapping[str, bytes], ttl_s: float, what: str) -> bool:
        """Keep each payload under its key for `ttl_s`, as one operation (one time bound, one
        outage for all, one round trip on Redis); whether they were kept."""
        if not payloads:
            return True
        sealed = [
            (PREFIX + key, self._sealer.seal(PREFIX + key, payload, ttl_s))
            for key, payload in payloads.items()
        ]

        async def put() -> bool:
            await self._store.set_many(sealed, ttl_s)
            return True

        return await self.run(put, False, what)

    async def incr(self, key: str, amount: int, ttl_s: float, what: str) -> int | None:
        """The counter `key` after adding `amount` (created with a TTL of `ttl_s`); None when
        the store is down."""
        full = PREFIX + key
        return await self.run(lambda: self._store.incr(full, amount, ttl_s), None, what)

    async def pace(self, key: str, interval_s: float, max_wait_s: float, what: str) -> float | None:
        """The wait for the next turn of the pace `key` (`CacheStore.pace`: taken only if it
        comes within `max_wait_s`); None when the store is down. Counters and paces are numbers
        Redis computes on, so they cannot be sealed: their readers check their range."""
        full = PREFIX + key
        return await self.run(lambda: self._store.pace(full, interval_s, max_wait_s), None, what)

    async def lock(self, key: str, token: str, ttl_s: float, what: str) -> bool | None:
        """Whether the lock `key` was taken for `ttl_s`; None when the store is down."""
        full = PREFIX + key
        return await self.run(lambda: self._store.lock(full, token, ttl_s), None, what)

    async def unlock(self, key: str, token: str, what: str) -> None:
        full = PREFIX + key
        await self.run(lambda: self._store.unlock(full, token), None, what)
