"""The search budget: what an operation will cost, priced with its variables before it runs.

Each `flights` or `hotels` field is one search, aliases and fragment copies included; searches
with the same arguments (a flight search's `filter` aside) count once, since the search layer
answers them with one set of upstream calls (the cache coalesces them). An operation with more
distinct searches of a field than allowed, or whose estimated cost (`gateway.api.measure`, plus
each distinct search's upstream calls) is over the maximum, is refused before any resolver runs.

`flightOffer` and `hotelOffer` count as searches only with `refresh: true` (they then call each
source's or rate's provider: `upstream_calls(field)` of them at most); distinct ids count apart.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError
from graphql.execution.values import VariableValues, get_argument_values

from gateway.api.measure import MeasuredOperation
from gateway.errors import OperationTooExpensive

DEFAULT_FIRST = 20
REPRICING_FIELDS = ("flightOffer", "hotelOffer")
MAX_REPRICINGS = 2
"""Distinct offers of each kind re-priced in one operation, by default."""


@dataclass(frozen=True, slots=True)
class SearchBudget:
    """How much one operation may ask for (settings `GATEWAY_MAX_*`)."""

    max_searches: Mapping[str, int] = field(
        default_factory=lambda: {
            "flights": 2,
            "hotels": 2,
            **dict.fromkeys(REPRICING_FIELDS, MAX_REPRICINGS),
        }
    )
    """Distinct searches of each field in one operation."""
    max_cost: int = 50_000
    max_page: int = 100


@dataclass(frozen=True, slots=True)
class Assessment:
    searches: Mapping[str, int]
    """Distinct searches of each search field."""
    cost: int


def assess(
    operation: MeasuredOperation,
    variables: VariableValues,
    budget: SearchBudget,
    upstream_calls: Callable[[str], int],
) -> Assessment:
    """The operation's searches and cost; `OperationTooExpensive` when over the budget."""
    distinct: dict[str, set[Hashable]] = {name: set() for name in budget.max_searches}
    cost = operation.fixed_cost
    for index, use in enumerate(operation.searches):
        name = use.node.name.value
        try:
            arguments = get_argument_values(use.definition, use.node, variables)
        except GraphQLError:  # execution will report it; price it as the largest page
            arguments = {}
            identity: Hashable = ("unreadable", index)
        else:
            identity = _canonical(_unfiltered(arguments.get("search")))
        if name in REPRICING_FIELDS:
            cost += use.fixed_cost
            if identity != ("unreadable", index) and arguments.get("refresh") is not True:
                continue  # answered from the stored set: no upstream call
            if identity != ("unreadable", index):
                identity = _canonical(arguments.get("id"))
            distinct.setdefault(name, set()).add(identity)
            continue
        first = arguments.get("first", DEFAULT_FIRST)
        first = min(max(first, 0), budget.max_page) if isinstance(first, int) else budget.max_page
        cost += use.fixed_cost + use.cost_per_item * first
        distinct.setdefault(name, set()).add(identity)
    counts = {name: len(identities) for name, identities in distinct.items()}
    cost += sum(upstream_calls(name) * count for name, count in counts.items())
    over = {
        name: count
        for name, count in counts.items()
        if count > budget.max_searches.get(name, count)
    }
    if over or cost > budget.max_cost:
        raise OperationTooExpensive(
            _explain(over, budget, cost),
            searches={
                name: {"measured": count, "allowed": budget.max_searches[name]}
                for name, count in counts.items()
                if name in budget.max_searches
            },
            cost=cost,
            max_cost=budget.max_cost,
        )
    return Assessment(counts, cost)


_SEARCH_NOUNS = {
    "flights": "flight searches",
    "hotels": "hotel searches",
    "flightOffer": "flight re-pricings",
    "hotelOffer": "hotel rate checks",
}


def _explain(over: Mapping[str, int], budget: SearchBudget, cost: int) -> str:
    parts = [
        f"{count} {_SEARCH_NOUNS.get(name, name + ' searches')} "
        f"(at most {budget.max_searches[name]})"
        for name, count in over.items()
    ]
    if cost > budget.max_cost:
        parts.append(f"an estimated cost of {cost:,} (at most {budget.max_cost:,})")
    return "The operation is too expensive: " + " and ".join(parts) + "."


def _unfiltered(search: Any) -> Any:
    """A search without its `filter`: filters are applied to the same provider answers (one
    cache key, no upstream call of their own), so searches differing only there count once."""
    if isinstance(search, dict) and "filter" in search:
        return {key: value for key, value in search.items() if key != "filter"}
    return search


UNORDERED = frozenset({"childrenAges"})
"""Input lists whose order the search layer drops (it sorts them): one party, one search."""


def _canonical_field(name: str, value: Any) -> Hashable:
    if name in UNORDERED and isinstance(value, list) and all(type(v) is int for v in value):
        return tuple(sorted(value))
    return _canonical(value)


def _canonical(value: Any) -> Hashable:
    """A search's identity: input objects as sorted pairs; strings, all codes in our search
    inputs, compared the way the search layer normalises them (trimmed, upper case)."""
    if isinstance(value, str):
        return value.strip().upper()
    if isinstance(value, dict):
        return tuple(sorted((key, _canonical_field(key, item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_canonical(item) for item in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    hashable: Hashable = value
    return hashable
