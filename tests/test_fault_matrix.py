"""Every upstream fault ends as a clean partial result.

For each fault, a real search over HTTP against the simulators, with one provider's flights (or
hotels) failing that way: the faulty provider's outcome and message, the other providers' offers
intact, HTTP 200 with a well-formed GraphQL response, the whole query inside the deadline, and
afterwards no upstream connection still held and no task left behind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from gateway import app as app_module
from gateway.config import Settings
from simulators.common.faults import FaultConfig
from tests.helpers import TRIP_QUERY, Simulators, gateway, simulators, trip_variables

pytestmark = pytest.mark.e2e

DEADLINE_S = 2.0


@dataclass(frozen=True)
class Fault:
    provider: str
    changes: dict[str, Any]
    status: str
    message: str
    paths: list[str] = field(default_factory=list)
    """Path prefixes that fail; empty: the provider's flight search (`/air/`)."""
    search: str = "flights"
    """The field whose search fails; the other must be untouched."""


MATRIX = {
    "hang": Fault("duffel", {"hang_rate": 1}, "TIMEOUT", "no answer within 2 s"),
    "connection refused": Fault("duffel", {}, "UNAVAILABLE", "could not connect to duffel"),
    "500": Fault("duffel", {"error_rate": 1}, "ERROR", "duffel server error (HTTP 500)"),
    "503 with Retry-After": Fault(
        "amadeus",
        {"unavailable_rate": 1},
        "ERROR",
        "amadeus server error (HTTP 503)",
        paths=["/v2/"],
    ),
    "429": Fault(
        "duffel", {"rate_limited_rate": 1}, "ERROR", "duffel rate limited the gateway (HTTP 429)"
    ),
    "persistent 401": Fault(
        "amadeus",
        {"unauthorized_rate": 1},
        "ERROR",
        "amadeus refused the gateway's credentials (HTTP 401)",
        paths=["/v2/"],
    ),
    "invalid JSON": Fault(
        "duffel", {"malformed_rate": 1}, "ERROR", "duffel response is not valid JSON"
    ),
    "JSON of the wrong shape": Fault(
        "duffel", {"wrong_shape_rate": 1}, "ERROR", "duffel response has an unexpected shape"
    ),
    "truncated body": Fault(
        "duffel", {"truncated_rate": 1}, "ERROR", "duffel response body was cut short"
    ),
    "oversized body": Fault(
        "duffel", {"oversized_rate": 1}, "ERROR", "duffel response larger than 8388608 bytes"
    ),
    "slow body": Fault("duffel", {"slow_body_rate": 1}, "TIMEOUT", "no answer within 2 s"),
    "hotels: 500": Fault(
        "hotelbeds",
        {"error_rate": 1},
        "ERROR",
        "hotelbeds server error (HTTP 500)",
        paths=["/hotel-api/"],
        search="hotels",
    ),
    "hotels: JSON of the wrong shape": Fault(
        "hotelbeds",
        {"wrong_shape_rate": 1},
        "ERROR",
        "hotelbeds response has an unexpected shape",
        paths=["/hotel-api/"],
        search="hotels",
    ),
    "hotels: hang": Fault(
        "hotelbeds",
        {"hang_rate": 1},
        "TIMEOUT",
        "no answer within 2 s",
        paths=["/hotel-api/"],
        search="hotels",
    ),
    "LiteAPI 500": Fault(
        "liteapi",
        {"error_rate": 1},
        "ERROR",
        "liteapi server error (HTTP 500)",
        paths=["/v3.0/hotels/"],
        search="hotels",
    ),
    "LiteAPI hangs": Fault(
        "liteapi",
        {"hang_rate": 1},
        "TIMEOUT",
        "no answer within 2 s",
        paths=["/v3.0/hotels/"],
        search="hotels",
    ),
    "LiteAPI 429": Fault(
        "liteapi",
        {"rate_limited_rate": 1},
        "ERROR",
        "liteapi rate limited the gateway (HTTP 429)",
        paths=["/v3.0/hotels/"],
        search="hotels",
    ),
    "LiteAPI wrong shape": Fault(
        "liteapi",
        {"wrong_shape_rate": 1},
        "ERROR",
        "liteapi response has an unexpected shape",
        paths=["/v3.0/hotels/"],
        search="hotels",
    ),
}


def providers_seen(field: str, answer: dict[str, Any]) -> set[str]:
    """The providers behind the offers of a field's page: flights' sources, hotels' rooms."""
    if field == "flights":
        return {s["provider"] for e in answer["offers"]["edges"] for s in e["node"]["sources"]}
    return {room["provider"] for node in answer["offers"]["nodes"] for room in node["rooms"]}


