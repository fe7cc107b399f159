"""Requests an attacker would send, over real HTTP: each must be cheap to refuse.

One test (or one parametrised family) per finding of the security review and per limit; the
limits themselves are listed in docs/security.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from gateway.api.admission.clients import digest, new_key
from gateway.api.admission.persisted import sha256
from gateway.compat.graphql_core.execution import PLAN_SETS_PER_OPERATION
from gateway.config import ConfigError, Settings
from tests.helpers import (
    APOLLO_ACCEPT,
    TRIP_QUERY,
    GraphQLClient,
    Simulators,
    days_ahead,
    eventually,
    gateway,
    trip_variables,
)
from tests.ports import free_port
from tests.served import served_gateway

pytestmark = pytest.mark.edge

HOTELS = """query($s: HotelSearchInput!) { %s }"""
HOTEL_FIELD = "%s: hotels(search: $s, first: 1) { offers { totalCount } }"


def hotel_search() -> dict[str, Any]:
    return {"cityCode": "PAR", "checkIn": days_ahead(20), "checkOut": days_ahead(22)}


def upstream_calls(sims: Simulators) -> int:
    calls = {path: n for state in sims.states.values() for path, n in state.calls.items()}
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
    async with (
        served_gateway() as served,
        aiohttp.ClientSession(headers={"Accept": APOLLO_ACCEPT}) as session,
    ):

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
    assert elapsed < 5.0  # refused, not worked through (generous: a shared, noisy machine)


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
    # Five aliases of one search: one search's upstream calls (list + offer batches + Stays +
    # LiteAPI's rates).
    assert sims.duffel.calls.get("/stays/search") == 1
    assert sims.liteapi.calls.get("/v3.0/hotels/rates") == 1


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
    _, _, raw = await client.raw("POST", json={"query": query, "variables": variables})
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


# --- Finding 3: caches keyed by client input are bounded in bytes -----------------------------


async def test_distinct_large_documents_leave_memory_bounded() -> None:
    """Found: 60 distinct 250 KB documents took the process from 77 MB to 988 MB."""
    async with (
        served_gateway() as served,
        aiohttp.ClientSession(headers={"Accept": APOLLO_ACCEPT}) as session,
    ):

        async def send(index: int) -> int:
            # ~1,900 tokens: as large a document as the parser accepts, each one distinct.
            fields = " ".join(f"f{index}x{n}" for n in range(1_900))
            async with session.post(
                f"{served.url}/graphql", json={"query": f"{{ {fields} }}"}
            ) as response:
                await response.read()
                return response.status

        assert await send(0) == 400
        before = served.rss_mib()
        for start in range(1, 301, 10):
            statuses = await asyncio.gather(*(send(i) for i in range(start, start + 10)))
            assert set(statuses) == {400}
        grown = served.rss_mib() - before
    assert grown < 40, f"RSS grew {grown:.0f} MiB over 300 distinct documents"  # 387 before


# --- Finding 6: the HTTP layer refuses what it does not serve ---------------------------------


async def test_head_runs_nothing(sims: Simulators) -> None:
    """Found: `HEAD` with a JSON body ran the query."""
    async with gateway(Settings(), sims) as client:
        status, headers, _ = await client.raw(
            "HEAD", json={"query": TRIP_QUERY, "variables": trip_variables()}
        )
    assert status == 405
    assert headers["allow"] == "GET, POST"
    assert upstream_calls(sims) == 0


async def test_a_cross_site_get_runs_no_search(sims: Simulators) -> None:
    """Found: a cross-site GET (no preflight) ran searches. Now it needs a non-simple content
    type or a header a browser only sends after a CORS preflight, as Apollo Router asks."""
    query = "query($s: HotelSearchInput!) { hotels(search: $s) { offers { totalCount } } }"
    params = {"query": query, "variables": orjson.dumps({"s": hotel_search()}).decode()}
    async with gateway(Settings(), sims) as client:
        status, headers, raw = await client.raw("GET", params=params)
        assert status == 400
        assert "json" in headers["content-type"]
        assert b'"code":"CSRF_PREVENTED"' in raw
        assert upstream_calls(sims) == 0
        status, _, raw = await client.raw(
            "GET", params=params, headers={"apollo-require-preflight": "true"}
        )
        assert status == 200
        assert b'"totalCount"' in raw


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "NOT_FOUND"),
        ("POST", "/healthz", 405, "METHOD_NOT_ALLOWED"),
        ("PUT", "/graphql", 405, "METHOD_NOT_ALLOWED"),
        ("DELETE", "/graphql", 405, "METHOD_NOT_ALLOWED"),
    ],
)
async def test_every_error_answer_is_graphql_json(
    client: GraphQLClient, method: str, path: str, status: int, code: str
) -> None:
    """Found: 404 and 405 answers were plain text."""
    got, headers, raw = await client.raw(method, path)
    assert got == status
    assert "json" in headers["content-type"]
    body = orjson.loads(raw)
    assert body["errors"][0]["extensions"]["code"] == code


async def test_a_client_leaving_mid_body_is_one_info_line(
    served_client: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Found: each client that left mid-body logged a 50-line traceback."""
    client = served_client
    host, port = client.base_url.removeprefix("http://").split(":")
    with caplog.at_level(logging.INFO):
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n" + b'{"query": "{ prov'
        )
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.close()
        await writer.wait_closed()
        await eventually(lambda: any("went away" in r.getMessage() for r in caplog.records))
    left = [r for r in caplog.records if "went away" in r.getMessage()]
    assert len(left) == 1
    assert left[0].levelno == logging.INFO
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


