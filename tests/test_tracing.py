"""OpenTelemetry tracing (the `otel` extra): spans through HTTP with an in-memory exporter, the
`traceparent` providers receive, the incoming trace context, no provider text on a span, the
settings, and the gateway without the extra."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from gateway import tracing
from gateway.app import create_app, create_session
from gateway.config import ConfigError, Settings
from gateway.providers.client import UpstreamClient
from gateway.tracing import TracingSettings
from gateway.tracing.otel import OtelTracing
from simulators import registry as sim_registry
from simulators import runner
from simulators.common.faults import FaultConfig
from tests.helpers import (
    APOLLO_ACCEPT,
    TRIP_QUERY,
    GraphQLClient,
    Simulators,
    serve,
    trip_variables,
)
from tests.ports import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
CALLER_TRACEPARENT = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"


@dataclass
class Traced:
    client: GraphQLClient
    exporter: InMemorySpanExporter
    received: list[tuple[str, str, str | None]] = field(default_factory=list)
    """(provider, path, traceparent) of every request the stand-in providers received."""

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def server_spans(self) -> list[ReadableSpan]:
        return [span for span in self.spans() if span.kind is SpanKind.SERVER]

    def provider_spans(self) -> list[ReadableSpan]:
        return [span for span in self.spans() if span.kind is SpanKind.INTERNAL]

    def http_spans(self) -> list[ReadableSpan]:
        return [span for span in self.spans() if span.kind is SpanKind.CLIENT]


def in_memory(incoming: str = "link") -> tuple[OtelTracing, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OtelTracing(provider, incoming=incoming), exporter


def recording(received: list[tuple[str, str, str | None]], provider: str) -> Any:
    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        received.append((provider, request.path, request.headers.get("traceparent")))
        response: web.StreamResponse = await handler(request)
        return response

    return record


@asynccontextmanager
async def traced_gateway(
    incoming: str = "link", faults: dict[str, FaultConfig] | None = None, **settings: Any
) -> AsyncIterator[Traced]:
    """The gateway with an in-memory span exporter, on simulators that record the
    `traceparent` of every request they receive."""
    tracer, exporter = in_memory(incoming)
    received: list[tuple[str, str, str | None]] = []
    started = []
    for name in sim_registry.names():
        app = runner.create_app(name, (faults or {}).get(name, FaultConfig(latency_ms=5)))
        app.middlewares.append(recording(received, name))
        started.append(await runner.start(name, app=app))
    try:
        # 5 s: 2 s was too little for a loaded machine's first search (every provider TIMEOUT).
        config = Settings(**{"provider_timeout_s": 5.0, **settings}).with_simulators(
            sim_registry.configs({sim.provider: sim.base_url for sim in started})
        )
        app = create_app(config, tracer=tracer)
        async with (
            serve(app, config) as url,
            aiohttp.ClientSession(headers={"Accept": APOLLO_ACCEPT}) as session,
        ):
            yield Traced(GraphQLClient(session, url, app), exporter, received)
    finally:
        for sim in started:
            await sim.stop()


async def trip(
    client: GraphQLClient, headers: dict[str, str] | None = None, name: str = "Trip"
) -> dict[str, Any]:
    async with client.session.post(
        f"{client.base_url}/graphql",
        json={"query": TRIP_QUERY, "variables": trip_variables(), "operationName": name},
        headers=headers,
    ) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
    assert "errors" not in body, body
    return body


async def test_a_search_is_a_request_span_with_a_child_span_per_provider_call() -> None:
    async with traced_gateway() as traced:
        body = await trip(traced.client)

    (request,) = traced.server_spans()
    assert request.name == "POST /graphql"
    assert request.parent is None
    attributes = dict(request.attributes or {})
    assert attributes["graphql.operation.name"] == "Trip"
    assert attributes["graphql.operation.type"] == "query"
    assert attributes["http.response.status_code"] == 200
    assert attributes["http.route"] == "/graphql"
    assert len(str(attributes["gateway.request_id"])) >= 8
    assert request.status.status_code is StatusCode.UNSET

    outcomes = {
        (field_name, outcome["provider"]): outcome
        for field_name in ("flights", "hotels")
        for outcome in body["data"][field_name]["providers"]
    }
    calls = traced.provider_spans()
    assert sorted(span.name for span in calls) == sorted(
        f"{provider} {field_name}" for field_name, provider in outcomes
    )
    for call in calls:
        assert call.parent is not None
        assert call.parent.span_id == request.context.span_id
        assert call.context.trace_id == request.context.trace_id
        attrs = dict(call.attributes or {})
        outcome = outcomes[attrs["gateway.field"], attrs["gateway.provider"]]
        assert attrs["gateway.outcome"] == outcome["status"] == "OK"
        assert attrs["gateway.offer_count"] == outcome["offerCount"] > 0
        assert attrs["http.response.status_code"] in (200, 201)  # Duffel creates: 201
        assert attrs["gateway.upstream_requests"] >= 1
        assert attrs["gateway.resends"] == 0

    by_id = {span.context.span_id: span for span in calls}
    http = traced.http_spans()
    assert len(http) == sum(dict(c.attributes or {})["gateway.upstream_requests"] for c in calls)
    for span in http:
        assert span.parent is not None
        call = by_id[span.parent.span_id]  # every upstream request is under its provider call
        attrs = dict(span.attributes or {})
        assert attrs["gateway.provider"] == dict(call.attributes or {})["gateway.provider"]
        assert attrs["http.response.status_code"] in (200, 201)
        assert attrs["server.address"] == "127.0.0.1"
        assert "http.request.resend_count" not in attrs
    # One span per request, provider call and upstream request: none per GraphQL field.
    assert len(traced.spans()) == 1 + len(calls) + len(http)


async def test_every_upstream_request_carries_the_trace_in_traceparent() -> None:
    async with traced_gateway() as traced:
        await trip(traced.client)

    (request,) = traced.server_spans()
    trace_id = f"{request.context.trace_id:032x}"
    http_span_ids = {f"{span.context.span_id:016x}" for span in traced.http_spans()}
    assert {provider for provider, _, _ in traced.received} == set(sim_registry.names())
    for provider, path, traceparent in traced.received:
        assert traceparent is not None, (provider, path)
        version, trace, parent, flags = traceparent.split("-")
        assert (version, trace) == ("00", trace_id)
        assert int(flags, 16) & 1  # sampled
        assert parent in http_span_ids  # the provider sees the upstream request's own span
    assert len(traced.received) == len(http_span_ids)


async def test_a_cached_search_makes_no_provider_span() -> None:
    async with traced_gateway() as traced:
        await trip(traced.client)
        first = len(traced.provider_spans())
        traced.exporter.clear()
        await trip(traced.client)
    assert first > 0
    assert len(traced.server_spans()) == 1
    assert traced.provider_spans() == []
    assert traced.http_spans() == []


async def test_an_untrusted_callers_trace_is_linked_not_continued() -> None:
    async with traced_gateway() as traced:
        await trip(traced.client, headers={"traceparent": CALLER_TRACEPARENT})

    (request,) = traced.server_spans()
    assert request.parent is None
    assert f"{request.context.trace_id:032x}" != CALLER_TRACE
    (link,) = request.links
    assert f"{link.context.trace_id:032x}" == CALLER_TRACE
    assert f"{link.context.span_id:016x}" == CALLER_SPAN
    assert all(CALLER_TRACE not in (tp or "") for _, _, tp in traced.received)


async def test_an_untrusted_callers_tracestate_is_not_exported_on_the_link() -> None:
    planted = ",".join(f"k{n}=" + "v" * 200 for n in range(32))  # 32 entries, ~7 KB
    async with traced_gateway() as traced:
        await trip(
            traced.client, headers={"traceparent": CALLER_TRACEPARENT, "tracestate": planted}
        )
    (request,) = traced.server_spans()
    (link,) = request.links
    assert f"{link.context.trace_id:032x}" == CALLER_TRACE
    assert len(link.context.trace_state) == 0


async def test_a_trusted_callers_trace_is_continued_to_the_providers() -> None:
    async with traced_gateway(incoming="continue") as traced:
        await trip(traced.client, headers={"traceparent": CALLER_TRACEPARENT})

    (request,) = traced.server_spans()
    assert request.parent is not None
    assert f"{request.parent.span_id:016x}" == CALLER_SPAN
    assert f"{request.context.trace_id:032x}" == CALLER_TRACE
    assert request.links == ()
    assert traced.received
    assert all((tp or "").split("-")[1] == CALLER_TRACE for _, _, tp in traced.received)


async def test_a_malformed_incoming_traceparent_starts_a_new_trace() -> None:
    async with traced_gateway(incoming="continue") as traced:
        await trip(
            traced.client, headers={"traceparent": "00-" + "z" * 32 + "-" + "1" * 16 + "-01"}
        )
    (request,) = traced.server_spans()
    assert request.parent is None
    assert request.links == ()


async def test_operation_names_on_spans_are_capped_and_never_the_span_name() -> None:
    long_name = "Q" + "x" * 5000
    async with traced_gateway() as traced:
        status, body = await traced.client.post(
            f"query {long_name} {{ __typename }}", operationName=long_name
        )
        assert status == 200, body
        status, _ = await traced.client.post("{ __typename }")
        assert status == 200
        status, _ = await traced.client.post("query {")
        assert status == 400

    named, anonymous, unparsed = traced.server_spans()
    assert {span.name for span in (named, anonymous, unparsed)} == {"POST /graphql"}
    assert dict(named.attributes or {})["graphql.operation.name"] == long_name[:64]
    assert "graphql.operation.name" not in dict(anonymous.attributes or {})
    assert dict(anonymous.attributes or {})["graphql.operation.type"] == "query"
    assert "graphql.operation.type" not in dict(unparsed.attributes or {})
    assert dict(unparsed.attributes or {})["http.response.status_code"] == 400


async def test_probes_and_other_paths_are_not_traced() -> None:
    async with traced_gateway() as traced:
        status, _, _ = await traced.client.raw("GET", "/healthz")
        assert status == 200
        status, _, _ = await traced.client.raw("GET", "/readyz")
        assert status == 200
    assert traced.spans() == []


async def test_a_provider_that_times_out_ends_its_spans_as_a_timeout() -> None:
    hanging = {"hotelbeds": FaultConfig(latency_ms=5, hang_rate=1.0)}
    # 3 s, not 0.5: the other providers must answer within it, loaded too (0.5 s flaked).
    async with traced_gateway(faults=hanging, provider_timeout_s=3.0) as traced:
        body = await trip(traced.client)

    statuses = {o["provider"]: o["status"] for o in body["data"]["hotels"]["providers"]}
    assert statuses["hotelbeds"] == "TIMEOUT"
    (call,) = (s for s in traced.provider_spans() if s.name == "hotelbeds hotels")
    attrs = dict(call.attributes or {})
    assert attrs["gateway.outcome"] == "TIMEOUT"
    assert attrs["gateway.offer_count"] == 0
    assert "http.response.status_code" not in attrs  # no answer came
    assert call.status.status_code is StatusCode.ERROR
    assert call.status.description == "TIMEOUT"
    assert call.end_time is not None
    assert call.start_time is not None
    assert 2.9 <= (call.end_time - call.start_time) / 1e9 < 10
    (request,) = (
        s for s in traced.http_spans() if s.parent and s.parent.span_id == call.context.span_id
    )
    assert dict(request.attributes or {})["error.type"] == "CancelledError"
    assert request.status.status_code is StatusCode.ERROR
    others = [s for s in traced.provider_spans() if s is not call]
    assert {dict(s.attributes or {})["gateway.outcome"] for s in others} == {"OK"}


async def test_spans_reach_an_otlp_collector_named_by_the_otel_variables(
    monkeypatch: pytest.MonkeyPatch, sims: Simulators
) -> None:
    """The operator's path: `OTEL_*` variables, the SDK's batch processor, OTLP over HTTP to
    a stand-in collector; the queue is flushed when the app shuts down."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
        ExportTraceServiceResponse,
    )

    exported: list[ExportTraceServiceRequest] = []

    async def collect(request: web.Request) -> web.Response:
        exported.append(ExportTraceServiceRequest.FromString(await request.read()))
        answer = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=answer, content_type="application/x-protobuf")

    collector_app = web.Application()
    collector_app.router.add_post("/v1/traces", collect)
    collector = await runner.start("collector", app=collector_app)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.base_url)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "gateway-under-test")
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_on")
    try:
        env = {"OTEL_TRACES_EXPORTER": "otlp"}
        settings = replace(Settings.from_env(env), provider_timeout_s=5.0)
        settings = settings.with_simulators(sims.configs())
        app = create_app(settings)
        async with (
            serve(app, settings) as url,
            aiohttp.ClientSession(headers={"Accept": APOLLO_ACCEPT}) as session,
        ):
            await trip(GraphQLClient(session, url, app))
    finally:
        await collector.stop()

    resources = [r for request in exported for r in request.resource_spans]
    assert resources
    services = {
        a.value.string_value
        for r in resources
        for a in r.resource.attributes
        if a.key == "service.name"
    }
    assert services == {"gateway-under-test"}
    names = [span.name for r in resources for scope in r.scope_spans for span in scope.spans]
    assert names.count("POST /graphql") == 1
    assert {"amadeus flights", "duffel flights", "liteapi hotels"} <= set(names)
    assert names.count("POST") + names.count("GET") >= 6


