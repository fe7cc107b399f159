"""Exact wire exchanges with Duffel, replayed by aioresponses."""

from __future__ import annotations

import copy
import email.utils
import functools
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
from gateway.providers.deadline import deadline_in
from gateway.providers.duffel import DuffelConfig, DuffelProvider
from gateway.providers.duffel.adapter import MAX_RATE_FETCHES
from gateway.providers.duffel.ratelimit import RateWindow, RateWindowSpent
from gateway.providers.errors import MalformedResponse, Unsupported, UpstreamStatusError

pytestmark = pytest.mark.unit

OFFER_REQUESTS = re.compile(r"^https://api\.duffel\.com/air/offer_requests\?.*$")

OFFER = {
    "id": "off_0000A",
    "total_amount": "45.00",
    "total_currency": "GBP",
    "base_amount": "30.20",
    "tax_amount": "14.80",
    "owner": {"iata_code": "ZZ", "name": "Duffel Airways"},
    "slices": [
        {
            "duration": "PT02H26M",
            "origin": {"iata_code": "LHR"},
            "destination": {"iata_code": "JFK"},
            "segments": [
                {
                    "departing_at": "2027-01-10T16:38:00",
                    "arriving_at": "2027-01-10T19:04:00",
                    "origin": {"iata_code": "LHR"},
                    "destination": {"iata_code": "JFK"},
                    "origin_terminal": "5",
                    "duration": "PT02H26M",
                    "marketing_carrier": {"iata_code": "ZZ", "name": "Duffel Airways"},
                    "marketing_carrier_flight_number": "1234",
                    "operating_carrier": {"iata_code": "ZZ"},
                    "aircraft": {"name": "Airbus A380"},
                    "passengers": [{"cabin_class": "economy", "baggages": []}],
                }
            ],
        }
    ],
}


@pytest.fixture
async def provider() -> AsyncIterator[DuffelProvider]:
    async with aiohttp.ClientSession() as session:
        yield DuffelProvider(session, DuffelConfig(access_token="duffel_test_secret"))


def sent(mocked: aioresponses) -> tuple[URL, Any]:
    [((method, url), [call])] = mocked.requests.items()
    assert method == "POST"
    return url, call


async def test_offer_request_wire_format(provider: DuffelProvider) -> None:
    query = domain.FlightQuery(
        origin="LHR",
        destination="JFK",
        departure_date=date(2027, 1, 10),
        return_date=date(2027, 1, 17),
        adults=2,
        children_ages=(1, 7, 15),
        cabin=domain.CabinClass.PREMIUM_ECONOMY,
        non_stop=True,
    )
    with aioresponses() as mocked:
        mocked.post(OFFER_REQUESTS, payload={"data": {"offers": []}}, status=201)
        assert await provider.search_flights(query) == []
        url, call = sent(mocked)

    assert url.path == "/air/offer_requests"
    assert url.query["return_offers"] == "true"
    assert 2000 <= int(url.query["supplier_timeout"]) <= 60000
    headers = call.kwargs["headers"]
    assert headers["Duffel-Version"] == "v2"
    assert headers["Authorization"] == "Bearer duffel_test_secret"
    assert headers["Accept"] == "application/json"
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept-Encoding"] == "gzip"
    no_time = {"departure_time": None, "arrival_time": None}
    assert json.loads(call.kwargs["data"]) == {
        "data": {
            "slices": [
                {"origin": "LHR", "destination": "JFK", "departure_date": "2027-01-10", **no_time},
                {"origin": "JFK", "destination": "LHR", "departure_date": "2027-01-17", **no_time},
            ],
            # Duffel v2: `type` for adults only; everyone under 18 by `age`, never both (the
            # v1 types `child` and `infant_without_seat` are refused).
            "passengers": [
                {"type": "adult"},
                {"type": "adult"},
                {"age": 1},
                {"age": 7},
                {"age": 15},
            ],
            "cabin_class": "premium_economy",
            "max_connections": 0,
        }
    }


async def test_counts_without_ages_are_not_sent(provider: DuffelProvider) -> None:
    """Duffel refuses passengers without ages: a query with the deprecated counts (which the
    search layer refuses first) is UNSUPPORTED here, and nothing is sent."""
    assert DuffelProvider.children_by_age is True
    query = domain.FlightQuery(
        origin="LHR", destination="JFK", departure_date=date(2027, 1, 10), children=1
    )
    with aioresponses() as mocked:
        with pytest.raises(Unsupported) as refused:
            await provider.search_flights(query)
        assert not mocked.requests
    assert refused.value.status is domain.ProviderStatus.UNSUPPORTED
    assert refused.value.sent is False


