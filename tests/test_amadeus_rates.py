"""Amadeus's prices, travellers and rate checks, unit by unit: travellers in Amadeus's bands,
adults per room, what each amount means, the hotel-list distance, and `GET
/v3/shopping/hotel-offers/{offerId}` (unchanged, changed, gone, failed, malformed) replayed by
aioresponses."""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec
import pytest
from aioresponses import aioresponses

from gateway import domain
from gateway.providers.amadeus import AmadeusConfig, AmadeusProvider, mapping, queries, wire
from gateway.providers.amadeus.adapter import rate_gone
from gateway.providers.base import HotelRateChecker
from gateway.providers.errors import MalformedResponse, Unsupported, UpstreamStatusError
from tests.contracts import query_problems
from tests.test_amadeus_wire import (
    AMADEUS_JSON,
    BASE,
    FLIGHT_OFFERS,
    FLIGHTS_URL,
    TOKEN_URL,
    token_body,
)

pytestmark = pytest.mark.unit

OFFER_ID = "TSXOJ6LFQ2"  # the spec's example id
OFFER_URL = f"{BASE}/v3/shopping/hotel-offers/{OFFER_ID}"
PRICING_URL = f"{BASE}/v1/shopping/flight-offers/pricing"
DAY = date(2027, 3, 10)


def eur(amount: str) -> domain.Money:
    return domain.Money(Decimal(amount), "EUR")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def provider(session: aiohttp.ClientSession) -> AmadeusProvider:
    config = AmadeusConfig(client_id="id-1", client_secret="s3cret", base_url=BASE, rate_limit=0)
    return AmadeusProvider(session, config)


def room(offer_id: str = OFFER_ID, provider: str = "amadeus") -> domain.RoomOffer:
    return domain.RoomOffer(
        id="r1",
        offer_id=offer_id,
        provider=provider,
        price=eur("716.00"),
        check_in=DAY,
        check_out=date(2027, 3, 11),
    )


def priced(total: str = "716.00", offer_id: str = OFFER_ID, **more: Any) -> dict[str, Any]:
    """A `GET /v3/shopping/hotel-offers/{offerId}` answer, after the spec's own example."""
    return {
        "data": {
            "type": "hotel-offers",
            "hotel": {"hotelId": "MCLONGHM", "chainCode": "MC", "name": "JW MARRIOTT"},
            "available": True,
            "offers": [
                {
                    "id": offer_id,
                    "checkInDate": "2027-03-10",
                    "checkOutDate": "2027-03-11",
                    "rateCode": "RAC",
                    "room": {"type": "ELE"},
                    "guests": {"adults": 1},
                    "price": {"currency": "EUR", "base": total, "total": total},
                }
            ],
            **more,
        }
    }


# -- travellers


@pytest.mark.parametrize(
    ("adults", "ages", "counts", "sent"),
    [
        (2, (4, 9, 1), (0, 0), (2, 2, 1)),  # the family: a lap infant, two children
        (1, (17, 12, 11), (0, 0), (3, 1, 0)),  # the adult fare starts at 12
        (2, (0, 2), (0, 0), (2, 1, 1)),  # 2 is a child, under 2 an infant
        (2, (), (1, 1), (2, 1, 1)),  # the deprecated counts, where no provider needs ages
        (1, (), (0, 0), (1, 0, 0)),
    ],
)
def test_travellers_in_amadeus_bands(
    adults: int, ages: tuple[int, ...], counts: tuple[int, int], sent: tuple[int, int, int]
) -> None:
    children, infants = counts
    query = domain.FlightQuery(
        "LON", "NYC", DAY, adults=adults, children=children, infants=infants, children_ages=ages
    )
    assert queries.flight_travellers(query) == sent
    params = queries.flight_search(query, 100)
    expected = {"adults": str(sent[0])}
    if sent[1]:
        expected["children"] = str(sent[1])
    if sent[2]:
        expected["infants"] = str(sent[2])
    assert {k: v for k, v in params.items() if k in ("adults", "children", "infants")} == expected
    assert query_problems("amadeus", "flight_offers_search", params, strict=True) == []