@asynccontextmanager
async def watched_sessions(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[Any]]:
    """Record the gateway's upstream session, to inspect its connection pool."""
    created: list[aiohttp.ClientSession] = []
    real = app_module.create_session

    def recording(*args: Any, **kwargs: Any) -> aiohttp.ClientSession:
        created.append(real(*args, **kwargs))
        return created[-1]

    monkeypatch.setattr(app_module, "create_session", recording)
    yield created


def _simulator_connection(task: asyncio.Task[Any]) -> bool:
    """The simulators' side of a pooled keep-alive connection: theirs, and meant to live on."""
    # (Some tasks, graphql-core's among them, run a coroutine without a name.)
    return getattr(task.get_coro(), "__qualname__", "") == "RequestHandler.start"


async def settled(
    baseline: set[asyncio.Task[Any]], timeout_s: float = 3.0
) -> set[asyncio.Task[Any]]:
    """The gateway's tasks started since `baseline` still running after at most `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        extra = {
            t
            for t in asyncio.all_tasks()
            if t not in baseline and not t.done() and not _simulator_connection(t)
        }
        extra.discard(asyncio.current_task())  # type: ignore[arg-type]
        if not extra or time.monotonic() > deadline:
            return extra
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("name", list(MATRIX))
async def test_fault_ends_as_a_clean_partial_result(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault = MATRIX[name]
    other = "hotels" if fault.search == "flights" else "flights"
    paths = fault.paths or ["/air/"]
    config = FaultConfig(retry_after_s=1)
    async with simulators(config) as sims, watched_sessions(monkeypatch) as sessions:
        target = sims.states[fault.provider]
        if fault.changes:
            target.update({**fault.changes, "paths": paths})
        if name == "connection refused":
            async with simulators() as gone:
                dead = gone.base_urls[fault.provider]
            sims = Simulators({**sims.base_urls, fault.provider: dead}, sims.states)
        settings = Settings(search_deadline_s=DEADLINE_S)
        async with gateway(settings, sims) as client:
            await client.post("{ providers { name } }")
            baseline = set(asyncio.all_tasks())
            started = time.perf_counter()
            # A page large enough to hold every healthy provider's offers.
            status, body = await client.post(TRIP_QUERY, {**trip_variables(), "first": 100})
            elapsed = time.perf_counter() - started
            leftover = await settled(baseline)
            [session] = sessions
            held = len(session.connector._acquired)  # type: ignore[union-attr]

    assert status == 200
    assert set(body) == {"data"}, body.get("errors")
    searched = body["data"][fault.search]
    outcomes = {o["provider"]: o for o in searched["providers"]}
    assert outcomes[fault.provider]["status"] == fault.status
    assert outcomes[fault.provider]["message"].startswith(fault.message)
    healthy = set(outcomes) - {fault.provider}
    assert healthy
    assert {outcomes[name]["status"] for name in healthy} == {"OK"}
    assert providers_seen(fault.search, searched) == healthy
    assert body["data"][other]["offers"]["totalCount"] > 0  # the other field untouched
    # The deadline plus the work after it: mapping, merging and serving 100 offers with their
    # fares takes a few hundred ms of CPU on a 2-core VM (issue 12's performance item), more on
    # a loaded one (1 s of margin flaked), so the margin is 5 s; a hanging provider that held
    # the answer would take its whole hang (30 s).
    assert elapsed < DEADLINE_S + 5.0
    assert held == 0, "an upstream connection was left checked out"
    assert not leftover, f"tasks left running: {leftover}"


async def test_client_leaving_cancels_upstream_calls(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.api.transport.http")
    async with simulators() as sims, watched_sessions(monkeypatch) as sessions:
        sims.duffel.update({"hang_rate": 1, "paths": ["/air/"]})
        async with gateway(Settings(search_deadline_s=30), sims, served=True) as client:
            await client.post("{ providers { name } }")
            baseline = set(asyncio.all_tasks())
            [session] = sessions
            impatient = aiohttp.ClientTimeout(total=0.5)
            with pytest.raises(TimeoutError):
                await client.session.post(
                    f"{client.base_url}/graphql",
                    json={"query": TRIP_QUERY, "variables": trip_variables()},
                    timeout=impatient,
                )
            started = time.perf_counter()
            leftover = await settled(baseline, timeout_s=5)
            took = time.perf_counter() - started
            held = len(session.connector._acquired)  # type: ignore[union-attr]

    assert not leftover, f"tasks left running: {leftover}"
    assert took < 4, "the search went on after the client left"  # its hang: 30 s
    assert held == 0
    assert "client went away" in caplog.text