DEFERRED_TRIP = """query Trip($flight: FlightSearchInput!, $hotel: HotelSearchInput!) {
  flights(search: $flight, first: 3) { offers { totalCount } providers { provider status } }
  ... @defer(label: "hotels") {
    hotels(search: $hotel, first: 3) { offers { totalCount } providers { provider status } }
  }
}"""


async def test_a_deferred_answer_is_one_request_span_covering_every_part(
    caplog: pytest.LogCaptureFixture,
) -> None:
    accept = "multipart/mixed;deferSpec=20220824,application/json"
    async with (
        traced_gateway() as traced,
        traced.client.session.post(
            f"{traced.client.base_url}/graphql",
            json={"query": DEFERRED_TRIP, "variables": trip_variables()},
            headers={"Accept": accept},
        ) as response,
    ):
        assert response.status == 200
        assert response.content_type == "multipart/mixed"
        body = await response.read()
    assert b'"label":"hotels"' in body.replace(b" ", b"")
    (request,) = traced.server_spans()
    calls = traced.provider_spans()
    fields = {dict(s.attributes or {})["gateway.field"] for s in calls}
    assert fields == {"flights", "hotels"}
    assert all(s.parent is not None and s.parent.span_id == request.context.span_id for s in calls)
    assert request.end_time is not None
    assert all(s.end_time is not None and s.end_time <= request.end_time for s in calls)
    assert "detach" not in caplog.text  # OpenTelemetry's context stayed balanced


