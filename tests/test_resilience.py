"""Retries, Retry-After, deadlines, rate limits and circuit breakers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gateway.app import create_session
from gateway.config import Settings
from gateway.providers.client import UpstreamClient
from gateway.providers.deadline import deadline_in
from gateway.providers.errors import UpstreamUnavailable
from gateway.providers.retry import RetryPolicy, retry_after_s
from gateway.search.breaker import BreakerState, CircuitBreaker
from tests.helpers import TRIP_QUERY, Simulators, gateway, trip_variables

pytestmark = pytest.mark.e2e

NO_WAIT = RetryPolicy(attempts=3, base_delay_s=0.0)


class Upstream:
    """A loopback server answering from a script of (status, headers) pairs."""

    def __init__(self, script: list[tuple[int, dict[str, str]]]) -> None:
        self.script = script
        self.calls: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append(request.method)
        status, headers = self.script.pop(0) if self.script else (200, {})
        return web.json_response({"ok": status == 200}, status=status, headers=headers)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def serve(aiohttp_server: Callable[..., Any], upstream: Upstream) -> str:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", upstream.handle)
    server = await aiohttp_server(app)
    return str(server.make_url("/x"))


async def test_503_and_429_are_retried_for_reads(
    aiohttp_server: Callable[..., Any], session: aiohttp.ClientSession
) -> None:
    upstream = Upstream([(503, {}), (429, {})])
    url = await serve(aiohttp_server, upstream)
    client = UpstreamClient(session, "p", retry=NO_WAIT)
    response = await client.request("GET", url, idempotent=True)
    assert response.status == 200
    assert upstream.calls == ["GET"] * 3


async def test_writes_are_not_retried_after_a_503(
    aiohttp_server: Callable[..., Any], session: aiohttp.ClientSession
) -> None:
    upstream = Upstream([(503, {}), (200, {})])
    url = await serve(aiohttp_server, upstream)
    client = UpstreamClient(session, "p", retry=NO_WAIT)
    response = await client.request("POST", url, idempotent=False)
    assert response.status == 503
    assert upstream.calls == ["POST"]


async def test_writes_are_retried_after_a_429(
    aiohttp_server: Callable[..., Any], session: aiohttp.ClientSession
) -> None:
    upstream = Upstream([(429, {"Retry-After": "0"})])
    url = await serve(aiohttp_server, upstream)
    client = UpstreamClient(session, "p", retry=NO_WAIT)
    response = await client.request("POST", url, idempotent=False)
    assert response.status == 200
    assert upstream.calls == ["POST", "POST"]


async def test_retry_after_is_honoured(
    aiohttp_server: Callable[..., Any], session: aiohttp.ClientSession
) -> None:
    upstream = Upstream([(503, {"Retry-After": "1"})])
    url = await serve(aiohttp_server, upstream)
    client = UpstreamClient(session, "p", retry=NO_WAIT)
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await client.request("GET", url, idempotent=True)
    assert response.status == 200
    assert 0.95 <= loop.time() - started < 3


async def test_no_wait_past_the_deadline(
    aiohttp_server: Callable[..., Any], session: aiohttp.ClientSession
) -> None:
    upstream = Upstream([(503, {"Retry-After": "5"})])
    url = await serve(aiohttp_server, upstream)
    client = UpstreamClient(session, "p", retry=NO_WAIT)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with deadline_in(2.0):
        response = await client.request("GET", url, idempotent=True)
    assert response.status == 503  # gave up at once: the wait would pass the deadline
    assert loop.time() - started < 0.5
    assert upstream.calls == ["GET"]


async def test_connection_refused_is_retried_then_reported(
    aiohttp_server: Callable[..., Any], session: aiohttp.ClientSession
) -> None:
    server = await aiohttp_server(web.Application())
    url = str(server.make_url("/x"))
    await server.close()
    client = UpstreamClient(session, "p", retry=NO_WAIT)
    with pytest.raises(UpstreamUnavailable) as caught:
        await client.request("POST", url, idempotent=False)
    assert caught.value.request_sent is False
    assert client.requests_sent == 3  # never sent: safe to retry even a write


def test_retry_after_forms() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert retry_after_s({"Retry-After": "7"}) == 7
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_s({"Retry-After": later}, now=now) == 30
    assert retry_after_s({"Retry-After": "soon"}) is None
    assert retry_after_s({}) is None


def test_backoff_grows_with_full_jitter() -> None:
    policy = RetryPolicy(base_delay_s=0.1, max_delay_s=1.0)
    for attempt, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (6, 1.0)]:
        delays = [policy.backoff_s(attempt) for _ in range(200)]
        assert max(delays) <= ceiling
        assert min(delays) >= 0


def test_breaker_opens_probes_and_closes() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout_s=10, clock=lambda: now[0])
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    now[0] = 10
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    now[0] = 20
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def test_a_cancelled_probe_lets_another_through() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_s=1, clock=lambda: now[0])
    breaker.record_failure()
    now[0] = 1
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()


async def test_open_circuit_reports_unavailable_without_calling(sims: Simulators) -> None:
    sims.duffel.update({"error_rate": 1.0, "paths": ["/air/"]})
    settings = Settings(breaker_failures=2, breaker_reset_s=60)
    async with gateway(settings, sims) as client:
        for _ in range(2):
            _, body = await client.post(TRIP_QUERY, trip_variables())
            assert body["data"]["flights"]["providers"][1]["status"] == "ERROR"
        calls = sims.duffel.calls["/air/offer_requests"]
        _, body = await client.post(TRIP_QUERY, trip_variables())
    duffel = body["data"]["flights"]["providers"][1]
    assert duffel["status"] == "UNAVAILABLE"
    assert duffel["message"].startswith("circuit open")
    assert duffel["latencyMs"] < 5
    assert sims.duffel.calls["/air/offer_requests"] == calls  # not called
    assert body["data"]["flights"]["offers"]["totalCount"] > 0


async def test_the_upstream_session_never_sends_a_providers_cookie_back(
    aiohttp_server: Callable[..., Any],
) -> None:
    """One session serves every user: a cookie set for one search must not ride on the next."""
    seen: list[str | None] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Cookie"))
        response = web.json_response({})
        response.set_cookie("session", "user-a")
        return response

    app = web.Application()
    app.router.add_get("/", handle)
    server = await aiohttp_server(app)
    async with create_session() as upstream:
        for _ in range(2):
            # A host name, not 127.0.0.1: cookie jars ignore cookies from IP addresses.
            async with upstream.get(f"http://localhost:{server.port}/") as response:
                assert response.cookies["session"].value == "user-a"
    assert seen == [None, None]
