"""The fleet's shared store on a real Redis: sealed values, counters with their TTL, locks; a
value planted or copied is refused; an outage answers each caller's default, reported once."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pytest
from redis.exceptions import ResponseError

from gateway.fleet.sealed import Sealer
from gateway.fleet.shared import DOWN_FOR_S, OP_TIMEOUT_S, PREFIX, REPORT_EVERY_S, Shared
from gateway.search import cache
from gateway.search.stores import MemoryStore, RedisStore

pytestmark = pytest.mark.e2e

KEY = "k" * 40


async def test_values_counters_and_locks(fresh_redis: str) -> None:
    import redis.asyncio as redis

    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    shared = Shared(store, Sealer(KEY))
    assert await shared.set("offer:1", b"payload", 60, "offer")
    assert bytes(await shared.get("offer:1", "offer") or b"") == b"payload"
    assert await shared.get("offer:2", "offer") is None
    assert await shared.incr("quota", 2, 60, "quota") == 2
    assert await shared.incr("quota", 3, 60, "quota") == 5
    assert await shared.lock("l", "a", 60, "lock") is True
    assert await shared.lock("l", "b", 60, "lock") is False
    await shared.unlock("l", "b", "lock")  # not its token: still held
    assert await shared.lock("l", "c", 60, "lock") is False

    raw = redis.from_url(fresh_redis)
    assert 0 < await raw.pttl(PREFIX + "quota") <= 60_000  # a counter never lives without TTL
    # A value copied to another key, planted unsigned, or signed with another key: refused.
    await raw.set(PREFIX + "offer:3", await raw.get(PREFIX + "offer:1"))
    await raw.set(PREFIX + "offer:4", b"TGC\x01\x00junk")
    forged = Sealer("f" * 40).seal(PREFIX + "offer:5", b"cheap", 60)
    await raw.set(PREFIX + "offer:5", forged)
    for planted in ("offer:3", "offer:4", "offer:5"):
        assert await shared.get(planted, "offer") is None
    await raw.aclose()
    await store.close()


async def test_an_outage_answers_defaults_and_is_reported_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    store = RedisStore.connect("redis://127.0.0.1:9/0", timeout_s=0.2)  # nothing listens
    shared = Shared(store, Sealer(None), clock=lambda: now[0])
    with caplog.at_level(logging.WARNING):
        assert await shared.get("a", "offer") is None
        assert await shared.incr("q", 1, 60, "quota") is None
        assert await shared.set("a", b"x", 60, "offer") is False
    assert not shared.available()
    assert sum("shared state (Redis) unavailable" in r.message for r in caplog.records) == 1
    now[0] += DOWN_FOR_S
    assert shared.available()  # tried again after a while
    await store.close()


async def test_a_planted_counter_that_is_no_number_starts_afresh(fresh_redis: str) -> None:
    import redis.asyncio as redis

    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    shared = Shared(store, Sealer(KEY))
    raw = redis.from_url(fresh_redis)
    await raw.set(PREFIX + "quota", b"not a number")
    await raw.hset(PREFIX + "other", "a", "b")
    assert await shared.incr("quota", 2, 60, "quota") == 2
    assert await shared.incr("other", 1, 60, "quota") == 1
    assert shared.available()  # nothing failed: the store is not marked down
    await raw.aclose()
    await store.close()


@pytest.mark.parametrize(
    ("planted", "after"),
    [
        # Numbers Lua's tonumber() takes and INCRBY refuses: each failed every increment, and
        # marked the whole shared store down, again and again.
        ("1.5", 2),
        ("1e3", 2),
        ("0x10", 2),
        ("9" * 19, 2),  # past what INCRBY can add to without overflowing
        ("9" * 16, 2),  # past what the script's Lua numbers hold exactly
        ("-" + "9" * 15, 2),
        ("007", 2),  # leading zeros, signs and spaces: INCRBY refuses those too
        ("-0", 2),
        ("+5", 2),
        (" 5", 2),
        ("5\n", 2),
        # Integers as Redis writes them, up to 15 characters: a count, kept.
        ("41", 43),
        ("-3", -1),
        ("0", 2),
        ("9" * 15, 10**15 + 1),
        ("-" + "9" * 14, -(10**14) + 3),
    ],
)
async def test_a_planted_counter_incrby_would_refuse_starts_afresh(
    fresh_redis: str, planted: str, after: int
) -> None:
    import redis.asyncio as redis

    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    shared = Shared(store, Sealer(KEY))
    raw = redis.from_url(fresh_redis)
    await raw.set(PREFIX + "quota", planted)
    try:
        assert await shared.incr("quota", 2, 60, "quota") == after
        assert shared.available()
        assert 0 < await raw.pttl(PREFIX + "quota") <= 60_000
    finally:
        await raw.aclose()
        await store.close()


class Refusing(MemoryStore):
    """A store whose counters and gets Redis refuses (a script error), as a planted value once
    made INCRBY do."""

    async def incr(self, key: str, amount: int, ttl_s: float) -> int:
        raise ResponseError("ERR value is not an integer or out of range")

    async def get(self, key: str) -> Any:
        raise ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value")


async def test_an_error_redis_answers_is_no_outage(caplog: pytest.LogCaptureFixture) -> None:
    """Redis refused one operation: it answers its default, logged once a minute per kind of
    state; the store is not marked down (every other operation goes on)."""
    now = [0.0]
    shared = Shared(Refusing(), Sealer(None), clock=lambda: now[0])
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert await shared.incr("q", 1, 60, "quota", apart=True) is None
            assert await shared.get("a", "offer") is None
        assert shared.available()
        assert shared.available(apart="quota")
        assert await shared.set("a", b"x", 60, "offer")  # the store works
        now[0] += REPORT_EVERY_S
        assert await shared.incr("q", 1, 60, "quota") is None
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3, lines  # quota, offer; quota again a minute later
    assert all("Redis refused the operation" in line for line in lines)
    assert not any("unavailable" in line for line in lines)


class Failing(MemoryStore):
    """A store whose offers writes fail (a full pool, a lagging loop): counters still work."""

    async def set_many(self, values: Sequence[tuple[str, bytes]], ttl_s: float) -> None:
        raise TimeoutError


async def test_operations_tracked_apart_are_tried_whatever_the_others_met() -> None:
    """One down flag for all the fleet's state made the daily quota fall back (and overspend)
    because an offers write failed. Guards' operations are tracked apart, each by its own."""
    now = [0.0]
    store = Failing()
    shared = Shared(store, Sealer(None), clock=lambda: now[0])
    assert not await shared.set_many({"offer:1": b"x"}, 60, "offer")
    assert not shared.available()
    assert await shared.get("offer:1", "offer") is None  # not tried: down
    assert await shared.incr("q", 1, 60, "quota", apart=True) == 1  # tried all the same
    assert await shared.incr("q", 1, 60, "quota") is None  # not apart: down with the rest
    assert shared.available(apart="quota")

    async def fails() -> None:
        raise TimeoutError

    await shared.run(fails, None, "quota", apart=True)
    assert not shared.available(apart="quota")
    assert await shared.incr("q", 1, 60, "quota", apart=True) is None  # its own outage
    assert await shared.pace("p", 1, 10, "duffel rate limit", apart=True) == 0  # not others'
    now[0] += DOWN_FOR_S
    assert shared.available()
    assert await shared.incr("q", 1, 60, "quota", apart=True) == 2


