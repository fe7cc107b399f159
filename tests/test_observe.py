"""The one observer interface (gateway/observe/events.py) at unit level: fan-out, a failing
observer, nothing built when nobody listens, the request tally, and the events the breakers,
the fan-out and the cache report."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from gateway.config import Settings
from gateway.domain import ProviderOutcome, ProviderStatus
from gateway.observe import events as observed
from gateway.observe.events import (
    NO_EVENTS,
    BreakerChanged,
    CacheUsed,
    Event,
    Events,
    FieldSearched,
    ProviderCalled,
    ProviderLimited,
    RequestDone,
    UpstreamRetried,
)
from gateway.observe.metrics import LEARNED_OPERATIONS, MetricsObserver, OperationLabels
from gateway.providers.client import UpstreamClient
from gateway.providers.errors import UpstreamStatusError
from gateway.providers.hotelbeds.quota import QuotaSpent
from gateway.providers.retry import RetryPolicy
from gateway.search import fanout
from gateway.search.breaker import BreakerState, CircuitBreaker
from gateway.search.cache import SearchCache
from gateway.search.entries import search_key
from gateway.search.fanout import ProviderCall, ProviderResult, fan_out
from gateway.search.stores import MemoryStore
from simulators.common.faults import FaultConfig
from tests.helpers import Recorder, gateway, request_done, simulators, trip_variables

pytestmark = pytest.mark.e2e


class Broken:
    def observe(self, event: Event) -> None:
        raise RuntimeError("observer bug")


def test_every_observer_is_told_every_event_in_order() -> None:
    first, second = Recorder(), Recorder()
    events = Events([first, second])
    sent = [BreakerChanged("duffel", "flights", "open"), CacheUsed("flights", "amadeus", "hit")]
    for event in sent:
        events.emit(event)
    assert first.seen == sent
    assert second.seen == sent


def test_a_failing_observer_is_logged_once_and_breaks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    after = Recorder()
    events = Events([Broken(), after])
    with caplog.at_level(logging.ERROR, logger="gateway.observe.events"):
        for _ in range(3):
            events.emit(BreakerChanged("duffel", "flights", "open"))
    assert len(after.seen) == 3  # the observers after it are still told
    failures = [r for r in caplog.records if "observer Broken failed" in r.getMessage()]
    assert len(failures) == 1


def test_nobody_listening_is_false_and_no_event_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not NO_EVENTS
    assert Events([Recorder()])

    def built(*args: Any) -> None:
        raise AssertionError("an event was built with nobody listening")

    monkeypatch.setattr(fanout, "ProviderCalled", built)

    async def search() -> list[int]:
        return [1, 2]

    results = asyncio.run(fan_out([ProviderCall("amadeus", search)], 1.0, field="flights"))
    assert results[0].outcome.status is ProviderStatus.OK


def test_fan_out_reports_each_call_with_field_status_and_latency() -> None:
    recorder = Recorder()

    async def ok() -> list[int]:
        await asyncio.sleep(0.02)
        return [1]

    async def failing() -> list[int]:
        raise UpstreamStatusError("duffel", 503)

    calls = [ProviderCall("amadeus", ok), ProviderCall("duffel", failing)]
    asyncio.run(fan_out(calls, 1.0, field="hotels", events=Events([recorder])))
    called = sorted(
        (e for e in recorder.seen if isinstance(e, ProviderCalled)), key=lambda e: e.provider
    )
    assert [(e.provider, e.field, e.status) for e in called] == [
        ("amadeus", "hotels", "OK"),
        ("duffel", "hotels", "ERROR"),
    ]
    assert called[0].latency_s >= 0.02


def test_a_request_tally_gathers_only_its_own_requests_events() -> None:
    events = Events([Recorder()])
    outcome = ProviderOutcome("amadeus", ProviderStatus.OK, 120, 8)
    events.emit(FieldSearched("flights", (outcome,)))  # outside any request
    with events.request() as tally:
        events.emit(FieldSearched("flights", (outcome,)))
        events.emit(CacheUsed("flights", "amadeus", "hit"))
        events.emit(CacheUsed("hotels", "amadeus", "coalesced"))
        events.emit(CacheUsed("hotels", "duffel", "miss"))
    events.emit(CacheUsed("flights", "amadeus", "hit"))  # after it
    assert tally.outcomes == [outcome]
    assert (tally.cache_hits, tally.coalesced, tally.cache_misses) == (1, 1, 1)
    assert observed._tally.get() is None


def test_breaker_transitions_are_reported_once_each() -> None:
    now = [0.0]
    changes: list[BreakerState] = []
    breaker = CircuitBreaker(
        failure_threshold=2, reset_timeout_s=10, clock=lambda: now[0], on_change=changes.append
    )
    breaker.record_failure()
    assert changes == []
    breaker.record_failure()
    breaker.record_failure()  # a call begun before it opened fails late: still open
    assert changes == [BreakerState.OPEN]
    assert not breaker.allow()
    now[0] = 11
    assert breaker.allow()  # the probe
    assert changes[1:] == [BreakerState.HALF_OPEN]
    breaker.record_failure()  # the probe failed: open again
    assert changes[2:] == [BreakerState.OPEN]
    now[0] = 22
    assert breaker.allow()
    breaker.record_success()
    breaker.record_success()  # closed already: no transition
    assert changes == [
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.CLOSED,
    ]


async def test_the_cache_reports_misses_hits_and_coalesced_searches() -> None:
    recorder = Recorder()
    cache = SearchCache(
        MemoryStore(), ttl_s={"flights": 60}, shared=False, events=Events([recorder])
    )
    calls = 0

    async def run() -> ProviderResult[Any]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return ProviderResult(ProviderOutcome("duffel", ProviderStatus.OK, 50, 0), [])

    key = search_key("flights", "duffel", ("LON", "NYC"))
    await asyncio.gather(*(cache.fetch("flights", key, run) for _ in range(3)))
    await cache.fetch("flights", key, run)
    assert calls == 1
    uses = sorted(e.use for e in recorder.seen if isinstance(e, CacheUsed))
    assert uses == ["coalesced", "coalesced", "hit", "miss"]
    assert {e.provider for e in recorder.seen if isinstance(e, CacheUsed)} == {"duffel"}


def _series(observer: MetricsObserver, name: str) -> list[dict[str, str]]:
    return [
        sample.labels
        for family in text_string_to_metric_families(observer.exposition().decode())
        for sample in family.samples
        if sample.name == name
    ]


def test_ten_thousand_operation_names_make_a_bounded_number_of_series() -> None:
    """Operation names are the client's: each one a series would let any client grow the
    gateway's (and Prometheus') memory without bound."""
    metrics = MetricsObserver()
    for n in range(10_000):
        metrics.observe(request_done(f"Attack{n}"))
    metrics.observe(request_done(None))
    operations = {labels["operation"] for labels in _series(metrics, "gateway_requests_total")}
    assert len(operations) == LEARNED_OPERATIONS + 2  # the first names, "other", "anonymous"
    assert {"other", "anonymous", "Attack0"} <= operations
    assert "Attack9999" not in operations


def test_names_of_operations_that_did_not_run_are_never_learned() -> None:
    labels = OperationLabels()
    assert labels.label("Refused", ran=False) == "other"
    assert labels.label("Refused", ran=True) == "Refused"


def test_with_trusted_documents_only_their_operation_names_are_labels() -> None:
    labels = OperationLabels.for_documents(
        {"abc": "query Trip { __typename }", "def": "query Hotels { __typename } "}
    )
    assert labels.label("Trip", ran=True) == "Trip"
    assert labels.label("Hotels", ran=True) == "Hotels"
    assert labels.label("Anything", ran=True) == "other"


async def test_the_http_client_reports_each_retry(
    aiohttp_server: Callable[..., Any],
) -> None:
    answers = [503, 429, 200]

    async def handle(request: web.Request) -> web.Response:
        return web.json_response({}, status=answers.pop(0))

    app = web.Application()
    app.router.add_get("/x", handle)
    server = await aiohttp_server(app)
    recorder = Recorder()
    async with aiohttp.ClientSession() as session:
        client = UpstreamClient(session, "duffel", retry=RetryPolicy(base_delay_s=0))
        client.events = Events([recorder])
        response = await client.request("GET", str(server.make_url("/x")), idempotent=True)
    assert response.status == 200
    assert recorder.seen == [
        UpstreamRetried("duffel", "http_503"),
        UpstreamRetried("duffel", "http_429"),
    ]


def test_a_spent_quota_is_reported_as_limited_not_as_a_call() -> None:
    recorder = Recorder()

    async def spent() -> list[int]:
        raise QuotaSpent("hotelbeds daily quota spent; resets at 00:00 UTC")

    results = asyncio.run(
        fan_out([ProviderCall("hotelbeds", spent)], 1.0, field="hotels", events=Events([recorder]))
    )
    assert results[0].outcome.status is ProviderStatus.UNAVAILABLE
    assert recorder.seen == [ProviderLimited("hotelbeds", "hotels", "daily_quota")]


DEFERRED_TRIP = """query Trip($flight: FlightSearchInput!, $hotel: HotelSearchInput!) {
  flights(search: $flight, first: 3) { offers { totalCount } }
  ... @defer(label: "hotels") { hotels(search: $hotel, first: 3) { offers { totalCount } } }
}"""


async def test_a_deferred_answer_is_reported_when_its_last_part_is_sent() -> None:
    """Its request line and metrics cover every part: the duration of the whole stream and
    the later parts' providers (reported at the first part, they had neither)."""
    slow = FaultConfig(latency_ms=400, jitter_ms=0)
    recorder = Recorder()
    async with (
        simulators(FaultConfig(latency_ms=5), hotelbeds=slow, liteapi=slow) as sims,
        gateway(Settings(), sims, observers=[recorder], served=True) as client,
        client.session.post(
            f"{client.base_url}/graphql",
            json={"query": DEFERRED_TRIP, "variables": trip_variables()},
            headers={"Accept": "multipart/mixed;deferSpec=20220824,application/json"},
        ) as response,
    ):
        assert response.content_type == "multipart/mixed"
        await response.read()
    [done] = [event for event in recorder.seen if isinstance(event, RequestDone)]
    assert done.duration_s >= 0.4
    assert {"hotelbeds", "liteapi"} <= {outcome.provider for outcome in done.providers}
    assert done.outcome == "ok"