# -- No provider text reaches a span ---------------------------------------------------------

HOSTILE = "PROVIDER-SAYS-<script>alert(1)</script>-SECRET-7f3a"


@asynccontextmanager
async def hostile_provider() -> AsyncIterator[tuple[str, list[str]]]:
    """A stand-in for Duffel that answers everything with an error full of its own text."""
    seen: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.path)
        body = {"errors": [{"title": HOSTILE, "message": HOSTILE, "code": HOSTILE}]}
        return web.json_response(body, status=422, headers={"x-provider-note": HOSTILE})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    running = await runner.start("duffel", app=app)
    try:
        yield running.base_url, seen
    finally:
        await running.stop()


def every_text(span: ReadableSpan) -> list[str]:
    texts = [span.name, str(span.status.description or "")]
    texts += [f"{k}={v}" for k, v in (span.attributes or {}).items()]
    for event in span.events:
        texts.append(event.name)
        texts += [f"{k}={v}" for k, v in (event.attributes or {}).items()]
    for link in span.links:
        texts += [f"{k}={v}" for k, v in (link.attributes or {}).items()]
    return texts


async def test_no_provider_text_reaches_a_span() -> None:
    tracer, exporter = in_memory()
    amadeus = await runner.start("amadeus", fault_config=FaultConfig(latency_ms=5))
    try:
        async with hostile_provider() as (duffel_url, seen):
            # Duffel answers with its own text everywhere; LiteAPI's port refuses connections.
            config = Settings(provider_timeout_s=5.0).with_simulators(
                sim_registry.configs(
                    {
                        "amadeus": amadeus.base_url,
                        "duffel": duffel_url,
                        "liteapi": f"http://127.0.0.1:{free_port()}/v3.0",
                    }
                )
            )
            app = create_app(config, tracer=tracer)
            async with (
                serve(app, config) as url,
                aiohttp.ClientSession(headers={"Accept": APOLLO_ACCEPT}) as session,
            ):
                body = await trip(GraphQLClient(session, url, app))
    finally:
        await amadeus.stop()
    assert seen  # the hostile answers were received and read
    statuses = {o["provider"]: o["status"] for o in body["data"]["hotels"]["providers"]}
    assert statuses == {"amadeus": "OK", "duffel": "ERROR", "liteapi": "UNAVAILABLE"}
    spans = list(exporter.get_finished_spans())
    failed = [s for s in spans if dict(s.attributes or {}).get("gateway.outcome") == "ERROR"]
    assert {s.name for s in failed} == {"duffel flights", "duffel hotels"}
    assert all(s.status.status_code is StatusCode.ERROR for s in failed)
    assert any(dict(s.attributes or {}).get("http.response.status_code") == 422 for s in spans)
    refused = [s for s in spans if dict(s.attributes or {}).get("gateway.provider") == "liteapi"]
    assert any(
        dict(s.attributes or {}).get("error.type") == "ClientConnectorError" for s in refused
    )
    assert [text for span in spans for text in every_text(span) if HOSTILE in text] == []


