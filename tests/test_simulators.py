"""The simulators: plausible deterministic data in the providers' wire formats, and faults."""

from __future__ import annotations

import hashlib
import ssl
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import trustme

from gateway import domain, reference
from gateway.providers.liteapi import LiteApiProvider
from gateway.search import merge
from simulators import runner
from simulators.common import inventory
from simulators.common.faults import FAULTS_KEY, FaultConfig
from simulators.hotelbeds import app as hotelbeds_simulator
from simulators.liteapi import app as liteapi_simulator
from simulators.liteapi import spec as liteapi_spec
from tests.helpers import Simulators, simulators

pytestmark = pytest.mark.e2e

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
        url = f"{sims.base_urls['amadeus']}/v2/shopping/flight-offers"
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
            f"{sims.base_urls['amadeus']}/v1/security/oauth2/token",
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
        url = f"{sims.base_urls['duffel']}/air/offer_requests"
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
        url = f"{sims.base_urls['duffel']}/__sim/faults"
        async with session.put(url, json={"error_rate": 1.0}) as response:
            assert (await response.json())["error_rate"] == 1.0
        async with session.post(
            f"{sims.base_urls['duffel']}/air/offer_requests", json={}
        ) as response:
            assert response.status == 500
            assert (await response.json())["errors"][0]["type"] == "api_error"
        async with session.put(url, json={"error_rate": 2}) as response:
            assert response.status == 400
        async with session.put(url, json={"nonsense": 1}) as response:
            assert response.status == 400
        async with session.get(f"{sims.base_urls['duffel']}/__sim/stats") as response:
            assert (await response.json())["calls"] == {"/air/offer_requests": 1}


async def test_one_path_can_be_slower_than_the_others(sims: Simulators) -> None:
    """Hotels slow and flights fast from one simulator (tests/test_incremental.py needs both)."""
    async with aiohttp.ClientSession() as session:
        url = f"{sims.base_urls['duffel']}/__sim/faults"
        async with session.put(url, json={"slow_paths": ["/stays/"], "slow_ms": 1000}) as response:
            assert (await response.json())["slow_paths"] == ["/stays/"]
        timings = {}
        for path in ("/stays/search", "/air/offer_requests"):
            started = time.perf_counter()
            async with session.post(f"{sims.base_urls['duffel']}{path}", json={}) as response:
                await response.read()
            timings[path] = time.perf_counter() - started
    assert timings["/stays/search"] >= 1.0
    assert timings["/air/offer_requests"] < 1.0  # ~5 ms; generous for a loaded machine


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


async def test_duffel_stays_results_without_rooms_and_their_rates(sims: Simulators) -> None:
    """As the real Stays search does at times: some results come without rooms, and
    `fetch_all_rates` gives them; every answer announces Duffel's rate-limit window."""
    headers = {"Authorization": "Bearer duffel_test_x", "Duffel-Version": "v2"}
    search = {
        "data": {
            "check_in_date": "2027-05-03",
            "check_out_date": "2027-05-05",
            "rooms": 1,
            "guests": [{"type": "adult"}],
            "location": {
                "radius": 10,
                "geographic_coordinates": {"latitude": 48.8534, "longitude": 2.3488},
            },
        }
    }
    base = sims.base_urls["duffel"]
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/stays/search", json=search, headers=headers) as response:
            assert response.status == 200
            assert response.headers["ratelimit-remaining"].isdigit()
            assert "GMT" in response.headers["ratelimit-reset"]
            results = (await response.json())["data"]["results"]
        bare = [r for r in results if not r["accommodation"]["rooms"]]
        assert bare
        assert len(bare) < len(results)
        url = f"{base}/stays/search_results/{bare[0]['id']}/actions/fetch_all_rates"
        async with session.post(url, headers=headers) as response:
            assert response.status == 200
            full = (await response.json())["data"]
        assert full["id"] == bare[0]["id"]
        assert full["accommodation"]["rooms"]
        unknown = f"{base}/stays/search_results/srr_nope/actions/fetch_all_rates"
        async with session.post(unknown, headers=headers) as response:
            assert response.status == 404


def hotelbeds_headers(key: str, secret: str, at: float) -> dict[str, str]:
    """Signed as Hotelbeds documents it: sha256 hex of key + secret + Unix seconds."""
    signed = hashlib.sha256(f"{key}{secret}{int(at)}".encode()).hexdigest()
    return {"Api-key": key, "X-Signature": signed, "Accept": "application/json"}


