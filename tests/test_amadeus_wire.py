"""Exact wire exchanges with Amadeus, replayed by aioresponses."""

from __future__ import annotations

import asyncio
import copy
import functools
import itertools
import logging
import re
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from gateway import domain
from gateway.providers.amadeus import AmadeusConfig, AmadeusProvider
from gateway.providers.errors import MalformedResponse, UpstreamStatusError

pytestmark = pytest.mark.unit

BASE = "https://test.travel.api.amadeus.com"  # an Enterprise test host, as public code uses
TOKEN_URL = f"{BASE}/v1/security/oauth2/token"
FLIGHTS_URL = re.compile(rf"^{re.escape(BASE)}/v2/shopping/flight-offers\?.*$")
BY_CITY_URL = re.compile(rf"^{re.escape(BASE)}/v1/reference-data/locations/hotels/by-city\?.*$")
HOTEL_OFFERS_URL = re.compile(rf"^{re.escape(BASE)}/v3/shopping/hotel-offers\?.*$")
AMADEUS_JSON = "application/vnd.amadeus+json"

QUERY = domain.FlightQuery(origin="JFK", destination="LHR", departure_date=date(2027, 1, 10))
HOTEL_QUERY = domain.HotelQuery(
    city_code="PAR", check_in=date(2027, 1, 10), check_out=date(2027, 1, 12), adults=2
)

FLIGHT_OFFERS = {
    "meta": {"count": 1},
    "data": [
        {
            "type": "flight-offer",
            "id": "1",
            "numberOfBookableSeats": 4,
            "lastTicketingDate": "2027-01-01",
            "itineraries": [
                {
                    "duration": "PT7H5M",
                    "segments": [
                        {
                            "id": "1",
                            "departure": {
                                "iataCode": "JFK",
                                "terminal": "4",
                                "at": "2027-01-10T19:00:00",
                            },
                            "arrival": {"iataCode": "LHR", "at": "2027-01-11T07:05:00"},
                            "carrierCode": "XX",
                            "number": "101",
                            "aircraft": {"code": "789"},
                            "operating": {"carrierCode": "XX"},
                            "duration": "PT7H5M",
                            "numberOfStops": 0,
                        }
                    ],
                }
            ],
            "price": {
                "currency": "EUR",
                "total": "410.20",
                "base": "300.00",
                "grandTotal": "410.20",
            },
            "validatingAirlineCodes": ["XX"],
            "travelerPricings": [
                {
                    "travelerId": "1",
                    "travelerType": "ADULT",
                    "price": {"currency": "EUR", "total": "410.20"},
                    "fareDetailsBySegment": [{"segmentId": "1", "cabin": "ECONOMY", "class": "Y"}],
                }
            ],
        }
    ],
    "dictionaries": {"carriers": {"XX": "EXAMPLE AIR"}, "aircraft": {"789": "BOEING 787-9"}},
}


def token_body(value: str = "tok-1", expires_in: int = 1799) -> dict[str, Any]:
    return {
        "token_type": "Bearer",
        "access_token": value,
        "expires_in": expires_in,
        "state": "approved",
    }


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def provider(session: aiohttp.ClientSession) -> AmadeusProvider:
    # No client-side rate limit here, so timings show the adapter's own concurrency.
    config = AmadeusConfig(client_id="id-1", client_secret="s3cret", base_url=BASE, rate_limit=0)
    return AmadeusProvider(session, config)


def calls(mocked: aioresponses, method: str, url: str) -> list[Any]:
    return [
        call
        for (m, u), found in mocked.requests.items()
        if m == method and str(u).split("?")[0] == url
        for call in found
    ]


async def test_flight_search_maps_the_documented_shape(provider: AmadeusProvider) -> None:
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(FLIGHTS_URL, payload=FLIGHT_OFFERS, content_type=AMADEUS_JSON)
        [offer] = await provider.search_flights(QUERY)

    assert offer.price == domain.Money(Decimal("410.20"), "EUR")
    assert offer.seats_available == 4
    assert offer.last_ticketing_date == date(2027, 1, 1)
    segment = offer.itineraries[0].segments[0]
    assert segment.carrier == domain.Carrier("XX", "EXAMPLE AIR")
    assert segment.departure.at.isoformat() == "2027-01-10T19:00:00"
    assert segment.departure.terminal == "4"
    assert segment.duration_minutes == 425
    assert segment.aircraft == "BOEING 787-9"
    assert segment.cabin is domain.CabinClass.ECONOMY
    assert offer.sources == (domain.OfferSource("amadeus", "1", offer.price),)