# -- Retries: resends counted on the HTTP spans, each with its own traceparent ---------------


async def test_a_retried_request_is_a_second_http_span_counted_as_a_resend() -> None:
    tracer, exporter = in_memory()
    received: list[str | None] = []

    async def flaky(request: web.Request) -> web.Response:
        received.append(request.headers.get("traceparent"))
        if len(received) == 1:
            return web.Response(status=503, headers={"Retry-After": "0"})
        return web.json_response({"data": []})

    app = web.Application()
    app.router.add_get("/air/offers", flaky)
    running = await runner.start("duffel", app=app)
    try:
        async with create_session(tracer) as session:
            client = UpstreamClient(session, "duffel")
            with tracer.provider_call("duffel", "flights") as call:
                response = await client.request(
                    "GET", f"{running.base_url}/air/offers", idempotent=True
                )
                call.finish("OK", 0)
    finally:
        await running.stop()
    assert response.status == 200
    first, second = (s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT)
    (provider_call,) = (s for s in exporter.get_finished_spans() if s.kind is SpanKind.INTERNAL)
    assert dict(first.attributes or {})["http.response.status_code"] == 503
    assert first.status.status_code is StatusCode.ERROR
    assert "http.request.resend_count" not in dict(first.attributes or {})
    assert dict(second.attributes or {})["http.request.resend_count"] == 1
    assert dict(second.attributes or {})["http.response.status_code"] == 200
    attrs = dict(provider_call.attributes or {})
    assert (attrs["gateway.upstream_requests"], attrs["gateway.resends"]) == (2, 1)
    assert attrs["http.response.status_code"] == 200
    assert [tp.split("-")[2] for tp in received if tp] == [
        f"{span.context.span_id:016x}" for span in (first, second)
    ]


