"""Issue 21: HTTP caching where it is safe. A GET of a persisted search carries an `ETag` and
`Cache-Control` no longer than its sets answer; `If-None-Match` answers 304 without executing."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from multidict import CIMultiDict

from gateway.api.admission.clients import digest, load_keys
from gateway.config import Settings
from gateway.observe.events import CacheUsed, FieldSearched, RequestDone
from tests.helpers import GraphQLClient, Recorder, Simulators, days_ahead, gateway

pytestmark = pytest.mark.e2e

QUERY = """query Hotels($h: HotelSearchInput!) {
  hotels(search: $h, first: 5) {
    offers { totalCount nodes { id price { amount } } }
    providers { provider status } } }"""
SHA = hashlib.sha256(QUERY.encode()).hexdigest()
VARIABLES = {"h": {"cityCode": "PAR", "checkIn": days_ahead(30), "checkOut": days_ahead(32)}}
PERSISTED = {"persistedQuery": {"version": 1, "sha256Hash": SHA}}
PREFLIGHT = {"apollo-require-preflight": "true"}
KEY = "tgw_" + "k" * 43


async def register(client: GraphQLClient, headers: dict[str, str] | None = None) -> None:
    """Apollo's APQ: the text sent once with its hash, by POST."""
    status, _, raw = await client.raw(
        "POST",
        json={"query": QUERY, "variables": VARIABLES, "extensions": PERSISTED},
        headers=headers or {},
    )
    assert status == 200, raw


async def get(
    client: GraphQLClient, headers: dict[str, str] | None = None, variables: Any = VARIABLES
) -> tuple[int, CIMultiDict[str], bytes]:
    params = {
        "extensions": orjson.dumps(PERSISTED).decode(),
        "variables": orjson.dumps(variables).decode(),
    }
    return await client.raw("GET", params=params, headers={**PREFLIGHT, **(headers or {})})


def max_age(headers: CIMultiDict[str]) -> int:
    found = re.fullmatch(r"public, max-age=(\d+)", headers["Cache-Control"])
    assert found, headers["Cache-Control"]
    return int(found.group(1))


async def test_a_persisted_search_is_tagged_and_revalidated_without_executing(
    sims: Simulators,
) -> None:
    recorder = Recorder()
    settings = Settings(cache_ttl_hotels_s=120, results_ttl_s=600)
    async with gateway(settings, sims, observers=[recorder]) as client:
        await register(client)
        status, headers, body = await get(client)
        assert status == 200
        etag = headers["ETag"]
        assert re.fullmatch(r'W/"[0-9a-f]{32}"', etag)
        # No longer than the providers' answers stay fresh (120 s) nor half the set's life.
        assert 1 <= max_age(headers) <= 120
        assert {"accept", "x-api-key", "authorization"} <= {
            part.strip().lower() for part in headers["Vary"].split(",")
        }
        seen = len(recorder.seen)
        again, again_headers, empty = await get(client, {"If-None-Match": etag})
        during = recorder.seen[seen:]
        other_tag, _, full = await get(client, {"If-None-Match": 'W/"other"'})
    assert (again, empty) == (304, b"")
    assert again_headers["ETag"] == etag
    assert 1 <= max_age(again_headers) <= max_age(headers)
    # Nothing ran for the 304: no field searched, no cache looked at; the request is reported.
    assert not [e for e in during if isinstance(e, (FieldSearched, CacheUsed))]
    assert [e.status for e in during if isinstance(e, RequestDone)] == [304]
    assert (other_tag, orjson.loads(full)) == (200, orjson.loads(body))


async def test_what_may_change_or_is_not_named_by_its_url_is_not_tagged(
    sims: Simulators,
) -> None:
    async with gateway(Settings(), sims) as client:
        await register(client)
        # A POST: its body, not its URL, says what it asks.
        _, posted, _ = await client.raw(
            "POST", json={"variables": VARIABLES, "extensions": PERSISTED}
        )
        # A GET of a query's text rather than a persisted document.
        _, text, _ = await client.raw(
            "GET",
            params={"query": QUERY, "variables": orjson.dumps(VARIABLES).decode()},
            headers=PREFLIGHT,
        )
        # A search that failed: its answer is an error, not a page.
        past = {"h": {**VARIABLES["h"], "checkIn": days_ahead(-3)}}
        _, failed, _ = await get(client, variables=past)
    for headers in (posted, text, failed):
        assert "ETag" not in headers
        assert "Cache-Control" not in headers


async def test_a_provider_that_failed_leaves_the_answer_untagged(sims: Simulators) -> None:
    sims.liteapi.update({"error_rate": 1.0})
    async with gateway(Settings(), sims) as client:
        await register(client)
        status, headers, body = await get(client)
    assert status == 200
    outcomes = orjson.loads(body)["data"]["hotels"]["providers"]
    assert {o["provider"]: o["status"] for o in outcomes}["liteapi"] != "OK"
    assert "ETag" not in headers


def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys.toml"
    path.write_text(f'[[keys]]\nname = "web"\nsha256 = "{digest(KEY)}"\n')
    return path


@pytest.mark.parametrize(("allowed", "expected"), [(False, None), (True, "private")])
async def test_an_answer_to_a_key_is_tagged_only_when_allowed_and_then_privately(
    tmp_path: Path, sims: Simulators, allowed: bool, expected: str | None
) -> None:
    settings = Settings(api_keys=load_keys(keys_file(tmp_path)), http_cache_with_keys=allowed)
    async with gateway(settings, sims) as client:
        await register(client, {"X-API-Key": KEY})
        status, headers, _ = await get(client, {"X-API-Key": KEY})
    assert status == 200
    control = headers.get("Cache-Control")
    assert (control.split(",")[0] if control else None) == expected
