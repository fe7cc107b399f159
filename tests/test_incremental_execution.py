"""`@defer` in execution: graphql-core's incremental executor under the lean path.

- Operations without `@defer` answer exactly as on the schema without incremental execution.
- Deferred operations give the same payloads through the lean path as through graphql-core's;
  the lean path plans every selection whose fields arrive together, deferred or not.
- Deferred fragments start with the rest of the operation (early execution).
- Both payload formats merge, as Apollo Client and urql merge them, into the answer the same
  operation gives without `@defer`; every error in them is formatted (masked) once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import pytest
from graphql import ExperimentalIncrementalExecutionResults
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.api.admission.documents import DocumentRejected
from gateway.api.schema.build import build_schema
from gateway.api.schema.context import Context
from gateway.api.transport import payloads
from gateway.api.transport.media import PayloadFormat
from tests.incremental_clients import merge_defer_20220824, merge_draft
from tests.test_execution import (
    BROKEN,
    LEAN,
    PLAIN,
    SEARCHES,
    WRAPS,
    FakeSearch,
    flight,
    selection,
)

pytestmark = pytest.mark.unit

BEFORE = build_schema(incremental=False)
"""The schema as it was before `@defer`."""


async def run(schema: Any, query: str, variables: dict[str, Any], search: Any) -> Any:
    """As the HTTP layer runs it: the document prepared by the schema's store."""
    try:
        prepared = schema.documents.prepare(query)
    except DocumentRejected:
        prepared = None
    context = Context(search=search, request_id="test", prepared=prepared)
    return await schema.execute(query, variable_values=variables, context_value=context)


async def formatted(schema: Any, query: str, variables: dict[str, Any], search: Any) -> list[Any]:
    """graphql-core's own payloads (messages unmasked): one for a single result."""
    result = await run(schema, query, variables, search)
    if not isinstance(result, ExperimentalIncrementalExecutionResults):
        errors = sorted((e.message, tuple(e.path or ())) for e in result.errors or ())
        return [{"data": result.data, "errors": errors}]
    return [result.initial_result.formatted] + [
        later.formatted async for later in result.subsequent_results
    ]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000), field=st.sampled_from([0, 1]), inner=st.data(), flag=st.booleans()
)
async def test_without_defer_answers_are_as_before(
    seed: int, field: int, inner: st.DataObject, flag: bool
) -> None:
    type_name = ("FlightSearch", "HotelSearch")[field]
    query = (
        f"query Q($flag: Boolean!) {{ {SEARCHES[field]} {{ {inner.draw(selection(type_name))} }} }}"
    )
    search = FakeSearch(seed)  # one store: the same cursors for both
    now = await formatted(LEAN, query, {"flag": flag}, search)
    before = await formatted(BEFORE, query, {"flag": flag}, search)
    assert now == before


DEFERRING = (*WRAPS, "defer", "defer", "defer if")
"""Wraps for generated fields, `@defer` among them (twice: most operations should defer)."""


SHAPES = ("inside", "at the root", "fragment in both", "field in both")
"""Where the generated selection sits: as it is (its own `@defer`s only); deferred from the
root; in a fragment spread both outside and inside a deferred fragment; selected both outside
and inside one (graphql-core merges the two, deferring only what the first lacks)."""


@settings(max_examples=160, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    field=st.sampled_from([0, 1]),
    inner=st.data(),
    flag=st.booleans(),
    shape=st.sampled_from(SHAPES),
)
async def test_deferred_payloads_match_graphql_core(
    seed: int, field: int, inner: st.DataObject, flag: bool, shape: str
) -> None:
    type_name = ("FlightSearch", "HotelSearch")[field]
    body = inner.draw(selection(type_name, wraps=DEFERRING))
    search = SEARCHES[field]
    fragment = ""
    if shape == "inside":
        searched = f"{search} {{ {body} }}"
    elif shape == "at the root":
        other = SEARCHES[1 - field]
        searched = f"{other} {{ providers {{ provider }} }} ... @defer {{ {search} {{ {body} }} }}"
    elif shape == "fragment in both":
        searched = f"a: {search} {{ ...Part }} ... @defer {{ b: {search} {{ ...Part }} }}"
        fragment = f"fragment Part on {type_name} {{ {body} }}"
    else:
        other = inner.draw(selection(type_name, wraps=DEFERRING))
        searched = f"{search} {{ {other} }} ... @defer {{ {search} {{ {body} }} }}"
    query = f"query Q($flag: Boolean!) {{ {searched} }} {fragment}"
    search = FakeSearch(seed)
    lean = await formatted(LEAN, query, {"flag": flag}, search)
    plain = await formatted(PLAIN, query, {"flag": flag}, search)
    assert lean == plain


