"""Rich hotel rates on the wire: board, cancellation deadline and penalty, taxes, and hotel
address, review score and amenities, read from each provider's exact answer (aioresponses),
when present, when absent and when null; then the board-code tables and the checks that keep
provider text bounded."""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from gateway import domain
from gateway.api.schema.scalars import SCALAR_MAP
from gateway.providers import rates
from gateway.providers.amadeus import AmadeusConfig, AmadeusProvider
from gateway.providers.amadeus import mapping as amadeus
from gateway.providers.duffel import DuffelConfig, DuffelProvider
from gateway.providers.duffel import mapping as duffel
from gateway.providers.hotelbeds import HotelbedsConfig, HotelbedsProvider
from gateway.providers.hotelbeds import mapping as hotelbeds
from gateway.providers.hotelbeds import wire as hotelbeds_wire
from gateway.providers.liteapi import LiteApiConfig, LiteApiProvider
from gateway.providers.liteapi import mapping as liteapi

pytestmark = pytest.mark.unit

B = domain.BoardType
PARIS = domain.GeoPoint(48.8566, 2.3522)
QUERY = domain.HotelQuery(
    city_code="PAR",
    check_in=date(2027, 3, 10),
    check_out=date(2027, 3, 12),
    adults=2,
    currency="EUR",
    centre=PARIS,
)


def eur(amount: str) -> domain.Money:
    return domain.Money(Decimal(amount), "EUR")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


# ----------------------------------------------------------------------------------- Amadeus

AMADEUS = "https://test.travel.api.amadeus.com"
AMADEUS_LIST = re.compile(rf"^{re.escape(AMADEUS)}/v1/reference-data/locations/hotels/by-city\?.*$")
AMADEUS_OFFERS = re.compile(rf"^{re.escape(AMADEUS)}/v3/shopping/hotel-offers\?.*$")
AMADEUS_LISTED = {
    "data": [
        {
            "hotelId": "RTPAR001",
            "name": "NOVOTEL PARIS LES HALLES",
            "chainCode": "RT",
            "iataCode": "PAR",
            "geoCode": {"latitude": 48.862, "longitude": 2.345},
            "address": {"countryCode": "FR"},
            "rating": 4,
        }
    ]
}


def amadeus_offer(offer_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": offer_id,
        "checkInDate": "2027-03-10",
        "checkOutDate": "2027-03-12",
        "price": {"currency": "EUR", "total": "300.00"},
        **fields,
    }


AMADEUS_OFFERS_ANSWER = {
    "data": [
        {
            "type": "hotel-offers",
            "available": True,
            "hotel": {"hotelId": "RTPAR001", "name": "NOVOTEL PARIS LES HALLES", "cityCode": "PAR"},
            "offers": [
                amadeus_offer(  # the spec's shape: taxes listed, a deadline with its offset
                    "FLEX1",
                    boardType="CONTINENTAL_BREAKFAST",
                    price={
                        "currency": "EUR",
                        "base": "272.73",
                        "total": "300.00",
                        "taxes": [
                            {"amount": "27.27", "currency": "EUR", "code": "VAT", "included": True},
                            {"amount": "7.50", "code": "CITY_TAX", "included": False},
                        ],
                        "variations": {"average": {"base": "136.36"}},
                    },
                    policies={
                        "cancellations": [
                            {"deadline": "2027-03-08T12:00:00+01:00", "amount": "150.00"}
                        ],
                        "refundable": {"cancellationRefund": "REFUNDABLE_UP_TO_DEADLINE"},
                    },
                ),
                amadeus_offer(  # non-refundable: the whole price, at once; base but no list
                    "NRF1",
                    boardType="ROOM_ONLY",
                    price={"currency": "EUR", "base": "250.00", "total": "275.00"},
                    policies={
                        "cancellations": [{"type": "FULL_STAY"}],
                        "refundable": {"cancellationRefund": "NON_REFUNDABLE"},
                    },
                ),
                amadeus_offer(  # a percentage after a deadline; a board it has no word for
                    "PCT1",
                    boardType="FAMILY_PLAN",
                    policies={
                        "cancellations": [{"deadline": "2027-03-09T18:00:00Z", "percentage": "50"}]
                    },
                ),
                amadeus_offer("BARE1"),  # nothing said at all
                amadeus_offer(  # nulls where values go, and a deadline with no offset
                    "NULL1",
                    boardType=None,
                    price={"currency": "EUR", "total": "300.00", "base": None, "taxes": None},
                    policies={"cancellations": [{"deadline": "2027-03-08T12:00:00"}]},
                ),
            ],
        }
    ]
}