async def test_request_parameters_and_token_exchange(provider: AmadeusProvider) -> None:
    query = domain.FlightQuery(
        origin="JFK",
        destination="LHR",
        departure_date=date(2027, 1, 10),
        return_date=date(2027, 1, 20),
        adults=2,
        children=1,
        infants=1,
        cabin=domain.CabinClass.BUSINESS,
        non_stop=True,
        currency="USD",
        max_price=Decimal("999.50"),
    )
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body("abc"))
        mocked.get(FLIGHTS_URL, payload={"data": []}, content_type=AMADEUS_JSON)
        assert await provider.search_flights(query) == []

        [token_call] = calls(mocked, "POST", TOKEN_URL)
        assert token_call.kwargs["data"] == {
            "grant_type": "client_credentials",
            "client_id": "id-1",
            "client_secret": "s3cret",
        }
        [(key, [search_call])] = [
            (k, v) for k, v in mocked.requests.items() if str(k[1]).startswith(f"{BASE}/v2/")
        ]
        assert search_call.kwargs["headers"]["Authorization"] == "Bearer abc"
        sent = parse_qs(URL(str(key[1])).query_string)
        assert {k: v[0] for k, v in sent.items()} == {
            "originLocationCode": "JFK",
            "destinationLocationCode": "LHR",
            "departureDate": "2027-01-10",
            "returnDate": "2027-01-20",
            "adults": "2",
            "children": "1",
            "infants": "1",
            "travelClass": "BUSINESS",
            "nonStop": "true",
            "currencyCode": "USD",
            "maxPrice": "1000",
            "max": "100",
        }


async def test_children_are_counted_in_amadeus_bands(provider: AmadeusProvider) -> None:
    """Ages, as Amadeus's fares count them: 12 and over at the adult fare, 2 to 11 children,
    0 and 1 on a lap."""
    query = domain.FlightQuery(
        origin="JFK",
        destination="LHR",
        departure_date=date(2027, 1, 10),
        adults=2,
        children_ages=(1, 4, 9, 13),
    )
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(FLIGHTS_URL, payload={"data": []}, content_type=AMADEUS_JSON)
        await provider.search_flights(query)
        [url] = [u for (m, u) in mocked.requests if m == "GET"]
    sent = {k: v[0] for k, v in parse_qs(URL(str(url)).query_string).items()}
    assert (sent["adults"], sent["children"], sent["infants"]) == ("3", "2", "1")


async def test_token_is_cached_between_searches(provider: AmadeusProvider) -> None:
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(FLIGHTS_URL, payload=FLIGHT_OFFERS, repeat=True)
        for _ in range(3):
            await provider.search_flights(QUERY)
        assert len(calls(mocked, "POST", TOKEN_URL)) == 1
    assert provider.tokens.fetch_count == 1


async def test_one_token_refresh_however_many_concurrent_searches(
    provider: AmadeusProvider,
) -> None:
    async def slow_token(url: URL, **kwargs: Any) -> CallbackResult:
        await asyncio.sleep(0.05)
        return CallbackResult(payload=token_body())

    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, callback=slow_token, repeat=True)
        mocked.get(FLIGHTS_URL, payload=FLIGHT_OFFERS, repeat=True)
        results = await asyncio.gather(*(provider.search_flights(QUERY) for _ in range(20)))
        assert len(calls(mocked, "POST", TOKEN_URL)) == 1
    assert all(len(result) == 1 for result in results)


async def test_token_refreshed_shortly_before_expiry(session: aiohttp.ClientSession) -> None:
    now = [1000.0]
    provider = AmadeusProvider(
        session, AmadeusConfig(client_id="a", client_secret="b", base_url=BASE, rate_limit=0)
    )
    provider.tokens._clock = lambda: now[0]
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body("first", expires_in=100))
        mocked.post(TOKEN_URL, payload=token_body("second", expires_in=100))
        mocked.get(FLIGHTS_URL, payload=FLIGHT_OFFERS, repeat=True)
        await provider.search_flights(QUERY)
        now[0] += 60  # 40 s left: still fresh
        await provider.search_flights(QUERY)
        now[0] += 15  # 25 s left: inside the refresh margin
        await provider.search_flights(QUERY)
        searches = [
            call.kwargs["headers"]["Authorization"]
            for (m, u), found in mocked.requests.items()
            if m == "GET"
            for call in found
        ]
    assert searches == ["Bearer first", "Bearer first", "Bearer second"]