DEFERRED_FLIGHTS = """{ flights(
    search: {origin: "PAR", destination: "NYC", departureDate: "2030-01-01"}) {
  providers { provider status }
  offers { totalCount edges { cursor ... @defer(label: "offer") { node { id
    price { amount currency } itineraries { durationMinutes segments { flightNumber cabin } }
    fares { id sources { provider expiresAt } }
  } } } } } }"""


@pytest.mark.parametrize("fault", list(BROKEN))
async def test_deferred_errors_match_graphql_core(fault: str) -> None:
    """A broken offer inside a deferred fragment: an error on its entry (a nullable field), or
    the fragment failed as a whole (`completed` errors: the null reached its boundary)."""
    search = FakeSearch(3)
    offers = [flight(random.Random(i), i) for i in range(4)]
    search.flights = tuple(BROKEN[fault](o) if o.id == "F1" else o for o in offers)
    lean = await formatted(LEAN, DEFERRED_FLIGHTS, {}, search)
    plain = await formatted(PLAIN, DEFERRED_FLIGHTS, {}, search)
    reported = [
        entry
        for payload in plain
        for entry in (*payload.get("completed", ()), *payload.get("incremental", ()))
        if "errors" in entry
    ]
    assert reported, "the broken object should make graphql-core report an error"
    assert lean == plain


async def planned(query: str) -> dict[str, bool]:
    """Whether each object type completed by the operation had a plan (one selection each)."""
    prepared = LEAN.documents.prepare(query)
    result = await run(LEAN, query, {}, FakeSearch(5))
    assert isinstance(result, ExperimentalIncrementalExecutionResults)
    assert [later async for later in result.subsequent_results]
    [entry] = prepared.plans._operations.values()
    [plans] = entry.plans.values()
    return {key[0]: plan is not None for key, plan in plans.items()}


async def test_the_lean_path_plans_deferred_fragments_too() -> None:
    """Deferred or not, a selection whose fields all arrive together is planned."""
    got = await planned(f"""{{ {SEARCHES[0]} {{ providers {{ provider }} offers {{ totalCount }} }}
        ... @defer {{ {SEARCHES[1]} {{ providers {{ provider }} offers {{ totalCount }} }} }} }}""")
    assert got == dict.fromkeys(
        ["FlightSearch", "FlightOfferConnection", "ProviderOutcome", "HotelSearch",
         "HotelOfferConnection"], True
    )  # fmt: skip


async def test_graphql_core_completes_selections_it_splits() -> None:
    """Where a `@defer` opens, or a field is both deferred and not, graphql-core decides."""
    opening = await planned(f"""{{ {SEARCHES[0]} {{ providers {{ provider }}
        ... @defer {{ offers {{ totalCount }} }} }} }}""")
    assert opening["FlightSearch"] is False
    assert opening["FlightOfferConnection"] is True  # inside the deferred fragment: one delivery
    both = await planned(f"""{{ {SEARCHES[0]} {{ offers {{ totalCount }} }} ... @defer {{
        {SEARCHES[0]} {{ offers {{ totalCount pageInfo {{ hasNextPage }} }} }} }} }}""")
    assert both["FlightSearch"] is False
    assert both["FlightOfferConnection"] is False


async def test_plans_are_kept_apart_per_value_of_defer_if() -> None:
    """Found: plans were keyed by `@skip`/`@include` variables only, so the plan of a selection
    built with `@defer(if: false)` completed it inline when the next request said `true`."""
    query = f"""query($d: Boolean!) {{ {SEARCHES[0]} {{ providers {{ provider }}
                  ... @defer(if: $d) {{ offers {{ totalCount }} }} }} }}"""
    search = FakeSearch(8)
    not_deferred = await run(LEAN, query, {"d": False}, search)
    assert not isinstance(not_deferred, ExperimentalIncrementalExecutionResults)
    deferred = await run(LEAN, query, {"d": True}, search)
    assert isinstance(deferred, ExperimentalIncrementalExecutionResults)
    assert "offers" not in deferred.initial_result.data["flights"]
    [later] = [later.formatted async for later in deferred.subsequent_results]
    assert later["incremental"][0]["data"]["offers"]["totalCount"] == len(search.flights)


