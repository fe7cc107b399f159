"""Search validation: examples and properties (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.domain import FlightQuery, HotelQuery
from gateway.errors import BadUserInput
from gateway.search.validation import (
    MAX_DAYS_AHEAD,
    MAX_NIGHTS,
    check_flight_query,
    check_hotel_query,
)

pytestmark = pytest.mark.unit

TODAY = date(2027, 3, 1)


def problems_of(check: object, query: object) -> list[str]:
    try:
        check(query, TODAY)  # type: ignore[operator]
    except BadUserInput as exc:
        return [p.field for p in exc.problems]
    return []


def test_a_plain_search_is_valid() -> None:
    query = FlightQuery("LON", "NYC", TODAY + timedelta(days=10))
    assert problems_of(check_flight_query, query) == []


def test_metro_and_airport_codes_are_accepted() -> None:
    for origin, destination in [("PAR", "JFK"), ("LHR", "NYC"), ("TYO", "SEL")]:
        assert problems_of(check_flight_query, FlightQuery(origin, destination, TODAY)) == []


@given(
    adults=st.integers(-2, 12),
    children=st.integers(-1, 10),
    infants=st.integers(-1, 10),
)
def test_passenger_rules(adults: int, children: int, infants: int) -> None:
    query = FlightQuery("LON", "NYC", TODAY, adults=adults, children=children, infants=infants)
    fields = problems_of(check_flight_query, query)
    valid = adults >= 1 and children >= 0 and 0 <= infants <= adults and adults + children <= 9
    assert (fields == []) == valid


@given(offset=st.integers(-400, 800), stay=st.integers(-5, 40))
def test_date_rules(offset: int, stay: int) -> None:
    departure = TODAY + timedelta(days=offset)
    back = departure + timedelta(days=stay)
    fields = problems_of(check_flight_query, FlightQuery("LON", "NYC", departure, back))
    in_window = 0 <= offset <= MAX_DAYS_AHEAD
    back_in_window = 0 <= offset + stay <= MAX_DAYS_AHEAD
    assert ("search.departureDate" in fields) == (not in_window)
    assert ("search.returnDate" in fields) == (stay < 0 or not back_in_window)


@given(code=st.text(min_size=0, max_size=5))
def test_codes_are_three_letters_and_real(code: str) -> None:
    fields = problems_of(check_flight_query, FlightQuery(code, "NYC", TODAY))
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
        assert "search.origin" in fields


@given(nights=st.integers(-3, 40), rooms=st.integers(-1, 11), adults=st.integers(-1, 30))
def test_hotel_rules(nights: int, rooms: int, adults: int) -> None:
    query = HotelQuery("PAR", TODAY, TODAY + timedelta(days=nights), adults=adults, rooms=rooms)
    fields = problems_of(check_hotel_query, query)
    valid = 1 <= nights <= MAX_NIGHTS and 1 <= rooms <= 9 and rooms <= adults <= 9 * rooms
    assert (fields == []) == valid


@pytest.mark.parametrize("currency", ["EU", "euro", "E1R"])
def test_currency_format(currency: str) -> None:
    query = FlightQuery("LON", "NYC", TODAY, currency=currency)
    assert problems_of(check_flight_query, query) == ["search.currency"]