async def test_401_refreshes_the_token_and_retries_once(provider: AmadeusProvider) -> None:
    expired = {"errors": [{"code": 38192, "title": "Access token expired", "status": 401}]}
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body("old"))
        mocked.post(TOKEN_URL, payload=token_body("new"))
        mocked.get(FLIGHTS_URL, status=401, payload=expired)
        mocked.get(FLIGHTS_URL, payload=FLIGHT_OFFERS)
        offers = await provider.search_flights(QUERY)
        auth = [
            call.kwargs["headers"]["Authorization"]
            for (m, _), found in mocked.requests.items()
            if m == "GET"
            for call in found
        ]
    assert len(offers) == 1
    assert auth == ["Bearer old", "Bearer new"]


async def test_persistent_401_is_an_error_without_secrets(provider: AmadeusProvider) -> None:
    invalid = {"errors": [{"code": 38190, "title": "Invalid access token", "status": 401}]}
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body("t1"), repeat=True)
        mocked.get(FLIGHTS_URL, status=401, payload=invalid, repeat=True)
        with pytest.raises(UpstreamStatusError) as caught:
            await provider.search_flights(QUERY)
        assert len([c for (m, _), v in mocked.requests.items() if m == "GET" for c in v]) == 2
    assert caught.value.message == "amadeus refused the gateway's credentials (HTTP 401)"
    assert caught.value.detail == "Invalid access token (code 38190)"
    for text in (caught.value.message, caught.value.detail):
        assert "t1" not in text
        assert "s3cret" not in text


async def test_token_endpoint_refusal(provider: AmadeusProvider) -> None:
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, status=401, payload={"error": "invalid_client", "code": 38187})
        with pytest.raises(UpstreamStatusError, match="amadeus refused the gateway's credentials"):
            await provider.search_flights(QUERY)


async def test_error_body_is_summarised(provider: AmadeusProvider) -> None:
    body = {
        "errors": [
            {
                "status": "400",
                "code": "477",
                "title": "INVALID FORMAT",
                "detail": "secret detail http://internal",
                "source": {"parameter": "departureDate"},
            }
        ]
    }
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(FLIGHTS_URL, status=400, payload=body)
        with pytest.raises(UpstreamStatusError) as caught:
            await provider.search_flights(QUERY)
    assert caught.value.message == "amadeus rejected the search (HTTP 400)"
    assert caught.value.detail == "INVALID FORMAT (code 477)"  # never the free-text detail


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>oops</html>", "amadeus response is not valid JSON"),
        (b'{"data": [{"id": 1}]}', "unexpected shape"),
        (b'{"data": {"not": "a list"}}', "unexpected shape"),
        (
            b'{"data": [{"id": "1", "itineraries": [],'
            b' "price": {"currency": "EUR", "total": "1"}}]}',
            "has no itineraries",
        ),
        (b'{"data": [', "not valid JSON"),
    ],
)
async def test_malformed_bodies(provider: AmadeusProvider, body: bytes, message: str) -> None:
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(FLIGHTS_URL, body=body, content_type=AMADEUS_JSON)
        with pytest.raises(MalformedResponse) as caught:
            await provider.search_flights(QUERY)
    # Clients see a fixed phrase; the specifics are in the detail, for the log.
    assert message in f"{caught.value.message} {caught.value.detail}"


def hotel_list(count: int) -> dict[str, Any]:
    return {
        "data": [
            {
                "hotelId": f"HTPAR{i:03d}",
                "name": f"Hotel {i}",
                "chainCode": "HT",
                "iataCode": "PAR",
                "geoCode": {"latitude": 48.85, "longitude": 2.35},
                "distance": {"value": 1.5, "unit": "KM"},
                "rating": 4,  # in live answers, in no definition: read (LIVE_ONLY)
            }
            for i in range(count)
        ]
    }


def hotel_offers_for(ids: list[str]) -> dict[str, Any]:
    return {
        "data": [
            {
                "type": "hotel-offers",
                "available": True,
                "hotel": {"hotelId": hotel_id, "name": f"HOTEL {hotel_id}", "cityCode": "PAR"},
                "offers": [
                    {
                        "id": f"OFR-{hotel_id}",
                        "checkInDate": "2027-01-10",
                        "checkOutDate": "2027-01-12",
                        "boardType": "ROOM_ONLY",
                        "room": {"description": {"text": "Double room", "lang": "EN"}},
                        "price": {"currency": "EUR", "total": "230.00"},
                        "policies": {"cancellations": [{"type": "FULL_STAY"}]},
                    }
                ],
            }
            for hotel_id in ids
        ]
    }