async def test_amadeus_rates(session: aiohttp.ClientSession) -> None:
    provider = AmadeusProvider(
        session, AmadeusConfig(client_id="a", client_secret="b", base_url=AMADEUS, rate_limit=0)
    )
    with aioresponses() as mocked:
        mocked.post(
            f"{AMADEUS}/v1/security/oauth2/token", payload={"access_token": "t", "expires_in": 1799}
        )
        mocked.get(AMADEUS_LIST, payload=AMADEUS_LISTED)
        mocked.get(AMADEUS_OFFERS, payload=AMADEUS_OFFERS_ANSWER)
        [offer] = await provider.search_hotels(QUERY)

    assert offer.hotel.address == domain.Address(country_code="FR")  # all the list declares
    assert (offer.hotel.review_score, offer.hotel.amenities) == (None, None)  # never sent
    rooms = {room.offer_id: room for room in offer.rooms}
    # The source books by the cheapest rate's own id (it was the gateway's id, empty here).
    cheapest = min(offer.rooms, key=lambda room: room.price.amount)
    assert offer.sources[0].offer_id == cheapest.offer_id != ""
    flex = rooms["FLEX1"]
    assert flex.board_type is B.BREAKFAST
    assert flex.refundable is True
    assert flex.free_cancellation_until == datetime(2027, 3, 8, 11, tzinfo=UTC)
    assert flex.cancellation_penalty == eur("150.00")
    assert flex.included_taxes == eur("27.27")
    assert flex.due_at_hotel == eur("7.50")  # its currency left out: the price's
    assert flex.price_per_night == eur("150.00")

    nrf = rooms["NRF1"]
    assert (nrf.board_type, nrf.refundable, nrf.free_cancellation_until) == (
        B.ROOM_ONLY,
        False,
        None,
    )
    assert nrf.cancellation_penalty == eur("275.00")
    assert (nrf.included_taxes, nrf.due_at_hotel) == (eur("25.00"), None)  # total - base

    pct = rooms["PCT1"]
    assert (pct.board_type, pct.refundable) == (B.OTHER, True)
    assert pct.free_cancellation_until == datetime(2027, 3, 9, 18, tzinfo=UTC)
    assert pct.cancellation_penalty == eur("150.00")

    for bare in (rooms["BARE1"], rooms["NULL1"]):
        assert bare.board_type is None
        assert (bare.included_taxes, bare.due_at_hotel) == (None, None)
        assert bare.free_cancellation_until is None  # none, or one with no offset: not guessed
    assert rooms["BARE1"].refundable is None
    assert rooms["NULL1"].cancellation_penalty is None


async def test_amadeus_reads_a_deadline_without_offset_in_the_hotels_own_zone(
    session: aiohttp.ClientSession,
) -> None:
    """The hotel list's `timeZoneName` (a Location field in its spec) places a deadline that
    came without its offset; a zone nobody knows leaves it unknown."""
    provider = AmadeusProvider(
        session, AmadeusConfig(client_id="a", client_secret="b", base_url=AMADEUS, rate_limit=0)
    )
    found = {}
    for zone in ("Europe/Paris", "Mars/Olympus_Mons"):
        listed = copy.deepcopy(AMADEUS_LISTED)
        listed["data"][0]["timeZoneName"] = zone
        with aioresponses() as mocked:
            mocked.post(
                f"{AMADEUS}/v1/security/oauth2/token",
                payload={"access_token": "t", "expires_in": 1799},
            )
            mocked.get(AMADEUS_LIST, payload=listed)
            mocked.get(AMADEUS_OFFERS, payload=AMADEUS_OFFERS_ANSWER)
            [offer] = await provider.search_hotels(QUERY)
        rooms = {room.offer_id: room for room in offer.rooms}
        found[zone] = rooms["NULL1"].free_cancellation_until
        assert rooms["FLEX1"].free_cancellation_until == datetime(2027, 3, 8, 11, tzinfo=UTC)
    assert found == {
        "Europe/Paris": datetime(2027, 3, 8, 11, tzinfo=UTC),  # noon in Paris, UTC+1 in March
        "Mars/Olympus_Mons": None,
    }


