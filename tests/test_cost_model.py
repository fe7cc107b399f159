"""The cost model's list sizes (gateway/api/measure.py), on a small schema of its own."""

from __future__ import annotations

import graphql
import pytest

from gateway.api.measure import OWN_FIRST, PAGE, CostModel, DocumentLimits, measure

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