async def test_offers_are_mapped(provider: DuffelProvider) -> None:
    query = domain.FlightQuery(origin="LHR", destination="JFK", departure_date=date(2027, 1, 10))
    with aioresponses() as mocked:
        mocked.post(OFFER_REQUESTS, payload={"data": {"offers": [OFFER]}}, status=201)
        [offer] = await provider.search_flights(query)
    assert offer.id == "duffel:off_0000A"
    assert offer.price == domain.Money(Decimal("45.00"), "GBP")
    assert offer.validating_carrier == domain.Carrier("ZZ", "Duffel Airways")
    [segment] = offer.itineraries[0].segments
    assert segment.flight_number == "1234"
    assert segment.duration_minutes == 146
    assert segment.departure.terminal == "5"
    assert segment.departure.at.isoformat() == "2027-01-10T16:38:00"
    assert segment.cabin is domain.CabinClass.ECONOMY
    assert segment.aircraft == "Airbus A380"
    assert offer.seats_available is None


BRANDED_OFFER: dict[str, Any] = {
    # The JS SDK's mock offer (providers.md, section 3), two slices and a child passenger.
    **OFFER,
    "id": "off_0000B",
    "total_emissions_kg": "460",
    "total_currency": "GBP",
    "total_amount": "45.00",
    "base_amount": "30.20",
    "base_currency": "GBP",
    "tax_amount": "14.80",
    "tax_currency": "GBP",
    "expires_at": "2020-01-17T10:42:14.545Z",
    "passengers": [
        {"id": "pas_0", "type": "adult", "age": None},
        {"id": "pas_1", "type": "child", "age": None},
    ],
    "conditions": {
        "refund_before_departure": {
            "penalty_currency": "GBP", "penalty_amount": "100.00", "allowed": True
        },
        "change_before_departure": {
            "penalty_currency": None, "penalty_amount": None, "allowed": False
        },
    },
    "slices": [
        {
            **OFFER["slices"][0],
            "fare_brand_name": "Basic",
            "segments": [
                {
                    **OFFER["slices"][0]["segments"][0],
                    "passengers": [
                        {
                            "passenger_id": "pas_0",
                            "cabin_class_marketing_name": "Economy Basic",
                            "cabin_class": "economy",
                            "baggages": [
                                {"type": "checked", "quantity": 1},
                                {"type": "carry_on", "quantity": 1},
                            ],
                            "fare_basis_code": "KLWC10A",
                        },
                        {
                            "passenger_id": "pas_1",
                            "cabin_class": "economy",
                            "baggages": [],
                            "fare_basis_code": "KLWC10A/CH",
                        },
                    ],
                }
            ],
        },
        {
            **OFFER["slices"][0],
            "fare_brand_name": "Basic",
            "segments": [
                {
                    **OFFER["slices"][0]["segments"][0],
                    "departing_at": "2027-01-17T09:00:00",
                    "arriving_at": "2027-01-17T21:00:00",
                    "passengers": [
                        {
                            "passenger_id": "pas_0",
                            "cabin_class": "economy",
                            "baggages": [
                                {"type": "checked", "quantity": 1},
                                {"type": "carry_on", "quantity": 1},
                            ],
                            "fare_basis_code": "KLWC10B",
                        }
                    ],
                }
            ],
        },
    ],
}  # fmt: skip


async def test_fare_fields_are_mapped(provider: DuffelProvider) -> None:
    query = domain.FlightQuery(origin="LHR", destination="JFK", departure_date=date(2027, 1, 10))
    with aioresponses() as mocked:
        mocked.post(OFFER_REQUESTS, payload={"data": {"offers": [BRANDED_OFFER]}}, status=201)
        [offer] = await provider.search_flights(query)

    gbp = functools.partial(domain.Money, currency="GBP")
    [fare] = offer.fares
    assert fare.brand_name == "Basic"
    assert fare.price == gbp(Decimal("45.00"))
    # Duffel has no booking class; the fare basis is the first (adult) passenger's.
    assert fare.segments == (
        domain.FareSegment(domain.CabinClass.ECONOMY, None, "KLWC10A"),
        domain.FareSegment(domain.CabinClass.ECONOMY, None, "KLWC10B"),
    )
    assert fare.included_checked_bags == domain.BagAllowance(quantity=1)
    assert fare.included_cabin_bags == domain.BagAllowance(quantity=1)
    assert fare.refund == domain.FareCondition(allowed=True, penalty=gbp(Decimal("100.00")))
    assert fare.change == domain.FareCondition(allowed=False, penalty=None)
    assert fare.co2_kg == Decimal(460)
    assert fare.sources == (
        domain.FareSource(
            provider="duffel",
            offer_id="off_0000B",
            price=gbp(Decimal("45.00")),
            base=gbp(Decimal("30.20")),
            taxes=gbp(Decimal("14.80")),
            per_traveller=(),  # Duffel prices the offer as a whole: nothing is invented
            expires_at=datetime(2020, 1, 17, 10, 42, 14, 545000, tzinfo=UTC),
        ),
    )


