"""Differential tests: the lean execution path answers exactly as graphql-core does.

Generated queries over the schema (aliases, fragments, inline fragments, `@skip`/`@include` with
literals and variables, `__typename`) run through both execution contexts over the same data,
including nulls in nullable fields, empty lists, and broken objects that make graphql-core
report errors; data and errors must be identical.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway import domain
from gateway.api.admission.documents import DocumentRejected, PreparedDocument
from gateway.api.schema.build import build_schema
from gateway.api.schema.context import Context
from gateway.compat.graphql_core.execution import LeanExecutionContext
from gateway.search.paging import page_of
from gateway.search.results import ResultStore

pytestmark = pytest.mark.unit

LEAN = build_schema()
PLAIN = build_schema(execution_context_class=StrawberryGraphQLCoreExecutionContext)
assert LEAN.execution_context_class is LeanExecutionContext


def money(rng: random.Random) -> domain.Money:
    return domain.Money(Decimal(rng.randint(1000, 99999)) / 100, rng.choice(["EUR", "USD"]))


def maybe(rng: random.Random, value: Any) -> Any:
    return value if rng.random() < 0.6 else None


def flight(rng: random.Random, index: int) -> domain.FlightOffer:
    def segment() -> domain.Segment:
        at = datetime(2027, 1, 1, rng.randint(0, 23), rng.choice([0, 15, 30]))
        return domain.Segment(
            carrier=domain.Carrier(rng.choice(["AF", "LH"]), maybe(rng, "Air")),
            flight_number=str(rng.randint(1, 9999)),
            departure=domain.FlightPoint("CDG", at, maybe(rng, "2")),
            arrival=domain.FlightPoint("JFK", at + timedelta(hours=8), maybe(rng, "4")),
            duration_minutes=480,
            operating_carrier=maybe(rng, domain.Carrier("DL")),
            aircraft=maybe(rng, "A350"),
            cabin=maybe(rng, rng.choice(list(domain.CabinClass))),
        )

    def bags() -> domain.BagAllowance | None:
        if rng.random() < 0.5:
            return maybe(rng, domain.BagAllowance(quantity=rng.randint(0, 2)))
        return domain.BagAllowance(weight=23, weight_unit="KG")

    def condition() -> domain.FareCondition:
        allowed = maybe(rng, rng.random() < 0.5)
        return domain.FareCondition(allowed, money(rng) if allowed else None)

    def fare(n: int) -> domain.Fare:
        sources = tuple(
            domain.FareSource(
                name,
                f"{name}-{index}-{n}",
                money(rng),
                base=maybe(rng, money(rng)),
                taxes=maybe(rng, money(rng)),
                per_traveller=tuple(
                    domain.TravellerPrice(kind, rng.randint(1, 3), money(rng))
                    for kind in rng.sample(list(domain.TravellerType), rng.randint(0, 3))
                ),
                expires_at=maybe(rng, datetime(2027, 1, 1, 12, 30, tzinfo=UTC)),
                last_ticketing_date=maybe(rng, date(2027, 1, 1)),
            )
            for name in rng.sample(["amadeus", "duffel"], rng.randint(1, 2))
        )
        return domain.Fare(
            id=f"P{index}-{n}",
            price=sources[0].price,
            sources=sources,
            brand_name=maybe(rng, rng.choice(["Basic", "Flex"])),
            segments=tuple(
                domain.FareSegment(
                    maybe(rng, rng.choice(list(domain.CabinClass))),
                    maybe(rng, "Y"),
                    maybe(rng, "YFLEX"),
                )
                for _ in range(rng.randint(0, 2))
            ),
            included_checked_bags=bags(),
            included_cabin_bags=bags(),
            refund=condition(),
            change=condition(),
            co2_kg=maybe(rng, Decimal(rng.randint(100, 900))),
        )

    price = money(rng)
    itineraries = tuple(
        domain.Itinerary(rng.randint(60, 900), tuple(segment() for _ in range(rng.randint(1, 3))))
        for _ in range(rng.randint(1, 2))
    )
    return domain.FlightOffer(
        id=f"F{index}",
        price=price,
        itineraries=itineraries,
        sources=tuple(
            domain.OfferSource(name, f"{name}-{index}", price)
            for name in rng.sample(["amadeus", "duffel"], rng.randint(1, 2))
        ),
        fares=tuple(fare(n) for n in range(rng.randint(0, 3))),
        validating_carrier=maybe(rng, domain.Carrier("AF", "Air France")),
        seats_available=maybe(rng, rng.randint(1, 9)),
        last_ticketing_date=maybe(rng, date(2027, 1, 1)),
    )


def hotel(rng: random.Random, index: int) -> domain.HotelOffer:
    price = money(rng)
    rooms = tuple(
        domain.RoomOffer(
            id=f"R{index}-{n}",
            offer_id=f"amadeus-R{index}-{n}",
            provider="amadeus",
            price=money(rng),
            check_in=date(2027, 1, 1),
            check_out=date(2027, 1, 3),
            description=maybe(rng, "Double"),
            board_type=maybe(rng, rng.choice(list(domain.BoardType))),
            refundable=maybe(rng, rng.random() < 0.5),
            free_cancellation_until=maybe(rng, datetime(2027, 1, 1, 11, tzinfo=UTC)),
            cancellation_penalty=maybe(rng, money(rng)),
            included_taxes=maybe(rng, money(rng)),
            due_at_hotel=maybe(rng, money(rng)),
        )
        for n in range(rng.randint(0, 3))
    )
    return domain.HotelOffer(
        id=f"O{index}",
        hotel=domain.Hotel(
            id=f"H{index}",
            name=f"Hotel {index}",
            chain_code=maybe(rng, "HL"),
            city_code=maybe(rng, "PAR"),
            location=maybe(rng, domain.GeoPoint(48.85, 2.35)),
            rating=maybe(rng, rng.randint(1, 5)),
            distance_km=maybe(rng, 1.5),
            address=maybe(rng, domain.Address(line=maybe(rng, "1 rue"), country_code="FR")),
            review_score=maybe(rng, domain.ReviewScore(8.4, 10.0, maybe(rng, 120))),
            amenities=maybe(
                rng, tuple(a.value for a in rng.sample(list(domain.Amenity), rng.randint(0, 3)))
            ),
        ),
        price=price,
        rooms=rooms,
        sources=(domain.OfferSource("amadeus", f"R{index}", price),),
    )


class FakeSearch:
    """Stands in for the search service: fixed pages, and optionally broken objects."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.flights = tuple(flight(rng, i) for i in range(rng.randint(0, 6)))
        self.hotels = tuple(hotel(rng, i) for i in range(rng.randint(0, 6)))
        self.store = ResultStore()
        self.outcomes = (
            domain.ProviderOutcome("amadeus", domain.ProviderStatus.OK, 12, 3),
            domain.ProviderOutcome("duffel", domain.ProviderStatus.TIMEOUT, 8000, 0, "slow"),
        )
        self.pages: dict[str, Any] = {}

    async def search_flights(self, query: Any, order: Any, page: Any, *_: Any) -> Any:
        return self._page("f", self.flights, page.first)

    async def search_hotels(self, query: Any, order: Any, page: Any) -> Any:
        return self._page("h", self.hotels, page.first)

    def _page(self, name: str, items: tuple[Any, ...], first: int) -> Any:
        """The same page (same cursors) for both execution paths."""
        if name not in self.pages:
            self.pages[name] = page_of(self.store.put(name, items, self.outcomes), 0, first)
        return self.pages[name]

    def provider_info(self) -> list[domain.ProviderInfo]:
        return [domain.ProviderInfo("amadeus", ("flights", "hotels"), "simulated")]