async def test_requests_outside_a_provider_call_are_not_traced() -> None:
    """The rates feed shares the session: it sends no trace context and makes no span."""
    tracer, exporter = in_memory()
    received: list[str | None] = []

    async def feed(request: web.Request) -> web.Response:
        received.append(request.headers.get("traceparent"))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/feed", feed)
    running = await runner.start("duffel", app=app)
    try:
        async with (
            create_session(tracer) as session,
            session.get(f"{running.base_url}/feed") as response,
        ):
            assert response.status == 200
    finally:
        await running.stop()
    assert received == [None]
    assert exporter.get_finished_spans() == ()


# -- Settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "exporters"),
    [
        ({}, ()),
        ({"OTEL_TRACES_EXPORTER": "none"}, ()),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, ("otlp",)),
        ({"OTEL_TRACES_EXPORTER": "OTLP, console"}, ("otlp", "console")),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, ()),
        ({"OTEL_TRACES_EXPORTER": "console,none"}, ()),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
            ("otlp",),
        ),
    ],
)
def test_tracing_is_on_only_when_an_exporter_is_named(
    env: dict[str, str], exporters: tuple[str, ...]
) -> None:
    settings = Settings.from_env(env).tracing
    assert settings.exporters == exporters
    assert settings.enabled is bool(exporters)
    assert settings.incoming == "link"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER"),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "PROTOCOL"),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"},
            "PROTOCOL",
        ),
        ({"OTEL_SDK_DISABLED": "maybe"}, "OTEL_SDK_DISABLED"),
        ({"GATEWAY_TRACE_INCOMING": "trust-everyone"}, "GATEWAY_TRACE_INCOMING"),
    ],
)
def test_bad_tracing_settings_stop_start_up_naming_the_variable(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


def test_incoming_trace_context_is_continued_only_when_asked() -> None:
    assert Settings.from_env({"GATEWAY_TRACE_INCOMING": "continue"}).tracing.incoming == (
        "continue"
    )


async def test_the_sdk_is_configured_from_the_otel_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.25")
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    tracer = tracing.start(TracingSettings(exporters=("otlp",)))
    assert isinstance(tracer, OtelTracing)
    provider = tracer._provider
    assert provider.resource.attributes["service.name"] == "travel-gateway"
    assert "0.25" in provider.sampler.get_description()
    await tracer.shutdown()

    monkeypatch.setenv("OTEL_SERVICE_NAME", "gateway-eu")
    named = tracing.start(TracingSettings(exporters=("console",)))
    assert isinstance(named, OtelTracing)
    assert named._provider.resource.attributes["service.name"] == "gateway-eu"
    await named.shutdown()


def test_with_tracing_off_nothing_is_installed() -> None:
    assert tracing.start(TracingSettings()) is None
    app = create_app(Settings())
    assert all(m.cls.__name__ != "_RequestSpans" for m in app.user_middleware)
    assert tracing.current() is None


async def test_with_tracing_off_the_session_has_no_trace_hooks() -> None:
    async with create_session(None) as session:
        assert session.trace_configs == []


# -- Without the extra ------------------------------------------------------------------------


@pytest.fixture
def without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """`import opentelemetry…` fails, as it does where the extra is not installed."""
    for name in list(sys.modules):
        if name == "opentelemetry" or name.startswith(("opentelemetry.", "gateway.tracing.otel")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    monkeypatch.delattr(tracing, "otel", raising=False)


@pytest.mark.usefixtures("without_the_extra")
async def test_without_the_extra_the_gateway_searches_untraced(
    sims: Simulators, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings.from_env({"OTEL_TRACES_EXPORTER": "otlp"})
    assert settings.tracing.enabled  # asked for, but not installed
    settings = Settings(provider_timeout_s=5.0, tracing=settings.tracing).with_simulators(
        sims.configs()
    )
    with caplog.at_level("WARNING", logger="gateway.tracing"):
        app = create_app(settings)
    assert "otel extra is not installed" in caplog.text
    async with (
        serve(app, settings) as url,
        aiohttp.ClientSession(headers={"Accept": APOLLO_ACCEPT}) as session,
    ):
        body = await trip(GraphQLClient(session, url, app))
    assert body["data"]["flights"]["offers"]["totalCount"] > 0
    assert "gateway.tracing.otel" not in sys.modules


BUILD_APP = """
import asyncio, logging, sys
{block}
from gateway.app import create_app, create_session
from gateway.config import Settings
logging.basicConfig()
settings = Settings.from_env({env})
create_app(settings)
async def main():
    async with create_session(None):
        pass
asyncio.run(main())
print("tracing module imported:", "gateway.tracing.otel" in sys.modules)
"""


@pytest.mark.parametrize(
    ("block", "env", "warned"),
    [
        # The extra installed, tracing off: the gateway's OpenTelemetry module stays unloaded.
        ("", {}, False),
        # The extra absent (every `import opentelemetry…` fails from the start), tracing asked
        # for: a warning, and the app is built as without it.
        ("sys.modules['opentelemetry'] = None", {"OTEL_TRACES_EXPORTER": "otlp"}, True),
    ],
)
def test_a_fresh_process_builds_the_app_without_the_tracing_module(
    block: str, env: dict[str, str], warned: bool
) -> None:
    script = BUILD_APP.format(block=block, env=env)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "tracing module imported: False"
    assert ("otel extra is not installed" in done.stderr) is warned
