"""Redis stopped under a fleet: each instance stays ready (`degraded`) and answers searches, the
daily quota stays closed (it goes on from the count the fleet had reached, never from 0), and
provider rate limits stay open, per process, with one WARNING and the fallbacks counted."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from typing import Any

import aiohttp
import pytest

from gateway.app import create_app
from gateway.config import Settings
from simulators import registry as sim_registry
from tests.helpers import APOLLO_ACCEPT, GraphQLClient, days_ahead, serve, simulators
from tests.redis_server import redis_server

pytestmark = pytest.mark.e2e

TOKEN = "t" * 40
TRIP = """query($f: FlightSearchInput!, $h: HotelSearchInput!) {
  flights(search: $f, first: 3) { offers { totalCount } providers { provider status message } }
  hotels(search: $h, first: 3) { offers { totalCount } providers { provider status message } }
}"""


def trip(days: int) -> dict[str, Any]:
    return {
        "f": {"origin": "LON", "destination": "NYC", "departureDate": days_ahead(days)},
        "h": {"cityCode": "PAR", "checkIn": days_ahead(days), "checkOut": days_ahead(days + 2)},
    }


@asynccontextmanager
async def instance(env: dict[str, str]) -> AsyncIterator[GraphQLClient]:
    """One gateway configured from `env` as an operator would, served on loopback."""
    settings = Settings.from_env({"GATEWAY_FX_URL": "", "GATEWAY_METRICS_TOKEN": TOKEN, **env})
    app = create_app(settings)
    async with (
        serve(app, settings) as url,
        aiohttp.ClientSession(headers={"Accept": APOLLO_ACCEPT}) as session,
    ):
        yield GraphQLClient(session, url, app)


def outcomes(body: dict[str, Any], field: str) -> dict[str, tuple[str, str | None]]:
    return {o["provider"]: (o["status"], o["message"]) for o in body["data"][field]["providers"]}


async def fallbacks(client: GraphQLClient) -> dict[str, float]:
    _, _, raw = await client.raw("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    found = re.findall(rb'gateway_guard_fallbacks_total\{guard="(\w+)"\} ([0-9.]+)', raw)
    return {guard.decode(): float(value) for guard, value in found}


async def test_redis_stopped_keeps_the_fleet_serving_the_quota_closed_limits_open(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 18: with Redis down every `/readyz` answered 503 (though each instance served),
    and the quota stopped counting: a search went to Hotelbeds with the fleet's quota spent."""
    with ExitStack() as redis:
        url = redis.enter_context(redis_server())
        async with simulators() as sims:
            env = {
                **sim_registry.spec("duffel").simulated_env(sims.base_urls["duffel"]),
                **sim_registry.spec("hotelbeds").simulated_env(sims.base_urls["hotelbeds"]),
                "DUFFEL_RATE_LIMIT": "50",
                "HOTELBEDS_DAILY_QUOTA": "3",
                "GATEWAY_CACHE_URL": url,
            }
            async with instance(env) as other:
                _, first = await other.post(TRIP, trip(10))  # the fleet's count: 1
            async with instance(env) as this:
                _, second = await this.post(TRIP, trip(11))  # 2, seen here
                redis.close()  # Redis stops; the instance goes on
                ready = await this.raw("GET", "/readyz")
                with caplog.at_level(logging.WARNING):
                    answers = [(await this.post(TRIP, trip(d)))[1] for d in (12, 13, 14)]
                counted = await fallbacks(this)
            hotelbeds_calls = sum(sims.hotelbeds.calls.values())

    assert all(outcomes(b, "hotels")["hotelbeds"] == ("OK", None) for b in (first, second))
    status, _, body = ready
    assert status == 200
    assert body == (
        b'{"status":"degraded","reasons":'
        b'["Redis (the shared cache and fleet state) does not answer"]}'
    )
    # Searches answered: flights by Duffel every time (its rate limit open, per process) ...
    assert [outcomes(b, "flights")["duffel"] for b in answers] == [("OK", None)] * 3
    assert all(b["data"]["flights"]["offers"]["totalCount"] > 0 for b in answers)
    # ... hotels too, Hotelbeds while the quota lasts: this instance goes on from the count it
    # saw (2), so one more call, then none: 3 in all for the fleet, as with Redis.
    assert [outcomes(b, "hotels")["hotelbeds"] for b in answers] == [
        ("OK", None),
        ("UNAVAILABLE", "hotelbeds daily quota of 3 requests spent; resets at 00:00 UTC"),
        ("UNAVAILABLE", "hotelbeds daily quota of 3 requests spent; resets at 00:00 UTC"),
    ]
    assert all(outcomes(b, "hotels")["duffel"][0] == "OK" for b in answers)
    assert hotelbeds_calls == 3
    # Rate limits open: one WARNING however many calls, each decision counted.
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len([r for r in warned if r.getMessage().startswith("provider rate limits")]) == 1
    assert (
        len([r for r in warned if "hotelbeds daily quota: the fleet's count" in r.getMessage()])
        == 1
    )
    assert counted["provider_rate_limit"] >= 6  # Duffel's flights and Stays, three searches
    assert counted["daily_quota"] == 1  # the call counted here alone; then spent here
    assert counted["client_rate_limit"] == 0