class SlowSearch(FakeSearch):
    """Flights take 150 ms, hotels 300 ms; records, in order, when each search starts and
    ends."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.seen: list[str] = []

    async def search_flights(self, query: Any, order: Any, page: Any, *_: Any) -> Any:
        self.seen.append("flights started")
        await asyncio.sleep(0.15)
        self.seen.append("flights ended")
        return await super().search_flights(query, order, page)

    async def search_hotels(self, query: Any, order: Any, page: Any) -> Any:
        self.seen.append("hotels started")
        await asyncio.sleep(0.3)
        self.seen.append("hotels ended")
        return await super().search_hotels(query, order, page)


ROOT_DEFER = f"""{{ {SEARCHES[0]} {{ offers {{ totalCount }} }}
    ... @defer(label: "hotels") {{ {SEARCHES[1]} {{ offers {{ totalCount }} }} }} }}"""


async def test_deferred_fields_start_with_the_operation() -> None:
    """Without early execution the deferred hotels would start once the initial payload is
    out (after the flights' 150 ms), and arrive after 450 ms instead of 300."""
    search = SlowSearch(1)
    result = await run(LEAN, ROOT_DEFER, {}, search)
    search.seen.append("initial payload")
    assert isinstance(result, ExperimentalIncrementalExecutionResults)
    [_] = [later async for later in result.subsequent_results]
    search.seen.append("last payload")
    # Order, not time (0.05 s windows flaked on a loaded machine): both started at once, the
    # initial payload went with the flights, the hotels did not wait for it.
    assert sorted(search.seen[:2]) == ["flights started", "hotels started"], search.seen
    assert search.seen[2:] == ["flights ended", "initial payload", "hotels ended", "last payload"]


@pytest.mark.parametrize("shape", list(PayloadFormat))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000), field=st.sampled_from([0, 1]), inner=st.data(), outer=st.booleans()
)
async def test_payloads_merge_into_the_answer_without_defer(
    shape: PayloadFormat, seed: int, field: int, inner: st.DataObject, outer: bool
) -> None:
    type_name = ("FlightSearch", "HotelSearch")[field]
    body = inner.draw(selection(type_name, wraps=DEFERRING))
    if outer:
        body = f"providers {{ provider }} ... @defer {{ {body} }}"
    query = f"query Q($flag: Boolean!) {{ {SEARCHES[field]} {{ {body} }} }}"
    variables = {"flag": True}
    search = FakeSearch(seed)
    undeferred = query.replace("@defer(if: $flag)", "@include(if: $flag)").replace("@defer", "")
    whole = await run(LEAN, undeferred, variables, search)
    result = await run(LEAN, query, variables, search)
    if not isinstance(result, ExperimentalIncrementalExecutionResults):
        assert result.data == whole.data
        return
    parts = [part async for part in payloads.incremental(result, shape, "t")]
    merge = merge_draft if shape is PayloadFormat.DRAFT else merge_defer_20220824
    data, errors = merge(parts)
    assert parts[-1]["hasNext"] is False
    assert all(part["hasNext"] is True for part in parts[:-1])
    assert not errors
    assert not whole.errors
    assert data == whole.data


class Exploding(FakeSearch):
    async def search_hotels(self, query: Any, order: Any, page: Any) -> Any:
        raise RuntimeError("db password is hunter2 at https://internal.example/api")


@pytest.mark.parametrize("shape", list(PayloadFormat))
async def test_errors_in_deferred_payloads_are_masked_and_logged_once(
    shape: PayloadFormat, caplog: pytest.LogCaptureFixture
) -> None:
    result = await run(LEAN, ROOT_DEFER, {}, Exploding(2))
    assert isinstance(result, ExperimentalIncrementalExecutionResults)
    with caplog.at_level(logging.ERROR, logger="gateway.errors"):
        parts = [part async for part in payloads.incremental(result, shape, "req-42")]
    assert "hunter2" not in str(parts)
    assert "internal.example" not in str(parts)
    [error] = [
        e
        for part in parts
        for entry in part.get("incremental", [])
        for e in entry.get("errors", [])
    ]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert error["path"] == ["hotels"]
    assert [r for r in caplog.records if "req-42" in r.getMessage()] == [
        r for r in caplog.records if "hunter2" in r.getMessage()
    ]
    assert len([r for r in caplog.records if "req-42" in r.getMessage()]) == 1


@pytest.mark.parametrize("shape", list(PayloadFormat))
async def test_a_fragment_that_fails_as_a_whole(shape: PayloadFormat) -> None:
    """Its errors come on `completed` (draft), or as an entry with `data: null` (Apollo's)."""
    search = FakeSearch(3)
    offers = [flight(random.Random(i), i) for i in range(4)]
    search.flights = tuple(BROKEN["price"](o) if o.id == "F1" else o for o in offers)
    result = await run(LEAN, DEFERRED_FLIGHTS, {}, search)
    assert isinstance(result, ExperimentalIncrementalExecutionResults)
    parts = [part async for part in payloads.incremental(result, shape, "req-7")]
    if shape is PayloadFormat.DRAFT:
        failed = [done for part in parts for done in part.get("completed", []) if "errors" in done]
        assert len(failed) == 1
    else:
        failed = [
            entry
            for part in parts
            for entry in part.get("incremental", [])
            if entry["data"] is None
        ]
        assert [entry["path"] for entry in failed] == [["flights", "offers", "edges", 1]]
        assert [entry["label"] for entry in failed] == ["offer"]
    [error] = failed[0]["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-7"}