# --- Finding 5: no provider's own text reaches a client ---------------------------------------

SECRET = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
INTERNAL = "http://10.0.3.7:8080/internal/search?api_key=hunter2hunter2"


async def test_provider_error_text_reaches_neither_client_nor_log_in_clear(
    sims: Simulators, caplog: pytest.LogCaptureFixture
) -> None:
    """Found: an upstream 500 whose error title or code held a secret or an internal address
    was shown in `providers.message` and in the log line verbatim."""
    sims.duffel.update({"error_rate": 1.0, "paths": ["/air/"]})
    sims.duffel.error_body = lambda status: {
        "errors": [
            {
                "type": f"api_error {SECRET}",
                "title": f"upstream {INTERNAL} failed (token={SECRET})",
                "message": "detail",
                "code": "internal",
            }
        ],
        "meta": {"status": status, "request_id": "x"},
    }
    with caplog.at_level(logging.INFO):
        async with gateway(Settings(), sims) as client:
            status, body = await client.post(TRIP_QUERY, trip_variables())
    assert status == 200
    outcome = {o["provider"]: o for o in body["data"]["flights"]["providers"]}["duffel"]
    assert outcome["status"] == "ERROR"
    assert outcome["message"] == "duffel server error (HTTP 500)"
    assert SECRET not in str(body)
    assert "10.0.3.7" not in str(body)
    logged = [r.getMessage() for r in caplog.records if "duffel" in r.getMessage()]
    assert any("HTTP 500" in line for line in logged), caplog.text
    assert any("upstream" in line for line in logged)  # the provider's words, for the operator
    assert SECRET not in caplog.text
    assert "hunter2" not in caplog.text


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("Bearer eyJhbGciOi.eyJzdWIi.SflKxwRJ failed", "Bearer [redacted] failed", "eyJ"),
        ("token=abc123secret&x=1 refused", "token=[redacted]", "abc123secret"),
        ("api_key: AKIA1234 at host", "api_key: [redacted]", "AKIA1234"),
        ("see https://10.0.0.5/x?key=v&sig=w now", "https://10.0.0.5/x?[redacted] now", "sig=w"),
        (f"account {SECRET} locked", "account [redacted] locked", SECRET),
        ("password = hunter2", "password = [redacted]", "hunter2"),
    ],
)
def test_provider_detail_is_redacted_for_the_log(text: str, kept: str, gone: str) -> None:
    from gateway.providers.errors import redact

    assert kept in redact(text)
    assert gone not in redact(text)


# --- API keys and per-client rate limits ------------------------------------------------------

PROVIDERS_QUERY = {"query": "{ providers { name } }"}


def keys_file(tmp_path: Path, **limits: int) -> tuple[Path, str, str]:
    """A key file with two keys; the first has `limits`. Returns the file and both keys."""
    first, second = new_key(), new_key()
    extra = "".join(f"{name} = {value}\n" for name, value in limits.items())
    path = tmp_path / "keys.toml"
    path.write_text(
        f'[[keys]]\nname = "web"\nsha256 = "{digest(first)}"\n{extra}'
        f'[[keys]]\nname = "partner"\nsha256 = "{digest(second)}"\n'
    )
    return path, first, second


