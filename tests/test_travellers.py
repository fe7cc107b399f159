"""Travellers as providers take them: children by age, spread over rooms, every bad value a
BAD_USER_INPUT naming its field; the deprecated counts refused where a provider needs ages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from gateway.config import Settings
from gateway.domain import FlightQuery, HotelQuery, RoomParty
from gateway.errors import BadUserInput
from gateway.search.validation import check_flight_query, check_hotel_query
from tests.helpers import GraphQLClient, Simulators, days_ahead, gateway

pytestmark = pytest.mark.e2e

FLIGHTS = """query($s: FlightSearchInput!) {
  flights(search: $s) { offers { totalCount } providers { provider status } } }"""
HOTELS = """query($s: HotelSearchInput!) {
  hotels(search: $s) { offers { totalCount } providers { provider status message } } }"""
TODAY = date(2027, 1, 10)
DAY = TODAY + timedelta(days=30)


def flight(**changes: Any) -> dict[str, Any]:
    return {"origin": "LON", "destination": "NYC", "departureDate": days_ahead(20), **changes}


def hotel(**changes: Any) -> dict[str, Any]:
    return {"cityCode": "PAR", "checkIn": days_ahead(20), "checkOut": days_ahead(22), **changes}


def problems(error: BadUserInput) -> dict[str, str]:
    return {problem.field: problem.message for problem in error.problems}


# --- Rooms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("adults", "rooms", "ages", "parties"),
    [
        (2, 1, (4, 9), [RoomParty(2, (4, 9))]),
        (5, 2, (), [RoomParty(3), RoomParty(2)]),
        (2, 2, (4, 9), [RoomParty(1, (9,)), RoomParty(1, (4,))]),
        (3, 2, (7,), [RoomParty(2), RoomParty(1, (7,))]),
        (2, 2, (1, 4, 9), [RoomParty(1, (1, 9)), RoomParty(1, (4,))]),
    ],
)
def test_guests_are_spread_over_rooms(
    adults: int, rooms: int, ages: tuple[int, ...], parties: list[RoomParty]
) -> None:
    query = HotelQuery("PAR", DAY, DAY + timedelta(days=2), adults, rooms, children_ages=ages)
    assert list(query.parties()) == parties
    assert sum(party.guests for party in query.parties()) == adults + len(ages)


# --- Checks, unit ---------------------------------------------------------------------------


def test_a_family_passes_and_counts_its_seats() -> None:
    query = FlightQuery("LON", "NYC", DAY, adults=2, children_ages=(4, 9, 1))
    check_flight_query(query, TODAY, ages_needed_by="duffel")
    assert (query.lap_infants, query.seated) == (1, 4)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"children_ages": (4, 18)}, "search.childrenAges[1]", "from 0 to 17"),
        ({"children_ages": (-1,)}, "search.childrenAges[0]", "from 0 to 17"),
        ({"children_ages": (0, 1)}, "search.childrenAges", "at most one per adult"),
        ({"adults": 7, "children_ages": (2, 5, 11)}, "search.adults", "at most 9 seated"),
        ({"children_ages": tuple([5] * 40)}, "search.childrenAges", "at most 16 children"),
        ({"children": 1, "children_ages": (5,)}, "search.children", "and no counts"),
        ({"infants": 2}, "search.infants", "at most one per adult"),
    ],
)
def test_flight_traveller_problems(changes: dict[str, Any], field: str, words: str) -> None:
    query = FlightQuery("LON", "NYC", DAY, **changes)
    with pytest.raises(BadUserInput) as raised:
        check_flight_query(query, TODAY)
    assert words in problems(raised.value)[field]


def test_counts_are_refused_only_where_a_provider_needs_ages() -> None:
    query = FlightQuery("LON", "NYC", DAY, adults=2, children=1, infants=1)
    check_flight_query(query, TODAY)  # Amadeus alone takes counts
    with pytest.raises(BadUserInput) as raised:
        check_flight_query(query, TODAY, ages_needed_by="duffel")
    assert "childrenAges" in problems(raised.value)["search.children"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"children_ages": (4, 18)}, "search.childrenAges[1]", "from 0 to 17"),
        ({"adults": 1, "children_ages": tuple([3] * 9)}, "search.childrenAges", "9 guests"),
        ({"adults": 10}, "search.adults", "9 guests"),
    ],
)
def test_hotel_guest_problems(changes: dict[str, Any], field: str, words: str) -> None:
    query = HotelQuery("PAR", DAY, DAY + timedelta(days=2), **changes)
    with pytest.raises(BadUserInput) as raised:
        check_hotel_query(query, TODAY)
    assert words in problems(raised.value)[field]


# --- Through the public API -----------------------------------------------------------------


async def test_bad_ages_name_the_clients_own_field(client: GraphQLClient) -> None:
    _, body = await client.post(FLIGHTS, {"s": flight(childrenAges=[4, 21])})
    assert body["data"] == {"flights": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["problems"][0]["field"] == "$s.childrenAges[1]"

    _, body = await client.post(HOTELS, {"s": hotel(childrenAges=[-2])})
    assert body["errors"][0]["extensions"]["problems"][0]["field"] == "$s.childrenAges[0]"


async def test_deprecated_counts_point_to_ages_when_duffel_searches(client: GraphQLClient) -> None:
    _, body = await client.post(FLIGHTS, {"s": flight(children=1)})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "childrenAges" in error["message"]
    assert "duffel" in error["message"]


async def test_counts_still_search_where_no_provider_needs_ages(sims: Simulators) -> None:
    only_amadeus = Simulators({"amadeus": sims.base_urls["amadeus"]}, sims.states)
    async with gateway(Settings(), only_amadeus) as client:
        _, body = await client.post(FLIGHTS, {"s": flight(adults=2, children=1, infants=1)})
    assert "errors" not in body, body
    assert body["data"]["flights"]["providers"] == [{"provider": "amadeus", "status": "OK"}]


async def test_one_party_in_any_order_is_one_search(sims: Simulators) -> None:
    async with gateway(Settings(), sims) as client:
        for ages in ([9, 4, 1], [1, 9, 4], [4, 1, 9]):
            _, body = await client.post(FLIGHTS, {"s": flight(adults=2, childrenAges=ages)})
            assert "errors" not in body, body
    assert sims.duffel.calls["/air/offer_requests"] == 1
    assert sims.amadeus.calls["/v2/shopping/flight-offers"] == 1


async def test_one_party_in_two_orders_is_one_search_for_the_budget(sims: Simulators) -> None:
    """Found in review: the budget counted [4, 9] and [9, 4] as two searches, though the search
    layer sorts them into one (with GATEWAY_MAX_FLIGHT_SEARCHES=1 the second was refused)."""
    query = """query($a: FlightSearchInput!, $b: FlightSearchInput!) {
      a: flights(search: $a) { offers { totalCount } }
      b: flights(search: $b) { offers { totalCount } } }"""
    async with gateway(Settings(max_flight_searches=1), sims) as client:
        variables = {"a": flight(childrenAges=[4, 9]), "b": flight(childrenAges=[9, 4])}
        _, body = await client.post(query, variables)
        assert "errors" not in body, body
        variables["b"] = flight(childrenAges=[9, 5])
        _, body = await client.post(query, variables)
    assert body["errors"][0]["extensions"]["code"] == "OPERATION_TOO_EXPENSIVE"