# ------------------------------------------------------------------------------------ Duffel

STAYS = re.compile(r"^https://api\.duffel\.com/stays/search$")


def duffel_rate(rate_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": rate_id, "total_amount": "300.00", "total_currency": "EUR", **fields}


DUFFEL_RESULT: dict[str, Any] = {
    "id": "srr_1",
    "check_in_date": "2027-03-10",
    "check_out_date": "2027-03-12",
    "accommodation": {
        "id": "acc_1",
        "name": "Hotel Lutetia",
        "rating": 5,
        "review_score": 8.8,
        "review_count": 336,
        "amenities": [
            {"type": "wifi", "description": "Free Wi-Fi"},
            {"type": "spa", "description": "Spa"},
            {"type": "wifi", "description": "Wi-Fi again"},
            {"type": "helipad", "description": "A type Duffel may add later"},
        ],
        "location": {
            "geographic_coordinates": {"latitude": 48.851, "longitude": 2.327},
            "address": {
                "line_one": "45 Boulevard\tRaspail\n",
                "postal_code": "75006",
                "city_name": "Paris",
                "country_code": "FR",
                "region": "Île-de-France",
            },
        },
        "rooms": [
            {
                "name": "Deluxe King",
                "rates": [
                    duffel_rate(  # as the SDK's types: taxes inside, fees due at the hotel
                        "rat_flex",
                        board_type="half_board",
                        base_amount="255.00",
                        tax_amount="30.00",
                        tax_currency="EUR",
                        fee_amount="15.00",
                        fee_currency="EUR",
                        due_at_accommodation_amount="8.00",
                        due_at_accommodation_currency="EUR",
                        cancellation_timeline=[
                            {"refund_amount": "300.00", "before": "2027-03-08T11:00:00Z",
                             "currency": "EUR"},
                            {"refund_amount": "150.00", "before": "2027-03-10T14:00:00Z",
                             "currency": "EUR"},
                        ],
                    ),
                    duffel_rate(  # non-refundable: an empty timeline
                        "rat_nrf",
                        board_type="room_only",
                        tax_amount="30.00",
                        due_at_accommodation_amount="0.00",
                        cancellation_timeline=[],
                    ),
                    duffel_rate(  # a partial refund only: never free
                        "rat_part",
                        board_type="all_inclusive",
                        cancellation_timeline=[
                            {"refund_amount": "200.00", "before": "2027-03-09T12:00:00+01:00",
                             "currency": "EUR"}
                        ],
                    ),
                    duffel_rate(  # nulls
                        "rat_null",
                        board_type=None,
                        tax_amount=None,
                        fee_amount=None,
                        due_at_accommodation_amount=None,
                        cancellation_timeline=None,
                    ),
                    duffel_rate("rat_bare"),  # nothing said
                ],
            }
        ],
    },
}  # fmt: skip


async def test_duffel_rates_and_accommodation() -> None:
    async with aiohttp.ClientSession() as session:
        provider = DuffelProvider(session, DuffelConfig(access_token="duffel_test_x"))
        with aioresponses() as mocked:
            mocked.post(STAYS, payload={"data": {"results": [DUFFEL_RESULT]}})
            [offer] = await provider.search_hotels(QUERY)

    hotel = offer.hotel
    assert hotel.rating == 5
    assert hotel.address == domain.Address(
        line="45 Boulevard Raspail", postal_code="75006", city_name="Paris", country_code="FR"
    )
    assert hotel.review_score == domain.ReviewScore(8.8, 10.0, 336)
    assert hotel.amenities == ("WIFI", "SPA")  # known types, once each, in the enum's order

    rooms = {room.offer_id: room for room in offer.rooms}
    flex = rooms["rat_flex"]
    assert (flex.board_type, flex.refundable) == (B.HALF_BOARD, True)
    assert flex.free_cancellation_until == datetime(2027, 3, 8, 11, tzinfo=UTC)
    assert flex.cancellation_penalty == eur("150.00")  # what the next step does not refund
    assert flex.included_taxes == eur("45.00")  # tax and fee
    assert flex.due_at_hotel == eur("8.00")

    nrf = rooms["rat_nrf"]
    assert (nrf.board_type, nrf.refundable, nrf.free_cancellation_until) == (
        B.ROOM_ONLY,
        False,
        None,
    )
    assert nrf.cancellation_penalty == eur("300.00")
    assert (nrf.included_taxes, nrf.due_at_hotel) == (eur("30.00"), eur("0.00"))

    part = rooms["rat_part"]
    assert (part.board_type, part.refundable, part.free_cancellation_until) == (
        B.ALL_INCLUSIVE,
        True,
        None,
    )
    assert part.cancellation_penalty == eur("100.00")

    for unknown in (rooms["rat_null"], rooms["rat_bare"]):
        assert unknown.board_type is None
        assert unknown.refundable is None  # no timeline at all is not an empty one
        assert (unknown.free_cancellation_until, unknown.cancellation_penalty) == (None, None)
        assert (unknown.included_taxes, unknown.due_at_hotel) == (None, None)


async def test_duffel_accommodation_without_details() -> None:
    result = copy.deepcopy(DUFFEL_RESULT)
    accommodation = result["accommodation"]
    accommodation.update(rating=None, review_score=None, review_count=None, amenities=None)
    accommodation["location"]["address"] = {"line_one": " ", "country_code": "France"}
    accommodation["rooms"][0]["name"] = "Deluxe\x07King  \u202e" + "x" * 1000
    async with aiohttp.ClientSession() as session:
        provider = DuffelProvider(session, DuffelConfig(access_token="duffel_test_x"))
        with aioresponses() as mocked:
            mocked.post(STAYS, payload={"data": {"results": [result]}})
            [offer] = await provider.search_hotels(QUERY)
    hotel = offer.hotel
    assert (hotel.rating, hotel.review_score, hotel.amenities) == (None, None, None)
    assert hotel.address is None  # a blank line and a country that is not a code: nothing
    description = offer.rooms[0].description
    assert description is not None
    assert description.startswith("Deluxe King x")  # control and bidi characters: spaces
    assert len(description) == rates.MAX_DESCRIPTION_CHARS


# --------------------------------------------------------------------------------- Hotelbeds

HOTELBEDS = "https://api.test.hotelbeds.com/hotel-api/1.0/hotels"
NOW = datetime(2027, 3, 1, 8, tzinfo=UTC)


def hotelbeds_rate(key: str, **fields: Any) -> dict[str, Any]:
    return {"rateKey": key, "rateClass": "NOR", "net": "300.00", "rooms": 1, "adults": 2, **fields}


HOTELBEDS_ANSWER = {
    "hotels": {
        "total": 1,
        "hotels": [
            {
                "code": 3424,
                "name": "Hotel Lutetia",
                "categoryCode": "5EST",
                "latitude": "48.851",
                "longitude": "2.327",
                "currency": "USD",
                "rooms": [
                    {
                        "code": "DBL.ST",
                        "name": "DOUBLE STANDARD",
                        "rates": [
                            hotelbeds_rate(
                                "flex",
                                boardCode="FB",
                                cancellationPolicies=[
                                    {"amount": "150.00", "from": "2027-03-09T23:59:00+01:00"},
                                    {"amount": "300.00", "from": "2027-03-10T12:00:00+01:00"},
                                ],
                                taxes={
                                    "allIncluded": False,
                                    "taxes": [
                                        {"included": True, "amount": "25.00", "currency": "EUR",
                                         "clientAmount": "28.75", "clientCurrency": "USD"},
                                        {"included": False, "amount": "7.50", "currency": "EUR",
                                         "clientAmount": "8.63", "clientCurrency": "USD"},
                                    ],
                                },
                            ),
                            hotelbeds_rate(
                                "nrf",
                                rateClass="NRF",
                                boardCode="XX",
                                boardName="PLAN DU CHEF",
                                cancellationPolicies=[],
                                taxes={"allIncluded": True},
                            ),
                            hotelbeds_rate(
                                "late",  # its free time is over already
                                boardCode="BB",
                                cancellationPolicies=[
                                    {"amount": "100.00", "from": "2027-02-28T00:00:00Z"}
                                ],
                                taxes={"taxes": [{"included": False, "amount": "7.50",
                                                  "currency": "EUR"}]},
                            ),
                            hotelbeds_rate("bare", boardCode=None, taxes=None),
                        ],
                    }
                ],
            }
        ],
    }
}  # fmt: skip


async def test_hotelbeds_rates(session: aiohttp.ClientSession) -> None:
    provider = HotelbedsProvider(
        session,
        HotelbedsConfig(api_key="k" * 24, secret="s" * 10),
        clock=NOW.timestamp,
    )
    with aioresponses() as mocked:
        mocked.post(HOTELBEDS, payload=HOTELBEDS_ANSWER)
        [offer] = await provider.search_hotels(QUERY)

    assert offer.hotel.rating == 5
    assert (offer.hotel.address, offer.hotel.review_score, offer.hotel.amenities) == (
        None,
        None,
        None,
    )  # availability carries none of them
    rooms = {room.offer_id: room for room in offer.rooms}
    usd = lambda amount: domain.Money(Decimal(amount), "USD")  # noqa: E731

    flex = rooms["flex"]
    assert (flex.board_type, flex.refundable) == (B.FULL_BOARD, True)
    assert flex.free_cancellation_until == datetime(2027, 3, 9, 22, 59, tzinfo=UTC)
    assert flex.cancellation_penalty == usd("150.00")  # the first charge
    assert (flex.included_taxes, flex.due_at_hotel) == (usd("28.75"), usd("8.63"))

    nrf = rooms["nrf"]
    assert (nrf.board_type, nrf.refundable, nrf.free_cancellation_until) == (B.OTHER, False, None)
    assert nrf.cancellation_penalty == usd("300.00")
    assert (nrf.included_taxes, nrf.due_at_hotel) == (None, usd("0"))  # all included

    late = rooms["late"]
    assert (late.refundable, late.free_cancellation_until) == (False, None)
    assert late.cancellation_penalty == usd("100.00")
    assert late.due_at_hotel is None  # in euros only: not in the rate's currency, not guessed

    bare = rooms["bare"]
    assert (bare.board_type, bare.refundable, bare.cancellation_penalty) == (None, None, None)
    assert (bare.included_taxes, bare.due_at_hotel) == (None, None)


# ----------------------------------------------------------------------------------- LiteAPI

LITEAPI = "https://api.liteapi.travel/v3.0/hotels/rates"


def liteapi_rate(share: float, **fields: Any) -> dict[str, Any]:
    return {
        "rateId": "r",
        "boardType": "RO",
        "boardName": "Room Only",
        "retailRate": {"total": [{"amount": share, "currency": "EUR"}]},
        **fields,
    }


LITEAPI_ANSWER = {
    "data": [
        {
            "hotelId": "lp1",
            "roomTypes": [
                {
                    "offerId": "FLEX",
                    "offerRetailRate": {"amount": 300, "currency": "EUR"},
                    "rates": [
                        liteapi_rate(
                            300,
                            boardType="XX",
                            boardName="Bed & Breakfast",
                            retailRate={
                                "total": [{"amount": 300, "currency": "EUR"}],
                                "taxesAndFees": [
                                    {"included": True, "description": "VAT", "amount": 27.27,
                                     "currency": "EUR"},
                                    {"included": False, "description": "City tax",
                                     "amount": 7.5, "currency": "EUR"},
                                ],
                            },
                            cancellationPolicies={
                                "cancelPolicyInfos": [
                                    {"cancelTime": "2027-03-09 12:00:00", "amount": 300,
                                     "currency": "EUR", "type": "amount", "timezone": "GMT"},
                                    {"cancelTime": "2027-03-08 12:00:00", "amount": 150,
                                     "currency": "EUR", "type": "amount",
                                     "timezone": "Europe/Paris"},
                                ],
                                "refundableTag": "RFN",
                            },
                        )
                    ],
                },
                {
                    "offerId": "NULLS",
                    "offerRetailRate": {"amount": 280, "currency": "EUR"},
                    "rates": [
                        liteapi_rate(
                            280,
                            boardType=None,
                            boardName=None,
                            retailRate={"total": None, "taxesAndFees": None},
                            cancellationPolicies={"cancelPolicyInfos": None, "refundableTag": None},
                        )
                    ],
                },
                {
                    "offerId": "NRFN",
                    "offerRetailRate": {"amount": 250, "currency": "EUR"},
                    "rates": [
                        liteapi_rate(
                            250,
                            boardType="AI",
                            cancellationPolicies={"cancelPolicyInfos": [],
                                                  "refundableTag": "NRFN"},
                        )
                    ],
                },
            ],
        }
    ],
    "hotels": [
        {
            "id": "lp1",
            "name": "Hotel Lutetia",
            "latitude": 48.851,
            "longitude": 2.327,
            "stars": 5,
            "rating": 0,
            "address": "45 Boulevard Raspail, 75006 Paris" + " and on" * 40,
            "country_code": "fr",
        }
    ],
}  # fmt: skip


async def test_liteapi_rates() -> None:
    async with aiohttp.ClientSession() as session:
        provider = LiteApiProvider(session, LiteApiConfig(api_key="sand_x", rate_limit=None))
        with aioresponses() as mocked:
            mocked.post(LITEAPI, payload=LITEAPI_ANSWER)
            [offer] = await provider.search_hotels(QUERY)

    hotel = offer.hotel
    assert hotel.review_score is None  # a 0 rating is no rating
    assert hotel.address is not None
    assert hotel.address.country_code == "FR"
    assert hotel.address.line is not None
    assert len(hotel.address.line) == rates.MAX_TEXT_CHARS
    assert hotel.address.line.endswith("…")
    assert hotel.amenities is None

    rooms = {room.offer_id: room for room in offer.rooms}
    flex = rooms["FLEX"]
    assert (flex.board_type, flex.refundable) == (B.BREAKFAST, True)  # by its name
    # The earliest charge: noon in Paris (11:00 UTC) on the 8th, a day before the GMT one.
    assert flex.free_cancellation_until == datetime(2027, 3, 8, 11, tzinfo=UTC)
    assert flex.cancellation_penalty == eur("150")
    assert (flex.included_taxes, flex.due_at_hotel) == (eur("27.27"), eur("7.5"))

    nulls = rooms["NULLS"]
    assert (nulls.board_type, nulls.refundable) == (None, None)
    assert (nulls.free_cancellation_until, nulls.cancellation_penalty) == (None, None)
    assert (nulls.included_taxes, nulls.due_at_hotel) == (None, None)

    nrfn = rooms["NRFN"]
    assert (nrfn.board_type, nrfn.refundable, nrfn.free_cancellation_until) == (
        B.ALL_INCLUSIVE,
        False,
        None,
    )
    assert nrfn.cancellation_penalty == eur("250")  # a non-refundable rate keeps it all


# ------------------------------------------------------------------------- board code tables


@pytest.mark.parametrize(
    ("code", "board"),
    [
        ("ROOM_ONLY", B.ROOM_ONLY),
        ("SELF_CATERING", B.ROOM_ONLY),
        ("BUFFET_BREAKFAST", B.BREAKFAST),
        ("DINNER_BED_AND_BREAKFAST", B.HALF_BOARD),
        ("AMERICAN", B.FULL_BOARD),
        ("all_inclusive", B.ALL_INCLUSIVE),
        ("AS_BROCHURED", B.OTHER),
        ("LUNCH", B.OTHER),
        ("", None),
        (None, None),
    ],
)
def test_amadeus_board_types(code: str | None, board: domain.BoardType | None) -> None:
    assert amadeus.board_type(code) is board


@pytest.mark.parametrize(
    ("code", "board"),
    [
        ("room_only", B.ROOM_ONLY),
        ("breakfast", B.BREAKFAST),
        ("half_board", B.HALF_BOARD),
        ("full_board", B.FULL_BOARD),
        ("ALL_INCLUSIVE", B.ALL_INCLUSIVE),
        ("brunch", B.OTHER),
        (" ", None),
        (None, None),
    ],
)
def test_duffel_board_types(code: str | None, board: domain.BoardType | None) -> None:
    assert duffel.board_type(code) is board


@pytest.mark.parametrize(
    ("code", "name", "board"),
    [
        ("RO", "ROOM ONLY", B.ROOM_ONLY),
        ("SC", None, B.ROOM_ONLY),
        ("cb", None, B.BREAKFAST),
        ("HB", "HALF BOARD", B.HALF_BOARD),
        ("FB", None, B.FULL_BOARD),
        ("TI", None, B.ALL_INCLUSIVE),
        ("QZ", None, B.OTHER),
        (None, "SOMETHING", B.OTHER),
        (None, None, None),
    ],
)
def test_hotelbeds_board_codes(
    code: str | None, name: str | None, board: domain.BoardType | None
) -> None:
    rate = hotelbeds_wire.Rate(rateKey="k", net=Decimal(1), boardCode=code, boardName=name)
    assert hotelbeds.board(rate) is board


@pytest.mark.parametrize(
    ("code", "name", "board"),
    [
        ("RO", "Room Only", B.ROOM_ONLY),
        ("BI", "Breakfast Included", B.BREAKFAST),
        ("BB2", None, B.BREAKFAST),
        ("HB", None, B.HALF_BOARD),
        ("FB", None, B.FULL_BOARD),
        ("AI", None, B.ALL_INCLUSIVE),
        ("X1", "Half  Board", B.HALF_BOARD),
        ("X1", "Dinner only", B.OTHER),
        ("", None, None),
        (None, None, None),
    ],
)
def test_liteapi_board_types(
    code: str | None, name: str | None, board: domain.BoardType | None
) -> None:
    assert liteapi.board_type(code, name) is board


# ------------------------------------------------------------------- bounded text and values


def test_provider_text_is_printable_single_spaced_and_bounded() -> None:
    assert rates.text(" 12\x00rue\u200bde\nla  Paix ") == "12 rue de la Paix"
    assert rates.text("a\tb\r\nc") == "a b c"
    assert rates.text("\x1b[31m") == "[31m"  # the escape character itself never gets out
    assert rates.text("x" * 500) == "x" * (rates.MAX_TEXT_CHARS - 1) + "…"
    assert rates.text("   ") is None
    assert rates.text(42) is None
    assert rates.country("gb") == "GB"
    assert rates.country("GBR") is None
    assert rates.review_score(11.0, 10.0) is None
    assert rates.review_score(8.0, 10.0, -3) == domain.ReviewScore(8.0, 10.0, None)


def test_price_per_night_follows_the_currency() -> None:
    def room(amount: str, currency: str) -> domain.RoomOffer:
        price = domain.Money(Decimal(amount), currency)
        return domain.RoomOffer("", "x", "p", price, date(2027, 3, 10), date(2027, 3, 13))

    assert room("100.00", "EUR").price_per_night == eur("33.33")
    assert room("18301", "JPY").price_per_night == domain.Money(Decimal("6100"), "JPY")
    assert room("10.000", "BHD").price_per_night == domain.Money(Decimal("3.333"), "BHD")


def test_date_time_scalar_is_an_instant_in_utc() -> None:
    scalar = SCALAR_MAP[datetime]
    assert scalar.serialize is not None
    assert scalar.parse_value is not None
    paris_noon = datetime.fromisoformat("2027-03-08T12:00:00+01:00")
    assert scalar.serialize(paris_noon) == "2027-03-08T11:00:00Z"
    with pytest.raises(ValueError, match="offset"):
        scalar.serialize(datetime(2027, 3, 8, 12))
    assert scalar.parse_value("2027-03-08T12:00:00+01:00") == datetime(2027, 3, 8, 11, tzinfo=UTC)
    with pytest.raises(ValueError, match="offset"):
        scalar.parse_value("2027-03-08T12:00:00")
