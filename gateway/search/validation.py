"""Checks on a search before any provider is called: every problem found, each naming its field.

Field paths are the GraphQL names (`search.checkOut`), since that is what the client wrote.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from gateway import reference
from gateway.currency.units import is_currency
from gateway.domain import LAP_INFANT_AGE, MAX_CHILD_AGE, FlightFilter, FlightQuery, HotelQuery
from gateway.errors import BadUserInput, InputProblem, excerpt
from gateway.search.locations import MAX_RESULTS

MAX_SEATED_PASSENGERS = 9
MAX_DAYS_AHEAD = 361
MAX_NIGHTS = 30
MAX_ROOMS = 9
MAX_GUESTS_PER_ROOM = 9
"""Adults and children in one room, at most (the providers' own bound on adults)."""
MAX_CHILDREN_AGES = 16
"""Ages one search may list, checked before anything else looks at them (30,000 ages cost one
problem, not 30,000). A flight search can hold 9 at most anyway (9 seats, a lap per adult);
for hotels it is a bound of ours, ample for families in several rooms: more children than
this is a group booking, not a search."""
MAX_LOCATION_QUERY = 64
"""Longest location query, in characters once trimmed: longer than any place's name."""
MAX_CHECKED_BAGS = 9
"""Highest checked-bag minimum: no fare includes more."""
MAX_STOPS = 3
"""Highest stop limit a filter takes: no provider sells itineraries with more."""
MAX_FILTER_CARRIERS = 20
"""Carriers one filter list may name: a bound on the client's input, ample for a form."""
_CODE = re.compile(r"^[A-Z]{3}\Z")
_CARRIER = re.compile(r"^[A-Z0-9]{2}\Z")


def earliest_today() -> date:
    """Today where the day started last (UTC−12): a date still current anywhere is accepted."""
    return (datetime.now(UTC) - timedelta(hours=12)).date()


def _location(field: str, code: str, problems: list[InputProblem]) -> None:
    if not _CODE.match(code):
        problems.append(InputProblem(field, f"must be a 3-letter IATA code, got {excerpt(code)}"))
    elif not reference.is_location(code):
        problems.append(InputProblem(field, f"{excerpt(code)} is not a known airport or city code"))


def _currency(field: str, currency: str | None, problems: list[InputProblem]) -> None:
    if currency is not None and not (_CODE.match(currency) and is_currency(currency)):
        problems.append(
            InputProblem(field, f"must be an ISO 4217 currency code, got {excerpt(currency)}")
        )


def _travel_date(field: str, day: date, today: date, problems: list[InputProblem]) -> None:
    if day < today:
        problems.append(InputProblem(field, f"{day.isoformat()} is in the past"))
    elif day > today + timedelta(days=MAX_DAYS_AHEAD):
        problems.append(InputProblem(field, f"must be within {MAX_DAYS_AHEAD} days from today"))


def _ages(field: str, ages: tuple[int, ...], problems: list[InputProblem]) -> bool:
    """Whether `ages` may be looked at further: a bounded list of ages 0–17."""
    if len(ages) > MAX_CHILDREN_AGES:
        problems.append(
            InputProblem(field, f"at most {MAX_CHILDREN_AGES} children, got {len(ages)}")
        )
        return False
    fine = True
    for index, age in enumerate(ages):
        if not 0 <= age <= MAX_CHILD_AGE:
            problems.append(
                InputProblem(
                    f"{field}[{index}]",
                    f"must be an age from 0 to {MAX_CHILD_AGE} (18 or more is an adult), got {age}",
                )
            )
            fine = False
    return fine


def check_flight_query(
    query: FlightQuery,
    today: date | None = None,
    flight_filter: FlightFilter | None = None,
    *,
    ages_needed_by: str | None = None,
) -> None:
    """Raise `BadUserInput` listing every problem with `query` and `flight_filter`.
    `ages_needed_by`: a provider searched that takes children by age only (the deprecated
    counts are refused then)."""
    today = today or earliest_today()
    problems: list[InputProblem] = []
    _location("search.origin", query.origin, problems)
    _location("search.destination", query.destination, problems)
    if query.origin == query.destination:
        problems.append(InputProblem("search.destination", "must differ from origin"))
    elif reference.city_code_of(query.origin) == reference.city_code_of(query.destination):
        problems.append(
            InputProblem(
                "search.destination",
                f"is in the same city as the origin ({reference.city_code_of(query.origin)}): "
                "there are no flights between a city's own airports",
            )
        )
    _travel_date("search.departureDate", query.departure_date, today, problems)
    if query.return_date is not None:
        if query.return_date < query.departure_date:
            problems.append(InputProblem("search.returnDate", "must not be before departureDate"))
        else:
            _travel_date("search.returnDate", query.return_date, today, problems)
    if query.adults < 1:
        problems.append(InputProblem("search.adults", "at least one adult must travel"))
    ages_fine = _ages("search.childrenAges", query.children_ages, problems)
    if query.children < 0:
        problems.append(InputProblem("search.children", "must not be negative"))
    if query.infants < 0:
        problems.append(InputProblem("search.infants", "must not be negative"))
    if query.counted_only and query.children_ages:
        field = "search.children" if query.children else "search.infants"
        problems.append(
            InputProblem(field, "give every child's age in childrenAges, and no counts")
        )
    elif query.counted_only and ages_needed_by is not None:
        field = "search.children" if query.children else "search.infants"
        problems.append(
            InputProblem(
                field,
                f"deprecated: give each child's age in childrenAges instead ({ages_needed_by} "
                "prices children by age)",
            )
        )
    if ages_fine and query.children >= 0 and query.infants >= 0:
        if query.lap_infants > max(query.adults, 0):
            problems.append(
                InputProblem(
                    "search.childrenAges" if query.children_ages else "search.infants",
                    f"each child aged {LAP_INFANT_AGE} or under travels on an adult's lap: "
                    "at most one per adult",
                )
            )
        if query.seated > MAX_SEATED_PASSENGERS:
            problems.append(
                InputProblem(
                    "search.adults",
                    f"at most {MAX_SEATED_PASSENGERS} seated passengers (adults and children "
                    f"over {LAP_INFANT_AGE})",
                )
            )
    _currency("search.currency", query.currency, problems)
    if query.max_price is not None and not query.max_price > 0:
        problems.append(InputProblem("search.maxPrice", "must be a positive amount"))
    if flight_filter is not None:
        _flight_filter(flight_filter, problems)
    if problems:
        raise BadUserInput(problems)


def _flight_filter(flight_filter: FlightFilter, problems: list[InputProblem]) -> None:
    bags = flight_filter.included_checked_bags
    if bags is not None and not 0 <= bags <= MAX_CHECKED_BAGS:
        problems.append(
            InputProblem(
                "search.filter.includedCheckedBags",
                f"must be from 0 to {MAX_CHECKED_BAGS}, got {bags}",
            )
        )
    stops = flight_filter.max_stops
    if stops is not None and not 0 <= stops <= MAX_STOPS:
        problems.append(
            InputProblem("search.filter.maxStops", f"must be from 0 to {MAX_STOPS}, got {stops}")
        )
    for field, codes in (
        ("search.filter.includedCarriers", flight_filter.included_carriers),
        ("search.filter.excludedCarriers", flight_filter.excluded_carriers),
    ):
        if len(codes) > MAX_FILTER_CARRIERS:
            problems.append(
                InputProblem(field, f"at most {MAX_FILTER_CARRIERS} carriers, got {len(codes)}")
            )
            continue
        for index, code in enumerate(codes):
            if not _CARRIER.match(code):
                problems.append(
                    InputProblem(
                        f"{field}[{index}]",
                        f"must be a 2-character IATA airline code, got {excerpt(code)}",
                    )
                )
    both = sorted(
        code
        for code in set(flight_filter.included_carriers) & set(flight_filter.excluded_carriers)
        if _CARRIER.match(code)
    )
    if both:
        problems.append(
            InputProblem(
                "search.filter.excludedCarriers",
                f"{', '.join(both[:5])} also included: an offer cannot be both",
            )
        )


def check_hotel_query(query: HotelQuery, today: date | None = None) -> None:
    """Raise `BadUserInput` listing every problem with `query`."""
    today = today or earliest_today()
    problems: list[InputProblem] = []
    if not _CODE.match(query.city_code):
        problems.append(
            InputProblem(
                "search.cityCode", f"must be a 3-letter IATA code, got {excerpt(query.city_code)}"
            )
        )
    elif reference.city(query.city_code) is None:
        problems.append(
            InputProblem("search.cityCode", f"{excerpt(query.city_code)} is not a known city code")
        )
    _travel_date("search.checkIn", query.check_in, today, problems)
    if query.check_out <= query.check_in:
        problems.append(InputProblem("search.checkOut", "must be after checkIn"))
    elif query.nights > MAX_NIGHTS:
        problems.append(InputProblem("search.checkOut", f"stays are at most {MAX_NIGHTS} nights"))
    if not 1 <= query.rooms <= MAX_ROOMS:
        problems.append(InputProblem("search.rooms", f"must be from 1 to {MAX_ROOMS}"))
    ages_fine = _ages("search.childrenAges", query.children_ages, problems)
    if query.adults < 1:
        problems.append(InputProblem("search.adults", "at least one adult must stay"))
    elif query.adults < query.rooms:
        problems.append(InputProblem("search.adults", "each room needs at least one adult"))
    elif (
        ages_fine
        and 1 <= query.rooms <= MAX_ROOMS
        and any(party.guests > MAX_GUESTS_PER_ROOM for party in query.parties())
    ):
        problems.append(
            InputProblem(
                "search.childrenAges" if query.children_ages else "search.adults",
                f"at most {MAX_GUESTS_PER_ROOM} guests (adults and children) per room",
            )
        )
    _currency("search.currency", query.currency, problems)
    if problems:
        raise BadUserInput(problems)


def check_location_search(query: str, first: int) -> str:
    """The trimmed `query`; `BadUserInput` listing every problem with the arguments."""
    text = query.strip()
    problems: list[InputProblem] = []
    if not text:
        problems.append(InputProblem("query", "must not be empty"))
    elif len(text) > MAX_LOCATION_QUERY:
        problems.append(
            InputProblem(
                "query", f"must be at most {MAX_LOCATION_QUERY} characters, got {excerpt(text)}"
            )
        )
    if not 1 <= first <= MAX_RESULTS:
        problems.append(InputProblem("first", f"must be from 1 to {MAX_RESULTS}, got {first}"))
    if problems:
        raise BadUserInput(problems)
    return text
