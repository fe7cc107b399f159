"""The search cache: hits, TTLs, failures never cached, coalescing in and across processes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.config import Settings
from gateway.search.cache import FAILURE_TTL_S
from gateway.search.entries import FAILED_SUFFIX
from simulators.common.faults import FaultConfig
from tests.helpers import TRIP_QUERY, GraphQLClient, Simulators, gateway, simulators, trip_variables

pytestmark = pytest.mark.e2e

UPSTREAM_PATHS = {
    "amadeus": ["/v2/shopping/flight-offers", "/v1/reference-data/locations/hotels/by-city"],
    "duffel": ["/air/offer_requests", "/stays/search"],
    "hotelbeds": ["/hotel-api/1.0/hotels"],
    "liteapi": ["/v3.0/hotels/rates"],
}
ALL_UPSTREAM_PATHS = [path for paths in UPSTREAM_PATHS.values() for path in paths]


def upstream_calls(sims: Simulators) -> dict[str, int]:
    calls = {path: n for state in sims.states.values() for path, n in state.calls.items()}
    calls.pop("/v1/security/oauth2/token", None)
    return dict(calls)


def outcomes(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (field, o["provider"]): o
        for field in ("flights", "hotels")
        for o in body["data"][field]["providers"]
    }


async def test_repeated_search_is_served_from_cache(sims: Simulators) -> None:
    query = TRIP_QUERY.replace("message }", "message cached }")
    async with gateway(Settings(), sims) as client:
        _, first = await client.post(query, trip_variables())
        before = upstream_calls(sims)
        _, second = await client.post(query, trip_variables())
        after = upstream_calls(sims)
    assert after == before  # no provider was called again
    assert not any(o["cached"] for o in outcomes(first).values())
    assert all(o["cached"] and o["latencyMs"] == 0 for o in outcomes(second).values())
    assert second["data"]["flights"]["offers"] == first["data"]["flights"]["offers"] | {
        "pageInfo": second["data"]["flights"]["offers"]["pageInfo"],
        "edges": [
            edge | {"cursor": new["cursor"]}
            for edge, new in zip(
                first["data"]["flights"]["offers"]["edges"],
                second["data"]["flights"]["offers"]["edges"],
                strict=True,
            )
        ],
    }


async def test_failures_are_not_cached(sims: Simulators) -> None:
    sims.duffel.update({"error_rate": 1.0, "paths": ["/air/"]})
    async with gateway(Settings(), sims) as client:
        await client.post(TRIP_QUERY, trip_variables())
        sims.duffel.update({"error_rate": 0.0})
        _, body = await client.post(
            TRIP_QUERY.replace("message }", "message cached }"), trip_variables()
        )
    duffel = outcomes(body)["flights", "duffel"]
    assert duffel["status"] == "OK"
    assert duffel["cached"] is False
    assert sims.duffel.calls["/air/offer_requests"] == 2


async def test_entries_expire_after_their_field_ttl(sims: Simulators) -> None:
    async with gateway(Settings(cache_ttl_flights_s=0.3, cache_ttl_hotels_s=60), sims) as client:
        await client.post(TRIP_QUERY, trip_variables())
        await asyncio.sleep(0.4)
        await client.post(TRIP_QUERY, trip_variables())
    assert sims.duffel.calls["/air/offer_requests"] == 2  # flights expired
    assert sims.duffel.calls["/stays/search"] == 1  # hotels still fresh


async def concurrent(clients: list[GraphQLClient], count: int) -> list[dict[str, Any]]:
    answers = await asyncio.gather(
        *(clients[i % len(clients)].post(TRIP_QUERY, trip_variables()) for i in range(count))
    )
    assert {status for status, _ in answers} == {200}
    return [body for _, body in answers]


async def test_identical_concurrent_searches_make_one_call_per_provider() -> None:
    slow = FaultConfig(latency_ms=150)
    async with simulators(slow) as sims, gateway(Settings(), sims) as client:
        await client.post("{ providers { name } }")
        bodies = await concurrent([client], 100)
    assert all("errors" not in body for body in bodies)
    calls = upstream_calls(sims)
    for path in ALL_UPSTREAM_PATHS:
        assert calls[path] == 1, calls
    assert calls["/v3/shopping/hotel-offers"] == 3  # one search: 3 batches of 20 hotels


async def test_ttl_zero_caches_nothing_but_identical_searches_in_flight_share_calls() -> None:
    slow = FaultConfig(latency_ms=150)
    uncached = Settings(cache_ttl_flights_s=0, cache_ttl_hotels_s=0)
    async with simulators(slow) as sims, gateway(uncached, sims) as client:
        await concurrent([client], 20)
        at_once = upstream_calls(sims)
        await client.post(TRIP_QUERY, trip_variables())
        later = upstream_calls(sims)
    for path in ALL_UPSTREAM_PATHS:
        assert at_once[path] == 1, at_once
        assert later[path] == 2, later  # not served from a cache


async def test_redis_shares_answers_between_instances(fresh_redis: str) -> None:
    settings = Settings(cache_url=fresh_redis)
    async with simulators() as sims:
        async with gateway(settings, sims) as first:
            await first.post(TRIP_QUERY, trip_variables())
        async with gateway(settings, sims) as second:
            _, body = await second.post(
                TRIP_QUERY.replace("message }", "message cached }"), trip_variables()
            )
    assert all(o["cached"] for o in outcomes(body).values())
    assert sims.duffel.calls["/air/offer_requests"] == 1


async def test_redis_coalesces_across_instances(fresh_redis: str) -> None:
    slow = FaultConfig(latency_ms=150)
    settings = Settings(cache_url=fresh_redis)
    async with (
        simulators(slow) as sims,
        gateway(settings, sims) as one,
        gateway(settings, sims) as two,
    ):
        await asyncio.gather(one.post("{ providers { name } }"), two.post("{ providers { name } }"))
        # 40, not more: each answer is ~180 offers, and 100 at once kept one event loop busy past
        # the Redis operation timeout on a loaded machine (the cache then steps aside, as it
        # should, and the test measured the machine instead).
        bodies = await concurrent([one, two], 40)
    assert all("errors" not in body for body in bodies)
    calls = upstream_calls(sims)
    for path in ALL_UPSTREAM_PATHS:
        assert calls[path] == 1, calls


async def test_redis_failure_is_shared_but_not_kept(fresh_redis: str) -> None:
    import redis.asyncio as redis

    settings = Settings(cache_url=fresh_redis)
    async with simulators(FaultConfig(latency_ms=100)) as sims:
        sims.duffel.update({"error_rate": 1.0, "paths": ["/air/"]})
        async with gateway(settings, sims) as one, gateway(settings, sims) as two:
            await concurrent([one, two], 10)
            calls_while_failing = sims.duffel.calls["/air/offer_requests"]
            sims.duffel.update({"error_rate": 0.0})
            # Not kept: Redis expires the shared failure within FAILURE_TTL_S (read, then
            # expired here, where waiting 2 s for Redis's own clock took a loaded machine's time).
            store = redis.from_url(fresh_redis)
            failed = [key for key in await store.keys("*") if key.endswith(FAILED_SUFFIX.encode())]
            ttls_ms = [await store.pttl(key) for key in failed]
            await store.delete(*failed)
            await store.aclose()
            _, body = await one.post(TRIP_QUERY, trip_variables())
    assert calls_while_failing == 1
    assert failed
    assert all(0 < ttl <= FAILURE_TTL_S * 1000 for ttl in ttls_ms), ttls_ms
    assert outcomes(body)["flights", "duffel"]["status"] == "OK"


async def test_unreachable_redis_degrades_to_no_cache(sims: Simulators) -> None:
    settings = Settings(cache_url="redis://127.0.0.1:1/0")
    async with gateway(settings, sims) as client:
        status, body = await client.post(TRIP_QUERY, trip_variables())
    assert status == 200
    assert "errors" not in body
    assert {o["status"] for o in outcomes(body).values()} == {"OK"}


@pytest.mark.parametrize("entry", [b"\x00garbage", b"not msgpack at all"])
async def test_corrupt_entries_are_dropped(fresh_redis: str, entry: bytes) -> None:
    import redis.asyncio as redis

    settings = Settings(cache_url=fresh_redis)
    async with simulators() as sims:
        async with gateway(settings, sims) as client:
            await client.post(TRIP_QUERY, trip_variables())
        store = redis.from_url(fresh_redis)
        keys = [key for key in await store.keys("*") if b":lock" not in key]
        assert keys
        for key in keys:
            await store.set(key, entry)
        await store.aclose()
        async with gateway(settings, sims) as client:
            status, body = await client.post(TRIP_QUERY, trip_variables())
    assert status == 200
    assert {o["status"] for o in outcomes(body).values()} == {"OK"}
    assert sims.duffel.calls["/air/offer_requests"] == 2


async def test_a_lock_left_by_a_dead_process_delays_at_most_the_deadline(
    fresh_redis: str,
) -> None:
    import time

    import redis.asyncio as redis

    settings = Settings(cache_url=fresh_redis, search_deadline_s=1.0)
    async with simulators() as sims:
        async with gateway(settings, sims) as client:
            await client.post(TRIP_QUERY, trip_variables())  # learn the keys
        store = redis.from_url(fresh_redis)
        keys = [key for key in await store.keys("*") if not key.endswith(b":lock")]
        await store.flushdb()
        for key in keys:  # a process died holding every lock for a minute
            await store.set(key + b":lock", b"dead", ex=60)
        await store.aclose()
        async with gateway(settings, sims) as client:
            started = time.perf_counter()
            status, body = await client.post(TRIP_QUERY, trip_variables())
            elapsed = time.perf_counter() - started
    assert status == 200
    assert {o["status"] for o in outcomes(body).values()} == {"OK"}
    assert 0.9 <= elapsed < 10  # not the lock's 60 s (generous: a loaded machine)
