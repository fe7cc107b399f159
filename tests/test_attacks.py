"""Requests an attacker would send, over real HTTP: each must be cheap to refuse.

One test (or one parametrised family) per finding of the security review and per limit; the
limits themselves are listed in docs/security.md.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from gateway.config import Settings
from tests.helpers import (
    TRIP_QUERY,
    GraphQLClient,
    Simulators,
    days_ahead,
    gateway,
    trip_variables,
)
from tests.served import served_gateway

HOTELS = """query($s: HotelSearchInput!) { %s }"""
HOTEL_FIELD = "%s: hotels(search: $s, first: 1) { offers { totalCount } }"


def hotel_search() -> dict[str, Any]:
    return {"cityCode": "PAR", "checkIn": days_ahead(20), "checkOut": days_ahead(22)}


def upstream_calls(sims: Simulators) -> int:
    calls = {**sims.amadeus.calls, **sims.duffel.calls}
    calls.pop("/v1/security/oauth2/token", None)
    return sum(calls.values())


def exponential_fragments(levels: int) -> str:
    """Each fragment spreads the next twice: 2^levels paths through a few hundred bytes."""
    fragments = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"query {{ ...F0 }} {fragments} fragment F{levels} on Query {{ __typename }}"


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert "data" not in body or body["data"] is None, body
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    return error


# --- Finding 1: a small document must not freeze the process ---------------------------------


@pytest.mark.parametrize("levels", [10, 18, 30, 100, 3000])
async def test_exponential_fragments_are_refused_while_healthz_answers(levels: int) -> None:
    query = exponential_fragments(levels)
    async with served_gateway() as served, aiohttp.ClientSession() as session:

        async def attack() -> tuple[int, dict[str, Any], float]:
            started = time.perf_counter()
            async with session.post(f"{served.url}/graphql", json={"query": query}) as response:
                return response.status, await response.json(), time.perf_counter() - started

        async def healthz() -> int:
            await asyncio.sleep(0.05)  # while the attack is being handled
            async with session.get(f"{served.url}/healthz") as response:
                return response.status

        (status, body, elapsed), health = await asyncio.wait_for(
            asyncio.gather(attack(), healthz()), timeout=10
        )
    assert health == 200
    assert status == 400
    error = error_of(body)
    assert error["extensions"]["code"] == "OPERATION_TOO_COMPLEX"
    assert elapsed < 2.0  # refused, not worked through (generous: a shared, noisy machine)


async def test_a_long_fragment_chain_is_refused_with_a_clear_message(
    client: GraphQLClient,
) -> None:
    """Found: 400 fragments each spreading the next gave 'maximum recursion depth exceeded'."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(400))
    status, body = await client.post(f"query {{ ...F0 }} {chain} fragment F400 on Query {{ a }}")
    assert status == 400
    error = error_of(body)
    assert error["extensions"]["code"] == "OPERATION_TOO_COMPLEX"
    assert "recursion" not in error["message"]


# --- Finding 4: one request must not multiply upstream calls ----------------------------------


async def test_many_aliases_of_a_search_are_refused_before_any_upstream_call(
    sims: Simulators,
) -> None:
    """Found: 19 hotel aliases in one 2.7 KB request made 88 upstream calls."""
    declared = ", ".join(f"$s{i}: HotelSearchInput!" for i in range(19))
    fields = " ".join(
        f"h{i}: hotels(search: $s{i}, first: 1) {{ offers {{ totalCount }} }}" for i in range(19)
    )
    variables = {
        f"s{i}": hotel_search() | {"checkIn": days_ahead(20 + i), "checkOut": days_ahead(40)}
        for i in range(19)
    }
    async with gateway(Settings(max_aliases=50), sims) as client:
        status, body = await client.post(f"query({declared}) {{ {fields} }}", variables)
    assert status == 400
    error = error_of(body)
    assert error["extensions"]["code"] == "OPERATION_TOO_EXPENSIVE"
    cost = error["extensions"]["cost"]
    assert cost["searches"]["hotels"] == {"measured": 19, "allowed": 2}
    assert upstream_calls(sims) == 0


async def test_identical_searches_count_once(sims: Simulators) -> None:
    fields = " ".join(HOTEL_FIELD % f"h{i}" for i in range(5))
    async with gateway(Settings(), sims) as client:
        status, body = await client.post(HOTELS % fields, {"s": hotel_search()})
    assert status == 200, body
    assert "errors" not in body
    assert {body["data"][f"h{i}"]["offers"]["totalCount"] for i in range(5)} != {0}
    # Five aliases of one search: one search's upstream calls (list + offer batches + Stays).
    assert sims.duffel.calls.get("/stays/search") == 1


async def test_a_third_distinct_search_is_refused(client: GraphQLClient) -> None:
    declared = ", ".join(f"$s{i}: HotelSearchInput!" for i in range(3))
    fields = " ".join(
        f"h{i}: hotels(search: $s{i}, first: 1) {{ offers {{ totalCount }} }}" for i in range(3)
    )
    variables = {f"s{i}": hotel_search() | {"adults": i + 1} for i in range(3)}
    status, body = await client.post(f"query({declared}) {{ {fields} }}", variables)
    assert status == 400
    error = error_of(body)
    assert error["extensions"]["code"] == "OPERATION_TOO_EXPENSIVE"
    assert "3 hotel searches" in error["message"]


async def test_the_full_trip_query_at_the_largest_page_is_within_budget(
    client: GraphQLClient,
) -> None:
    status, body = await client.post(TRIP_QUERY, {**trip_variables(), "first": 100})
    assert status == 200
    assert "errors" not in body


# --- Finding 7: inputs are not echoed, internal messages are not shown -----------------------


async def test_a_rejected_long_string_is_not_echoed(client: GraphQLClient) -> None:
    """Found: a rejected 200 KB string came back twice in the error (400 KB)."""
    query = """query($s: FlightSearchInput!) { flights(search: $s) { offers { totalCount } } }"""
    long = "A" * 200_000
    variables = {"s": {"origin": long, "destination": "NYC", "departureDate": days_ahead(20)}}
    async with client.session.post(
        f"{client.base_url}/graphql", json={"query": query, "variables": variables}
    ) as response:
        raw = await response.read()
    assert len(raw) < 2_000
    assert b"AAAAAAAAAA" in raw  # an excerpt, enough to recognise the value


async def test_a_long_literal_in_the_document_is_not_echoed(client: GraphQLClient) -> None:
    long = "x" * 20_000
    search = f'{{cityCode: "PAR", checkIn: "{days_ahead(20)}", checkOut: "{days_ahead(22)}"}}'
    status, body = await client.post(
        f'{{ hotels(search: {search}, first: "{long}") {{ offers {{ totalCount }} }} }}'
    )
    assert status == 400
    assert len(str(body)) < 2_000
    assert "xxxxxxxxxx" in error_of(body)["message"]
