"""The fleet's shared store on a real Redis: sealed values, counters with their TTL, locks; a
value planted or copied is refused; an outage answers each caller's default, reported once."""

from __future__ import annotations

import logging

import pytest

from gateway.fleet.sealed import Sealer
from gateway.fleet.shared import DOWN_FOR_S, PREFIX, Shared
from gateway.search.stores import RedisStore

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