@pytest.mark.parametrize(
    ("adults", "ages"), [(8, (5, 6)), (1, (0, 1)), (10, ())]
)  # 10 seats; two laps for one adult; 10 adults
def test_a_party_outside_amadeus_bounds_is_not_sent(adults: int, ages: tuple[int, ...]) -> None:
    query = domain.FlightQuery("LON", "NYC", DAY, adults=adults, children_ages=ages)
    with pytest.raises(Unsupported) as raised:
        queries.flight_search(query, 100)
    assert raised.value.message.startswith("amadeus flight search takes at most 9")
    assert raised.value.sent is False


@pytest.mark.parametrize(
    ("adults", "rooms", "per_room"), [(1, 1, 1), (2, 1, 2), (4, 2, 2), (3, 2, 2), (5, 3, 2)]
)
def test_adults_are_asked_per_room_the_largest_share(
    adults: int, rooms: int, per_room: int
) -> None:
    query = domain.HotelQuery("PAR", DAY, date(2027, 3, 12), adults=adults, rooms=rooms)
    params = queries.hotel_search(["MCLONGHM"], query)
    assert (params["adults"], params["roomQuantity"]) == (str(per_room), str(rooms))
    assert query_problems("amadeus", "hotel_search", params, strict=True) == []


async def test_a_party_with_children_sends_nothing(provider: AmadeusProvider) -> None:
    query = domain.HotelQuery("PAR", DAY, date(2027, 3, 12), adults=2, children_ages=(4,))
    with aioresponses() as mocked:  # nothing mocked: any call would fail differently
        with pytest.raises(Unsupported) as raised:
            await provider.search_hotels(query)
        assert mocked.requests == {}
    assert raised.value.message == (
        "amadeus hotel search takes adults only: not asked for a party with children"
    )
    assert raised.value.status is domain.ProviderStatus.UNSUPPORTED


# -- what each amount means


def test_a_hotel_rate_is_what_the_traveller_pays_and_states_no_net_price() -> None:
    answer = msgspec.json.decode(
        msgspec.json.encode(
            {
                "data": [
                    {
                        "hotel": {"hotelId": "MCLONGHM", "name": "JW MARRIOTT"},
                        "offers": [
                            {
                                "id": "A1",
                                "checkInDate": "2027-03-10",
                                "checkOutDate": "2027-03-12",
                                "price": {"currency": "EUR", "base": "200.00", "total": "230.00"},
                            },
                            {  # no usable price: not shown at all
                                "id": "B1",
                                "checkInDate": "2027-03-10",
                                "checkOutDate": "2027-03-12",
                                "price": {"currency": "EUR", "total": "-5.00"},
                            },
                            {
                                "id": "C1",
                                "checkInDate": "2027-03-10",
                                "checkOutDate": "2027-03-12",
                                "price": {"currency": "euro", "total": "5.00"},
                            },
                        ],
                    }
                ]
            }
        ),
        type=wire.HotelOffersResponse,
    )
    [offer] = mapping.hotel_offers({}, answer.data)
    [rate] = offer.rooms
    assert rate.price == eur("230.00")
    assert (rate.net_price, rate.markup_applies, rate.rate_check_required) == (None, False, False)
    assert offer.sources[0].price == eur("230.00")
    assert offer.sources[0].net_price is None


def test_a_flight_costs_its_grand_total_else_its_total() -> None:
    price = wire.Price(currency="EUR", total=Decimal("100.00"), grandTotal=Decimal("103.50"))
    assert mapping.flight_price(price) == eur("103.50")
    assert mapping.flight_price(wire.Price(currency="EUR", total=Decimal("100.00"))) == eur(
        "100.00"
    )
    assert mapping.flight_price(wire.Price(currency="EUR", total=Decimal("-1"))) is None
    assert mapping.flight_price(wire.Price(currency="EUR", total=Decimal("NaN"))) is None


