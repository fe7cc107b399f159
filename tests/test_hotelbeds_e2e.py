"""Hotelbeds end to end: the gateway configured from Hotelbeds' variables alone, over real HTTP,
against its simulator checking the key and every signature."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from gateway.app import create_app
from gateway.config import Settings
from simulators import runner
from simulators.common.faults import FAULTS_KEY
from simulators.hotelbeds.app import HotelbedsSimConfig
from simulators.hotelbeds.app import create_app as simulator_app
from tests.helpers import GraphQLClient, days_ahead, serve

pytestmark = pytest.mark.e2e

KEY, SECRET = "hb-e2e-key", "hb-e2e-secret"
HOTELS = """query($s: HotelSearchInput!) {
  providers { name serves mode }
  hotels(search: $s, first: 100) {
    offers { totalCount nodes {
      hotel { name rating location { latitude longitude } distanceKm }
      price { amount currency }
      rooms { provider offerId boardType refundable price { amount currency } }
    } }
    providers { provider status offerCount message }
  }
}"""


def search(days: int = 30) -> dict[str, Any]:
    return {"cityCode": "PAR", "checkIn": days_ahead(days), "checkOut": days_ahead(days + 2)}


@asynccontextmanager
async def hotelbeds_only(
    simulator: HotelbedsSimConfig, **env: str
) -> AsyncIterator[tuple[GraphQLClient, runner.RunningSimulator]]:
    """The gateway from the environment a Hotelbeds user sets, at a simulator knowing the key."""
    running = await runner.start("hotelbeds", app=simulator_app(simulator))
    try:
        settings = Settings.from_env(
            {
                "HOTELBEDS_API_KEY": KEY,
                "HOTELBEDS_SECRET": SECRET,
                "HOTELBEDS_BASE_URL": running.base_url,
                "GATEWAY_FX_URL": "",  # the bundled rates: no network in tests
                **env,
            }
        )
        assert set(settings.providers) == {"hotelbeds"}
        app = create_app(settings)
        async with serve(app, settings) as url, aiohttp.ClientSession() as session:
            yield GraphQLClient(session, url, app), running
    finally:
        await running.stop()


def upstream_calls(simulator: runner.RunningSimulator) -> int:
    return sum(simulator.runner.app[FAULTS_KEY].calls.values())


async def test_hotelbeds_alone_from_its_variables_answers_hotels() -> None:
    async with hotelbeds_only(HotelbedsSimConfig(accounts={KEY: SECRET})) as (client, _):
        status, body = await client.post(HOTELS, {"s": search()})

    assert status == 200
    assert "errors" not in body
    assert body["data"]["providers"] == [
        {"name": "hotelbeds", "serves": ["hotels"], "mode": "live"}  # not Hotelbeds' test host
    ]
    hotels = body["data"]["hotels"]
    [outcome] = hotels["providers"]
    assert outcome == {**outcome, "provider": "hotelbeds", "status": "OK", "message": None}
    assert outcome["offerCount"] == hotels["offers"]["totalCount"] >= 10
    nodes = hotels["offers"]["nodes"]
    assert all(node["hotel"]["location"] and node["hotel"]["distanceKm"] < 12 for node in nodes)
    assert {node["hotel"]["rating"] for node in nodes} <= {2, 3, 4, 5}
    rooms = [room for node in nodes for room in node["rooms"]]
    assert {room["provider"] for room in rooms} == {"hotelbeds"}
    assert {room["price"]["currency"] for room in rooms} == {"USD"}  # the account's currency
    assert {node["price"]["currency"] for node in nodes} == {"EUR"}  # converted for display
    assert {room["boardType"] for room in rooms} <= {"ROOM_ONLY", "BREAKFAST", "HALF_BOARD"}
    assert all(room["offerId"].count("|") > 5 for room in rooms)  # Hotelbeds' rate keys


async def test_a_wrong_secret_is_refused_in_fixed_words() -> None:
    simulator = HotelbedsSimConfig(accounts={KEY: "another-secret"})
    async with hotelbeds_only(simulator) as (client, _):
        _, body = await client.post(HOTELS, {"s": search()})
    [error] = body["errors"]
    [outcome] = error["extensions"]["providers"]
    assert outcome["status"] == "ERROR"
    assert outcome["message"] == "hotelbeds refused the gateway's credentials (HTTP 403)"


async def test_our_quota_refuses_without_calling() -> None:
    simulator = HotelbedsSimConfig(accounts={KEY: SECRET})
    async with hotelbeds_only(simulator, HOTELBEDS_DAILY_QUOTA="1") as (client, running):
        _, first = await client.post(HOTELS, {"s": search(30)})
        _, second = await client.post(HOTELS, {"s": search(40)})  # another search: not cached
        calls = upstream_calls(running)
    assert first["data"]["hotels"]["providers"][0]["status"] == "OK"
    [error] = second["errors"]
    assert error["extensions"]["providers"][0] == {
        **error["extensions"]["providers"][0],
        "status": "UNAVAILABLE",
        "message": "hotelbeds daily quota of 1 request spent; resets at 00:00 UTC",
    }
    assert calls == 1


async def test_hotelbeds_quota_refusal_stops_further_calls_today() -> None:
    simulator = HotelbedsSimConfig(accounts={KEY: SECRET}, daily_quota=1)
    async with hotelbeds_only(simulator, HOTELBEDS_DAILY_QUOTA="0") as (client, running):
        answers = [(await client.post(HOTELS, {"s": search(days)}))[1] for days in (30, 40, 50)]
        calls = upstream_calls(running)
    outcomes = [
        (body["data"]["hotels"] or {"providers": body["errors"][0]["extensions"]["providers"]})[
            "providers"
        ][0]
        for body in answers
    ]
    assert [(o["status"], o["message"]) for o in outcomes] == [
        ("OK", None),
        ("UNAVAILABLE", "hotelbeds daily quota spent; resets at 00:00 UTC"),
        ("UNAVAILABLE", "hotelbeds daily quota spent; resets at 00:00 UTC"),
    ]
    assert calls == 2  # the third search was refused without a call


CHECK = """query($id: ID!) {
  hotelOffer(id: $id, refresh: true) {
    sources { offerId status currentPrice { amount currency } }
    providers { provider status message }
  }
}"""
OFFERS = """query($s: HotelSearchInput!) {
  hotels(search: $s, first: 100) { offers { nodes { id rooms { offerId rateCheckRequired } } } }
}"""


async def test_rate_checks_are_requests_of_the_day() -> None:
    """Under a daily quota only rates Hotelbeds requires checked (RECHECK) are checked, each a
    request of the day; a BOOKABLE rate is SKIPPED (review: six checks of BOOKABLE rates spent
    an eighth of an evaluation key's day on one refresh)."""
    simulator = HotelbedsSimConfig(accounts={KEY: SECRET})
    no_reuse = {"GATEWAY_REFRESH_REUSE_S": "0"}  # the second check asks again
    async with hotelbeds_only(simulator, HOTELBEDS_DAILY_QUOTA="2", **no_reuse) as (
        client,
        running,
    ):
        _, found = await client.post(OFFERS, {"s": search()})
        nodes = found["data"]["hotels"]["offers"]["nodes"]
        node = next(
            node
            for node in nodes
            if sum(room["rateCheckRequired"] for room in node["rooms"]) == 1
            and len(node["rooms"]) >= 2
        )
        _, first = await client.post(CHECK, {"id": node["id"]})
        _, second = await client.post(CHECK, {"id": node["id"]})  # the quota is spent
        calls = upstream_calls(running)
    # The search was the day's first request, the first check its second; none past the quota.
    assert calls == 2
    required = {room["offerId"] for room in node["rooms"] if room["rateCheckRequired"]}
    for body, status in ((first, "UNCHANGED"), (second, "FAILED")):
        statuses = {s["offerId"]: s["status"] for s in body["data"]["hotelOffer"]["sources"]}
        assert {statuses[key] for key in required} == {status}
        assert {status for key, status in statuses.items() if key not in required} == {"SKIPPED"}
    assert second["data"]["hotelOffer"]["providers"] == [
        {
            "provider": "hotelbeds",
            "status": "UNAVAILABLE",
            "message": "hotelbeds daily quota of 2 requests spent; resets at 00:00 UTC",
        }
    ]
