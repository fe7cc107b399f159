"""Time of one location query: the index alone, and the whole GraphQL field.

The queries are what a search box sends while a traveller types: the first 1 to 4 letters of a
city or airport name, whole city names (some with accents, some in lower case), IATA codes,
and a few that match nothing. Each is timed once per round; the index is built before timing
(as the app does at start-up) and its build time is printed too. The GraphQL figure is the
schema executing the field with its document prepared and planned, as a request's is (HTTP,
the document cache lookup and JSON encoding not included).

    .venv/bin/python -m bench.locations [--queries 5000] [--rounds 3] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from types import SimpleNamespace

from gateway import gc_tuning, reference
from gateway.api.schema.build import build_schema
from gateway.search import locations
from gateway.search.validation import check_location_search

FIELD = """
query Places($q: String!) {
  locations(query: $q, first: 10) {
    code name kind cityCode cityName countryCode location { latitude longitude } airports
  }
}
"""
BARE = "query Nothing { __typename }"
"""The same execution with no field to resolve: what any request costs the executor."""
ACCENTED = ("São Paulo", "Zürich", "Málaga", "Düsseldorf", "Bogotá", "Curaçao", "Reykjavík")
NONSENSE = ("Lodnon", "xqzv", "Pariss", "zzz", "Nwe York")


def queries(count: int, seed: int) -> list[str]:
    """`count` queries, mixed as a search box sees them (see the module docstring)."""
    rng = random.Random(seed)
    airports = list(reference.airports())
    areas = list(reference.metro_areas())
    cities = [airport.city for airport in airports if airport.city] + [a.name for a in areas]
    names = [airport.name for airport in airports]
    codes = [airport.code for airport in airports] + [area.code for area in areas]
    made: list[str] = []
    while len(made) < count:
        kind = rng.random()
        if kind < 0.55:  # typing: the first letters of a city or an airport
            text = rng.choice(cities if rng.random() < 0.8 else names)
            made.append(text[: rng.randint(1, 4)])
        elif kind < 0.75:
            made.append(rng.choice(cities).lower() if rng.random() < 0.5 else rng.choice(cities))
        elif kind < 0.95:
            code = rng.choice(codes)
            made.append(code.lower() if rng.random() < 0.5 else code)
        else:
            made.append(rng.choice(ACCENTED + NONSENSE))
    return [text for text in made if text.strip()]


def timed(run: Callable[[str], object], texts: list[str], rounds: int) -> list[float]:
    """Microseconds for each call of `run`, every text once per round."""
    samples: list[float] = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter_ns()
            run(text)
            samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"p50 {statistics.median(ordered):7.1f} µs  p99 {p99:7.1f} µs  "
        f"max {ordered[-1]:8.1f} µs  ({len(ordered):,} queries)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    reference.preload()
    start = time.perf_counter()
    index = locations.index()
    built_ms = (time.perf_counter() - start) * 1000
    schema = build_schema()
    texts = queries(args.queries, args.seed)
    gc_tuning.tune_for_serving()  # as in a served process (gateway/gc_tuning.py)

    def index_only(text: str) -> object:
        return index.find(check_location_search(text, 10), 10)

    # As a request does (api/transport/http.py): the document prepared once, its execution plans
    # kept.
    context = SimpleNamespace(prepared=schema.documents.prepare(FIELD))
    bare = SimpleNamespace(prepared=schema.documents.prepare(BARE))

    def graphql_field(text: str) -> object:
        result = schema.execute_sync(FIELD, variable_values={"q": text}, context_value=context)
        assert result.errors is None, result.errors
        return result.data

    def graphql_bare(text: str) -> object:
        return schema.execute_sync(BARE, context_value=bare).data

    graphql_field("warm-up")  # plans the selection, as the first request would
    found = sum(bool(index_only(text)) for text in texts)
    print(f"index: {len(index):,} places, built in {built_ms:.0f} ms")
    print(f"queries: {len(texts):,}, {found / len(texts):.0%} with at least one place")
    print(f"index lookup (validation + find)   {summary(timed(index_only, texts, args.rounds))}")
    print(f"GraphQL field (execute, 10 places) {summary(timed(graphql_field, texts, args.rounds))}")
    print(f"GraphQL, no field (the floor)      {summary(timed(graphql_bare, texts, args.rounds))}")


if __name__ == "__main__":
    main()