async def test_a_flight_offer_without_a_usable_price_is_malformed(
    provider: AmadeusProvider,
) -> None:
    offer: dict[str, Any] = copy.deepcopy(FLIGHT_OFFERS["data"][0])  # type: ignore[index]
    offer["price"] = {"currency": "EUR", "total": "Infinity"}
    answer = {**FLIGHT_OFFERS, "data": [offer]}
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(FLIGHTS_URL, payload=answer, content_type=AMADEUS_JSON)
        with pytest.raises(MalformedResponse):
            await provider.search_flights(
                domain.FlightQuery(origin="JFK", destination="LHR", departure_date=DAY)
            )


@pytest.mark.parametrize(
    ("distance", "km"),
    [
        ({"value": 1.5, "unit": "KM"}, 1.5),  # the spec's examples, and the service
        ({"value": 1.5, "unit": "KILOMETERS"}, 1.5),  # the spec's enum
        ({"value": 2, "unit": "MILES"}, 3.218688),
        ({"value": 2, "unit": "MILE"}, 3.218688),
        ({"value": 2, "unit": "mi"}, 3.218688),
        ({"value": 2, "unit": "NIGHT"}, None),  # in the enum, and no distance
        ({"value": 2, "unit": "FURLONGS"}, None),
        ({"value": 2}, None),
        ({"value": -1, "unit": "KM"}, None),
        ({"value": 1e9, "unit": "KM"}, None),
        ({"unit": "KM"}, None),
    ],
)
def test_distance_is_read_in_kilometres_or_not_at_all(
    distance: dict[str, Any], km: float | None
) -> None:
    found = mapping.distance_km(msgspec.convert(distance, wire.Distance))
    assert found == pytest.approx(km) if km is not None else found is None


# -- the rate check


def test_amadeus_checks_rates_of_its_own_offer_ids(provider: AmadeusProvider) -> None:
    assert isinstance(provider, HotelRateChecker)
    assert provider.checkable(room())
    assert provider.checkable(room("48E6C8C7DAA0BA5C22663E2A2A2B7629F5468BCBE2722FE4AB8174"))
    for bad in ("", "A", "../v1/security", "tsxoj6lfq2", "TSX OJ", "A" * 101, "TSX%2FOJ"):
        assert not provider.checkable(room(bad)), bad
    assert not provider.checkable(room(provider="liteapi"))


async def test_a_rate_unchanged_or_changed(provider: AmadeusProvider) -> None:
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body("tok"))
        mocked.get(OFFER_URL, payload=priced("716.00"), content_type=AMADEUS_JSON)
        mocked.get(OFFER_URL, payload=priced("787.60"), content_type=AMADEUS_JSON)
        same = await provider.current_rate(room())
        more = await provider.current_rate(room())
        [first, _] = [c for (m, u), found in mocked.requests.items() if m == "GET" for c in found]
    assert same == domain.CheckedRate(price=eur("716.00"))
    assert more == domain.CheckedRate(price=eur("787.60"))
    assert first.kwargs["headers"]["Authorization"] == "Bearer tok"
    assert not first.kwargs.get("params")  # nothing but the id, in the path


@pytest.mark.parametrize(
    ("status", "body"),
    [
        # The hotel guide's "offer ... no longer available" (amadeus4dev/developer-guides).
        (400, {"errors": [{"status": 400, "code": 3664, "title": "NO ROOMS AVAILABLE AT"
                                                                   " REQUESTED PROPERTY"}]}),
        (400, {"errors": [{"status": "400", "code": "38420", "title": "OFFER NOT FOUND"}]}),
        (400, {"errors": [{"code": 36803, "title": "OFFERID HAS EXPIRED"}]}),
        # The spec's 404, "Hotel or offer not found", in Amadeus's error body.
        (404, {"errors": [{"status": 404, "code": 1797, "title": "NOT FOUND"}]}),
    ],
)  # fmt: skip
async def test_a_rate_gone(provider: AmadeusProvider, status: int, body: dict[str, Any]) -> None:
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(OFFER_URL, status=status, payload=body, content_type=AMADEUS_JSON)
        assert await provider.current_rate(room()) is None