async def test_keys_required_when_configured(
    sims: Simulators, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, key, _ = keys_file(tmp_path)
    settings = Settings.from_env({"GATEWAY_API_KEYS_FILE": str(path)})
    with caplog.at_level(logging.DEBUG):
        async with gateway(settings, sims) as client:
            for headers in ({}, {"X-API-Key": "tgw_wrong"}, {"Authorization": "Basic " + key}):
                status, got, raw = await client.raw("POST", json=PROVIDERS_QUERY, headers=headers)
                assert status == 401
                assert got["www-authenticate"] == "Bearer"
                assert orjson.loads(raw)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
                status, _, raw = await client.raw("POST", json=PROVIDERS_QUERY, headers=headers)
                assert status == 200, raw
            status, _, _ = await client.raw("GET", "/healthz")
            assert status == 200  # liveness needs no key
    assert key not in caplog.text
    assert key[4:20] not in caplog.text


async def test_requests_per_client_are_limited(sims: Simulators, tmp_path: Path) -> None:
    path, web, partner = keys_file(tmp_path, requests_per_minute=3)
    settings = Settings.from_env(
        {"GATEWAY_API_KEYS_FILE": str(path), "GATEWAY_RATE_LIMIT_REQUESTS": "100"}
    )
    async with gateway(settings, sims) as client:
        statuses = []
        for _ in range(4):
            status, headers, raw = await client.raw(
                "POST", json=PROVIDERS_QUERY, headers={"X-API-Key": web}
            )
            statuses.append(status)
        other, _, _ = await client.raw("POST", json=PROVIDERS_QUERY, headers={"X-API-Key": partner})
    assert statuses == [200, 200, 200, 429]
    assert 1 <= int(headers["retry-after"]) <= 60
    error = orjson.loads(raw)["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["limit"] == "requests"
    assert other == 200  # another client's count is its own


async def test_searches_per_client_are_limited_before_any_upstream_call(
    sims: Simulators,
) -> None:
    settings = Settings(rate_limit_searches=3)
    async with gateway(settings, sims) as client:
        first, _ = await client.post(TRIP_QUERY, trip_variables())  # two searches
        calls = upstream_calls(sims)
        second, body = await client.post(TRIP_QUERY, trip_variables(adults=2))  # two more
    assert first == 200
    assert second == 429
    assert body["errors"][0]["extensions"]["limit"] == "searches"
    assert upstream_calls(sims) == calls


async def test_forwarded_addresses_count_only_behind_a_trusted_proxy(sims: Simulators) -> None:
    """Each address has its own count; X-Forwarded-For is believed only from a trusted proxy,
    so a client cannot escape its limit by inventing addresses."""

    async def statuses(settings: Settings) -> list[int]:
        async with gateway(settings, sims) as client:
            got = []
            for n in range(3):
                status, _, _ = await client.raw(
                    "POST", json=PROVIDERS_QUERY, headers={"X-Forwarded-For": f"203.0.113.{n}"}
                )
                got.append(status)
            return got

    assert await statuses(Settings(rate_limit_requests=1)) == [200, 429, 429]
    trusted = Settings(rate_limit_requests=1, trusted_proxies=("127.0.0.1",))
    assert await statuses(trusted) == [200, 200, 200]


async def test_limits_are_shared_through_redis(sims: Simulators, fresh_redis: str) -> None:
    settings = Settings(rate_limit_requests=2, cache_url=fresh_redis)
    async with gateway(settings, sims) as one, gateway(settings, sims) as two:
        statuses = [
            (await one.raw("POST", json=PROVIDERS_QUERY))[0],
            (await two.raw("POST", json=PROVIDERS_QUERY))[0],
            (await one.raw("POST", json=PROVIDERS_QUERY))[0],
        ]
    assert statuses == [200, 200, 429]


async def test_a_failing_limit_store_lets_requests_through(
    sims: Simulators, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(rate_limit_requests=1, cache_url=f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.WARNING):
        async with gateway(settings, sims) as client:
            statuses = [(await client.raw("POST", json=PROVIDERS_QUERY))[0] for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert len([r for r in caplog.records if "rate limits unavailable" in r.getMessage()]) == 1


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "expected one or more [[keys]]"),
        ('[[keys]]\nname = "a"\nsha256 = "abc"\n', "sha256 must be 64"),
        ('[[keys]]\nname = ""\nsha256 = "' + "a" * 64 + '"\n', "name must be"),
        ('[[keys]]\nname = "a"\nsha256 = "' + "a" * 64 + '"\nrequests_per_minute = -1\n',
         "requests_per_minute must be"),
        ('[[keys]]\nname = "a"\nsha256 = "' + "a" * 64 + '"\nkey = "x"\n', "unknown setting"),
    ],
)  # fmt: skip
def test_a_malformed_key_file_stops_start_up(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match="GATEWAY_API_KEYS_FILE") as caught:
        Settings.from_env({"GATEWAY_API_KEYS_FILE": str(path)})
    assert words in str(caught.value)


# --- Introspection and the explorer can be switched off ---------------------------------------


async def test_introspection_off_hides_the_schema_and_its_suggestions(sims: Simulators) -> None:
    settings = Settings.from_env({"GATEWAY_INTROSPECTION": "off"})
    search = '{origin: "LON", destination: "NYC", departureDate: "2030-01-01"}'
    flights = (
        f"query($sort: FlightSort!) {{ flights(search: {search}, sort: $sort) {{ __typename }} }}"
    )
    async with gateway(settings, sims) as client:
        status, body = await client.post("{ __schema { types { name } } }")
        assert status == 400
        assert "introspection" in body["errors"][0]["message"].lower()
        status, body = await client.post('{ __type(name: "Query") { name } }')
        assert status == 400
        status, body = await client.post("{ __typename providers { nam } }")
        assert status == 400
        assert "Did you mean" not in str(body)
        status, body = await client.post(flights, {"sort": "PRICEE"})
        assert status == 400
        assert "Did you mean" not in str(body)
        status, body = await client.post("{ __typename }")
        assert (status, body) == (200, {"data": {"__typename": "Query"}})

    async with gateway(Settings(), sims) as client:  # on by default: tools rely on it
        status, body = await client.post("{ providers { nam } }")
        assert "Did you mean" in str(body)
        status, body = await client.post("{ __schema { queryType { name } } }")
        assert status == 200


async def test_the_explorer_can_be_switched_off(sims: Simulators) -> None:
    async with gateway(Settings.from_env({"GATEWAY_EXPLORER": "false"}), sims) as client:
        status, headers, raw = await client.raw("GET", headers={"Accept": "text/html"})
    assert status == 404
    assert "json" in headers["content-type"]
    assert b"explorer is switched off" in raw


# --- Trusted documents: automatic persisted queries and a manifest ----------------------------


def apq(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}


async def test_automatic_persisted_queries(sims: Simulators) -> None:
    query = "query Names { providers { name } }"
    async with gateway(Settings(), sims) as client:
        status, body = await client.post_payload({"extensions": apq(query)})
        # A request error: 400 in application/graphql-response+json (Apollo Client reads the
        # body of either), 200 in application/json.
        assert (status, body["errors"][0]["extensions"]["code"]) == (
            400,
            "PERSISTED_QUERY_NOT_FOUND",
        )
        assert body["errors"][0]["message"] == "PersistedQueryNotFound"  # what Apollo Client reads
        assert "data" not in body
        status, body = await client.post_payload({"query": query, "extensions": apq(query)})
        assert status == 200
        assert body["data"]["providers"]
        status, body = await client.post_payload({"extensions": apq(query)})
        assert status == 200
        assert body["data"]["providers"]
        status, _, raw = await client.raw(
            "GET",
            params={"extensions": orjson.dumps(apq(query)).decode()},
            headers={"apollo-require-preflight": "true"},
        )
        assert status == 200
        assert b'"providers"' in raw


async def test_apq_keeps_only_documents_that_pass_every_check(client: GraphQLClient) -> None:
    invalid = "{ providers { nonsense } }"
    status, body = await client.post_payload({"query": invalid, "extensions": apq(invalid)})
    assert status == 400
    status, body = await client.post_payload({"extensions": apq(invalid)})
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    lying = {"persistedQuery": {"version": 1, "sha256Hash": sha256("{ __typename }")}}
    status, body = await client.post_payload(
        {"query": "{ providers { name } }", "extensions": lying}
    )
    assert status == 400
    assert "not the SHA-256" in body["errors"][0]["message"]


def manifest(tmp_path: Path, *bodies: str) -> Path:
    path = tmp_path / "persisted-query-manifest.json"
    operations = [{"id": sha256(body), "name": f"Op{n}", "type": "query", "body": body}
                  for n, body in enumerate(bodies)]  # fmt: skip
    path.write_text(
        orjson.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        ).decode()
    )
    return path


