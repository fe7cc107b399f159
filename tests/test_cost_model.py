"""The cost model's list sizes (gateway/api/admission/measure.py), on a small schema of its own; the
gateway's own model (gateway/api/schema/build.py) sized from the provider registry."""

from __future__ import annotations

from typing import Any

import graphql
import pytest

from gateway.api.admission.measure import OWN_FIRST, PAGE, CostModel, DocumentLimits, measure
from gateway.api.schema.build import LIST_SIZES, build_schema, list_sizes
from gateway.providers import registry
from gateway.providers.spec import ProviderSpec

pytestmark = pytest.mark.unit

SCHEMA = graphql.build_schema(
    """
    type Query { places(query: String, first: Int = 10): [Place!]!  pages: [Place!]!
                 search(first: Int = 20): Search }
    type Search { nodes: [Place!]! }
    type Place { name: String  point: Point  nearby(first: Int): [Place!]! }
    type Point { x: Float }
    """
)
COSTS = CostModel(
    search_fields=frozenset({"search"}),
    list_sizes={
        ("Query", "places"): OWN_FIRST,
        ("Place", "nearby"): OWN_FIRST,
        ("Query", "pages"): PAGE,
        ("Search", "nodes"): PAGE,
    },
    max_page=100,
)


def cost(document: str) -> int:
    [operation] = measure(graphql.parse(document), SCHEMA, DocumentLimits(), COSTS)
    return operation.fixed_cost


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ('{ places(query: "a", first: 3) { name point { x } } }', 3 * 2),
        ('{ places(query: "a") { name point { x } } }', 10 * 2),  # the argument's default
        ("query($n: Int) { places(first: $n) { point { x } } }", 100 * 2),  # any value: the most
        ("{ places(first: 0) { point { x } } }", 0),
        ("{ places(first: -5) { point { x } } }", 0),
        ("{ places(first: 5000) { point { x } } }", 100 * 2),
        ("{ places(first: 99999999999999999999999) { name } }", 100),  # not converted
        ('{ places(first: "x") { name } }', 100),  # validation refuses it later
        ("{ places(first: 2) { nearby { name } } }", 2 * (1 + 100)),  # no default: the most
        ("{ places(first: 2) { nearby(first: 3) { point { x } } } }", 2 * (1 + 3 * 2)),
    ],
)
def test_a_list_sized_by_its_own_first_costs_that_many_items(document: str, expected: int) -> None:
    assert cost(document) == expected


def test_fragments_price_their_own_first_where_written() -> None:
    document = """
        { ...A ...A }
        fragment A on Query { places(first: 4) { point { x } } }
    """
    [operation] = measure(graphql.parse(document), SCHEMA, DocumentLimits(max_aliases=5), COSTS)
    assert operation.fixed_cost == 2 * 4 * 2


def test_a_page_outside_any_search_costs_the_largest_page() -> None:
    assert cost("{ pages { point { x } } }") == 100 * 2


def test_a_page_inside_a_search_is_left_for_the_budget_to_price_with_first() -> None:
    [operation] = measure(
        graphql.parse("{ search(first: 7) { nodes { point { x } } } }"),
        SCHEMA,
        DocumentLimits(),
        COSTS,
    )
    [search] = operation.searches
    assert (operation.fixed_cost, search.fixed_cost, search.cost_per_item) == (0, 1, 2)


# ------------------------------------------------------------------ the gateway's own model


def fifth_provider() -> ProviderSpec[Any]:
    return ProviderSpec(
        name="fifth",
        serves=("flights", "hotels"),
        variables=("FIFTH_API_KEY",),
        from_env=lambda env: None,
        build=lambda session, config: pytest.fail("never configured, never built"),
    )


def test_the_lists_that_grow_with_the_providers_are_sized_from_the_registry() -> None:
    """Sizes as they were when they were written by hand for four providers (two of them
    selling flights), so every price is what it was."""
    assert [spec.serves for spec in registry.SPECS].count(("flights", "hotels")) == 2
    assert len(registry.SPECS) == 4
    grown = {
        ("FlightOffer", "sources"): 8,
        ("Fare", "sources"): 4,
        ("HotelOffer", "sources"): 4,
        ("FlightSearch", "providers"): 4,
        ("HotelSearch", "providers"): 4,
        ("Query", "providers"): 4,
        ("FlightOfferCheck", "sources"): 8,
        ("FlightOfferCheck", "providers"): 2,
        ("HotelOfferCheck", "providers"): 4,
    }
    assert {key: LIST_SIZES[key] for key in grown} == grown
    fifth = list_sizes((*registry.SPECS, fifth_provider()))
    assert {key: fifth[key] for key in grown} == {
        ("FlightOffer", "sources"): 12,
        ("Fare", "sources"): 5,
        ("HotelOffer", "sources"): 5,
        ("FlightSearch", "providers"): 5,
        ("HotelSearch", "providers"): 5,
        ("Query", "providers"): 5,
        ("FlightOfferCheck", "sources"): 12,
        ("FlightOfferCheck", "providers"): 3,
        ("HotelOfferCheck", "providers"): 5,
    }
    assert {key: size for key, size in fifth.items() if key not in grown} == {
        key: size for key, size in LIST_SIZES.items() if key not in grown
    }


PRICED = """
query($f: FlightSearchInput!, $h: HotelSearchInput!) {
  providers { name mode serves }
  flights(search: $f, first: 10) {
    providers { provider status }
    offers { nodes { id sources { provider } fares { sources { provider } } } }
  }
  hotels(search: $h, first: 10) {
    providers { provider status }
    offers { nodes { id sources { provider } } }
  }
}"""


def prices(document: str) -> tuple[int, list[tuple[int, int]]]:
    [operation] = build_schema().documents.prepare(document).operations
    return operation.fixed_cost, [(s.fixed_cost, s.cost_per_item) for s in operation.searches]


def test_a_fifth_provider_in_the_registry_is_priced(monkeypatch: pytest.MonkeyPatch) -> None:
    fixed, searches = prices(PRICED)
    monkeypatch.setattr(registry, "SPECS", (*registry.SPECS, fifth_provider()))
    fixed_5, searches_5 = prices(PRICED)
    assert fixed_5 == fixed * 5 // 4  # `providers { … }`: one more provider's three fields
    assert len(searches_5) == len(searches) == 2
    for (base, per_item), (base_5, per_item_5) in zip(searches, searches_5, strict=True):
        assert base_5 > base  # one more outcome
        assert per_item_5 > per_item  # one more source an offer can have