async def test_fare_fields_duffel_leaves_out_are_unknown(provider: DuffelProvider) -> None:
    """Null conditions, no brand, no emissions, no expiry, no tax split: None, never a default
    (Duffel's null condition means the airline did not say). An empty `baggages` is a list of
    no bags: none included."""
    bare = {
        **OFFER,
        "tax_amount": None,
        "conditions": {"refund_before_departure": None, "change_before_departure": None},
        "slices": [{**OFFER["slices"][0], "fare_brand_name": None}],
    }
    unlisted = copy.deepcopy(OFFER)
    unlisted["id"] = "off_0000C"
    del unlisted["slices"][0]["segments"][0]["passengers"][0]["baggages"]
    query = domain.FlightQuery(origin="LHR", destination="JFK", departure_date=date(2027, 1, 10))
    with aioresponses() as mocked:
        mocked.post(OFFER_REQUESTS, payload={"data": {"offers": [bare, unlisted]}}, status=201)
        first, second = await provider.search_flights(query)

    [fare] = first.fares
    assert fare.brand_name is None
    assert fare.refund == domain.FareCondition(allowed=None, penalty=None)
    assert fare.change == domain.FareCondition(allowed=None, penalty=None)
    assert fare.co2_kg is None
    assert fare.segments == (domain.FareSegment(domain.CabinClass.ECONOMY, None, None),)
    assert fare.included_checked_bags == domain.BagAllowance(quantity=0)
    assert fare.included_cabin_bags == domain.BagAllowance(quantity=0)
    [source] = fare.sources
    assert source.base == domain.Money(Decimal("30.20"), "GBP")
    assert source.taxes is None
    assert source.expires_at is None
    [fare] = second.fares
    assert fare.included_checked_bags is None
    assert fare.included_cabin_bags is None


async def test_error_body_is_summarised(provider: DuffelProvider) -> None:
    body = {
        "meta": {"status": 422, "request_id": "req_1"},
        "errors": [
            {
                "type": "validation_error",
                "title": "Field is invalid",
                "message": "secret internals",
                "code": "invalid",
            }
        ],
    }
    query = domain.FlightQuery(origin="LHR", destination="JFK", departure_date=date(2027, 1, 10))
    with aioresponses() as mocked:
        mocked.post(OFFER_REQUESTS, payload=body, status=422)
        with pytest.raises(UpstreamStatusError) as caught:
            await provider.search_flights(query)
    assert caught.value.message == "duffel rejected the search (HTTP 422)"
    assert caught.value.detail == "validation_error Field is invalid"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not valid JSON"),
        (b'{"data": {"offers": [{"id": "x"}]}}', "unexpected shape"),
        (
            b'{"data": {"offers": [{"id": "x", "total_amount": "12", "total_currency": 5,'
            b' "slices": []}]}}',
            "unexpected shape",
        ),
        (
            b'{"data": {"offers": [{"id": "x", "total_amount": "1", "total_currency": "EUR",'
            b' "slices": []}]}}',
            "has no slices",
        ),
    ],
)
async def test_malformed_bodies(provider: DuffelProvider, body: bytes, message: str) -> None:
    query = domain.FlightQuery(origin="LHR", destination="JFK", departure_date=date(2027, 1, 10))
    with aioresponses() as mocked:
        mocked.post(OFFER_REQUESTS, body=body, status=201)
        with pytest.raises(MalformedResponse) as caught:
            await provider.search_flights(query)
    assert message in f"{caught.value.message} {caught.value.detail}"


def test_mode_follows_the_token() -> None:
    session: Any = None
    assert DuffelProvider(session, DuffelConfig("duffel_test_x")).info().mode == "test"
    assert DuffelProvider(session, DuffelConfig("duffel_live_x")).info().mode == "live"


