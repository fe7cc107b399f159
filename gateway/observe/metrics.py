"""Prometheus metrics from the gateway's events, served at `/metrics` to holders of a token.

One `MetricsObserver` per app, on a registry of its own (several apps in one process, as in the
tests, never share counters). Under `serve --workers N` the command line gives every worker one
fresh `PROMETHEUS_MULTIPROC_DIR` (`multiprocess_directory`), prometheus-client writes each
worker's values there, and a scrape answered by any worker reads them all.

Labels are bounded: providers, fields, statuses and error codes are the gateway's own; an
operation's name is the client's, so it is a label only when it is the name of a trusted
document or one of the first `LEARNED_OPERATIONS` names of operations that ran, and `other`
beyond (`OperationLabels`). A client is named only by its API key's name (the operator's
keys file), never by its address.

Process and garbage-collector metrics are prometheus-client's standard ones: its collectors in
one process; under several workers each worker's own, with a `pid` label
(`gateway/observe/process.py`). No `_created` series: each counter and histogram would carry a
second series of its start time, which Prometheus does not need to compute rates.
"""

from __future__ import annotations

import hmac
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import graphql
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.observe.events import (
    BreakerChanged,
    CacheUsed,
    ClientRefused,
    Event,
    GuardFellBack,
    ProviderCalled,
    ProviderLimited,
    RequestDone,
    UpstreamRetried,
)
from gateway.observe.process import Retyped, WorkerProcessMetrics
from gateway.outage import GUARDS

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LEARNED_OPERATIONS = 50
"""Operation names that become labels without a trusted-documents manifest, first come."""
OTHER = "other"
ANONYMOUS = "anonymous"
NO_CLIENT = "-"
BREAKER_VALUES = {"closed": 0.0, "half-open": 1.0, "open": 2.0}
PROVIDER_BUCKETS_S = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 4.0, 8.0, 16.0)
"""Provider calls take ~100 ms to the 8 s deadline."""
REQUEST_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Requests take ~10 ms (cached) to the deadline."""


def multiprocess() -> bool:
    """Whether values live in the multiprocess directory (set before prometheus-client loads)."""
    return bool(os.environ.get(MULTIPROC_ENV))


def multiprocess_directory() -> str:
    """A fresh, empty directory for the workers' values: old files would add a dead run's
    counts to this one's."""
    return tempfile.mkdtemp(prefix="travel-gateway-metrics-")


def remove_directory(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def mark_dead(pid: int) -> None:
    """A worker ended: its live gauges (workers, result sets, breakers) stop counting; its
    counters and histograms stay in the totals."""
    from prometheus_client import multiprocess as mp

    mp.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class OperationLabels:
    """The label of an operation's name: bounded, whatever clients send (see the module)."""

    def __init__(self, trusted: Iterable[str] = (), learn: int = LEARNED_OPERATIONS) -> None:
        self._known = set(trusted)
        self._learned: set[str] = set()
        self._learn = learn

    @classmethod
    def for_documents(cls, documents: Mapping[str, str] | None) -> OperationLabels:
        """Labels for the operations of a trusted-documents manifest (only those, then)."""
        if documents is None:
            return cls()
        names = {
            definition.name.value
            for text in documents.values()
            for definition in graphql.parse(text).definitions
            if isinstance(definition, graphql.OperationDefinitionNode) and definition.name
        }
        return cls(names, learn=0)

    def label(self, name: str | None, ran: bool) -> str:
        if name is None:
            return ANONYMOUS
        if name in self._known or name in self._learned:
            return name
        if ran and len(self._learned) < self._learn:
            self._learned.add(name)
            return name
        return OTHER


class _ResultSets(Collector):
    """The result store's size, read when scraped (one process: nothing on the request path)."""

    def __init__(self, size: Callable[[], int]) -> None:
        self.size = size

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "gateway_result_sets", "Merged result sets kept for paging.", value=self.size()
        )


