"""GraphQL execution time of the benchmark's trip query: graphql-core's path vs the lean path.

The search results are fetched once from the simulators; then the same query is executed over
them many times with each execution context, so only GraphQL execution (and the building of the
page's output objects) is timed. A third row runs the lean path on the schema as it was before
`@defer` (no incremental execution): the query has no `@defer`, so it should cost the same.

    .venv/bin/python -m bench.execution
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta
from typing import Any

import aiohttp
import uvloop
from graphql import ExperimentalIncrementalExecutionResults, IncrementalDeferResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from bench.run import GATEWAY_QUERY
from gateway import gc_tuning
from gateway.api.schema.build import build_schema
from gateway.api.schema.context import Context
from gateway.compat.graphql_core.execution import LeanExecutionContext
from gateway.config import Settings
from gateway.currency.rates import bundled_rates
from gateway.domain import FlightQuery, FlightSort, HotelQuery, HotelSort
from gateway.providers.registry import build_providers
from gateway.search.paging import PageRequest
from gateway.search.service import SearchService
from tests.helpers import simulators


class Recorded:
    """Answers every search with the pages recorded from the simulators."""

    def __init__(self, flights: Any, hotels: Any) -> None:
        self.flights, self.hotels = flights, hotels

    async def search_flights(self, *_: Any) -> Any:
        return self.flights

    async def search_hotels(self, *_: Any) -> Any:
        return self.hotels


async def recorded_pages() -> Recorded:
    day = date.today() + timedelta(days=30)
    async with simulators() as sims, aiohttp.ClientSession() as session:
        settings = Settings().with_simulators(sims.configs())
        providers = build_providers(session, settings.providers)
        service = SearchService(providers, rates=bundled_rates)
        flights = await service.search_flights(
            FlightQuery("LON", "NYC", day), FlightSort.PRICE, PageRequest(20)
        )
        hotels = await service.search_hotels(
            HotelQuery("PAR", day, day + timedelta(days=2)), HotelSort.PRICE, PageRequest(20)
        )
    return Recorded(flights, hotels)


def count_fields(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 + count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_fields(v) for v in value)
    return 0


async def main_async(runs: int) -> None:
    search = await recorded_pages()
    gc_tuning.tune_for_serving()  # as in a served process (gateway/gc_tuning.py)
    variables = {
        "f": {"origin": "LON", "destination": "NYC", "departureDate": "2030-01-01"},
        "h": {"cityCode": "PAR", "checkIn": "2030-01-01", "checkOut": "2030-01-03"},
    }
    timings: dict[str, list[float]] = {}
    results = {}
    schemas = {
        "graphql-core": build_schema(execution_context_class=StrawberryGraphQLCoreExecutionContext),
        "lean": build_schema(execution_context_class=LeanExecutionContext),
        # The schema as it was before `@defer`: incremental execution must cost this query nothing.
        "lean, no @defer": build_schema(incremental=False),
    }
    for name, schema in schemas.items():
        # As the HTTP layer runs a request: the prepared document rides in the context, and the
        # lean path keeps its plans with it (without it, every run would build them again).
        prepared = schema.documents.prepare(GATEWAY_QUERY)
        context = Context(search=search, request_id="bench", prepared=prepared)  # type: ignore[arg-type]
        for run in range(runs + 20):
            started = time.perf_counter()
            result = await schema.execute(
                GATEWAY_QUERY, variable_values=variables, context_value=context
            )
            elapsed = (time.perf_counter() - started) * 1000
            if run >= 20:
                timings.setdefault(name, []).append(elapsed)
        assert not result.errors, result.errors
        results[name] = result.data
    assert results["lean"] == results["graphql-core"], "the two paths disagree"
    assert results["lean"] == results["lean, no @defer"], "incremental execution changed a result"
    fields = count_fields(results["lean"])
    print(f"trip query, 20 flights + 20 hotels, {fields} fields, {runs} runs each (ms):")
    for name, values in timings.items():
        print(
            f"  {name:15s} p50 {statistics.median(values):6.2f}  min {min(values):6.2f}  "
            f"per field {1000 * statistics.median(values) / fields:5.2f} µs"
        )
    ratio = statistics.median(timings["graphql-core"]) / statistics.median(timings["lean"])
    print(f"  lean is {ratio:.1f}x faster")
    await deferred_hotels(search, variables, results["lean"], runs)


DEFERRED_QUERY = GATEWAY_QUERY.replace("  hotels(search:", "  ... @defer { hotels(search:").replace(
    "latencyMs offerCount }\n  }\n}", "latencyMs offerCount }\n  } }\n}"
)
"""The trip query with its hotels deferred."""


async def deferred_hotels(search: Any, variables: Any, whole: Any, runs: int) -> None:
    """The same query with `hotels` under `@defer`, every payload taken: the lean path plans
    the deferred hotels as it plans the flights."""
    schema = build_schema()
    prepared = schema.documents.prepare(DEFERRED_QUERY)
    context = Context(search=search, request_id="bench", prepared=prepared)
    timings = []
    for run in range(runs + 20):
        started = time.perf_counter()
        result: Any = await schema.execute(
            DEFERRED_QUERY, variable_values=variables, context_value=context
        )
        assert isinstance(result, ExperimentalIncrementalExecutionResults)
        later = [payload async for payload in result.subsequent_results]
        elapsed = (time.perf_counter() - started) * 1000
        if run >= 20:
            timings.append(elapsed)
    [hotels] = [
        entry.data
        for payload in later
        for entry in payload.incremental or ()
        if isinstance(entry, IncrementalDeferResult)
    ]
    assert {**result.initial_result.data, **hotels} == whole, "deferring changed the answer"
    print(
        f"  {'hotels @defer':15s} p50 {statistics.median(timings):6.2f}  min {min(timings):6.2f}"
        "  (every payload taken)"
    )


def main() -> int:
    uvloop.run(main_async(runs=300))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