HOTELBEDS_SEARCH = {
    "stay": {"checkIn": "2027-05-03", "checkOut": "2027-05-05"},
    "occupancies": [{"rooms": 1, "adults": 2, "children": 0}],
    "geolocation": {"latitude": 48.8566, "longitude": 2.3522, "radius": 10, "unit": "km"},
}


async def test_hotelbeds_checks_the_key_and_a_fresh_signature(sims: Simulators) -> None:
    url = f"{sims.base_urls['hotelbeds']}/hotel-api/1.0/hotels"
    key, secret = hotelbeds_simulator.DEMO_API_KEY, hotelbeds_simulator.DEMO_SECRET
    now = time.time()
    refusals = [
        (hotelbeds_headers("unknown-key", secret, now), "ERR_403_DEVELOPER_INACTIVE"),
        (hotelbeds_headers(key, "wrong-secret", now), "ERR_403_NOT_AUTHORIZED"),
        (hotelbeds_headers(key, secret, now - 3600), "ERR_403_NOT_AUTHORIZED"),  # stale
        ({"Api-key": key, "Accept": "application/json"}, "ERR_403_NOT_AUTHORIZED"),  # unsigned
    ]
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, json=HOTELBEDS_SEARCH, headers=hotelbeds_headers(key, secret, now - 60)
        ) as response:
            assert response.status == 200  # a minute of clock skew is tolerated
            body = await response.json()
        for headers, code in refusals:  # the memoised answer is never replayed to them
            async with session.post(url, json=HOTELBEDS_SEARCH, headers=headers) as refused:
                assert refused.status == 403
                assert refused.headers["X-Mashery-Error-Code"] == code
                assert refused.content_type == "text/xml"
        async with session.post(
            url, json={"stay": {}}, headers=hotelbeds_headers(key, secret, now)
        ) as invalid:
            assert invalid.status == 400
            assert (await invalid.json())["error"]["code"].startswith("INVALID_DATA-")
    hotels = body["hotels"]["hotels"]
    assert len(hotels) >= 10
    hotel = hotels[0]
    assert isinstance(hotel["code"], int)
    assert isinstance(hotel["latitude"], str)  # numbers as strings, as Hotelbeds documents
    assert hotel["currency"] == "USD"
    rate = hotel["rooms"][0]["rates"][0]
    assert isinstance(rate["net"], str)
    assert rate["rateKey"].startswith("20270503|20270505|W|")
    assert (rate["rooms"], rate["adults"]) == (1, 2)


async def test_hotelbeds_simulator_can_enforce_a_daily_quota() -> None:
    app = hotelbeds_simulator.create_app(hotelbeds_simulator.HotelbedsSimConfig(daily_quota=1))
    simulator = await runner.start("hotelbeds", app=app)
    key, secret = hotelbeds_simulator.DEMO_API_KEY, hotelbeds_simulator.DEMO_SECRET
    try:
        async with aiohttp.ClientSession() as session:
            url = f"{simulator.base_url}/hotel-api/1.0/hotels"
            statuses = []
            for _ in range(2):
                headers = hotelbeds_headers(key, secret, time.time())
                async with session.post(url, json=HOTELBEDS_SEARCH, headers=headers) as response:
                    statuses.append((response.status, response.headers.get("X-Mashery-Error-Code")))
    finally:
        await simulator.stop()
    assert statuses == [(200, None), (403, "ERR_403_DEVELOPER_OVER_RATE")]


LITEAPI_SEARCH = {
    "occupancies": [{"adults": 2}, {"adults": 1}],
    "currency": "EUR",
    "guestNationality": "US",
    "checkin": "2027-05-03",
    "checkout": "2027-05-05",
    "latitude": 48.85341,
    "longitude": 2.3488,
    "radius": 10000,
    "includeHotelData": True,
    "timeout": 6,
}