async def test_only_trusted_documents_run_when_a_manifest_is_set(
    sims: Simulators, tmp_path: Path
) -> None:
    listed = "query Listed { providers { name } }"
    settings = Settings.from_env({"GATEWAY_TRUSTED_DOCUMENTS": str(manifest(tmp_path, listed))})
    async with gateway(settings, sims) as client:
        status, body = await client.post_payload({"extensions": apq(listed)})
        assert status == 200
        assert body["data"]["providers"]
        status, body = await client.post_payload({"documentId": f"sha256:{sha256(listed)}"})
        assert status == 200
        status, body = await client.post(listed)  # the listed text itself
        assert status == 200
        status, body = await client.post("{ providers { mode } }")
        assert (status, body["errors"][0]["extensions"]["code"]) == (400, "QUERY_NOT_IN_SAFELIST")
        other = "{ providers { mode } }"
        status, body = await client.post_payload({"query": other, "extensions": apq(other)})
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"  # no APQ
        status, body = await client.post_payload({"extensions": apq(other)})
        assert (status, body["errors"][0]["extensions"]["code"]) == (
            400,
            "PERSISTED_QUERY_NOT_IN_LIST",
        )


def test_a_bad_manifest_stops_start_up(tmp_path: Path) -> None:
    from gateway.app import create_app

    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "apollo-persisted-query-manifest", "operations": '
                      '[{"id": "0000", "body": "{ __typename }"}]}')  # fmt: skip
    with pytest.raises(ConfigError, match="id is not the SHA-256"):
        Settings.from_env({"GATEWAY_TRUSTED_DOCUMENTS": str(broken)})
    too_deep = "{ " + "__schema { types { fields { type { " * 1 + "name } } } } }"
    settings = Settings.from_env(
        {
            "GATEWAY_TRUSTED_DOCUMENTS": str(manifest(tmp_path, too_deep)),
            "GATEWAY_MAX_QUERY_DEPTH": "3",
        }
    )
    with pytest.raises(ConfigError, match="is refused"):
        create_app(settings)


