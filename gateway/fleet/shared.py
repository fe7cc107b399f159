"""The fleet's shared store: what every instance and worker must see alike, in the Redis the
search cache uses (`GATEWAY_CACHE_URL=redis://…`).

Values are sealed (`sealed.py`: framed with their key and expiry, signed with the cache's
`GATEWAY_CACHE_SIGNING_KEY`), and what a payload means is checked again by whoever reads it:
Redis is untrusted input. Every operation has a time bound; a failure marks the store down for
`DOWN_FOR_S`, during which no operation is tried (each answers its `default`: callers decide
what an outage means for them, a quota failing closed, a rate limit open) and is reported in
one WARNING a minute at most. A guard's operations (`apart`: the daily quota's count, each
provider's pace) are tracked apart, each by its `what`: they are tried whatever the other
operations met (a slow offers write under load must not make the quota fall back, nor the rate
limits go per process), and their own failures leave the others be. An error Redis answers
(a script or command refused, `ResponseError`) is no outage: that operation answers its default,
logged once a minute, and nothing is marked down. With `mem://` there is no fleet: there is no
`Shared` either, and each component keeps its state in its process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from redis.exceptions import ResponseError

from gateway.fleet.sealed import Sealer, Unsealable
from gateway.search.stores import PACE_HORIZON_S, CacheStore, Unreadable

log = logging.getLogger(__name__)

T = TypeVar("T")
OP_TIMEOUT_S = 2.0
"""One shared-state operation, at most: the search cache's bound (`search/cache.py`), on the same
connections. Not tighter: under load the event loop itself lags and the pool's connections are
busy, and a healthy Redis would look down (the cache saw it at 0.5 s; at 1 s here a pool wait
or a lagging loop marked the fleet's state down)."""
DOWN_FOR_S = 5.0
"""How long a failing store is left alone before it is tried again."""
REPORT_EVERY_S = 60.0
"""An outage is logged once a minute at most, however many operations meet it; so is a refused
value or an error Redis answered, per kind of state (`what`)."""
PREFIX = "tgw:fleet:v1:"
"""Every shared key starts so: apart from the search cache's keys, and versioned."""
_TOGETHER = ""
"""The outage tracker of every operation not tracked apart."""


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
        self._down_until: dict[str, float] = {}
        """When each tracker (`_TOGETHER`, or the `what` of operations tracked apart) is tried
        again."""
        self._reported_at = -REPORT_EVERY_S
        self._noted_at: dict[tuple[str, str], float] = {}
        """When each (kind of line, `what`) was last logged: one a minute each at most."""

    def available(self, apart: str | None = None) -> bool:
        """Whether operations are tried now (not within `DOWN_FOR_S` of a failure): those
        tracked together, or those tracked apart under the `what` named."""
        tracker = _TOGETHER if apart is None else apart
        return self._clock() >= self._down_until.get(tracker, -1.0)

    async def run(
        self,
        operation: Callable[[], Awaitable[T]],
        default: T,
        what: str,
        *,
        apart: bool = False,
    ) -> T:
        """`operation()` within `OP_TIMEOUT_S`; `default` when the store is down or fails.
        `apart`: tracked on its own (by `what`), not with every other operation."""
        tracker = what if apart else _TOGETHER
        if self._clock() < self._down_until.get(tracker, -1.0):
            return default
        try:
            async with asyncio.timeout(OP_TIMEOUT_S):
                return await operation()
        except ResponseError as exc:
            # Redis answered: it is up. A script or command it refused (a planted value it
            # cannot compute on, a read-only replica) fails this operation, not the store.
            self._note(
                "refused",
                what,
                "shared %s: Redis refused the operation (%s); answered without it",
                what,
                str(exc) or type(exc).__name__,
            )
            return default
        except Exception as exc:  # the store's errors are many (redis, sockets, timeouts)
            self._down_until[tracker] = self._clock() + DOWN_FOR_S
            if self._clock() - self._reported_at >= REPORT_EVERY_S:
                self._reported_at = self._clock()
                log.warning(
                    "shared state (Redis) unavailable (%s failed: %s); each process keeps its "
                    "own for now",
                    what,
                    str(exc) or type(exc).__name__,
                )
            return default

    def _note(self, kind: str, what: str, message: str, *args: object) -> None:
        """A WARNING, unless one of this `kind` for this `what` was logged within
        `REPORT_EVERY_S`: a planted key read on every search, or instances configured with
        different providers, must not flood the log."""
        now = self._clock()
        if now - self._noted_at.get((kind, what), -REPORT_EVERY_S) >= REPORT_EVERY_S:
            self._noted_at[(kind, what)] = now
            log.warning(message, *args)

    async def get(self, key: str, what: str) -> memoryview | None:
        """The payload sealed under `key`; None when there is none, the store is down, or the
        value fails its seal (logged once a minute per `what`, never served)."""
        full = PREFIX + key
        raw: Any = await self.run(lambda: self._store.get(full), None, what)
        if raw is None:
            return None
        if isinstance(raw, Unreadable):
            self._note("value", what, "shared %s value refused: %s", what, raw.reason)
            return None
        try:
            return self._sealer.unseal(full, raw)
        except Unsealable as bad:
            self._note("value", what, "shared %s value refused: %s", what, bad)
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

    async def incr(
        self, key: str, amount: int, ttl_s: float, what: str, *, apart: bool = False
    ) -> int | None:
        """The counter `key` after adding `amount` (created with a TTL of `ttl_s`); None when
        the store is down (or refused). `apart`: tracked on its own (`run`)."""
        full = PREFIX + key
        return await self.run(
            lambda: self._store.incr(full, amount, ttl_s), None, what, apart=apart
        )

    async def pace(
        self,
        key: str,
        interval_s: float,
        max_wait_s: float,
        what: str,
        *,
        horizon_s: float = PACE_HORIZON_S,
        apart: bool = False,
    ) -> float | None:
        """The wait for the next turn of the pace `key` (`CacheStore.pace`: taken only if it
        comes within `max_wait_s`; a stored turn beyond `horizon_s` is reset); None when the
        store is down. Counters and paces are numbers Redis computes on, so they cannot be
        sealed: their readers check their range. `apart`: tracked on its own (`run`)."""
        full = PREFIX + key
        return await self.run(
            lambda: self._store.pace(full, interval_s, max_wait_s, horizon_s=horizon_s),
            None,
            what,
            apart=apart,
        )

    async def lock(self, key: str, token: str, ttl_s: float, what: str) -> bool | None:
        """Whether the lock `key` was taken for `ttl_s`; None when the store is down."""
        full = PREFIX + key
        return await self.run(lambda: self._store.lock(full, token, ttl_s), None, what)

    async def unlock(self, key: str, token: str, what: str) -> None:
        full = PREFIX + key
        await self.run(lambda: self._store.unlock(full, token), None, what)