async def test_hotels_are_fetched_in_concurrent_batches_of_20(
    session: aiohttp.ClientSession,
) -> None:
    provider = AmadeusProvider(
        session,
        AmadeusConfig(client_id="a", client_secret="b", base_url=BASE, max_hotels=45, rate_limit=0),
    )
    in_flight = 0
    most_in_flight = 0
    batches: list[list[str]] = []

    async def offers(url: URL, **kwargs: Any) -> CallbackResult:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        ids = kwargs["params"]["hotelIds"].split(",")
        batches.append(ids)
        return CallbackResult(payload=hotel_offers_for(ids), content_type=AMADEUS_JSON)

    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(BY_CITY_URL, payload=hotel_list(50))
        mocked.get(HOTEL_OFFERS_URL, callback=offers, repeat=True)
        results = await provider.search_hotels(HOTEL_QUERY)

    assert sorted(len(batch) for batch in batches) == [5, 20, 20]
    assert most_in_flight == 3
    assert len(results) == 45
    offer = results[0]
    assert offer.hotel.distance_km == 1.5
    assert offer.hotel.location == domain.GeoPoint(48.85, 2.35)  # the list's geoCode
    assert offer.hotel.rating == 4  # the list's `rating`, as live answers give it
    assert offer.rooms[0].refundable is False  # FULL_STAY, no deadline
    assert offer.price == domain.Money(Decimal("230.00"), "EUR")


async def test_a_failing_batch_is_the_provider_failing(session: aiohttp.ClientSession) -> None:
    """Found while adding Duffel's rate fetches: a batch failing inside the TaskGroup surfaced as
    an ExceptionGroup, which the fan-out reports as an internal error, not the provider's 500."""
    provider = AmadeusProvider(
        session,
        AmadeusConfig(client_id="a", client_secret="b", base_url=BASE, max_hotels=45, rate_limit=0),
    )
    served = 0

    async def offers(url: URL, **kwargs: Any) -> CallbackResult:
        nonlocal served
        served += 1
        if served == 2:
            return CallbackResult(status=500, payload={"errors": [{"title": "SYSTEM ERROR"}]})
        ids = kwargs["params"]["hotelIds"].split(",")
        return CallbackResult(payload=hotel_offers_for(ids), content_type=AMADEUS_JSON)

    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(BY_CITY_URL, payload=hotel_list(50))
        mocked.get(HOTEL_OFFERS_URL, callback=offers, repeat=True)
        with pytest.raises(UpstreamStatusError) as caught:
            await provider.search_hotels(HOTEL_QUERY)
    assert caught.value.message == "amadeus server error (HTTP 500)"


async def test_hotel_parameters(provider: AmadeusProvider) -> None:
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(BY_CITY_URL, payload=hotel_list(1))
        mocked.get(HOTEL_OFFERS_URL, payload={"data": []})
        assert await provider.search_hotels(HOTEL_QUERY) == []
        sent = [
            dict(parse_qs(URL(str(u)).query_string)) for (m, u) in mocked.requests if m == "GET"
        ]
    assert sent[0] == {"cityCode": ["PAR"]}
    assert sent[1] == {
        "hotelIds": ["HTPAR000"],
        "checkInDate": ["2027-01-10"],
        "checkOutDate": ["2027-01-12"],
        "adults": ["2"],
        "roomQuantity": ["1"],
        "bestRateOnly": ["false"],
    }


async def test_hotel_adults_are_sent_per_room(provider: AmadeusProvider) -> None:
    """Hotel Search v3's `adults` is "Number of adult guests (1-9) per room": 5 adults in 2
    rooms (3 and 2) ask for rooms of 3, never `adults=5` (which would mean 10 guests)."""
    query = domain.HotelQuery(
        city_code="PAR", check_in=date(2027, 1, 10), check_out=date(2027, 1, 12), adults=5, rooms=2
    )
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(BY_CITY_URL, payload=hotel_list(1))
        mocked.get(HOTEL_OFFERS_URL, payload={"data": []})
        await provider.search_hotels(query)
        [offers_url] = [u for (m, u) in mocked.requests if m == "GET" and "/v3/" in str(u)]
    sent = parse_qs(URL(str(offers_url)).query_string)
    assert (sent["adults"], sent["roomQuantity"]) == (["3"], ["2"])