STAYS = re.compile(r"^https://api\.duffel\.com/stays/search$")
STAY_RESULT = {
    "id": "srr_1",
    "check_in_date": "2027-01-10",
    "check_out_date": "2027-01-12",
    "cheapest_rate_total_amount": "180.00",
    "cheapest_rate_currency": "GBP",
    "accommodation": {
        "id": "acc_1",
        "name": "Hotel Lutetia",
        "rating": 5,
        "chain": {"id": "chn_0000AWr2VsUNIF1Vl91xg0", "name": "Marriott International"},
        "location": {
            "geographic_coordinates": {"latitude": 48.851, "longitude": 2.327},
            "address": {"city_name": "Paris", "country_code": "FR"},
        },
        "rooms": [
            {
                "name": "Deluxe King",
                "rates": [
                    {
                        "id": "rat_1",
                        "total_amount": "180.00",
                        "total_currency": "GBP",
                        "board_type": "room_only",
                        "cancellation_timeline": [],
                        "estimated_commission_amount": "14.40",
                        "estimated_commission_currency": "GBP",
                    },
                    {
                        "id": "rat_2",
                        "total_amount": "210.00",
                        "total_currency": "GBP",
                        "board_type": "breakfast",
                        "cancellation_timeline": [
                            {"refund_amount": "210.00", "before": "2027-01-09T12:00:00Z"}
                        ],
                    },
                ],
            }
        ],
    },
}


async def test_stays_search_wire_format_and_mapping(provider: DuffelProvider) -> None:
    query = domain.HotelQuery(
        city_code="PAR",
        check_in=date(2027, 1, 10),
        check_out=date(2027, 1, 12),
        adults=3,
        rooms=2,
        centre=domain.GeoPoint(48.8566, 2.3522),
        children_ages=(3, 12),
    )
    with aioresponses() as mocked:
        mocked.post(STAYS, payload={"data": {"results": [STAY_RESULT]}})
        [offer] = await provider.search_hotels(query)
        url, call = sent(mocked)

    assert url.path == "/stays/search"
    assert call.kwargs["headers"]["Duffel-Version"] == "v2"
    assert json.loads(call.kwargs["data"]) == {
        "data": {
            "check_in_date": "2027-01-10",
            "check_out_date": "2027-01-12",
            "rooms": 2,
            # Room by room: two adults and the 3-year-old, an adult and the 12-year-old.
            "guests": [
                {"type": "adult"},
                {"type": "adult"},
                {"type": "child", "age": 3},
                {"type": "adult"},
                {"type": "child", "age": 12},
            ],
            "location": {
                "radius": 10.0,
                "geographic_coordinates": {"latitude": 48.8566, "longitude": 2.3522},
            },
        }
    }
    assert offer.hotel.name == "Hotel Lutetia"
    assert offer.hotel.location == domain.GeoPoint(48.851, 2.327)
    assert offer.hotel.chain_code is None  # Stays names a chain; it has no chain code
    gbp = functools.partial(domain.Money, currency="GBP")
    assert offer.price == gbp(Decimal("180.00"))
    cheap, dear = offer.rooms
    # What the traveller pays is the total; the seller pays it less Duffel's commission.
    assert (cheap.price, cheap.net_price, cheap.markup_applies) == (
        gbp(Decimal("180.00")),
        gbp(Decimal("165.60")),
        False,
    )
    assert (dear.price, dear.net_price) == (gbp(Decimal("210.00")), None)  # none stated
    assert offer.sources == (
        domain.OfferSource("duffel", "srr_1", gbp(Decimal("180.00")), gbp(Decimal("165.60"))),
    )
    assert [(r.board_type, r.refundable) for r in offer.rooms] == [
        (domain.BoardType.ROOM_ONLY, False),
        (domain.BoardType.BREAKFAST, True),
    ]


async def test_stays_needs_the_city_centre(provider: DuffelProvider) -> None:
    query = domain.HotelQuery("PAR", date(2027, 1, 10), date(2027, 1, 12))
    with aioresponses() as mocked:
        assert await provider.search_hotels(query) == []
        assert not mocked.requests


FETCH_RATES = re.compile(
    r"^https://api\.duffel\.com/stays/search_results/srr_2/actions/fetch_all_rates$"
)
HOTEL_QUERY = domain.HotelQuery(
    city_code="PAR",
    check_in=date(2027, 1, 10),
    check_out=date(2027, 1, 12),
    centre=domain.GeoPoint(48.8566, 2.3522),
)


