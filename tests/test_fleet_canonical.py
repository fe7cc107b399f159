"""One search, one identity (issue 18, item 3): every spelling of one search counts once in the
search budget and makes one upstream call per provider, in one document, in separate requests,
and across two gateway processes sharing a Redis."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.config import Settings
from gateway.domain import FlightQuery, HotelQuery
from gateway.providers.amadeus import queries as amadeus_queries
from gateway.search import canonical
from gateway.search.entries import search_key
from simulators import registry as sim_registry
from simulators.common.faults import FaultConfig
from tests.helpers import Simulators, days_ahead, gateway, simulators
from tests.served import served_gateway

pytestmark = pytest.mark.e2e

SEARCH_PATHS = {
    "/v2/shopping/flight-offers": 1,  # Amadeus flights
    "/air/offer_requests": 1,  # Duffel flights
    "/v1/reference-data/locations/hotels/by-city": 1,  # Amadeus hotels: the city's list...
    "/v3/shopping/hotel-offers": 3,  # ... then its offers, in 3 batches of 20 hotels (PAR)
    "/stays/search": 1,  # Duffel Stays
    "/hotel-api/1.0/hotels": 1,  # Hotelbeds
    "/v3.0/hotels/rates": 1,  # LiteAPI
}
"""Each provider's search endpoints, and the calls one search makes to each."""
FLIGHT_PATHS = ("/v2/shopping/flight-offers", "/air/offer_requests")
DAY = date.today() + timedelta(days=30)

SELECTION = "{ offers { totalCount } providers { provider status } }"


def search_calls(sims: Simulators) -> dict[str, int]:
    """Calls so far to each provider's search endpoints (tokens and re-pricing aside)."""
    calls = {path: 0 for path in SEARCH_PATHS}
    for state in sims.states.values():
        for path, count in state.calls.items():
            if path in calls:
                calls[path] += count
    return calls