class MetricsObserver:
    """Turns events into Prometheus metrics (the list: docs/operations.md, Metrics)."""

    def __init__(self, operations: OperationLabels | None = None) -> None:
        # No `_created` series (the module says why): the one place, read when scraped.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.operations = operations or OperationLabels()
        self.registry = CollectorRegistry(auto_describe=True)
        self._multiprocess = multiprocess()
        r = self.registry
        self._process: WorkerProcessMetrics | None = None
        if self._multiprocess:
            self._process = WorkerProcessMetrics(r)
        else:
            ProcessCollector(registry=r)
            GCCollector(registry=r)
            PlatformCollector(registry=r)
        self.requests = Counter(
            "gateway_requests", "GraphQL requests answered.", ["operation", "outcome"], registry=r
        )
        self.request_seconds = Histogram(
            "gateway_request_duration_seconds",
            "Time to answer a GraphQL request.",
            ["operation"],
            buckets=REQUEST_BUCKETS_S,
            registry=r,
        )
        self.errors = Counter(
            "gateway_graphql_errors", "GraphQL errors answered, by code.", ["code"], registry=r
        )
        self.provider_seconds = Histogram(
            "gateway_provider_call_duration_seconds",
            "Provider searches (and re-pricings) made, by outcome status.",
            ["provider", "field", "status"],
            buckets=PROVIDER_BUCKETS_S,
            registry=r,
        )
        self.retries = Counter(
            "gateway_upstream_retries", "Upstream requests sent again.", ["provider", "reason"],
            registry=r,
        )  # fmt: skip
        self.provider_limited = Counter(
            "gateway_provider_limited",
            "Provider calls not sent for a limit of ours (Hotelbeds' daily quota, a rate limit).",
            ["provider", "field", "limit"],
            registry=r,
        )
        self.fallbacks = Counter(
            "gateway_guard_fallbacks",
            "Decisions a guard made without the fleet's shared state (Redis down), by guard.",
            ["guard"],
            registry=r,
        )
        for guard in GUARDS:
            self.fallbacks.labels(guard)  # each shown at 0: an alert sees the first fallback
        self.cache = Counter(
            "gateway_cache_lookups",
            "Provider searches through the search cache: hit, coalesced or miss.",
            ["field", "provider", "result"],
            registry=r,
        )
        self.saved = Counter(
            "gateway_upstream_calls_saved",
            "Provider searches answered without calling the provider.",
            ["field", "provider", "by"],
            registry=r,
        )
        self.breaker = Gauge(
            "gateway_breaker_state",
            "A provider's circuit: 0 closed, 1 half-open, 2 open (the worst of the workers).",
            ["provider", "field"],
            multiprocess_mode="livemax",
            registry=r,
        )
        self.breaker_changes = Counter(
            "gateway_breaker_transitions",
            "Circuit state changes, by the state entered.",
            ["provider", "field", "state"],
            registry=r,
        )
        self.refusals = Counter(
            "gateway_client_refusals",
            "Requests refused for a client limit: requests, searches (per minute) or cost.",
            ["limit", "client"],
            registry=r,
        )
        self.workers = Gauge(
            "gateway_workers", "Worker processes serving.", multiprocess_mode="livesum",
            registry=r,
        )  # fmt: skip
        self.workers.set(1)
        self._result_sets: Gauge | None = None
        self._result_sets_size: Callable[[], int] = lambda: 0
        self._result_sets_collector: _ResultSets | None = None
        self._dispatch: dict[type[Event], Callable[[Any], None]] = {
            RequestDone: self._request_done,
            ProviderCalled: self._provider_called,
            CacheUsed: self._cache_used,
            BreakerChanged: self._breaker_changed,
            ClientRefused: self._client_refused,
            UpstreamRetried: self._retried,
            ProviderLimited: self._provider_limited,
            GuardFellBack: self._fell_back,
        }

    def watch(self, breakers: Iterable[tuple[str, str]], result_sets: Callable[[], int]) -> None:
        """Show every circuit (closed until told otherwise) and the result store's size; under
        several workers, start writing this worker's process metrics."""
        if self._process is not None:
            self._process.start()
        for provider, field in breakers:
            self.breaker.labels(provider, field).set(0)
        if self._multiprocess:
            # A collector would show only the worker that answers the scrape: each worker keeps
            # a live gauge instead, refreshed as it answers requests, summed over live workers.
            self._result_sets = Gauge(
                "gateway_result_sets",
                "Merged result sets kept for paging.",
                multiprocess_mode="livesum",
                registry=self.registry,
            )
            self._result_sets_size = result_sets
        elif self._result_sets_collector is None:
            # Registered once: an app whose lifespan runs again (a second test client) watches
            # the same registry again.
            self._result_sets_collector = _ResultSets(result_sets)
            self.registry.register(self._result_sets_collector)
        else:
            self._result_sets_collector.size = result_sets

    def observe(self, event: Event) -> None:
        handle = self._dispatch.get(type(event))
        if handle is not None:
            handle(event)

    def _request_done(self, event: RequestDone) -> None:
        operation = self.operations.label(event.operation, event.outcome in ("ok", "partial"))
        self.requests.labels(operation, event.outcome).inc()
        self.request_seconds.labels(operation).observe(event.duration_s)
        for code in event.error_codes:
            self.errors.labels(code).inc()
        if self._result_sets is not None:
            self._result_sets.set(self._result_sets_size())

    def _provider_called(self, event: ProviderCalled) -> None:
        self.provider_seconds.labels(event.provider, event.field, event.status).observe(
            event.latency_s
        )

    def _cache_used(self, event: CacheUsed) -> None:
        self.cache.labels(event.field, event.provider, event.use).inc()
        if event.use == "hit":
            self.saved.labels(event.field, event.provider, "cache").inc()
        elif event.use == "coalesced":
            self.saved.labels(event.field, event.provider, "coalescing").inc()

    def _breaker_changed(self, event: BreakerChanged) -> None:
        self.breaker.labels(event.provider, event.field).set(BREAKER_VALUES[event.state])
        self.breaker_changes.labels(event.provider, event.field, event.state).inc()

    def _client_refused(self, event: ClientRefused) -> None:
        self.refusals.labels(event.limit, event.client or NO_CLIENT).inc()

    def _retried(self, event: UpstreamRetried) -> None:
        self.retries.labels(event.provider, event.reason).inc()

    def _provider_limited(self, event: ProviderLimited) -> None:
        self.provider_limited.labels(event.provider, event.field, event.limit).inc()

    def _fell_back(self, event: GuardFellBack) -> None:
        self.fallbacks.labels(event.guard).inc()

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format: this process's, or every worker's."""
        if not self._multiprocess:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess as mp

        if self._result_sets is not None:
            self._result_sets.set(self._result_sets_size())
        if self._process is not None:
            self._process.refresh()  # this worker's values as of now, the others' at most 5 s old
        registry = CollectorRegistry()
        registry.register(Retyped(mp.MultiProcessCollector(None)))  # type: ignore[no-untyped-call]
        return generate_latest(registry)


def metrics_endpoint(observer: MetricsObserver, token: str) -> Callable[[Request], Any]:
    """`GET /metrics` for a request bearing `token` (compared in constant time), else 401."""
    expected = f"Bearer {token}".encode()

    async def endpoint(request: Request) -> Response:
        presented = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(presented, expected):
            return JSONResponse(
                {"errors": [{"message": "A metrics token is required.",
                             "extensions": {"code": "UNAUTHENTICATED"}}]},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        return Response(observer.exposition(), media_type=CONTENT_TYPE_LATEST)

    return endpoint
