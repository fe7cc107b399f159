"""The simulators: plausible deterministic data in the providers' wire formats, and faults."""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import trustme

from gateway import reference
from gateway.simulator import inventory, runner
from gateway.simulator.faults import FaultConfig
from tests.helpers import Simulators, simulators

DAY = date(2027, 5, 3)


def utc(local: datetime, airport: str) -> datetime:
    found = reference.airport(airport)
    assert found is not None
    return local.replace(tzinfo=ZoneInfo(found.timezone))


@pytest.mark.parametrize(
    ("origin", "destination"), [("LON", "NYC"), ("SFO", "SYD"), ("PAR", "BCN")]
)
def test_schedules_are_consistent_across_time_zones(origin: str, destination: str) -> None:
    journeys = inventory.journeys(origin, destination, DAY)
    assert journeys
    for journey in journeys:
        for leg in journey.legs:
            flown = utc(leg.arrives, leg.destination.code) - utc(leg.departs, leg.origin.code)
            assert flown == timedelta(minutes=leg.minutes)
        for first, second in zip(journey.legs, journey.legs[1:], strict=False):
            assert first.destination == second.origin
            layover = utc(second.departs, second.origin.code) - utc(
                first.arrives, first.destination.code
            )
            assert timedelta(minutes=60) <= layover <= timedelta(hours=4)
    assert any(len(j.legs) == 1 for j in journeys) or origin == "SFO"
    assert any(len(j.legs) == 2 for j in journeys)
    assert len({j.legs[0].airline.code for j in journeys}) >= 3


def test_inventory_is_deterministic() -> None:
    assert inventory.journeys("LON", "NYC", DAY) == inventory.journeys("LON", "NYC", DAY)
    assert inventory.hotels("PAR") == inventory.hotels("PAR")
    assert inventory.journeys("LON", "NYC", DAY) != inventory.journeys(
        "LON", "NYC", DAY + timedelta(1)
    )


def test_hotels_are_near_the_city() -> None:
    hotels = inventory.hotels("BCN")
    assert len(hotels) >= 30
    assert all(hotel.distance_km < 15 for hotel in hotels)
    assert len({hotel.id for hotel in hotels}) == len(hotels)


@pytest.fixture
async def sims() -> AsyncIterator[Simulators]:
    async with simulators() as running:
        yield running


async def test_amadeus_requires_a_token(sims: Simulators) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{sims.amadeus_url}/v2/shopping/flight-offers"
        params = {
            "originLocationCode": "LON",
            "destinationLocationCode": "NYC",
            "departureDate": "2027-05-03",
            "adults": "1",
        }
        async with session.get(url, params=params) as response:
            assert response.status == 401
            assert (await response.json(content_type=None))["errors"][0]["code"] == 38190
        async with session.post(
            f"{sims.amadeus_url}/v1/security/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": "a", "client_secret": "b"},
        ) as response:
            token = (await response.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with session.get(url, params=params, headers=headers) as response:
            assert response.status == 200
            assert response.content_type == "application/vnd.amadeus+json"
            body = await response.json(content_type=None)
        offer = body["data"][0]
        assert isinstance(offer["price"]["total"], str)
        assert body["dictionaries"]["carriers"]
        async with session.get(url, params={**params, "adults": "0"}, headers=headers) as response:
            assert response.status == 400
            error = (await response.json(content_type=None))["errors"][0]
            assert error["source"]["parameter"] == "adults"


async def test_duffel_requires_its_version_header(sims: Simulators) -> None:
    body = {
        "data": {
            "slices": [{"origin": "LHR", "destination": "JFK", "departure_date": "2027-05-03"}],
            "passengers": [{"type": "adult"}],
            "cabin_class": "economy",
        }
    }
    async with aiohttp.ClientSession() as session:
        url = f"{sims.duffel_url}/air/offer_requests"
        headers = {"Authorization": "Bearer duffel_test_x"}
        async with session.post(url, json=body, headers=headers) as response:
            assert response.status == 400
            assert (await response.json())["errors"][0]["code"] == "unsupported_version"
        async with session.post(
            url, json=body, headers={**headers, "Duffel-Version": "v2"}
        ) as response:
            assert response.status == 201
            offers = (await response.json())["data"]["offers"]
        assert offers
        assert offers[0]["id"].startswith("off_")
        assert offers[0]["slices"][0]["duration"].startswith("PT")


async def test_faults_and_call_counts_are_controllable(sims: Simulators) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{sims.duffel_url}/__sim/faults"
        async with session.put(url, json={"error_rate": 1.0}) as response:
            assert (await response.json())["error_rate"] == 1.0
        async with session.post(f"{sims.duffel_url}/air/offer_requests", json={}) as response:
            assert response.status == 500
            assert (await response.json())["errors"][0]["type"] == "api_error"
        async with session.put(url, json={"error_rate": 2}) as response:
            assert response.status == 400
        async with session.put(url, json={"nonsense": 1}) as response:
            assert response.status == 400
        async with session.get(f"{sims.duffel_url}/__sim/stats") as response:
            assert (await response.json())["calls"] == {"/air/offer_requests": 1}


async def test_one_path_can_be_slower_than_the_others(sims: Simulators) -> None:
    """Hotels slow and flights fast from one simulator (tests/test_incremental.py needs both)."""
    async with aiohttp.ClientSession() as session:
        url = f"{sims.duffel_url}/__sim/faults"
        async with session.put(url, json={"slow_paths": ["/stays/"], "slow_ms": 300}) as response:
            assert (await response.json())["slow_paths"] == ["/stays/"]
        timings = {}
        for path in ("/stays/search", "/air/offer_requests"):
            started = time.perf_counter()
            async with session.post(f"{sims.duffel_url}{path}", json={}) as response:
                await response.read()
            timings[path] = time.perf_counter() - started
    assert timings["/stays/search"] >= 0.3
    assert timings["/air/offer_requests"] < 0.2


def test_fault_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="hang_rate"):
        FaultConfig(hang_rate=1.5).validated()


async def test_a_simulator_speaks_https_with_a_certificate() -> None:
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    simulator = await runner.start("duffel", ssl_context=server_context)
    try:
        assert simulator.base_url.startswith("https://127.0.0.1:")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{simulator.base_url}/__sim/stats", ssl=client_context) as ok:
                assert ok.status == 200
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await session.get(f"{simulator.base_url}/__sim/stats")  # CA not trusted
    finally:
        await simulator.stop()