@pytest.mark.parametrize(
    ("base_url", "mode"),
    [
        ("https://test.travel.api.amadeus.com", "test"),
        ("https://travel.api.amadeus.com", "live"),
        ("https://amadeus.test.example.com", "test"),
    ],
)
def test_mode_follows_the_host(base_url: str, mode: str) -> None:
    session: Any = None
    assert AmadeusProvider(session, AmadeusConfig("a", "b", base_url=base_url)).info().mode == mode


async def test_bursts_queue_behind_the_rate_limit(session: aiohttp.ClientSession) -> None:
    provider = AmadeusProvider(session, AmadeusConfig("a", "b", base_url=BASE, rate_limit=20))
    sent_at: list[float] = []

    async def record(url: URL, **kwargs: Any) -> CallbackResult:
        sent_at.append(asyncio.get_running_loop().time())
        return CallbackResult(payload={"data": []}, content_type=AMADEUS_JSON)

    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(FLIGHTS_URL, callback=record, repeat=True)
        await asyncio.gather(*(provider.search_flights(QUERY) for _ in range(6)))
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent_at)]
    # 20 per second: one request every 50 ms, token call included, never two at once.
    assert len(sent_at) == 6
    assert min(gaps) >= 0.04


async def test_tokens_and_secrets_never_reach_the_logs(
    provider: AmadeusProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    invalid = {"errors": [{"code": 38190, "title": "Invalid access token", "status": 401}]}
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body("tok-VERY-SECRET"), repeat=True)
        mocked.get(FLIGHTS_URL, payload=FLIGHT_OFFERS)
        mocked.get(FLIGHTS_URL, status=401, payload=invalid, repeat=True)
        await provider.search_flights(QUERY)
        with pytest.raises(UpstreamStatusError):
            await provider.search_flights(QUERY)
    assert "amadeus access token obtained" in caplog.text  # logging did happen
    assert "tok-VERY-SECRET" not in caplog.text
    assert "s3cret" not in caplog.text


def branded_offer() -> dict[str, Any]:
    """The spec's 2.9.1 example fields plus what live answers add (providers.md, section 4:
    `brandedFareLabel` and `includedCabinBags`, in no definition and read where present;
    `amenities`, not read):
    two adults, a child and a held infant, a brand per segment, bags by weight."""
    offer = copy.deepcopy(FLIGHT_OFFERS["data"][0])
    offer["price"] = {
        "currency": "EUR",
        "total": "1230.60",
        "base": "900.00",
        "fees": [{"amount": "0.00", "type": "SUPPLIER"}, {"amount": "0.00", "type": "TICKETING"}],
        "grandTotal": "1230.60",
    }
    details = {
        "segmentId": "1",
        "cabin": "PREMIUM_ECONOMY",
        "fareBasis": "VLRSTU1",
        "brandedFare": "ECOST",
        "brandedFareLabel": "ECOSTANDARD",
        "class": "U",
        "includedCheckedBags": {"weight": 35, "weightUnit": "KG"},
        "includedCabinBags": {"weight": 7, "weightUnit": "KG"},
        "amenities": [{"description": "PRE RESERVED SEAT ASSIGNMENT", "isChargeable": True}],
    }
    infant = {"segmentId": "1", "cabin": "PREMIUM_ECONOMY", "class": "U", "fareBasis": "VLRSTU1"}
    offer["travelerPricings"] = [
        {"travelerId": "1", "fareOption": "STANDARD", "travelerType": "ADULT",
         "price": {"currency": "EUR", "total": "410.20", "base": "300.00"},
         "fareDetailsBySegment": [details]},
        {"travelerId": "2", "fareOption": "STANDARD", "travelerType": "ADULT",
         "price": {"currency": "EUR", "total": "410.20", "base": "300.00"},
         "fareDetailsBySegment": [details]},
        {"travelerId": "3", "fareOption": "STANDARD", "travelerType": "CHILD",
         "price": {"currency": "EUR", "total": "369.18", "base": "270.00"},
         "fareDetailsBySegment": [details]},
        {"travelerId": "4", "fareOption": "STANDARD", "travelerType": "HELD_INFANT",
         "price": {"currency": "EUR", "total": "41.02", "base": "30.00"},
         "fareDetailsBySegment": [infant]},
    ]  # fmt: skip
    return offer


