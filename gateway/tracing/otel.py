"""Tracing with OpenTelemetry: imported only when tracing is on (`gateway/tracing/__init__.py`).

Spans, and why each is shaped so:
- one SERVER span per `/graphql` request, named `POST /graphql` (or `GET …`): a fixed name,
  since the operation name is the client's to choose; it goes in `graphql.operation.name`,
  capped at 64 characters (a GraphQL name, so printable);
- one INTERNAL span per provider call (`amadeus flights`), a child of the request span: the
  provider, the field, the outcome (a `ProviderStatus` name), the offer count, the last HTTP
  status and how many upstream requests it took, resends counted;
- one CLIENT span per upstream HTTP request, a child of its provider call, whose context goes to
  the provider in a W3C `traceparent` header. It ends when the response's headers arrive (what
  aiohttp's trace hooks see); reading the body and mapping it are in the provider-call span.

Nothing a provider sends is put on a span: statuses are numbers, outcomes our own names, errors
their exception class (`error.type`), never a message; no URL path or query either (they carry
the provider's offer ids and the traveller's search). Only W3C Trace Context crosses the
gateway (`OTEL_PROPAGATORS` is not read): baggage is neither taken from clients nor sent on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import aiohttp
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Link, Span, SpanContext, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import __version__
from gateway.tracing import MAX_OPERATION_NAME, CallTrace, TracingSettings, _current

SERVICE_NAME = "travel-gateway"
"""`service.name` unless `OTEL_SERVICE_NAME` (or `OTEL_RESOURCE_ATTRIBUTES`) names another."""
TRACED_PATH = "/graphql"
"""Only GraphQL requests get spans: probes and the explorer's files would be noise."""
_METHODS = frozenset({"GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CONTEXT_HEADERS = {b"traceparent": "traceparent", b"tracestate": "tracestate"}
_W3C = TraceContextTextMapPropagator()


@dataclass(slots=True)
class _Call:
    """One provider call being traced: its span and what its upstream requests did."""

    span: Span
    provider: str
    sent: dict[tuple[str, str], int] = field(default_factory=dict)
    """Requests by method and URL: a second of the same is a resend (a retry, or again after
    a token refresh), which is what `http.request.resend_count` counts."""
    requests: int = 0
    resends: int = 0

    def finish(self, outcome: str, offers: int) -> None:
        self.span.set_attributes(
            {
                "gateway.outcome": outcome,
                "gateway.offer_count": offers,
                "gateway.upstream_requests": self.requests,
                "gateway.resends": self.resends,
            }
        )
        if outcome != "OK":
            self.span.set_status(Status(StatusCode.ERROR, outcome))


class OtelTracing:
    """Tracing switched on, with its own tracer provider (never the process-global one, so
    apps built side by side, as the tests do, keep their spans apart)."""

    def __init__(self, provider: TracerProvider, *, incoming: str = "link") -> None:
        self._provider = provider
        self._tracer = provider.get_tracer("gateway", __version__)
        self._continue_incoming = incoming == "continue"
        self._request_span: ContextVar[Span | None] = ContextVar("request_span", default=None)
        self._call: ContextVar[_Call | None] = ContextVar("provider_call", default=None)

    @classmethod
    def from_settings(cls, settings: TracingSettings) -> OtelTracing:
        """The SDK configured from the `OTEL_*` variables it reads itself (sampler, span
        limits, batching, the exporter's endpoint, headers and timeout), with an exporter per
        name in `OTEL_TRACES_EXPORTER`."""
        provider = TracerProvider(resource=_resource())
        for name in settings.exporters:
            provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
        return cls(provider, incoming=settings.incoming)

    def middleware(self) -> Middleware:
        return Middleware(_RequestSpans, tracing=self)

    def trace_configs(self) -> list[aiohttp.TraceConfig]:
        config = aiohttp.TraceConfig()
        config.on_request_start.append(self._upstream_start)
        config.on_request_end.append(self._upstream_end)
        config.on_request_exception.append(self._upstream_failed)
        return [config]

    @contextmanager
    def provider_call(self, provider: str, field: str) -> Iterator[CallTrace]:
        span = self._tracer.start_span(
            f"{provider} {field}",
            kind=SpanKind.INTERNAL,
            attributes={"gateway.provider": provider, "gateway.field": field},
        )
        call = _Call(span, provider)
        token = self._call.set(call)
        try:
            with trace.use_span(span, record_exception=False, set_status_on_exception=False):
                yield call
        except BaseException as exc:  # the fan-out turns every Exception into an outcome
            span.set_attribute("error.type", type(exc).__qualname__)
            call.finish("CANCELLED", 0)
            raise
        finally:
            self._call.reset(token)
            span.end()

    def name_operation(self, operation_type: str, name: str | None) -> None:
        span = self._request_span.get()
        if span is None:
            return
        span.set_attribute("graphql.operation.type", operation_type)
        if name:
            span.set_attribute("graphql.operation.name", name[:MAX_OPERATION_NAME])

    async def shutdown(self) -> None:
        # Flushing waits on the exporter (up to its timeout): not on the event loop.
        await asyncio.to_thread(self._provider.shutdown)

    async def serve(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one GraphQL request inside its SERVER span."""
        method = scope["method"] if scope["method"] in _METHODS else "HTTP"
        span = self._tracer.start_span(
            f"{method} {TRACED_PATH}",
            context=self._parent(scope),
            kind=SpanKind.SERVER,
            links=self._links(scope),
            attributes={
                "http.request.method": method if method != "HTTP" else "_OTHER",
                "http.route": TRACED_PATH,
                "url.path": TRACED_PATH,
                "url.scheme": scope.get("scheme", "http"),
            },
        )

        async def send_traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_attribute("error.type", str(status))
                    span.set_status(Status(StatusCode.ERROR))
                for name, value in message.get("headers", ()):
                    if name == b"x-request-id":  # RequestIdMiddleware's: safe characters only
                        span.set_attribute("gateway.request_id", value.decode("latin-1"))
            await send(message)

        traced = _current.set(self)
        request_span = self._request_span.set(span)
        try:
            with trace.use_span(span, record_exception=False, set_status_on_exception=False):
                await app(scope, receive, send_traced)
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__qualname__)
            span.set_status(Status(StatusCode.ERROR))
            raise
        finally:
            self._request_span.reset(request_span)
            _current.reset(traced)
            span.end()

    def _parent(self, scope: Scope) -> Context:
        """The caller's trace when it is trusted (`GATEWAY_TRACE_INCOMING=continue`), else a
        new trace: a client cannot pick our trace ids nor force our sampling decision."""
        if self._continue_incoming:
            return _W3C.extract(_trace_headers(scope), context=Context())
        return Context()

    def _links(self, scope: Scope) -> list[Link]:
        """An untrusted caller's trace context, kept as a link (it can still be followed)."""
        if self._continue_incoming:
            return []
        caller = trace.get_current_span(_W3C.extract(_trace_headers(scope), context=Context()))
        context = caller.get_span_context()
        if not context.is_valid:
            return []
        # The ids and flags only: the caller's `tracestate` (up to 32 entries of its choice) is
        # not exported on every request span.
        return [Link(SpanContext(context.trace_id, context.span_id, True, context.trace_flags))]

    async def _upstream_start(
        self, session: aiohttp.ClientSession, ctx: SimpleNamespace, params: Any
    ) -> None:
        call = self._call.get()
        ctx.span = None
        if call is None:  # not a provider call of a traced request (the rates feed)
            return
        url = params.url
        key = (params.method, str(url))
        resends = call.sent.get(key, 0)
        call.sent[key] = resends + 1
        call.requests += 1
        attributes: dict[str, Any] = {
            "http.request.method": params.method,
            "server.address": url.host or "",
            "server.port": url.port or 0,
            "gateway.provider": call.provider,
        }
        if resends:
            call.resends += 1
            attributes["http.request.resend_count"] = resends
        span = self._tracer.start_span(params.method, kind=SpanKind.CLIENT, attributes=attributes)
        # `traceparent` (and the caller's `tracestate` when continued) for the provider.
        _W3C.inject(params.headers, context=trace.set_span_in_context(span))
        ctx.span, ctx.call = span, call

    async def _upstream_end(
        self, session: aiohttp.ClientSession, ctx: SimpleNamespace, params: Any
    ) -> None:
        span: Span | None = ctx.span
        if span is None:
            return
        status = params.response.status
        ctx.call.span.set_attribute("http.response.status_code", status)
        if status >= 400:
            span.set_attributes({"http.response.status_code": status, "error.type": str(status)})
            span.set_status(Status(StatusCode.ERROR))
        else:
            span.set_attribute("http.response.status_code", status)
        span.end()

    async def _upstream_failed(
        self, session: aiohttp.ClientSession, ctx: SimpleNamespace, params: Any
    ) -> None:
        span: Span | None = ctx.span
        if span is None:
            return
        span.set_attribute("error.type", type(params.exception).__qualname__)
        span.set_status(Status(StatusCode.ERROR))
        span.end()


class _RequestSpans:
    """ASGI middleware: GraphQL requests are served inside their span; the rest pass by."""

    def __init__(self, app: ASGIApp, tracing: OtelTracing) -> None:
        self.app = app
        self.tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != TRACED_PATH:
            await self.app(scope, receive, send)
            return
        await self.tracing.serve(self.app, scope, receive, send)


def _trace_headers(scope: Scope) -> dict[str, str]:
    """The request's W3C trace-context headers, the first of each (bounded by the HTTP edge's
    header limits; the propagator parses them strictly)."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = _CONTEXT_HEADERS.get(name)
        if key is not None and key not in found:
            found[key] = value.decode("latin-1")
    return found


def _resource() -> Resource:
    """What the `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` say, over our defaults."""
    detected = Resource.create()
    attributes = dict(detected.attributes)
    if str(attributes.get("service.name", "")).startswith("unknown_service"):
        del attributes["service.name"]
    ours = Resource({"service.name": SERVICE_NAME, "service.version": __version__})
    return ours.merge(Resource(attributes, detected.schema_url))


def _exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    # OTLP over HTTP/protobuf: endpoint, headers, timeout, compression and certificates from
    # the OTEL_EXPORTER_OTLP_* variables (`TracingSettings.from_env` refused other protocols).
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()