@pytest.mark.parametrize(
    "answer",
    [
        {"data": {**priced()["data"], "available": False}},
        {"data": {**priced()["data"], "offers": []}},
        {"data": None},
        {},  # "an empty response": the hotel is fully booked (Amadeus's hotel guide)
    ],
)
async def test_an_answer_without_the_offer_is_gone(
    provider: AmadeusProvider, answer: dict[str, Any]
) -> None:
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(OFFER_URL, payload=answer, content_type=AMADEUS_JSON)
        assert await provider.current_rate(room()) is None


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        # Amadeus's "Resource not found": the URL names no endpoint. A fault, not a gone offer.
        (404, {"errors": [{"code": 38196, "title": "Resource not found"}]}, "HTTP 404"),
        (404, {"message": "no route"}, "HTTP 404"),  # not Amadeus's error body
        (400, {"errors": [{"status": 400, "code": 477, "title": "INVALID FORMAT"}]}, "HTTP 400"),
        (400, {"errors": [{"code": 36801, "title": "INVALID OFFER ID"}]}, "HTTP 400"),
        (500, {"errors": [{"status": 500, "code": 141, "title": "SYSTEM ERROR"}]}, "HTTP 500"),
    ],
)  # fmt: skip
async def test_any_other_error_fails_the_check(
    provider: AmadeusProvider, status: int, body: dict[str, Any], message: str
) -> None:
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(OFFER_URL, status=status, payload=body, content_type=AMADEUS_JSON)
        with pytest.raises(UpstreamStatusError) as raised:
            await provider.current_rate(room())
    assert message in raised.value.message


def two_others() -> dict[str, Any]:
    """An answer with two offers, neither the one asked about."""
    answer = priced()
    offer = answer["data"]["offers"][0]
    answer["data"]["offers"] = [{**offer, "id": "OTHER1"}, {**offer, "id": "OTHER2"}]
    return answer


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (two_others(), "other offers"),
        (priced(total="-3.00"), "no usable price"),
        ({"data": [priced()["data"]]}, "unexpected shape"),  # the search's array, not an offer
        ({"data": {"offers": [{"id": OFFER_ID}]}}, "unexpected shape"),  # no price
    ],
)
async def test_a_malformed_check_fails(
    provider: AmadeusProvider, answer: dict[str, Any], words: str
) -> None:
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(OFFER_URL, payload=answer, content_type=AMADEUS_JSON)
        with pytest.raises(MalformedResponse) as raised:
            await provider.current_rate(room())
    assert words in f"{raised.value.message} {raised.value.detail}"


async def test_a_renamed_offer_is_still_the_one_asked_for(provider: AmadeusProvider) -> None:
    """One offer answered under another id: the price of the offer asked about."""
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(OFFER_URL, payload=priced("700.00", offer_id="NEWID1"))
        assert await provider.current_rate(room()) == domain.CheckedRate(price=eur("700.00"))


async def test_an_id_that_is_not_amadeus_is_never_sent(provider: AmadeusProvider) -> None:
    with aioresponses() as mocked:
        with pytest.raises(ValueError, match="not an Amadeus hotel offer id"):
            await provider.current_rate(room("../../v1/security/oauth2/token"))
        assert mocked.requests == {}


def test_gone_reading_of_error_answers() -> None:
    def body(code: object) -> bytes:
        return msgspec.json.encode({"errors": [{"code": code, "title": "T"}]})

    assert rate_gone(400, body(3664))
    assert rate_gone(400, body("3664"))
    assert rate_gone(404, body(12345))  # the spec's 404
    assert not rate_gone(404, body(38196))  # no such endpoint
    assert not rate_gone(404, b"<html>Not Found</html>")
    assert not rate_gone(400, body(477))
    assert not rate_gone(500, b"")