async def test_a_refused_value_is_logged_once_a_minute_per_kind(
    fresh_redis: str, caplog: pytest.LogCaptureFixture
) -> None:
    """One planted key read on every search, or instances configured with different
    providers, logged a line per lookup."""
    import redis.asyncio as redis

    now = [0.0]
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    shared = Shared(store, Sealer(KEY), clock=lambda: now[0])
    raw = redis.from_url(fresh_redis)
    await raw.set(PREFIX + "offer:1", b"TGC\x01\x00junk")
    await raw.set(PREFIX + "apq:1", b"TGC\x01\x00junk")
    await raw.hset(PREFIX + "apq:2", "a", "b")  # not a string: refused unread
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            assert await shared.get("offer:1", "offer") is None
            assert await shared.get("apq:1", "APQ text") is None
            assert await shared.get("apq:2", "APQ text") is None
        now[0] += REPORT_EVERY_S
        assert await shared.get("offer:1", "offer") is None
    await raw.aclose()
    await store.close()
    refused = [r.getMessage() for r in caplog.records if "value refused" in r.getMessage()]
    assert len(refused) == 3, refused  # offer, APQ text; offer again a minute later
    assert shared.available()


def test_an_operation_has_as_long_as_the_search_caches() -> None:
    """1 s on the same connections made a healthy Redis look down under load (the cache's
    0.5 s did, before it took 2 s)."""
    assert OP_TIMEOUT_S == cache.OP_TIMEOUT_S == 2.0