SEARCHES = (
    'flights(search: {origin: "PAR", destination: "NYC", departureDate: "2030-01-01"}, first: 5)',
    'hotels(search: {cityCode: "PAR", checkIn: "2030-01-01", checkOut: "2030-01-03"}, first: 5)',
)


def _named(gql_type: Any) -> Any:
    while isinstance(gql_type, GraphQLNonNull | GraphQLList):
        gql_type = gql_type.of_type
    return gql_type


WRAPS = ("plain", "inline", "typename")
"""How a generated field may be wrapped (`tests/test_incremental_execution.py` adds `@defer`)."""


@st.composite
def selection(
    draw: st.DrawFn, type_name: str, depth: int = 0, wraps: tuple[str, ...] = WRAPS
) -> str:
    """A random selection set over `type_name`, every leaf reachable within a few levels."""
    schema: GraphQLSchema = LEAN._schema
    object_type = schema.type_map[type_name]
    assert isinstance(object_type, GraphQLObjectType)
    names = sorted(object_type.fields)
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=min(5, len(names))))
    parts = []
    for index, name in enumerate(chosen):
        target = _named(object_type.fields[name].type)
        alias = draw(st.sampled_from(["", f"a{depth}_{index}: "]))
        directive = draw(
            st.sampled_from(
                [
                    "",
                    " @skip(if: true)",
                    " @include(if: true)",
                    " @include(if: $flag)",
                    " @skip(if: $flag)",
                ]
            )
        )
        if isinstance(target, GraphQLObjectType):
            if depth >= 4:
                continue
            inner = draw(selection(target.name, depth + 1, wraps))
            field = f"{alias}{name}{directive} {{ {inner} }}"
        else:
            field = f"{alias}{name}{directive}"
        wrap = draw(st.sampled_from(wraps))
        if wrap == "inline":
            field = f"... on {type_name} {{ {field} }}"
        elif wrap == "typename":
            field = f"__typename {field}"
        elif wrap == "defer":
            field = f"... @defer {{ {field} }}"
        elif wrap == "defer if":
            field = f"... on {type_name} @defer(if: $flag) {{ {field} }}"
        parts.append(field)
    return " ".join(parts) or "__typename"


