"""The benchmark's baselines do the upstream work the gateway does, call for call.

`bench.run` compares the gateway with designs that call the providers themselves; the ratios
mean something only if every design makes the same upstream calls. When the gateway's Duffel
adapter started fetching the rates of Stays results that come without rooms, the baselines did
not, so the "Python limit" made ~5 fewer calls a search than the gateway it was compared with.
"""

from __future__ import annotations

import re
from collections import Counter

import aiohttp
import orjson
import pytest

from bench.baselines.trip import SharedSession, Upstreams, flights, hotels, token
from bench.run import COMPARED_PROVIDERS, gateway_body, searches
from gateway.config import Settings
from simulators.common.faults import FaultConfig
from tests.helpers import Simulators, gateway, simulators

pytestmark = pytest.mark.e2e

SEARCHES = searches(6)
_RESULT_ID = re.compile(r"/stays/search_results/[^/]+/")


def upstream_calls(sims: Simulators) -> Counter[str]:
    """Calls per endpoint (result ids folded), the token call left out (made once a process)."""
    counted: Counter[str] = Counter()
    for name in COMPARED_PROVIDERS:
        for path, count in getattr(sims, name).calls.items():
            if "oauth2/token" not in path:
                counted[f"{name} {_RESULT_ID.sub('/stays/search_results/*/', path)}"] += count
    return counted


async def gateway_calls() -> Counter[str]:
    async with simulators(FaultConfig(latency_ms=0)) as sims:
        urls = {name: sims.urls()[name] for name in COMPARED_PROVIDERS}
        settings = Settings(cache_ttl_flights_s=0, cache_ttl_hotels_s=0)
        compared = Simulators(urls, {name: getattr(sims, name) for name in COMPARED_PROVIDERS})
        async with gateway(settings, compared) as client:
            for search in SEARCHES:
                status, body = await client.post(**orjson.loads(gateway_body(search)))
                assert status == 200
                assert "errors" not in body, body.get("errors")
        return upstream_calls(sims)


async def limit_calls() -> Counter[str]:
    async with simulators(FaultConfig(latency_ms=0)) as sims, aiohttp.ClientSession() as session:
        urls = sims.urls()
        upstreams = Upstreams(
            urls["amadeus"], urls["duffel"], await token(session, urls["amadeus"])
        )
        for search in SEARCHES:
            await flights(upstreams, SharedSession(session), search)
            await hotels(upstreams, SharedSession(session), search)
        return upstream_calls(sims)


async def test_the_baselines_make_the_upstream_calls_the_gateway_makes() -> None:
    made_by_gateway = await gateway_calls()
    made_by_limit = await limit_calls()
    assert made_by_gateway["duffel /stays/search_results/*/actions/fetch_all_rates"] > 0
    assert made_by_limit == made_by_gateway