async def test_liteapi_requires_its_key_and_answers_in_its_format(sims: Simulators) -> None:
    url = f"{sims.base_urls['liteapi']}/v3.0/hotels/rates"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=LITEAPI_SEARCH) as response:
            assert response.status == 401
            assert await response.json() == {"error": {"code": 401, "message": "Unauthorized"}}
        headers = {"X-API-Key": "sand_simulator_test"}
        async with session.post(url, json=LITEAPI_SEARCH, headers=headers) as response:
            assert response.status == 200
            body = await response.json()
        bad = {**LITEAPI_SEARCH, "guestNationality": "USA"}
        async with session.post(url, json=bad, headers=headers) as response:
            assert response.status == 400
            assert (await response.json())["error"]["code"] == 4000
        nowhere = {**LITEAPI_SEARCH, "latitude": 0.0, "longitude": -30.0}  # mid-Atlantic
        async with session.post(url, json=nowhere, headers=headers) as response:
            # "no availability": HTTP 200 with code 2001, as LiteAPI's error page says
            # (the spec declares it under 204, which cannot carry a body)
            assert response.status == 200
            assert await response.json() == {
                "error": {"code": 2001, "message": "no availability found"}
            }
        ids = ",".join(hotel["hotelId"] for hotel in body["data"][:3])
        async with session.get(
            f"{sims.base_urls['liteapi']}/v3.0/data/hotels",
            params={"hotelIds": ids},
            headers=headers,
        ) as response:
            assert response.status == 200
            static = (await response.json())["data"]

    assert body["sandbox"] is True
    assert len(body["hotels"]) == len(body["data"]) >= 10
    for hotel, listed in zip(body["data"], body["hotels"], strict=True):
        assert hotel["hotelId"] == listed["id"]
        assert 1 <= listed["stars"] <= 5
        centre = (LITEAPI_SEARCH["latitude"], LITEAPI_SEARCH["longitude"])
        assert reference.distance_km(*centre, listed["latitude"], listed["longitude"]) <= 10
        for offer in hotel["roomTypes"]:
            total = offer["offerRetailRate"]
            assert total["currency"] == "EUR"
            assert isinstance(total["amount"], int | float)  # LiteAPI sends numbers
            assert [r["occupancyNumber"] for r in offer["rates"]] == [1, 2]  # one per room
            shares = sum(
                Decimal(str(r["retailRate"]["total"][0]["amount"])) for r in offer["rates"]
            )
            assert shares == Decimal(str(total["amount"]))
            assert {r["cancellationPolicies"]["refundableTag"] for r in offer["rates"]} <= {
                "RFN",
                "NRFN",
            }
    assert [hotel["id"] for hotel in static] == ids.split(",")
    assert all({"latitude", "longitude", "stars"} <= set(hotel) for hotel in static)


def test_liteapi_lists_the_shared_hotels_in_its_own_spelling_close_by() -> None:
    """Its listings must merge with the others': the same normalised name within 250 m."""
    hotels = [h for h in inventory.hotels("PAR") if liteapi_simulator.sells(h, 0.65)]
    assert 0.4 < len(hotels) / len(inventory.hotels("PAR")) < 0.9
    respelt = 0
    for hotel in hotels:
        spelt = liteapi_simulator.spelling(hotel)
        respelt += spelt != hotel.name
        assert merge.normalise_hotel_name(spelt) == merge.normalise_hotel_name(hotel.name)
        latitude, longitude = liteapi_simulator.geocoded(hotel)
        metres = 1000 * reference.distance_km(hotel.latitude, hotel.longitude, latitude, longitude)
        assert 0 < metres < 60
    assert respelt > len(hotels) / 2


async def test_liteapi_hotel_data_from_the_static_list_when_the_rates_lack_it() -> None:
    """Answering as LiteAPI's older captures do (no coordinates in `hotels[]`), the adapter asks
    `/data/hotels` once and ends with the same offers."""
    city = reference.city("PAR")
    assert city is not None
    centre = domain.GeoPoint(city.latitude, city.longitude)
    query = domain.HotelQuery("PAR", DAY, DAY + timedelta(2), currency="EUR", centre=centre)
    found = {}
    for coordinates in (True, False):
        config = liteapi_simulator.LiteApiSimConfig(hotel_data_coordinates=coordinates)
        app = liteapi_simulator.create_app(config)
        simulator = await runner.start("liteapi", app=app)
        try:
            async with aiohttp.ClientSession() as session:
                provider = LiteApiProvider(session, liteapi_spec.simulated(simulator.base_url))
                found[coordinates] = await provider.search_hotels(query)
            calls = dict(app[FAULTS_KEY].calls)
        finally:
            await simulator.stop()
        details = {} if coordinates else {"/v3.0/data/hotels": 1}
        assert calls == {"/v3.0/hotels/rates": 1, **details}
    assert found[True]
    assert found[False] == found[True]
    assert all(offer.hotel.location is not None for offer in found[False])