def test_the_document_cache_stays_within_its_bytes_over_thousands_of_documents() -> None:
    """Thousands of distinct documents, valid and refused, large and small: the cache's
    charged bytes and entries never pass their bounds, and the largest are never kept."""
    from gateway.api.admission.documents import DocumentRejected, DocumentSettings
    from gateway.api.schema.build import build_schema

    settings = DocumentSettings(cache_bytes=8 * 1024**2, max_cached_documents=500)
    store = build_schema(settings).documents
    for n in range(1_000):  # 3,000 documents
        padding = " " * (n % 7 * 2_500)  # up to 15 KB of text, few tokens: cheap to parse
        kinds = [
            f"query Q{n} {{ providers {{ name }} }}{padding}",
            f"{{ providers {{ nope{n} }} }}{padding}",
            f"{{ a{n}: providers {{ name }} }}" + " " * 20_000,  # over the size cached
        ]
        for text in kinds:
            with contextlib.suppress(DocumentRejected):
                store.prepare(text)
            assert store.bytes <= settings.cache_bytes
            assert len(store) <= settings.max_cached_documents
    assert all(len(text) <= settings.max_cached_bytes for text in store._entries)


async def test_thousands_of_directive_combinations_keep_a_bounded_set_of_plans(
    client: GraphQLClient,
) -> None:
    """Found: every combination of `@skip`/`@include` values added a set of plans (20,000
    combinations of one document: +105 MB). Over HTTP, with the server's own schema."""
    flags = [f"f{i}" for i in range(11)]
    declared = ", ".join(f"${flag}: Boolean!" for flag in flags)
    fields = " ".join(f"{flag}: providers @include(if: ${flag}) {{ name }}" for flag in flags)
    query = f"query Combinations({declared}) {{ {fields} }}"
    for combination in range(2_048):
        variables = {flag: bool(combination >> i & 1) for i, flag in enumerate(flags)}
        status, body = await client.post(query, variables)
        assert status == 200, body
    assert client.app is not None
    prepared = client.app.state.schema.documents.prepare(query)
    assert len(prepared.plans) <= PLAN_SETS_PER_OPERATION


# --- One test per document limit --------------------------------------------------------------


def _spreads(count: int) -> str:
    fragments = " ".join(f"fragment S{i} on Query {{ __typename }}" for i in range(count))
    return "query { " + " ".join(f"...S{i}" for i in range(count)) + " } " + fragments


