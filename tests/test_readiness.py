"""`/readyz`: 503 with its reasons when this instance cannot serve searches, 200 otherwise
(`degraded`, with the reasons, while it serves without Redis); `/healthz` stays a liveness
check that answers either way."""

from __future__ import annotations

from contextlib import ExitStack

import orjson
import pytest

from gateway.config import Settings
from simulators.common.faults import FaultConfig
from tests.helpers import TRIP_QUERY, GraphQLClient, gateway, simulators, trip_variables
from tests.redis_server import redis_server

pytestmark = pytest.mark.e2e


async def probe(client: GraphQLClient, path: str) -> tuple[int, dict]:
    status, _, body = await client.raw("GET", path)
    return status, orjson.loads(body)


async def test_ready_when_providers_answer(client: GraphQLClient) -> None:
    assert await probe(client, "/readyz") == (200, {"status": "ready"})
    status, body = await probe(client, "/healthz")
    assert (status, body["status"]) == (200, "ok")


async def test_degraded_but_ready_while_redis_is_stopped() -> None:
    """Issue 18: a Redis outage took every instance out of rotation at once (503), though each
    serves correctly without it. Ready, degraded, with the reason (no address)."""
    with ExitStack() as redis:
        url = redis.enter_context(redis_server())
        async with simulators() as sims, gateway(Settings(cache_url=url), sims) as client:
            assert await probe(client, "/readyz") == (200, {"status": "ready"})
            redis.close()  # Redis stops; the gateway goes on
            status, body = await probe(client, "/readyz")
            searched, answer = await client.post(TRIP_QUERY, trip_variables())
    assert (status, body) == (
        200,
        {
            "status": "degraded",
            "reasons": ["Redis (the shared cache and fleet state) does not answer"],
        },
    )
    assert url.rsplit(":", 1)[-1].split("/")[0] not in str(body)  # no address, not even a port
    assert searched == 200
    assert answer["data"]["flights"]["offers"]["totalCount"] > 0


async def test_not_ready_while_redis_is_stopped_when_it_is_required() -> None:
    with ExitStack() as redis:
        url = redis.enter_context(redis_server())
        settings = Settings(cache_url=url, redis_required=True)
        async with simulators() as sims, gateway(settings, sims) as client:
            assert await probe(client, "/readyz") == (200, {"status": "ready"})
            redis.close()
            status, body = await probe(client, "/readyz")
            live, _ = await probe(client, "/healthz")
    assert status == 503
    assert body == {
        "status": "not ready",
        "reasons": ["Redis (the shared cache and fleet state) does not answer"],
    }
    assert live == 200  # alive, only not ready: a restart would not help


async def test_not_ready_when_every_circuit_is_open() -> None:
    failing = FaultConfig(error_rate=1.0)
    async with (
        simulators(failing) as sims,
        gateway(Settings(breaker_failures=1, breaker_reset_s=60), sims) as client,
    ):
        assert (await probe(client, "/readyz"))[0] == 200
        await client.post(TRIP_QUERY, trip_variables())  # every provider fails once: all open
        status, body = await probe(client, "/readyz")
    assert status == 503
    [reason] = body["reasons"]
    assert reason.startswith("every provider's circuit is open")
    assert "amadeus" in reason
    assert "duffel" in reason


async def test_one_open_circuit_is_not_unreadiness() -> None:
    async with simulators() as sims:
        sims.duffel.update({"error_rate": 1.0})
        async with gateway(Settings(breaker_failures=1, breaker_reset_s=60), sims) as client:
            await client.post(TRIP_QUERY, trip_variables())
            _, body = await client.post(TRIP_QUERY, trip_variables())
            assert await probe(client, "/readyz") == (200, {"status": "ready"})
    flights = {o["provider"]: o for o in body["data"]["flights"]["providers"]}
    assert flights["duffel"]["status"] == "UNAVAILABLE"  # its circuit is open indeed
    assert flights["amadeus"]["status"] == "OK"