async def test_fare_fields_are_mapped(provider: AmadeusProvider) -> None:
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        answer = {**FLIGHT_OFFERS, "data": [branded_offer()]}
        mocked.get(FLIGHTS_URL, payload=answer, content_type=AMADEUS_JSON)
        [offer] = await provider.search_flights(QUERY)

    [fare] = offer.fares
    eur = functools.partial(domain.Money, currency="EUR")
    # The label live answers add (in no definition: read where present, wire.py LIVE_ONLY).
    assert fare.brand_name == "ECOSTANDARD"
    assert fare.price == eur(Decimal("1230.60"))
    assert fare.segments == (domain.FareSegment(domain.CabinClass.PREMIUM_ECONOMY, "U", "VLRSTU1"),)
    assert fare.included_checked_bags == domain.BagAllowance(weight=35, weight_unit="KG")
    assert fare.included_cabin_bags == domain.BagAllowance(weight=7, weight_unit="KG")
    # Flight Offers Search states no conditions and no emissions: unknown, not "not allowed".
    assert fare.refund == domain.FareCondition(allowed=None, penalty=None)
    assert fare.change == domain.FareCondition(allowed=None, penalty=None)
    assert fare.co2_kg is None
    [source] = fare.sources
    assert source == domain.FareSource(
        provider="amadeus",
        offer_id="1",
        price=eur(Decimal("1230.60")),
        base=eur(Decimal("900.00")),
        taxes=eur(Decimal("330.60")),  # total less base: the search does not itemise taxes
        per_traveller=(
            domain.TravellerPrice(domain.TravellerType.ADULT, 2, eur(Decimal("410.20"))),
            domain.TravellerPrice(domain.TravellerType.CHILD, 1, eur(Decimal("369.18"))),
            domain.TravellerPrice(domain.TravellerType.INFANT, 1, eur(Decimal("41.02"))),
        ),
        expires_at=None,  # lastTicketingDate is a day without a zone, not an instant
        last_ticketing_date=date(2027, 1, 1),
        quote=source.quote,  # the offer's JSON, for re-pricing: tests/test_repricing_wire.py
    )


async def test_fare_fields_amadeus_leaves_out_are_unknown(provider: AmadeusProvider) -> None:
    """No brand, no bags, no fare basis, no per-traveller price: each None or empty, never a
    guessed default; bags by quantity, and `taxes` summed where Amadeus lists them."""
    offer = copy.deepcopy(FLIGHT_OFFERS["data"][0])
    offer["price"] = {"currency": "EUR", "total": "410.20"}
    offer["travelerPricings"] = [
        {"travelerId": "1", "travelerType": "ADULT",
         "fareDetailsBySegment": [{"segmentId": "1", "cabin": "ECONOMY"}]},
    ]  # fmt: skip
    bagged = copy.deepcopy(FLIGHT_OFFERS["data"][0])
    bagged["id"] = "2"
    bagged["price"]["taxes"] = [{"amount": "80.20", "code": "GB"}, {"amount": "30.00"}]
    bagged["travelerPricings"][0]["fareDetailsBySegment"][0]["includedCheckedBags"] = {
        "quantity": 0
    }
    bagged["travelerPricings"].append(
        {"travelerId": "2", "travelerType": "SENIOR", "price": {"total": "300.00"},
         "fareDetailsBySegment": []}
    )  # fmt: skip
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        answer = {**FLIGHT_OFFERS, "data": [offer, bagged]}
        mocked.get(FLIGHTS_URL, payload=answer, content_type=AMADEUS_JSON)
        bare, with_bags = await provider.search_flights(QUERY)

    [fare] = bare.fares
    assert fare.brand_name is None
    assert fare.segments == (domain.FareSegment(domain.CabinClass.ECONOMY, None, None),)
    assert fare.included_checked_bags is None
    assert fare.included_cabin_bags is None
    [source] = fare.sources
    assert source.base is None
    assert source.taxes is None
    assert source.per_traveller == ()  # a traveller without a price: no split at all
    [fare] = with_bags.fares
    assert fare.included_checked_bags == domain.BagAllowance(quantity=0)
    assert fare.sources[0].taxes == domain.Money(Decimal("110.20"), "EUR")
    assert fare.sources[0].per_traveller == ()  # SENIOR is no type of ours: no partial split
