"""End to end over real HTTP: uvicorn serving the gateway, simulators answering on loopback."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from gateway.app import create_app
from gateway.config import Settings
from gateway.search.service import SearchService
from simulators.common import inventory
from simulators.common.faults import FaultConfig
from tests.helpers import (
    TRIP_QUERY,
    GraphQLClient,
    Simulators,
    days_ahead,
    gateway,
    serve,
    simulators,
    trip_variables,
)

pytestmark = pytest.mark.e2e


def outcomes(field: dict) -> dict[str, dict]:
    return {outcome["provider"]: outcome for outcome in field["providers"]}


async def test_flights_and_hotels_in_one_query(client: GraphQLClient) -> None:
    status, body = await client.post(TRIP_QUERY, trip_variables())

    assert status == 200
    assert "errors" not in body
    flights, hotels = body["data"]["flights"], body["data"]["hotels"]
    assert {o["status"] for o in flights["providers"]} == {"OK"}
    assert set(outcomes(flights)) == {"amadeus", "duffel"}
    assert all(o["offerCount"] > 0 for o in flights["providers"])
    providers_seen = {
        source["provider"]
        for edge in flights["offers"]["edges"]
        for source in edge["node"]["sources"]
    }
    # Each provider answers one offer per fare (Basic, Standard, Flex) of each flight; the
    # gateway shows the same flights in the same cabin as one offer, whoever sells them, with
    # those fares in its `fares` (tests/test_fares.py): fewer offers than either provider's
    # answers, about a third of the larger one's.
    counts = [o["offerCount"] for o in flights["providers"]]
    fares = len(inventory.FARE_BRANDS)
    assert max(counts) / fares <= flights["offers"]["totalCount"] < min(counts)
    assert providers_seen <= {"amadeus", "duffel"}
    first = flights["offers"]["edges"][0]["node"]
    segment = first["itineraries"][0]["segments"][0]
    assert segment["departure"]["airport"] == "LHR"
    assert first["itineraries"][0]["segments"][-1]["arrival"]["airport"] in {"JFK", "EWR", "LGA"}
    assert first["price"]["amount"].count(".") == 1  # Decimal as a string, never a float
    prices = [float(e["node"]["price"]["amount"]) for e in flights["offers"]["edges"]]
    assert prices == sorted(prices)

    assert {o["provider"]: o["status"] for o in hotels["providers"]} == {
        "amadeus": "OK",
        "duffel": "OK",
        "hotelbeds": "OK",
        "liteapi": "OK",
    }
    hotel = hotels["offers"]["nodes"][0]
    assert hotel["hotel"]["cityCode"] == "PAR"
    assert hotel["rooms"]


async def test_every_simulated_provider_contributes_offers(client: GraphQLClient) -> None:
    status, body = await client.post(TRIP_QUERY, {**trip_variables(), "first": 100})
    flight_sources = {
        source["provider"]
        for edge in body["data"]["flights"]["offers"]["edges"]
        for source in edge["node"]["sources"]
    }
    room_providers = {
        room["provider"]
        for node in body["data"]["hotels"]["offers"]["nodes"]
        for room in node["rooms"]
    }
    assert status == 200
    assert flight_sources == {"amadeus", "duffel"}
    assert room_providers == {"amadeus", "duffel", "hotelbeds", "liteapi"}


async def test_hotels_merge_across_the_hotel_providers(client: GraphQLClient) -> None:
    query = """query($h: HotelSearchInput!) { hotels(search: $h, first: 100) {
      offers { totalCount nodes { hotel { name distanceKm } sources { provider } } }
      providers { provider status offerCount } } }"""
    status, body = await client.post(query, {"h": trip_variables()["hotel"]})
    assert status == 200
    hotels = body["data"]["hotels"]
    counts = {o["provider"]: o["offerCount"] for o in hotels["providers"]}
    assert set(counts) == {"amadeus", "duffel", "hotelbeds", "liteapi"}
    assert min(counts.values()) > 0
    # One offer per hotel whoever sells it: fewer hotels than answers.
    assert max(counts.values()) <= hotels["offers"]["totalCount"] < sum(counts.values())
    sold_by = [{s["provider"] for s in node["sources"]} for node in hotels["offers"]["nodes"]]
    assert any(len(sources) >= 3 for sources in sold_by)
    assert any(sources == {"amadeus", "liteapi"} for sources in sold_by)


async def test_providers_field_lists_modes(client: GraphQLClient) -> None:
    status, body = await client.post("{ providers { name serves mode } }")
    assert status == 200
    assert body["data"]["providers"] == [
        {"name": "amadeus", "serves": ["flights", "hotels"], "mode": "simulated"},
        {"name": "duffel", "serves": ["flights", "hotels"], "mode": "simulated"},
        {"name": "hotelbeds", "serves": ["hotels"], "mode": "simulated"},
        {"name": "liteapi", "serves": ["hotels"], "mode": "simulated"},
    ]


async def test_failing_provider_gives_partial_result(sims: Simulators) -> None:
    sims.duffel.update({"error_rate": 1.0})
    async with gateway(Settings(provider_timeout_s=5.0), sims) as client:
        status, body = await client.post(TRIP_QUERY, trip_variables())

    assert status == 200
    assert "errors" not in body
    flights = body["data"]["flights"]
    duffel = outcomes(flights)["duffel"]
    assert duffel["status"] == "ERROR"
    assert duffel["message"] == "duffel server error (HTTP 500)"
    assert outcomes(flights)["amadeus"]["status"] == "OK"
    assert flights["offers"]["totalCount"] > 0
    assert {s["provider"] for e in flights["offers"]["edges"] for s in e["node"]["sources"]} == {
        "amadeus"
    }


async def test_hanging_provider_times_out_within_its_budget(sims: Simulators) -> None:
    sims.duffel.update({"hang_rate": 1.0})
    # 2 s, not 0.5: Amadeus must answer within it too, and a loaded machine took longer.
    async with gateway(Settings(provider_timeout_s=2.0), sims) as client:
        started = time.perf_counter()
        status, body = await client.post(TRIP_QUERY, trip_variables())
        elapsed = time.perf_counter() - started

    assert status == 200
    duffel = outcomes(body["data"]["flights"])["duffel"]
    assert duffel["status"] == "TIMEOUT"
    assert duffel["message"] == "no answer within 2 s"
    assert 1900 <= duffel["latencyMs"] < 10_000
    assert body["data"]["flights"]["offers"]["totalCount"] > 0
    assert elapsed < 10  # the hanging call did not hold the query (its simulator never answers)


async def test_malformed_upstream_body_is_an_error_outcome(sims: Simulators) -> None:
    sims.duffel.update({"malformed_rate": 1.0})
    async with gateway(Settings(provider_timeout_s=5.0), sims) as client:
        status, body = await client.post(TRIP_QUERY, trip_variables())
    duffel = outcomes(body["data"]["flights"])["duffel"]
    assert status == 200
    assert duffel == {**duffel, "status": "ERROR", "message": "duffel response is not valid JSON"}


async def test_all_providers_failing_nulls_only_that_field(sims: Simulators) -> None:
    # Every hotel endpoint fails; Duffel still answers flights.
    sims.amadeus.update({"error_rate": 1.0})
    sims.duffel.update({"error_rate": 1.0, "paths": ["/stays/"]})
    sims.hotelbeds.update({"error_rate": 1.0})
    sims.liteapi.update({"error_rate": 1.0})
    async with gateway(Settings(provider_timeout_s=5.0), sims) as client:
        status, body = await client.post(TRIP_QUERY, trip_variables())

    assert status == 200
    assert body["data"]["hotels"] is None
    assert body["data"]["flights"]["offers"]["totalCount"] > 0
    assert outcomes(body["data"]["flights"])["amadeus"]["status"] == "ERROR"
    [error] = body["errors"]
    assert error["path"] == ["hotels"]
    assert error["extensions"]["code"] == "ALL_PROVIDERS_FAILED"
    assert [(p["provider"], p["status"]) for p in error["extensions"]["providers"]] == [
        ("amadeus", "ERROR"),
        ("duffel", "ERROR"),
        ("hotelbeds", "ERROR"),
        ("liteapi", "ERROR"),
    ]


async def test_unreachable_provider_is_unavailable() -> None:
    async with simulators() as sims:
        dead_url = sims.base_urls["duffel"]
    async with simulators() as sims:
        sims.base_urls["duffel"] = dead_url  # nothing listens there any more
        async with gateway(Settings(provider_timeout_s=5.0), sims) as client:
            status, body = await client.post(TRIP_QUERY, trip_variables())
    duffel = outcomes(body["data"]["flights"])["duffel"]
    assert status == 200
    assert duffel["status"] == "UNAVAILABLE"
    assert duffel["message"] == "could not connect to duffel"


async def test_fields_resolve_concurrently(monkeypatch: pytest.MonkeyPatch) -> None:
    """Flights and hotels are searched at once: each started before the other ended (in turn,
    one would end before the other started). Order, not time: a loaded machine kept to it."""
    # Flights: Duffel 300 ms (Amadeus 150 ms). Hotels: Amadeus list + offers, 2 x 150 ms.
    seen: list[str] = []

    def recorded(name: str) -> Any:
        search = getattr(SearchService, f"search_{name}")

        async def recording(self: SearchService, *args: Any, **kwargs: Any) -> Any:
            seen.append(f"{name} started")
            try:
                return await search(self, *args, **kwargs)
            finally:
                seen.append(f"{name} ended")

        return recording

    async with (
        simulators(amadeus=FaultConfig(latency_ms=150), duffel=FaultConfig(latency_ms=300)) as sims,
        gateway(Settings(provider_timeout_s=5.0), sims) as client,
    ):
        await client.post(TRIP_QUERY, trip_variables())  # token and warm-up
        for name in ("flights", "hotels"):
            monkeypatch.setattr(SearchService, f"search_{name}", recorded(name))
        status, body = await client.post(TRIP_QUERY, trip_variables(departureDate=days_ahead(40)))
    assert status == 200
    assert "errors" not in body
    assert sorted(seen[:2]) == ["flights started", "hotels started"], seen
    assert sorted(seen[2:]) == ["flights ended", "hotels ended"], seen


async def test_paging_continues_where_the_page_ended(client: GraphQLClient) -> None:
    query = """query($s: FlightSearchInput!, $after: String) {
      flights(search: $s, first: 3, after: $after) {
        offers { totalCount edges { cursor node { id } }
                 pageInfo { hasNextPage endCursor hasPreviousPage } }
      } }"""
    search = trip_variables()["flight"]
    _, everything = await client.post(
        query.replace("first: 3", "first: 100"), {"s": search, "after": None}
    )
    all_ids = [e["node"]["id"] for e in everything["data"]["flights"]["offers"]["edges"]]
    _, first_page = await client.post(query, {"s": search})
    page = first_page["data"]["flights"]["offers"]
    _, second = await client.post(query, {"s": search, "after": page["pageInfo"]["endCursor"]})
    next_page = second["data"]["flights"]["offers"]

    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["hasPreviousPage"] is False
    assert next_page["pageInfo"]["hasPreviousPage"] is True
    ids = [e["node"]["id"] for e in page["edges"] + next_page["edges"]]
    assert ids == all_ids[:6]


async def test_get_query_and_graphiql(client: GraphQLClient) -> None:
    status, headers, body = await client.raw(
        "GET",
        params={"query": "{ providers { name } }"},
        headers={"Accept": "application/json", "apollo-require-preflight": "true"},
    )
    assert status == 200
    assert b'"name":"amadeus"' in body
    assert headers["x-request-id"]

    status, headers, body = await client.raw("GET", headers={"Accept": "text/html"})
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"graphiql" in body.lower()


async def test_healthz(client: GraphQLClient) -> None:
    status, _, body = await client.raw("GET", "/healthz")
    assert status == 200
    assert b'"status":"ok"' in body


async def test_introspection_is_on(client: GraphQLClient) -> None:
    status, body = await client.post("{ __schema { queryType { name } types { name } } }")
    assert status == 200
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"FlightOffer", "HotelOffer", "Decimal", "LocalDateTime", "Date"} <= names


async def test_cors_open_in_demo_mode(client: GraphQLClient) -> None:
    status, headers, _ = await client.raw(
        "OPTIONS",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert status == 200
    assert headers["access-control-allow-origin"] in ("*", "https://app.example")


async def test_cors_closed_by_default_with_real_providers(sims: Simulators) -> None:
    settings = Settings(provider_timeout_s=5.0).with_simulators(sims.configs())
    settings = replace(settings, cors_origins=None, simulated=frozenset())  # as if real hosts
    async with serve(create_app(settings), settings) as url, aiohttp.ClientSession() as session:
        headers = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        async with session.options(f"{url}/graphql", headers=headers) as response:
            status, allowed = response.status, response.headers.get("access-control-allow-origin")
    assert status == 400
    assert allowed is None


async def test_a_liteapi_key_alone_runs_exactly_liteapi(sims: Simulators) -> None:
    """Configured as a user with only a LiteAPI key would: no simulator of the gateway's own,
    LiteAPI answers hotels, and flights have no provider."""
    env = {
        "LITEAPI_API_KEY": "sand_e2e",
        "LITEAPI_BASE_URL": f"{sims.base_urls['liteapi']}/v3.0",
    }
    settings = Settings.from_env(env)
    assert set(settings.providers) == {"liteapi"}
    assert not settings.demo
    async with (
        serve(create_app(settings), settings) as url,
        aiohttp.ClientSession() as session,
    ):
        client = GraphQLClient(session, url)
        _, listed = await client.post("{ providers { name serves mode } }")
        status, body = await client.post(TRIP_QUERY, trip_variables())

    assert listed["data"]["providers"] == [
        {"name": "liteapi", "serves": ["hotels"], "mode": "test"}
    ]
    assert status == 200
    assert body["data"]["flights"] is None
    [error] = body["errors"]
    assert (error["path"], error["extensions"]["code"]) == (["flights"], "NO_PROVIDERS")
    hotels = body["data"]["hotels"]
    assert [(o["provider"], o["status"]) for o in hotels["providers"]] == [("liteapi", "OK")]
    assert hotels["offers"]["totalCount"] > 0
    nodes = hotels["offers"]["nodes"]
    assert {room["provider"] for node in nodes for room in node["rooms"]} == {"liteapi"}
    assert all(node["hotel"]["distanceKm"] < 10 for node in nodes)
    assert sims.liteapi.calls == {"/v3.0/hotels/rates": 1}
    assert not sims.amadeus.calls
    assert not sims.duffel.calls