async def test_results_without_rooms_get_their_rates_fetched(provider: DuffelProvider) -> None:
    """Stays results may come without rooms: their rates are fetched (`fetch_all_rates`), so
    those hotels are offered with rooms instead of being dropped."""
    bare = {**STAY_RESULT, "id": "srr_2"}
    bare["accommodation"] = {**STAY_RESULT["accommodation"], "id": "acc_2", "rooms": []}
    rooms = STAY_RESULT["accommodation"]["rooms"]  # type: ignore[index]
    full = {**bare, "accommodation": {**bare["accommodation"], "rooms": rooms}}
    with aioresponses() as mocked:
        mocked.post(STAYS, payload={"data": {"results": [STAY_RESULT, bare]}})
        mocked.post(FETCH_RATES, payload={"data": full})
        offers = await provider.search_hotels(HOTEL_QUERY)
        fetched = [url for (_, url) in mocked.requests if "fetch_all_rates" in url.path]
    assert len(fetched) == 1  # only the result that came without rooms
    assert len(offers) == 2
    assert all(offer.rooms for offer in offers)
    assert provider.upstream_calls("hotels") == 1 + MAX_RATE_FETCHES


async def test_a_failed_rates_fetch_fails_the_search_rather_than_drop_hotels(
    provider: DuffelProvider,
) -> None:
    bare = {**STAY_RESULT, "id": "srr_2"}
    bare["accommodation"] = {**STAY_RESULT["accommodation"], "rooms": []}
    with aioresponses() as mocked:
        mocked.post(STAYS, payload={"data": {"results": [bare]}})
        mocked.post(FETCH_RATES, status=500, payload={"errors": [{"type": "api_error"}]})
        with pytest.raises(UpstreamStatusError):
            await provider.search_hotels(HOTEL_QUERY)


async def test_supplier_timeout_stays_inside_the_deadline(provider: DuffelProvider) -> None:
    query = domain.FlightQuery(origin="LHR", destination="JFK", departure_date=date(2027, 1, 10))
    with aioresponses() as mocked:
        mocked.post(OFFER_REQUESTS, payload={"data": {"offers": []}}, repeat=True)
        await provider.search_flights(query)  # no deadline: the configured 7 s
        with deadline_in(4.0):
            await provider.search_flights(query)
        with deadline_in(0.5):
            await provider.search_flights(query)
        sent_timeouts = [
            int(url.query["supplier_timeout"]) for (_, url), calls in mocked.requests.items()
            for _ in calls
        ]  # fmt: skip
    assert sent_timeouts[0] == 7_000
    assert 2_000 <= sent_timeouts[1] <= 3_000  # 4 s left, less the margin for the answer
    assert sent_timeouts[2] == 2_000  # Duffel's floor


async def test_the_rate_window_is_honoured_before_calling() -> None:
    """Duffel's `ratelimit-remaining: 0` (or a 429) closes the window until `ratelimit-reset`:
    no call meanwhile, and the outcome says so (UNAVAILABLE, not an outage)."""
    now = [1_800_000_000.0]
    query = domain.FlightQuery(origin="LHR", destination="JFK", departure_date=date(2027, 1, 10))
    reset = email.utils.formatdate(now[0] + 30, usegmt=True)
    spent = {"ratelimit-limit": "60", "ratelimit-remaining": "0", "ratelimit-reset": reset}
    async with aiohttp.ClientSession() as session:
        provider = DuffelProvider(session, DuffelConfig(access_token="duffel_test_x"))
        provider.window = RateWindow(clock=lambda: now[0])
        with aioresponses() as mocked:
            mocked.post(OFFER_REQUESTS, payload={"data": {"offers": []}}, headers=spent)
            await provider.search_flights(query)
            with pytest.raises(RateWindowSpent) as caught:
                await provider.search_flights(query)  # nothing is sent
            assert sum(len(calls) for calls in mocked.requests.values()) == 1
            now[0] += 31
            mocked.post(OFFER_REQUESTS, payload={"data": {"offers": []}})
            await provider.search_flights(query)
            assert sum(len(calls) for calls in mocked.requests.values()) == 2
    assert caught.value.status is domain.ProviderStatus.UNAVAILABLE
    assert caught.value.message == "duffel rate limit reached; calls resume in 30 s"
    assert caught.value.is_outage is False