def made(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    return {path: after[path] - before[path] for path in SEARCH_PATHS}


def aliased(flights: list[dict[str, Any]], hotels: list[dict[str, Any]]) -> tuple[str, dict]:
    """One document searching each of `flights` and `hotels` under its own alias."""
    names = [f"$f{i}: FlightSearchInput!" for i in range(len(flights))]
    names += [f"$h{i}: HotelSearchInput!" for i in range(len(hotels))]
    fields = [f"f{i}: flights(search: $f{i}, first: 1) {SELECTION}" for i in range(len(flights))]
    fields += [f"h{i}: hotels(search: $h{i}, first: 1) {SELECTION}" for i in range(len(hotels))]
    variables = {f"f{i}": s for i, s in enumerate(flights)}
    variables |= {f"h{i}": s for i, s in enumerate(hotels)}
    document = f"query Spellings({', '.join(names)}) {{ {' '.join(fields)} }}"
    return document, variables


# --- Spellings --------------------------------------------------------------------------------


def amount_spellings(value: Decimal) -> st.SearchStrategy[str | int]:
    """Ways to write `value` that a Decimal reads as it: trailing zeros, exponents, leading
    zeros, the letter's case, an integer in JSON."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)

    @st.composite
    def spelled(draw: st.DrawFn) -> str | int:
        zeros = draw(st.integers(0, 4))
        mantissa = "".join(map(str, digits)) + "0" * zeros
        shift = exponent - zeros
        form = draw(st.sampled_from(["fixed", "exponent", "int"]))
        if form == "int" and value == value.to_integral_value():
            return int(value)
        if form == "exponent":
            letter = draw(st.sampled_from(["E", "e"]))
            plus = "+" if shift >= 0 and draw(st.booleans()) else ""
            return f"{mantissa}{letter}{plus}{shift}"
        fixed = format(Decimal((sign, tuple(int(d) for d in mantissa), shift)), "f")
        return "0" * draw(st.integers(0, 2)) + fixed

    return spelled()


def code_spellings(code: str) -> st.SearchStrategy[str]:
    @st.composite
    def spelled(draw: st.DrawFn) -> str:
        letters = "".join(c.lower() if draw(st.booleans()) else c for c in code)
        return " " * draw(st.integers(0, 2)) + letters + " " * draw(st.integers(0, 2))

    return spelled()


@st.composite
def flight_spelling(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """`base` (a canonical flight search) written another way that means the same search."""
    search: dict[str, Any] = {
        "origin": draw(code_spellings(base["origin"])),
        "destination": draw(code_spellings(base["destination"])),
        "departureDate": base["departureDate"],
        "maxPrice": draw(amount_spellings(Decimal(base["maxPrice"]))),
    }
    if base["childrenAges"] or draw(st.booleans()):
        search["childrenAges"] = draw(st.permutations(base["childrenAges"]))
    defaults = {"adults": 1, "cabin": "ECONOMY", "nonStop": False, "returnDate": None}
    for name, value in defaults.items():
        if draw(st.booleans()):
            search[name] = value
    if draw(st.booleans()):
        search["currency"] = draw(code_spellings("EUR"))  # the default currency
    if draw(st.booleans()):  # a filter is applied to the answers: never another search
        search["filter"] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "maxStops": st.integers(0, 3),
                    "refundableOnly": st.booleans(),
                    "includedCarriers": st.lists(st.sampled_from(["BA", "aa", " af "]), max_size=3),
                },
            )
        )
    return search


@st.composite
def hotel_spelling(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    search: dict[str, Any] = {
        "cityCode": draw(code_spellings(base["cityCode"])),
        "checkIn": base["checkIn"],
        "checkOut": base["checkOut"],
    }
    if base["childrenAges"] or draw(st.booleans()):
        search["childrenAges"] = draw(st.permutations(base["childrenAges"]))
    for name, default in {"adults": 1, "rooms": 1}.items():
        if base[name] != default or draw(st.booleans()):
            search[name] = base[name]
    if draw(st.booleans()):
        search["currency"] = draw(code_spellings("EUR"))
    return search


@st.composite
def searches(draw: st.DrawFn) -> dict[str, Any]:
    """One flight and one hotel search, each as several spellings (the first as written by a
    careful client)."""
    flight = {
        "origin": draw(st.sampled_from(["LON", "PAR", "MAD"])),
        "destination": "NYC",
        "departureDate": days_ahead(draw(st.integers(20, 200))),
        "maxPrice": str(draw(st.decimals(Decimal("50"), Decimal("5000"), places=2))),
        "childrenAges": draw(st.lists(st.integers(2, 17), max_size=3)),
    }
    stay = draw(st.integers(20, 200))
    hotel = {
        "cityCode": "PAR",
        "checkIn": days_ahead(stay),
        "checkOut": days_ahead(stay + draw(st.integers(1, 5))),
        "childrenAges": draw(st.lists(st.integers(0, 17), max_size=3)),
        "adults": draw(st.integers(1, 2)),
        "rooms": 1,
    }
    return {
        "flights": draw(st.lists(flight_spelling(flight), min_size=2, max_size=6)),
        "hotels": draw(st.lists(hotel_spelling(hotel), min_size=2, max_size=6)),
    }


def later(search: dict[str, Any]) -> dict[str, Any]:
    """`search` a day later: another search, spelled the same."""
    return {
        name: days_later(value) if name in DATE_FIELDS else value for name, value in search.items()
    }


DATE_FIELDS = frozenset({"departureDate", "checkIn", "checkOut"})


def days_later(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


# --- The finding ------------------------------------------------------------------------------

TWENTY_SPELLINGS_OF_900: list[str | int] = [
    "900", "900.0", "900.00", "900.000", "900.0000", "9E2", "9e2", "9E+2", "90E1", "900E0",
    "0.9E3", "9.0E2", "9.00E+2", "0900", "00900.0", "9000E-1", "90000E-2", "9.000E2", "0.90E3",
    900,
]  # fmt: skip


async def test_twenty_spellings_of_one_max_price_make_one_call_per_provider() -> None:
    """The finding: 20 aliases of one flight search, `maxPrice` written 20 ways, passed the
    budget as one search (it compared amounts by value) and made 40 upstream calls (the cache
    key digested their text)."""
    base = {"origin": "LON", "destination": "NYC", "departureDate": days_ahead(40)}
    flights = [{**base, "maxPrice": price} for price in TWENTY_SPELLINGS_OF_900]
    document, variables = aliased(flights, [])
    async with simulators(FaultConfig(latency_ms=5)) as sims, gateway(Settings(), sims) as client:
        status, body = await client.post(document, variables)
    assert status == 200, body
    assert "errors" not in body, body["errors"]
    calls = search_calls(sims)
    assert {path: calls[path] for path in FLIGHT_PATHS} == dict.fromkeys(FLIGHT_PATHS, 1)


# --- The property, through the public API -----------------------------------------------------


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spelled=searches())
async def test_equal_searches_spelled_differently_are_one_search(spelled: dict[str, Any]) -> None:
    """Aliases in one document pass a budget of one search per field and make one call per
    provider; so do separate requests at once (the same spellings a day later, so the first
    document's answers are not simply cached)."""
    again = {field: [later(search) for search in spelled[field]] for field in spelled}
    one_each = Settings(max_flight_searches=1, max_hotel_searches=1)
    async with simulators(FaultConfig(latency_ms=20)) as sims, gateway(one_each, sims) as client:
        document, variables = aliased(spelled["flights"], spelled["hotels"])
        status, body = await client.post(document, variables)
        assert status == 200, body
        assert "errors" not in body, body["errors"]
        in_one_document = search_calls(sims)

        requests = [aliased([flight], []) for flight in again["flights"]]
        requests += [aliased([], [hotel]) for hotel in again["hotels"]]
        answers = await asyncio.gather(*(client.post(d, v) for d, v in requests))
        assert all(status == 200 and "errors" not in body for status, body in answers), answers
        in_requests = made(in_one_document, search_calls(sims))
    for calls in (in_one_document, in_requests):
        for path in FLIGHT_PATHS:
            assert calls[path] == 1, calls
        for path, at_most in SEARCH_PATHS.items():
            assert calls[path] <= at_most, calls


def test_canonical_amounts_are_one_value_one_text() -> None:
    for spelling in TWENTY_SPELLINGS_OF_900:
        written = canonical.amount(Decimal(spelling))
        assert str(written) == "900"
    assert str(canonical.amount(Decimal("0.50"))) == "0.5"
    assert str(canonical.amount(Decimal("-0.00"))) == "0"


@settings(max_examples=300, deadline=None)
@given(
    value=st.decimals(allow_nan=False, allow_infinity=False, places=None),
    zeros=st.integers(0, 6),
)
def test_a_canonical_amount_keeps_the_value_and_is_one_text(value: Decimal, zeros: int) -> None:
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    padded = Decimal((sign, digits + (0,) * zeros, exponent - zeros))  # same value, other text
    written = canonical.amount(value)
    assert str(canonical.amount(padded)) == str(written)
    assert str(canonical.amount(written)) == str(written)  # its own canonical form
    if value.copy_abs() < canonical.CEILING:
        assert written == value
    else:
        assert written == canonical.CEILING.copy_sign(value)


def test_a_max_price_no_offer_reaches_is_the_bound_and_stays_small_upstream() -> None:
    """No shown offer costs `MAX_AMOUNT` or more, so a larger `maxPrice` keeps the same offers:
    it is that bound, and what Amadeus is sent stays a short number (written out, "1E+999999999"
    rounded up to whole units would hold the process for minutes)."""
    query = FlightQuery("LON", "NYC", DAY, max_price=Decimal("1E+999999999"))
    written = canonical.flight_query(query)
    assert written.max_price == canonical.CEILING
    assert amadeus_queries.flight_search(written, 50)["maxPrice"] == "1000000000000"


def test_the_cache_key_is_the_canonical_querys() -> None:
    day = DAY
    plain = FlightQuery("LON", "NYC", day, max_price=Decimal("100"), children_ages=(3, 9))
    spelled = FlightQuery(" lon", "nyc ", day, max_price=Decimal("1.00E+2"), children_ages=(9, 3))
    assert search_key("flights", "duffel", plain) == search_key("flights", "duffel", spelled)
    hotel = HotelQuery("PAR", day, day, children_ages=(4, 2), currency="EUR")
    other = HotelQuery(" par", day, day, children_ages=(2, 4), currency=" eur")
    assert search_key("hotels", "liteapi", hotel) == search_key("hotels", "liteapi", other)
    assert search_key("hotels", "liteapi", hotel) != search_key(
        "hotels", "liteapi", HotelQuery("PAR", day, day, children_ages=(2, 5))
    )


# --- Two gateway processes sharing a Redis ----------------------------------------------------


def simulated_env(sims: Simulators, redis_url: str) -> dict[str, str]:
    """A gateway process pointed at the test's simulators and the shared Redis."""
    env = {"GATEWAY_CACHE_URL": redis_url, "GATEWAY_CACHE_SIGNING_KEY": "s" * 32}
    for name, url in sims.urls().items():
        env |= sim_registry.spec(name).simulated_env(url)
    return env


async def test_spellings_split_over_two_processes_make_one_call_per_provider(
    fresh_redis: str,
) -> None:
    import aiohttp

    base = {"origin": "LON", "destination": "NYC", "departureDate": days_ahead(45)}
    rng = random.Random(18)
    flights = [
        {**base, "maxPrice": price, "origin": rng.choice(["LON", " lon", "Lon "])}
        for price in TWENTY_SPELLINGS_OF_900[:8]
    ]
    hotel = {"cityCode": "PAR", "checkIn": days_ahead(45), "checkOut": days_ahead(47)}
    hotels = [
        {**hotel, "cityCode": " par"},
        {**hotel, "currency": "eur", "adults": 1},
        {**hotel, "rooms": 1, "childrenAges": []},
        hotel,
    ]
    async with simulators(FaultConfig(latency_ms=150)) as sims:
        env = simulated_env(sims, fresh_redis)
        async with served_gateway(env) as one, served_gateway(env) as two:
            requests = [aliased([flight], []) for flight in flights]
            requests += [aliased([], [hotel]) for hotel in hotels]
            async with aiohttp.ClientSession() as session:

                async def post(url: str, document: str, variables: dict) -> dict[str, Any]:
                    payload = {"query": document, "variables": variables}
                    async with session.post(f"{url}/graphql", json=payload) as response:
                        assert response.status == 200
                        return dict(await response.json())

                answers = await asyncio.gather(
                    *(
                        post((one, two)[i % 2].url, document, variables)
                        for i, (document, variables) in enumerate(requests)
                    )
                )
    assert all("errors" not in body for body in answers), answers
    calls = search_calls(sims)
    for path in FLIGHT_PATHS:
        assert calls[path] == 1, calls
    for path, at_most in SEARCH_PATHS.items():
        assert calls[path] <= at_most, calls


async def test_a_huge_max_price_is_searched_as_the_bound_and_never_holds_the_process() -> None:
    """Found while writing the canonical amount: `maxPrice: "1E+999999999"` passed every check
    (it is positive) and Amadeus's adapter rounded it up to whole units, a billion-digit
    integer: the process stopped answering anything, `/healthz` included, for minutes. A real
    process, so a frozen one fails this test (by its time-out, a bound on a hang, not on
    speed) instead of freezing the test run."""
    import aiohttp

    document, variables = aliased(
        [{"origin": "LON", "destination": "NYC", "departureDate": days_ahead(30),
          "maxPrice": "1E+999999999"}],
        [],
    )  # fmt: skip
    async with served_gateway() as served, aiohttp.ClientSession() as session:
        payload = {"query": document, "variables": variables}
        async with asyncio.timeout(HANG_S):
            async with session.post(f"{served.url}/graphql", json=payload) as response:
                body = await response.json()
            async with session.get(f"{served.url}/healthz") as health:
                assert health.status == 200
    assert "errors" not in body, body
    outcomes = {o["provider"]: o["status"] for o in body["data"]["f0"]["providers"]}
    assert outcomes["amadeus"] == "OK"
    assert body["data"]["f0"]["offers"]["totalCount"] > 0  # every offer is under the bound


HANG_S = 30.0
"""Long enough for any search on a loaded machine; a frozen process takes minutes."""


def test_the_budget_reads_every_field_of_the_search_inputs() -> None:
    """The budget reads a search argument by the inputs' GraphQL names: a field it did not know
    would count every search using it apart (too many, never too few), so keep them in step."""
    from gateway.api.schema import inputs
    from gateway.api.schema.build import build_schema

    types = build_schema()._schema.type_map
    for name, known in [
        ("FlightSearchInput", inputs._FLIGHT_SEARCH_FIELDS),
        ("HotelSearchInput", inputs._HOTEL_SEARCH_FIELDS),
    ]:
        assert set(types[name].fields) == set(known)  # type: ignore[attr-defined]