@pytest.mark.parametrize(
    ("limit", "document"),
    [
        ("documentBytes", "{ __typename }" + " " * 40_000),
        ("tokens", "{ " + " ".join(f"f{i}" for i in range(1_200)) + " }"),
        ("depth", "{ " + "providers { " * 16 + "name" + " }" * 17),
        ("aliases", "{ " + " ".join(f"a{i}: __typename" for i in range(21)) + " }"),
        ("fields", "{ " + " ".join(f"f{i}" for i in range(501)) + " }"),
        ("sameField", "{ " + "providers { name } " * 11 + "}"),
        ("spreads", _spreads(33)),
        ("operations", " ".join(f"query Q{i} {{ __typename }}" for i in range(11))),
    ],
)
async def test_each_document_limit_refuses_with_its_name(
    client: GraphQLClient, limit: str, document: str
) -> None:
    status, body = await client.post(document)
    assert status == 400
    extensions = error_of(body)["extensions"]
    assert extensions["code"] == "OPERATION_TOO_COMPLEX"
    assert extensions["limit"] == limit


async def test_the_cost_limit_counts_pages_and_upstream_calls(sims: Simulators) -> None:
    async with gateway(Settings(max_cost=5_000), sims) as client:
        small, _ = await client.post(TRIP_QUERY, {**trip_variables(), "first": 20})
        status, body = await client.post(TRIP_QUERY, {**trip_variables(), "first": 100})
    assert small == 200
    assert status == 400
    cost = error_of(body)["extensions"]["cost"]
    assert cost["max"] == 5_000
    assert cost["estimated"] > 5_000  # two pages of 100 offers, every field
    assert cost["searches"]["flights"] == {"measured": 1, "allowed": 2}


async def test_a_long_operation_name_is_not_echoed(client: GraphQLClient) -> None:
    name = "Q" * 20_000
    document = f"query {name} {{ " + "providers { " * 16 + "name" + " }" * 17
    status, body = await client.post(document)
    assert status == 400
    assert len(str(body)) < 1_000
    status, body = await client.post("{ __typename }", operationName=name)
    assert status == 400
    assert len(str(body)) < 1_000


def test_persisted_query_texts_are_bounded_in_bytes() -> None:
    from gateway.api.admission import persisted

    store = persisted.PersistedQueries(memory_bytes=50_000)  # GATEWAY_APQ_MEMORY_MIB
    for n in range(1_000):
        text = f"query Q{n} {{ __typename }}" + " " * 1_000
        store.remember(persisted.Requested(text, sha256(text)))
        assert store._memory_bytes <= 50_000
    latest = "query Q999 { __typename }" + " " * 1_000
    assert store.resolve(persisted.Requested(None, sha256(latest))) == latest


def test_a_list_of_length_zero_is_not_taken_for_a_page() -> None:
    """Found while merging: `__Type.interfaces` measures 0 long in this schema, and 0 was also
    the marker for "sized by the search's `first`", which priced introspection at 4x."""
    from graphql import get_introspection_query

    from gateway.api.admission.measure import OWN_FIRST, PAGE
    from gateway.api.schema.build import build_schema, cost_model

    schema = build_schema()
    sizes = cost_model(schema._schema).list_sizes
    assert PAGE < 0
    assert OWN_FIRST < 0
    assert PAGE != OWN_FIRST
    assert sizes["__Type", "interfaces"] == 0
    [operation] = schema.documents.prepare(get_introspection_query(descriptions=True)).operations
    # ~42,000 with the flight filters' and re-pricing types; every new type adds ~750, an
    # argument on any field ~6,500 (introspection multiplies by the most arguments a field has):
    # keep it well under the default maximum (50,000), or GraphiQL's introspection is refused.
    assert operation.fixed_cost < 45_000


def test_ids_and_codes_with_a_trailing_newline_are_not_taken_whole() -> None:
    """Found in review: `^…$` with `match` accepts "id\\n" (`$` matches before a final
    newline), and yarl strips the newline from a URL path: another id was requested."""
    from gateway.api.admission.persisted import _HASH
    from gateway.providers.amadeus.adapter import OFFER_ID as AMADEUS_OFFER
    from gateway.providers.duffel.adapter import OFFER_ID, RATE_ID
    from gateway.search.paging import _CURSOR

    for pattern, good in (
        (AMADEUS_OFFER, "ABCDEF12"),
        (OFFER_ID, "off_0000AgLmYB"),
        (RATE_ID, "rat_0000AgLmYB"),
        (_HASH, "a" * 64),
        (_CURSOR, "AbCdEfGh.3.0123abcd"),
    ):
        assert pattern.match(good), good
        assert pattern.match(good + "\n") is None, good