async def run_both(query: str, variables: dict[str, Any], search: FakeSearch) -> tuple[Any, Any]:
    results = []
    for schema in (LEAN, PLAIN):
        # As the HTTP layer runs it: the document prepared by the schema's store.
        try:
            prepared: PreparedDocument | None = schema.documents.prepare(query)
        except DocumentRejected:
            prepared = None  # the schema reports it, as the HTTP layer would
        context = Context(search=search, request_id="test", prepared=prepared)  # type: ignore[arg-type]
        result = await schema.execute(query, variable_values=variables, context_value=context)
        errors = sorted(
            (
                e.message,
                tuple(e.path or ()),
                tuple((loc.line, loc.column) for loc in e.locations or ()),
            )
            for e in result.errors or ()
        )
        results.append((result.data, errors))
    return results[0], results[1]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    field=st.sampled_from([0, 1]),
    inner=st.data(),
    flag=st.booleans(),
    fragment=st.booleans(),
)
async def test_generated_queries_match_graphql_core(
    seed: int, field: int, inner: st.DataObject, flag: bool, fragment: bool
) -> None:
    type_name = ("FlightSearch", "HotelSearch")[field]
    body = inner.draw(selection(type_name))
    if fragment:
        query = (
            f"query Q($flag: Boolean!) {{ {SEARCHES[field]} {{ ...Part }} }} "
            f"fragment Part on {type_name} {{ {body} }}"
        )
    else:
        query = f"query Q($flag: Boolean!) {{ {SEARCHES[field]} {{ {body} }} }}"
    lean, plain = await run_both(query, {"flag": flag}, FakeSearch(seed))
    assert lean == plain


BROKEN = {
    # A custom scalar refusing a value: an expiry without an offset is no instant.
    "expiresAt": lambda o: replace(
        o,
        fares=(
            domain.Fare(
                id="P",
                price=o.price,
                sources=(
                    domain.FareSource("amadeus", "1", o.price, expires_at=datetime(2027, 1, 1)),
                ),
            ),
        ),
    ),
    # A non-null field holding null: graphql-core's error and null propagation.
    "price": lambda o: replace(o, price=None),
    # A list field holding a non-list.
    "itineraries": lambda o: replace(o, itineraries=42),
    # An enum field holding a value the enum cannot serialise.
    "cabin": lambda o: replace(
        o,
        itineraries=(
            replace(o.itineraries[0], segments=(replace(o.itineraries[0].segments[0], cabin="X"),)),
        ),
    ),
}

FULL_FLIGHTS = """{ flights(
    search: {origin: "PAR", destination: "NYC", departureDate: "2030-01-01"}) {
  offers { totalCount edges { cursor node { id price { amount currency }
    itineraries { durationMinutes stops segments { carrier { code name } flightNumber cabin
      departure { airport at } } } sources { provider price { amount } }
    fares { id brandName refund { allowed } sources { provider expiresAt } } } } }
  providers { provider status message } } }"""


@pytest.mark.parametrize("fault", list(BROKEN))
async def test_errors_match_graphql_core(fault: str) -> None:
    search = FakeSearch(3)
    flights = [flight(random.Random(i), i) for i in range(4)]
    search.flights = tuple(BROKEN[fault](o) if o.id == "F1" else o for o in flights)
    lean, plain = await run_both(FULL_FLIGHTS, {}, search)
    assert plain[1], "the broken object should make graphql-core report an error"
    assert lean == plain


async def test_plans_are_reused_across_requests() -> None:
    """Plans live with the prepared document, so a repeated document reuses them."""
    search = FakeSearch(11)
    prepared = LEAN.documents.prepare(FULL_FLIGHTS)
    await run_both(FULL_FLIGHTS, {}, search)
    sets = [dict(entry.plans) for entry in prepared.plans._operations.values()]
    assert len(prepared.plans) == 1
    await run_both(FULL_FLIGHTS, {}, search)
    assert LEAN.documents.prepare(FULL_FLIGHTS) is prepared
    assert [dict(entry.plans) for entry in prepared.plans._operations.values()] == sets
    assert any(
        plan is not None for group in sets for plans in group.values() for plan in plans.values()
    )


async def test_plan_sets_per_operation_are_capped() -> None:
    """Found: every combination of `@skip`/`@include` variable values added a set of plans."""
    from gateway.compat.graphql_core.execution import PLAN_SETS_PER_OPERATION

    flags = [f"f{i}" for i in range(8)]
    declared = ", ".join(f"${flag}: Boolean!" for flag in flags)
    fields = " ".join(f"{flag}: providers @include(if: ${flag}) {{ name }}" for flag in flags)
    query = f"query({declared}) {{ {fields} }}"
    prepared = LEAN.documents.prepare(query)
    search = FakeSearch(1)
    for combination in range(40):
        variables = {flag: bool(combination >> i & 1) for i, flag in enumerate(flags)}
        context = Context(search=search, request_id="t", prepared=prepared)  # type: ignore[arg-type]
        result = await LEAN.execute(query, variable_values=variables, context_value=context)
        assert result.errors is None
    assert len(prepared.plans) == PLAN_SETS_PER_OPERATION
