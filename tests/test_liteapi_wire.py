"""Exact wire exchanges with LiteAPI v3.0, replayed by aioresponses.

Fixtures are written here in the shapes of LiteAPI's OpenAPI spec (liteapi-travel/mcp-server,
`openapi-schemas/search.json` and `static.json`): amounts are JSON numbers, `offerRetailRate` an
object in the examples and a list in the schema, "no availability" is error 2001. Selling prices
and the prebook: tests/test_liteapi_prices.py; against the definitions themselves:
tests/test_contract_liteapi.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from gateway import domain
from gateway.env import ConfigError
from gateway.providers.deadline import deadline_in
from gateway.providers.errors import MalformedResponse, UpstreamStatusError
from gateway.providers.liteapi import LiteApiConfig, LiteApiProvider, spec
from gateway.providers.liteapi.adapter import occupancies, rates_timeout_s
from simulators.liteapi import spec as simulator_spec

pytestmark = pytest.mark.unit

RATES = "https://api.liteapi.travel/v3.0/hotels/rates"
HOTELS = re.compile(r"^https://api\.liteapi\.travel/v3\.0/data/hotels\?.*$")
KEY = "sand_0f3a7c2e-5b1d-4e8a-9c6f-2d4b8a1e7f90"

PARIS = domain.GeoPoint(48.85341, 2.3488)
QUERY = domain.HotelQuery(
    city_code="PAR",
    check_in=date(2027, 1, 15),
    check_out=date(2027, 1, 17),
    adults=3,
    rooms=2,
    currency="GBP",
    centre=PARIS,
)
FAMILY = domain.HotelQuery(
    city_code="PAR",
    check_in=date(2027, 1, 15),
    check_out=date(2027, 1, 17),
    adults=2,
    rooms=1,
    currency="EUR",
    centre=PARIS,
    children_ages=(1, 4, 9),
)


def rate(
    occupancy: int, amount: float, board: str = "RO", tag: str = "NRFN", name: str = "Double Room"
) -> dict[str, Any]:
    """One occupancy's rate, as the spec's example writes it."""
    return {
        "rateId": f"I42F{occupancy}",
        "occupancyNumber": occupancy,
        "name": name,
        "maxOccupancy": 2,
        "adultCount": 2,
        "childCount": 0,
        "childrenAges": [],
        "boardType": board,
        "boardName": {"RO": "Room Only", "BI": "Breakfast Included", "HB": "Half Board"}[board],
        "remarks": "",
        "priceType": "commission",
        "commission": [{"amount": 6.28, "currency": "GBP"}],
        "retailRate": {
            "total": [{"amount": amount, "currency": "GBP"}],
            "suggestedSellingPrice": [{"amount": amount, "currency": "GBP", "source": "x"}],
            "initialPrice": [{"amount": amount, "currency": "GBP"}],
            "taxesAndFees": [
                {"included": True, "description": "Tax", "amount": 1.62, "currency": "GBP"}
            ],
        },
        "cancellationPolicies": {
            "cancelPolicyInfos": [
                {
                    "cancelTime": "2027-01-13 12:00:00",
                    "amount": amount,
                    "currency": "GBP",
                    "type": "amount",
                    "timezone": "GMT",
                }
            ],
            "hotelRemarks": [],
            "refundableTag": tag,
        },
        "paymentTypes": ["NUITEE_PAY"],
    }


RATES_ANSWER: dict[str, Any] = {
    "data": [
        {
            "hotelId": "lp1897",
            "roomTypes": [
                {  # two rooms, breakfast, refundable; the total as an object (the examples)
                    "roomTypeId": "GQ2TOLJWGI4TK",
                    "offerId": "GE5ESNBSIZKVMQ2QJJNEERSPKIZEMR2O",
                    "supplier": "nuitee",
                    "supplierId": 2,
                    "rates": [
                        rate(1, 160.1, "BI", "RFN", "Superior King - Breakfast"),
                        rate(2, 160.2, "BI", "RFN", "Superior King - Breakfast"),
                    ],
                    "offerRetailRate": {"amount": 320.3, "currency": "GBP"},
                    "suggestedSellingPrice": {"amount": 340.0, "currency": "GBP"},
                    "offerInitialPrice": {"amount": 320.3, "currency": "GBP"},
                    "priceType": "commission",
                    "rateType": "standard",
                },
                {  # room only, not refundable; the total as a list (the schema)
                    "offerId": "GE5ESNKNKZKVEQ2OJJLEMRSRKIZE4R2O",
                    "rates": [rate(1, 120.05), rate(2, 120.05)],
                    "offerRetailRate": [{"amount": 240.1, "currency": "GBP"}],
                    "rateType": "standard",
                },
                {  # no offerRetailRate: the rooms' totals add up (exactly, in Decimal)
                    "offerId": "GE5ESNKHKZJVMQ2OJRDEUQWTCMRN",
                    "rates": [rate(1, 150.1, "HB", "RFN"), rate(2, 150.2, "HB", "NRFN")],
                },
                {  # a package without an offerId, as LiteAPI's captures show: not bookable
                    "roomTypeId": "GMYS2MJQGU3DCN34",
                    "rates": [
                        {
                            "rateId": "",
                            "occupancyNumber": 0,
                            "boardType": "",
                            "retailRate": {"total": None, "taxesAndFees": None},
                            "cancellationPolicies": {"cancelPolicyInfos": None},
                        }
                    ],
                    "offerRetailRate": {"amount": 99.0, "currency": "GBP"},
                    "rateType": "package",
                },
            ],
        },
        {
            "hotelId": "lp42fec",
            "roomTypes": [
                {
                    "offerId": "GE5ESNBSIZKVEQ6GY4BRHFRTSML4",
                    "rates": [rate(1, 90), rate(2, 90)],
                    "offerRetailRate": {"amount": 180, "currency": "GBP"},
                }
            ],
        },
        {"hotelId": "lp0full", "roomTypes": []},
    ],
    "guestLevel": 0,
    "sandbox": True,
    "hotels": [
        {
            "id": "lp1897",
            "name": "Hôtel Lutetia",
            "main_photo": "https://static.cupid.travel/hotels/1.jpg",
            "address": "45 Boulevard Raspail",
            "country_code": "FR",
            "city_name": "Paris",
            "latitude": 48.85115,
            "longitude": 2.32734,
            "rating": 9.1,
            "stars": 5,
            "review_count": 1234,
        },
        {
            "id": "lp42fec",
            "name": "Le Petit Paris",
            "latitude": 48.8455,
            "longitude": 2.3432,
            "rating": 8.5,
            "stars": 3.5,
        },
    ],
}


@pytest.fixture
async def provider() -> AsyncIterator[LiteApiProvider]:
    async with aiohttp.ClientSession() as session:
        yield LiteApiProvider(session, LiteApiConfig(api_key=KEY, rate_limit=None))


def calls(mocked: aioresponses) -> list[tuple[str, URL, Any]]:
    return [(method, url, call) for (method, url), sent in mocked.requests.items() for call in sent]


async def test_rates_request_wire_format(provider: LiteApiProvider) -> None:
    with aioresponses() as mocked:
        mocked.post(RATES, status=204)
        with deadline_in(8.0):
            assert await provider.search_hotels(QUERY) == []
        [(method, url, call)] = calls(mocked)

    assert method == "POST"
    assert str(url) == RATES
    assert call.kwargs["headers"] == {
        "X-API-Key": KEY,
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    assert json.loads(call.kwargs["data"]) == {
        "occupancies": [{"adults": 2}, {"adults": 1}],  # no children: `children` left out
        "currency": "GBP",
        "guestNationality": "US",
        "checkin": "2027-01-15",
        "checkout": "2027-01-17",
        "latitude": 48.85341,
        "longitude": 2.3488,
        "radius": 10000,
        "limit": 100,
        "maxRatesPerHotel": 5,
        "includeHotelData": True,
        "timeout": 6,
    }


async def test_nationality_and_base_url_come_from_settings() -> None:
    config = spec.from_env(
        {
            "LITEAPI_API_KEY": KEY,
            "LITEAPI_GUEST_NATIONALITY": " fr ",
            "LITEAPI_BASE_URL": "https://liteapi.example/v3.0/",
        }
    )
    assert config is not None
    async with aiohttp.ClientSession() as session:
        provider = LiteApiProvider(session, config)
        with aioresponses() as mocked:
            mocked.post("https://liteapi.example/v3.0/hotels/rates", status=204)
            await provider.search_hotels(QUERY)
            [(_, url, call)] = calls(mocked)
    assert str(url) == "https://liteapi.example/v3.0/hotels/rates"
    assert json.loads(call.kwargs["data"])["guestNationality"] == "FR"


@pytest.mark.parametrize(
    ("remaining", "sent"),
    [(None, 12), (60.0, 12), (8.0, 6), (7.99, 6), (3.0, 1), (2.0, 1), (0.4, 1)],
)
def test_liteapi_timeout_fits_inside_our_deadline(remaining: float | None, sent: int) -> None:
    assert rates_timeout_s(remaining) == sent


@pytest.mark.parametrize(
    ("adults", "rooms", "split"),
    [
        (1, 1, [1]),
        (2, 1, [2]),
        (3, 2, [2, 1]),
        (5, 2, [3, 2]),
        (4, 4, [1, 1, 1, 1]),
        (7, 3, [3, 2, 2]),
    ],
)
def test_adults_are_spread_over_one_occupancy_per_room(
    adults: int, rooms: int, split: list[int]
) -> None:
    query = domain.HotelQuery("PAR", QUERY.check_in, QUERY.check_out, adults=adults, rooms=rooms)
    assert occupancies(query) == [{"adults": n} for n in split]


@pytest.mark.parametrize(
    ("adults", "rooms", "ages", "sent"),
    [
        (2, 1, (1, 4, 9), [{"adults": 2, "children": [1, 4, 9]}]),
        # Two rooms: adults first, one each; then each child, oldest first, where fewest sleep.
        (2, 2, (1, 4, 9), [{"adults": 1, "children": [1, 9]}, {"adults": 1, "children": [4]}]),
        (3, 2, (7,), [{"adults": 2}, {"adults": 1, "children": [7]}]),
        (1, 1, (0,), [{"adults": 1, "children": [0]}]),
        (2, 1, (17, 17), [{"adults": 2, "children": [17, 17]}]),
    ],
)
def test_each_room_carries_its_childrens_ages(
    adults: int, rooms: int, ages: tuple[int, ...], sent: list[dict[str, Any]]
) -> None:
    """LiteAPI's occupancy: `{"adults": n, "children": [ages]}`, one per room (search.json's
    `occupancies` items; `children` is an array of ages, not a count)."""
    query = domain.HotelQuery(
        "PAR", QUERY.check_in, QUERY.check_out, adults=adults, rooms=rooms, children_ages=ages
    )
    assert occupancies(query) == sent


async def test_a_family_search_sends_the_ages(provider: LiteApiProvider) -> None:
    with aioresponses() as mocked:
        mocked.post(RATES, payload={"error": {"code": 2001, "message": "no availability found"}})
        assert await provider.search_hotels(FAMILY) == []
        [(_, _, call)] = calls(mocked)
    assert json.loads(call.kwargs["data"])["occupancies"] == [{"adults": 2, "children": [1, 4, 9]}]


async def test_rates_are_mapped(provider: LiteApiProvider) -> None:
    with aioresponses() as mocked:
        mocked.post(RATES, payload=RATES_ANSWER)
        lutetia, petit = await provider.search_hotels(QUERY)
        assert len(calls(mocked)) == 1  # the answer had every hotel's details

    assert lutetia.id == "liteapi:lp1897"
    assert lutetia.hotel == domain.Hotel(
        id="liteapi:lp1897",
        name="Hôtel Lutetia",
        city_code="PAR",
        location=domain.GeoPoint(48.85115, 2.32734),
        rating=5,  # `stars`, not the guest score of 9.1
        address=domain.Address(line="45 Boulevard Raspail", city_name="Paris", country_code="FR"),
        review_score=domain.ReviewScore(9.1, 10.0, 1234),
    )
    # The cheapest room's price (what the traveller pays) and net price (retail less the
    # rooms' commissions, 2 × 6.28).
    assert lutetia.price == domain.Money(Decimal("240.1"), "GBP")
    assert lutetia.sources == (
        domain.OfferSource(
            "liteapi",
            "lp1897",
            domain.Money(Decimal("240.1"), "GBP"),
            domain.Money(Decimal("227.54"), "GBP"),
        ),
    )
    assert [
        (r.offer_id, r.price.amount, r.board_type, r.refundable, r.description)
        for r in lutetia.rooms
    ] == [
        (
            "GE5ESNBSIZKVMQ2QJJNEERSPKIZEMR2O",
            Decimal("340.0"),  # retail 320.3, but never below the suggested selling price
            domain.BoardType.BREAKFAST,
            True,
            "Superior King - Breakfast",
        ),
        (
            "GE5ESNKNKZKVEQ2OJJLEMRSRKIZE4R2O",
            Decimal("240.1"),
            domain.BoardType.ROOM_ONLY,
            False,
            "Double Room",
        ),
        (
            "GE5ESNKHKZJVMQ2OJRDEUQWTCMRN",
            Decimal("300.3"),
            domain.BoardType.HALF_BOARD,
            False,
            "Double Room",
        ),
    ]
    assert [r.net_price for r in lutetia.rooms] == [
        domain.Money(Decimal("307.74"), "GBP"),  # from the retail rate, not from the floor
        domain.Money(Decimal("227.54"), "GBP"),
        domain.Money(Decimal("287.74"), "GBP"),
    ]
    assert not any(r.markup_applies or r.rate_check_required for r in lutetia.rooms)
    # Each room's policy: free until 13 January noon GMT, then that room's amount; the offer is
    # free until the earliest and costs the sum. A non-refundable room has no free time at all.
    flexible, fixed, mixed = lutetia.rooms
    gmt_noon = datetime(2027, 1, 13, 12, tzinfo=UTC)
    assert flexible.free_cancellation_until == gmt_noon
    # Stated against the retail rate (all of its 320.3), paid in proportion at the floor's 340.
    assert flexible.cancellation_penalty == domain.Money(Decimal("340.00"), "GBP")
    assert (fixed.free_cancellation_until, mixed.free_cancellation_until) == (None, None)
    assert fixed.cancellation_penalty == domain.Money(Decimal("240.10"), "GBP")
    # Taxes: each room's included ones added up; none listed as payable at the hotel.
    assert flexible.included_taxes == domain.Money(Decimal("3.24"), "GBP")
    assert flexible.due_at_hotel is None
    assert flexible.price_per_night == domain.Money(Decimal("170.00"), "GBP")
    room = lutetia.rooms[0]
    assert (room.id, room.provider, room.check_in, room.check_out) == (
        "",
        "liteapi",
        date(2027, 1, 15),
        date(2027, 1, 17),
    )
    assert petit.hotel.rating == 3  # 3.5 stars: at least three
    assert petit.price == domain.Money(Decimal("180"), "GBP")


async def test_amounts_are_exact_decimals(provider: LiteApiProvider) -> None:
    """JSON numbers become Decimals digit for digit: 150.1 + 150.2 is 300.3, not 300.29999…"""
    with aioresponses() as mocked:
        mocked.post(RATES, payload=RATES_ANSWER)
        [lutetia, _] = await provider.search_hotels(QUERY)
    summed = lutetia.rooms[2].price.amount
    assert summed == Decimal("300.3")
    assert str(summed) == "300.3"
    assert 150.1 + 150.2 != 300.3  # what floats would have made of it


async def test_hotel_details_are_fetched_when_the_rates_lack_them(
    provider: LiteApiProvider,
) -> None:
    """LiteAPI's older answers list hotels by id, name, address and guest rating only: the
    coordinates (to measure and merge) and stars come from the static list, in one more call."""
    older = {
        **RATES_ANSWER,
        "hotels": [
            {"id": "lp1897", "name": "Hôtel Lutetia", "address": "45 Bd Raspail", "rating": 9.1},
            {"id": "lp42fec", "name": "Le Petit Paris", "latitude": 48.8455, "longitude": 2.3432},
        ],
    }
    static = {
        "data": [
            {
                "id": "lp1897",
                "name": "Hotel Lutetia",
                "hotelDescription": "…",
                "currency": "EUR",
                "country": "fr",
                "city": "Paris",
                "latitude": 48.85115,
                "longitude": 2.32734,
                "address": "45 Boulevard Raspail",
                "zip": "75006",
                "hotelTypeId": 204,
                "chainId": 0,
                "chain": "Not Available",
                "stars": 5,
                "rating": 9.1,
            }
        ],
        "hotelIds": ["lp1897"],
        "total": 1,
    }
    with aioresponses() as mocked:
        mocked.post(RATES, payload=older)
        mocked.get(HOTELS, payload=static)
        lutetia, petit = await provider.search_hotels(QUERY)
        sent = calls(mocked)

    assert [method for method, _, _ in sent] == ["POST", "GET"]
    _, url, call = sent[1]
    assert url.path == "/v3.0/data/hotels"
    assert dict(url.query) == {"hotelIds": "lp1897", "limit": "1"}  # only the one lacking them
    assert call.kwargs["headers"] == {"X-API-Key": KEY, "Accept": "application/json"}
    assert lutetia.hotel.location == domain.GeoPoint(48.85115, 2.32734)
    assert lutetia.hotel.rating == 5
    assert petit.hotel.location == domain.GeoPoint(48.8455, 2.3432)
    assert provider.upstream_calls("hotels") == 2


async def test_hotel_details_failing_fails_the_search(provider: LiteApiProvider) -> None:
    older = {**RATES_ANSWER, "hotels": []}
    with aioresponses() as mocked:
        mocked.post(RATES, payload=older)
        mocked.get(HOTELS, status=400, payload={"error": {"code": 4000, "message": "bad request"}})
        with pytest.raises(UpstreamStatusError) as caught:
            await provider.search_hotels(QUERY)
    assert caught.value.message == "liteapi rejected the search (HTTP 400)"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (204, None),  # where the spec declares it: a 204 carries no body
        (200, {"error": {"code": 2001, "message": "no availability found"}}),
        (404, {"error": {"code": 2001, "message": "no availability found"}}),
        (200, {"data": [], "guestLevel": 0, "sandbox": True}),
        (200, {"data": None, "sandbox": True}),
    ],
)
async def test_no_availability_is_an_empty_result(
    provider: LiteApiProvider, status: int, body: dict[str, Any] | None
) -> None:
    with aioresponses() as mocked:
        mocked.post(RATES, status=status, payload=body)
        assert await provider.search_hotels(QUERY) == []
        assert len(calls(mocked)) == 1


@pytest.mark.parametrize(
    ("status", "body", "message", "detail"),
    [
        (
            400,
            {
                "error": {
                    "code": 4000,
                    "description": "hotel ids not found",
                    "message": "bad request",
                }
            },
            "liteapi rejected the search (HTTP 400)",
            "4000 bad request hotel ids not found",
        ),
        (
            401,
            {"error": {"code": 401, "message": "Unauthorized"}},
            "liteapi refused the gateway's credentials (HTTP 401)",
            "401 Unauthorized",
        ),
        (
            500,
            {
                "error": {
                    "code": 500,
                    "message": "supplier call failed",
                    "description": f"X-API-Key={KEY} at https://internal.nuitee.example/r?key=abc",
                }
            },
            "liteapi server error (HTTP 500)",
            "500 supplier call failed X-API-Key=[redacted] at "
            "https://internal.nuitee.example/r?[redacted]",
        ),
        (502, b"<html>Bad Gateway</html>", "liteapi server error (HTTP 502)", None),
    ],
)
async def test_errors_reach_clients_as_fixed_phrases(
    provider: LiteApiProvider,
    status: int,
    body: dict[str, Any] | bytes,
    message: str,
    detail: str | None,
) -> None:
    with aioresponses() as mocked:
        if isinstance(body, bytes):
            mocked.post(RATES, status=status, body=body)
        else:
            mocked.post(RATES, status=status, payload=body)
        with pytest.raises(UpstreamStatusError) as caught:
            await provider.search_hotels(QUERY)
    assert caught.value.message == message
    assert caught.value.detail == detail
    assert KEY not in str(caught.value.detail)


async def test_rate_limited_is_retried_then_reported(provider: LiteApiProvider) -> None:
    limited = {"error": {"code": 429, "message": "Too many requests. Please try again later."}}
    with aioresponses() as mocked:
        mocked.post(RATES, status=429, payload=limited, headers={"Retry-After": "0"}, repeat=True)
        with pytest.raises(UpstreamStatusError) as caught:
            await provider.search_hotels(QUERY)
        assert len(calls(mocked)) == 3  # the first call and two retries
    assert caught.value.message == "liteapi rate limited the gateway (HTTP 429)"
    assert caught.value.detail == "429 Too many requests. Please try again later."


async def test_a_retry_after_429_can_succeed(provider: LiteApiProvider) -> None:
    limited = {"error": {"code": 429, "message": "Too many requests. Please try again later."}}
    with aioresponses() as mocked:
        mocked.post(RATES, status=429, payload=limited, headers={"Retry-After": "0"})
        mocked.post(RATES, payload=RATES_ANSWER)
        assert len(await provider.search_hotels(QUERY)) == 2
        assert len(calls(mocked)) == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "liteapi response is not valid JSON"),
        (b'{"data": [{"roomTypes": []}]}', "liteapi response has an unexpected shape"),
        (b'{"sandbox": true}', "liteapi response has an unexpected shape"),
        (
            b'{"data": [{"hotelId": "lp1", "roomTypes": [{"offerId": "x",'
            b' "offerRetailRate": {"amount": "cheap", "currency": "GBP"}}]}]}',
            "liteapi response has an unexpected shape",
        ),
        (
            b'{"error": {"code": 4000, "message": "bad request"}}',
            "liteapi answered an error with HTTP 200",
        ),
    ],
)
async def test_malformed_bodies(provider: LiteApiProvider, body: bytes, message: str) -> None:
    with aioresponses() as mocked:
        mocked.post(RATES, body=body)
        with pytest.raises(MalformedResponse) as caught:
            await provider.search_hotels(QUERY)
    assert caught.value.message == message


async def test_a_search_needs_the_city_centre(provider: LiteApiProvider) -> None:
    query = domain.HotelQuery("PAR", date(2027, 1, 15), date(2027, 1, 17))
    with aioresponses() as mocked:
        assert await provider.search_hotels(query) == []
        assert not mocked.requests


def test_mode_follows_the_key() -> None:
    session: Any = None
    assert LiteApiProvider(session, LiteApiConfig("sand_x")).info().mode == "test"
    assert LiteApiProvider(session, LiteApiConfig("prod_x")).info().mode == "live"
    simulated = LiteApiProvider(session, simulator_spec.simulated("http://127.0.0.1:9"))
    assert simulated.info().mode == "simulated"
    assert simulated.info().serves == ("hotels",)


def test_settings() -> None:
    assert spec.from_env({}) is None
    sandbox = spec.from_env({"LITEAPI_API_KEY": "sand_abc"})
    assert sandbox == LiteApiConfig(
        api_key="sand_abc",
        base_url="https://api.liteapi.travel/v3.0",
        book_base_url="https://book.liteapi.travel/v3.0",  # booking.json's `servers`
        guest_nationality="US",
        rate_limit=5.0,  # LiteAPI's published sandbox limit
    )
    booking = spec.from_env(
        {"LITEAPI_API_KEY": "sand_abc", "LITEAPI_BOOK_BASE_URL": "https://book.example/v3.0"}
    )
    assert booking is not None
    assert (booking.base_url, booking.book_base_url) == (
        "https://api.liteapi.travel/v3.0",
        "https://book.example/v3.0",
    )
    # A simulator serves both hosts' paths at its one base URL.
    simulated = simulator_spec.simulated("http://127.0.0.1:9")
    assert simulated.base_url == simulated.book_base_url == "http://127.0.0.1:9/v3.0"
    env = simulator_spec.simulated_env("http://127.0.0.1:9")
    assert env["LITEAPI_BASE_URL"] == env["LITEAPI_BOOK_BASE_URL"] == "http://127.0.0.1:9/v3.0"
    assert set(env) <= set(spec.VARIABLES)
    production = spec.from_env({"LITEAPI_API_KEY": "prod_abc"})
    assert production is not None
    assert production.rate_limit == 250.0
    unlimited = spec.from_env({"LITEAPI_API_KEY": "sand_abc", "LITEAPI_RATE_LIMIT": "0"})
    assert unlimited is not None
    assert unlimited.rate_limit == 0
    own = spec.from_env({"LITEAPI_API_KEY": "prod_abc", "LITEAPI_RATE_LIMIT": "20"})
    assert own is not None
    assert own.rate_limit == 20.0


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LITEAPI_RATE_LIMIT": "fast"}, "LITEAPI_RATE_LIMIT"),
        ({"LITEAPI_RATE_LIMIT": "-1"}, "LITEAPI_RATE_LIMIT"),
        ({"LITEAPI_GUEST_NATIONALITY": "UK"}, "the United Kingdom is GB"),
        ({"LITEAPI_GUEST_NATIONALITY": "USA"}, "LITEAPI_GUEST_NATIONALITY"),
        ({"LITEAPI_GUEST_NATIONALITY": "ZZ"}, "LITEAPI_GUEST_NATIONALITY"),
        ({"LITEAPI_BASE_URL": "api.liteapi.travel"}, "LITEAPI_BASE_URL"),
        ({"LITEAPI_BOOK_BASE_URL": "book.liteapi.travel"}, "LITEAPI_BOOK_BASE_URL"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        spec.from_env({"LITEAPI_API_KEY": KEY, **env})


async def test_the_rate_limit_is_applied() -> None:
    async with aiohttp.ClientSession() as session:
        config = spec.from_env({"LITEAPI_API_KEY": KEY})
        assert config is not None
        assert LiteApiProvider(session, config).http.rate_limit == 5.0
        off = spec.from_env({"LITEAPI_API_KEY": KEY, "LITEAPI_RATE_LIMIT": "0"})
        assert off is not None
        assert LiteApiProvider(session, off).http.rate_limit is None
