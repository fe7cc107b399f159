"""Where the search cache keeps its bytes: a bounded store in this process, or Redis.

Both stores hold bytes and hand back bytes; neither decodes anything. What a value means, and
whether it can be trusted, is decided by the cache's codec (`search/entries.py`): in a shared
Redis, a value is whatever whoever could reach Redis wrote. In particular nothing here unpickles
(cache libraries commonly do, which let a planted value run code in the gateway).

They also keep the two kinds of number the store computes on itself, for the fleet's guards
(`gateway/fleet/shared.py`): counters (`incr`) and paces (`pace`, a GCRA). Those cannot be
sealed; each is one small key with a TTL, and what the store answers is range-checked.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

MAX_VALUE_BYTES = 8 * 1024 * 1024
"""Largest value read back (answers are tens of KB): a larger one is refused unread."""
MEMORY_ENTRIES = 1000
"""Values the in-memory store keeps at most (provider answers, tens of KB each)."""
MEMORY_BYTES = 64 * 1024 * 1024
"""Bytes of values the in-memory store keeps at most, whatever their number: a bound on memory
that holds even if answers grow (today 2-30 KB each, so 1,000 take at most ~30 MB)."""
PACE_HORIZON_S = 120.0
"""A pace's next turn is never further ahead than this plus one interval (no caller waits
longer): a stored turn beyond it was not written by a gateway, and is ignored. Callers name a
nearer horizon (`pace`'s `horizon_s`: how deep their queue can be), the store never a farther."""
COUNTER_DIGITS = 15
"""A counter the store adds to holds an integer of at most this many characters (sign
included); a longer one was planted. INCRBY takes 64-bit integers (19 digits), but the script
hands its result back through a Lua number, a double, exact only below 2**53 (16 digits): 15
leaves room for any amount the gateway adds and keeps every count exact."""
REDIS_CONNECTIONS = 256
"""Every concurrent search may hold a connection: a pool of 10 turned load into cache timeouts."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A value the store would not hand over (too large, or not a string); `reason` says which,
    never what the value holds."""

    reason: str


class CacheStore(Protocol):
    """Bytes under keys, with a TTL, and locks for electing one fetcher among processes."""

    async def get(self, key: str) -> bytes | Unreadable | None:
        """The value under `key`; None when there is none (or it expired)."""

    async def set(self, key: str, value: bytes, ttl_s: float) -> None: ...

    async def set_many(self, values: Sequence[tuple[str, bytes]], ttl_s: float) -> None:
        """`set` each (key, value), in one round trip where the store can."""

    async def delete(self, key: str) -> None: ...

    async def lock(self, key: str, token: str, ttl_s: float) -> bool:
        """Take the lock `key` for `ttl_s` unless someone holds it; True if taken."""

    async def unlock(self, key: str, token: str) -> None:
        """Release the lock `key` only if `token` still holds it (it may have expired)."""

    async def is_locked(self, key: str) -> bool: ...

    async def incr(self, key: str, amount: int, ttl_s: float) -> int:
        """Add `amount` to the counter `key` (created at 0 with a TTL of `ttl_s`, which later
        increments keep); its new value."""

    async def pace(
        self, key: str, interval_s: float, max_wait_s: float, *, horizon_s: float = PACE_HORIZON_S
    ) -> float:
        """Take the next turn of the pace `key` (one turn every `interval_s`, no bursts: a GCRA
        with no burst tolerance) if it comes within `max_wait_s`; the wait for it in seconds (0:
        go now). A wait over `max_wait_s` took no turn: the caller does not go. A stored turn
        more than `horizon_s` (at most `PACE_HORIZON_S`) plus one interval ahead is deeper than
        any caller's queue can be: it was planted, and counts as none."""

    async def ping(self) -> None:
        """Raise if the store cannot be reached."""

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Entry:
    value: bytes
    expires_at: float


class MemoryStore:
    """Values in this process, least recently used dropped first once there are more than
    `max_entries` of them or more than `max_bytes` in all. Expired values are dropped when read
    or when they reach the old end: no background task."""

    def __init__(
        self,
        *,
        max_entries: int = MEMORY_ENTRIES,
        max_bytes: int = MEMORY_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Bytes of the values held (keys and bookkeeping not counted)."""
        return self._bytes

    async def get(self, key: str) -> bytes | None:
        entry = self._live(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry.value

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        self._remove(key)
        if ttl_s <= 0 or len(value) > self._max_bytes:
            return  # would expire at once, or push out everything else and still not fit
        self._entries[key] = _Entry(value, self._clock() + ttl_s)
        self._bytes += len(value)
        self._evict()

    async def set_many(self, values: Sequence[tuple[str, bytes]], ttl_s: float) -> None:
        for key, value in values:
            await self.set(key, value, ttl_s)

    async def delete(self, key: str) -> None:
        self._remove(key)

    async def lock(self, key: str, token: str, ttl_s: float) -> bool:
        if self._live(key) is not None:
            return False
        await self.set(key, token.encode(), ttl_s)
        return True

    async def unlock(self, key: str, token: str) -> None:
        entry = self._live(key)
        if entry is not None and entry.value == token.encode():
            self._remove(key)

    async def is_locked(self, key: str) -> bool:
        return self._live(key) is not None

    async def incr(self, key: str, amount: int, ttl_s: float) -> int:
        entry = self._live(key)
        if entry is None:
            value, expires_at = amount, self._clock() + ttl_s
        else:
            value, expires_at = int(entry.value) + amount, entry.expires_at
        self._remove(key)
        self._entries[key] = _Entry(str(value).encode(), expires_at)
        self._bytes += len(self._entries[key].value)
        self._evict()
        return value

    async def pace(
        self, key: str, interval_s: float, max_wait_s: float, *, horizon_s: float = PACE_HORIZON_S
    ) -> float:
        now = self._clock()
        entry = self._live(key)
        turn = now
        if entry is not None:
            try:
                turn = max(now, float(entry.value))
            except ValueError:
                turn = now
        if turn > now + _horizon_s(horizon_s) + interval_s:
            turn = now
        wait = turn - now
        if wait > max_wait_s:
            return wait
        following = turn + interval_s
        await self.set(key, repr(following).encode(), following - now)
        return wait

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def _live(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at <= self._clock():
            self._remove(key)
            return None
        return entry

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.value)

    def _evict(self) -> None:
        now = self._clock()
        while self._entries:
            oldest_key, oldest = next(iter(self._entries.items()))
            over = len(self._entries) > self._max_entries or self._bytes > self._max_bytes
            if not over and oldest.expires_at > now:
                return
            self._remove(oldest_key)


_GET_UNLESS_LARGE = """
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then return false end
if kind ~= 'string' then return -1 end
local size = redis.call('STRLEN', KEYS[1])
if size > tonumber(ARGV[1]) then return size end
return redis.call('GET', KEYS[1])
"""
"""GET, except that a value over the limit (ARGV[1]) answers its size and a value that is not a
string answers -1, so neither is ever sent to the gateway nor fails the read."""

_DELETE_IF_HELD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
"""Compare-and-delete: a lock is released only by the token that took it."""

_INCR_WITH_TTL = """
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'none' then
  local whole = false
  if kind == 'string' and redis.call('STRLEN', KEYS[1]) <= tonumber(ARGV[3]) then
    local value = redis.call('GET', KEYS[1])
    whole = value == '0' or string.match(value, '^-?[1-9]%d*$') ~= nil
  end
  if not whole then redis.call('DEL', KEYS[1]) end
end
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value
"""
"""INCRBY, giving a new counter its TTL (ARGV[2] ms) in the same step: a counter never lives on
without one, whoever crashes between the two. A value planted under the key that INCRBY would
refuse starts the counter afresh, rather than failing every increment: anything but an integer
as Redis writes one (no sign but a minus, no leading zero, no fraction or exponent: Lua's
`tonumber` takes "1.5" and "1e3", INCRBY does not) of at most ARGV[3] characters, or no string."""


_PACE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval, max_wait, horizon = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local turn = nil
if redis.call('TYPE', KEYS[1])['ok'] == 'string' and redis.call('STRLEN', KEYS[1]) <= 20 then
  turn = tonumber(redis.call('GET', KEYS[1]))
end
if turn == nil or turn ~= turn or turn < now or turn > now + horizon then turn = now end
local wait = turn - now
if wait > max_wait then return wait end
local following = turn + interval
redis.call('SET', KEYS[1], string.format('%.0f', following), 'PX',
           math.floor((following - now) / 1000) + 1)
return wait
"""
"""A GCRA without bursts, in one atomic step on Redis's clock (every gateway's turns are
measured on one clock, whatever theirs say): KEYS[1] holds the next free turn (Unix time in
µs); ARGV: the interval, the longest wait and the horizon (µs: how deep the caller's queue can
be, plus an interval). Answers the wait (µs) for the turn taken, or a wait over the longest, for
which no turn was taken. Whatever else the key holds (another type, a huge or non-numeric
string, a turn in the past or beyond the horizon) counts as no turn: a planted value can reset
the pace, or hold calls back as long as a full queue would, never longer nor make the script
fail."""


class RedisStore:
    """Values in Redis, shared by every process pointed at it, as plain bytes (redis-py)."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._get_unless_large = client.register_script(_GET_UNLESS_LARGE)
        self._delete_if_held = client.register_script(_DELETE_IF_HELD)
        self._incr_with_ttl = client.register_script(_INCR_WITH_TTL)
        self._pace = client.register_script(_PACE)

    @classmethod
    def connect(cls, url: str, *, timeout_s: float) -> RedisStore:
        """A store on a pool of `REDIS_CONNECTIONS` (connections are opened when first used).

        Short timeouts everywhere, and one immediate retry (a pooled connection the server
        closed) but no backoff: a cache must never slow a search down.
        """
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=REDIS_CONNECTIONS,
            timeout=timeout_s,  # waiting for a free connection
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
            socket_keepalive=True,
            health_check_interval=10,
            retry=Retry(NoBackoff(), 1),
            client_name="travel-gateway",
        )
        return cls(redis.Redis.from_pool(pool))

    async def get(self, key: str) -> bytes | Unreadable | None:
        reply: Any = await self._get_unless_large(keys=[key], args=[MAX_VALUE_BYTES])
        if reply is None or isinstance(reply, bytes):
            return reply
        if reply < 0:
            return Unreadable("not a string value")
        return Unreadable(f"{reply} bytes, over the {MAX_VALUE_BYTES}-byte limit")

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        await self._client.set(key, value, px=max(1, round(ttl_s * 1000)))

    async def set_many(self, values: Sequence[tuple[str, bytes]], ttl_s: float) -> None:
        """One pipeline (not a transaction): one connection and one round trip for a page's
        offers, where concurrent SETs took a connection each (~40 opened at once on a cold
        pool) and ~1.4× the CPU."""
        ttl_ms = max(1, round(ttl_s * 1000))
        async with self._client.pipeline(transaction=False) as pipe:
            for key, value in values:
                pipe.set(key, value, px=ttl_ms)
            await pipe.execute()

    async def delete(self, key: str) -> None:
        await self._client.delete(key)

    async def lock(self, key: str, token: str, ttl_s: float) -> bool:
        taken = await self._client.set(key, token, px=max(1, round(ttl_s * 1000)), nx=True)
        return bool(taken)

    async def unlock(self, key: str, token: str) -> None:
        await self._delete_if_held(keys=[key], args=[token])

    async def is_locked(self, key: str) -> bool:
        return bool(await self._client.exists(key))

    async def incr(self, key: str, amount: int, ttl_s: float) -> int:
        ttl_ms = max(1, round(ttl_s * 1000))
        args = [amount, ttl_ms, COUNTER_DIGITS]
        return int(await self._incr_with_ttl(keys=[key], args=args))

    async def pace(
        self, key: str, interval_s: float, max_wait_s: float, *, horizon_s: float = PACE_HORIZON_S
    ) -> float:
        interval_us = max(1, round(interval_s * 1e6))
        horizon_us = round(_horizon_s(horizon_s) * 1e6) + interval_us
        args = [interval_us, max(0, round(max_wait_s * 1e6)), horizon_us]
        wait_us = int(await self._pace(keys=[key], args=args))
        return wait_us / 1e6

    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        await self._client.aclose()


def _horizon_s(asked_s: float) -> float:
    """The horizon a pace keeps: the caller's, never beyond `PACE_HORIZON_S` nor below 0."""
    return min(max(asked_s, 0.0), PACE_HORIZON_S)


def open_store(url: str, *, timeout_s: float, memory_bytes: int = MEMORY_BYTES) -> CacheStore:
    """`mem://` for this process alone, else Redis (`redis://` or `rediss://`)."""
    if url.startswith("mem://"):
        return MemoryStore(max_bytes=memory_bytes)
    return RedisStore.connect(url, timeout_s=timeout_s)