# -- the pricing request's media type


async def test_pricing_sends_one_media_type_and_the_method_override(
    provider: AmadeusProvider,
) -> None:
    source = domain.FareSource(
        provider="amadeus", offer_id="1", price=eur("410.20"), quote=b'{"id":"1"}'
    )
    answer = {
        "data": {
            "type": "flight-offers-pricing",
            "flightOffers": [{"price": {"currency": "EUR", "total": "410.20"}}],
        }
    }
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.post(PRICING_URL, payload=answer, content_type=AMADEUS_JSON)
        assert await provider.current_price(source) == eur("410.20")
        [call] = [
            c for (m, u), found in mocked.requests.items() if "pricing" in str(u) for c in found
        ]
    headers = call.kwargs["headers"]
    assert headers["Content-Type"] == "application/vnd.amadeus+json"
    assert headers["X-HTTP-Method-Override"] == "GET"
    assert re.fullmatch(r"[^,]+", headers["Content-Type"])  # one type, not a list


async def test_only_well_formed_hotel_ids_are_asked_about(provider: AmadeusProvider) -> None:
    """A listed id goes into the next call's `hotelIds`: one that is not an 8-character
    property code (Hotel List's pattern) is left out, so no id can add others."""
    listed = {
        "data": [
            {"hotelId": "HTPAR001", "name": "A"},
            {"hotelId": "HTPAR002,HTPAR003", "name": "B"},
            {"hotelId": "htpar004", "name": "C"},
        ]
    }
    query = domain.HotelQuery("PAR", DAY, date(2027, 3, 12), adults=2)
    with aioresponses() as mocked:
        mocked.post(TOKEN_URL, payload=token_body())
        mocked.get(re.compile(r".*/hotels/by-city\?.*"), payload=listed)
        mocked.get(re.compile(r".*/v3/shopping/hotel-offers\?.*"), payload={"data": []})
        await provider.search_hotels(query)
        [offers] = [
            c for (m, u), found in mocked.requests.items() if "/v3/" in str(u) for c in found
        ]
    assert offers.kwargs["params"]["hotelIds"] == "HTPAR001"


@pytest.mark.parametrize(
    ("policies", "refundable", "penalty"),
    [
        # The one `cancellation` of the spec's own examples (and Amadeus's hotel guide).
        ({"cancellation": {"type": "FULL_STAY", "description": {"text": "NON-REFUNDABLE"}}},
         False, "300.00"),
        ({"cancellations": [{"deadline": "2027-03-08T12:00:00+01:00", "numberOfNights": 1}]},
         True, "150.00"),  # a night of two
        ({"cancellations": [{"numberOfNights": 3}]}, None, None),  # more nights than the stay
        ({"cancellations": [{"type": "FULL_STAY", "deadline": "2027-03-08T12:00:00Z"}]},
         True, "300.00"),  # free until the deadline, then the whole stay
        ({"paymentType": "GUARANTEE"}, None, None),
    ],
)  # fmt: skip
def test_refundability_from_the_spec_policies_alone(
    policies: dict[str, Any], refundable: bool | None, penalty: str | None
) -> None:
    read = msgspec.convert(policies, wire.Policies)
    found, _, cost = mapping.cancellation(read, eur("300.00"), nights=2)
    assert found is refundable
    assert cost == (eur(penalty) if penalty else None)


@pytest.mark.parametrize(
    ("given", "stars"),
    [(4, 4), ("5", 5), (0, None), (6, None), ("four", None), (None, None), (" 3 ", 3)],
)
def test_a_listed_hotels_live_only_rating_is_read_only_when_it_is_stars(
    given: int | str | None, stars: int | None
) -> None:
    assert mapping.stars(given) == stars
