"""The search budget: what an operation will cost, priced with its variables before it runs.

Each `flights` or `hotels` field is one search, aliases and fragment copies included; equal
searches count once, since the search layer answers them with one set of upstream calls (the
cache coalesces them). Equal as the search layer sees them: the search argument is read into
the query its resolver builds, and compared in canonical form (`search/canonical.py`, the same
form the cache key digests), so spellings of one search ("100" and "100.0", " lon " and "LON",
the default currency left out or given, a party's ages in any order) count once and a flight
search's `filter`, never sent to providers, not at all. An operation with more
distinct searches of a field than allowed, or whose estimated cost (`gateway.api.admission.measure`,
plus each distinct search's upstream calls) is over the maximum, is refused before any resolver
runs.

`flightOffer` and `hotelOffer` count as searches only with `refresh: true` (they then call each
source's or rate's provider: `upstream_calls(field)` of them at most); distinct ids count apart.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError

from gateway.api.admission.measure import MeasuredOperation
from gateway.api.schema import inputs
from gateway.compat.graphql_core import VariableValues, field_arguments
from gateway.errors import OperationTooExpensive
from gateway.search import canonical

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
    default_currency: str = "EUR"
    """What a search without a currency is priced in (`GATEWAY_CURRENCY`): the same search as
    one giving it."""


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
            arguments = field_arguments(use.definition, use.node, variables)
        except GraphQLError:  # execution will report it; price it as the largest page
            arguments, identity = {}, None
        else:
            if name in REPRICING_FIELDS and arguments.get("refresh") is not True:
                cost += use.fixed_cost
                continue  # answered from the stored set: no upstream call
            identity = _identity(name, arguments, budget.default_currency)
        # A search that cannot be read may be anything: it counts apart.
        distinct.setdefault(name, set()).add(
            ("unreadable", index) if identity is None else identity
        )
        if name in REPRICING_FIELDS:
            cost += use.fixed_cost
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


def _identity(name: str, arguments: Mapping[str, Any], default_currency: str) -> Hashable | None:
    """What makes two uses of the field `name` one search: for `flights` and `hotels` the
    canonical query their resolver sends (`search/canonical.py`); for a re-pricing the offer's
    id as given (ids are exact: two spellings are two offers). None when it cannot be read:
    execution will report the arguments, and the use counts apart."""
    try:
        if name == "flights":
            query = inputs.flight_query_of(arguments["search"])
            return canonical.flight_query(query, default_currency)
        if name == "hotels":
            return canonical.hotel_query(
                inputs.hotel_query_of(arguments["search"]), default_currency
            )
        if name in REPRICING_FIELDS:
            ident = arguments.get("id")
            return ident if isinstance(ident, str) else None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return None
