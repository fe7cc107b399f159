"""Log lines: ISO 8601 times in UTC with the offset, in both formats and in uvicorn's lines; and
with tracing on, the trace and span ids of the sampled span a line was written in."""

from __future__ import annotations

import io
import logging
import logging.config
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import orjson
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind

from gateway.app import create_app
from gateway.config import Settings
from gateway.observe import logs
from gateway.tracing.otel import OtelTracing
from simulators.common.faults import FaultConfig
from tests.helpers import APOLLO_ACCEPT, TRIP_QUERY, serve, simulators, trip_variables

pytestmark = pytest.mark.e2e

UTC_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")
TEXT_LINE = re.compile(r"^(\S+) (\S+) +(\S+) \[([^\]]*)\] (.*)$")


@contextmanager
def configured(log_format: str, *, trace_ids: bool = False) -> Iterator[io.StringIO]:
    """The root logger as `serve` configures it in every worker (`logs.dict_config`), writing
    to a buffer; the test's logging put back afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    # uvicorn served without an access log (earlier tests) stops its access logger propagating:
    # as `serve --access-log` leaves it, for this test's lines.
    access = logging.getLogger("uvicorn.access")
    saved_access = access.handlers[:], access.propagate, access.disabled, access.level
    access.handlers[:], access.propagate, access.disabled = [], True, False
    access.setLevel(logging.NOTSET)
    config = logs.dict_config("INFO", log_format, trace_ids=trace_ids)
    stream = io.StringIO()
    config["handlers"]["stderr"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        yield stream
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        access.handlers[:], access.propagate, access.disabled, access_level = saved_access
        access.setLevel(access_level)


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_text_lines_and_uvicorns_have_utc_iso_times() -> None:
    with configured("text") as stream:
        logging.getLogger("gateway").warning("gateway line")
        logging.getLogger("uvicorn.error").info("Uvicorn running on http://127.0.0.1:8000")
        logging.getLogger("uvicorn.access").info('127.0.0.1:5 - "GET /healthz HTTP/1.1" 200')
    parsed = [TEXT_LINE.match(line) for line in lines(stream)]
    assert all(parsed), lines(stream)
    assert [m.group(3) for m in parsed if m] == ["gateway", "uvicorn.error", "uvicorn.access"]
    assert all(UTC_ISO.match(m.group(1)) for m in parsed if m), lines(stream)
    assert all(m.group(4) == "-" for m in parsed if m)  # no trace ids where there is no span


def test_json_lines_have_utc_iso_times() -> None:
    with configured("json") as stream:
        logging.getLogger("uvicorn.error").info("Started server process [1]")
    [line] = [orjson.loads(text) for text in lines(stream)]
    assert UTC_ISO.match(line["time"]), line["time"]
    assert line["logger"] == "uvicorn.error"
    assert "trace_id" not in line
    assert "trace_ids" not in line


def in_memory(sampled: bool = True) -> tuple[OtelTracing, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider() if sampled else TracerProvider(sampler=ALWAYS_OFF)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OtelTracing(provider), exporter


@pytest.mark.parametrize("log_format", logs.FORMATS)
def test_a_line_in_a_sampled_span_carries_its_trace_and_span_ids(log_format: str) -> None:
    tracer, exporter = in_memory()
    with configured(log_format, trace_ids=True) as stream:
        with tracer.provider_call("duffel", "flights"):
            logging.getLogger("gateway.search.fanout").warning("duffel failed: HTTP 500")
        logging.getLogger("gateway").info("outside any span")
    [span] = exporter.get_finished_spans()
    assert span.context is not None
    trace_id = format(span.context.trace_id, "032x")
    span_id = format(span.context.span_id, "016x")
    inside, outside = lines(stream)
    if log_format == "json":
        inside_fields, outside_fields = orjson.loads(inside), orjson.loads(outside)
        assert (inside_fields["trace_id"], inside_fields["span_id"]) == (trace_id, span_id)
        assert "trace_id" not in outside_fields
        assert "span_id" not in outside_fields
        assert UTC_ISO.match(inside_fields["time"])
    else:
        assert f"[- trace_id={trace_id} span_id={span_id}] duffel failed" in inside
        assert "trace_id" not in outside
        assert outside.endswith("[-] outside any span")


def test_an_unsampled_span_puts_no_ids_on_lines() -> None:
    """Its ids find no trace: only the request id is written."""
    tracer, _ = in_memory(sampled=False)
    with (
        configured("text", trace_ids=True) as stream,
        tracer.provider_call("duffel", "flights"),
    ):
        logging.getLogger("gateway").warning("in an unsampled span")
    [line] = lines(stream)
    assert "trace_id" not in line


def test_without_opentelemetry_lines_carry_no_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """The `otel` extra absent: the filter adds nothing and nothing fails."""
    import sys

    monkeypatch.delitem(sys.modules, "gateway.tracing.log_ids", raising=False)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    with configured("text", trace_ids=True) as stream:
        logging.getLogger("gateway").warning("untraced")
    [line] = lines(stream)
    assert line.endswith("[-] untraced")


async def test_a_providers_failure_is_logged_with_the_trace_of_its_request() -> None:
    """Through HTTP: the fan-out's WARNING about a failed provider is written inside the
    provider call's span, so its line names that span and the request's trace."""
    tracer, exporter = in_memory()
    async with simulators(FaultConfig(latency_ms=5)) as sims:
        sims.duffel.update({"error_rate": 1.0, "paths": ["/air/"]})
        settings = Settings(provider_timeout_s=2.0).with_simulators(sims.configs())
        app = create_app(settings, tracer=tracer)
        with configured("json", trace_ids=True) as stream:
            async with (
                serve(app, settings) as url,
                aiohttp.ClientSession(headers={"Accept": APOLLO_ACCEPT}) as session,
                session.post(
                    f"{url}/graphql", json={"query": TRIP_QUERY, "variables": trip_variables()}
                ) as response,
            ):
                assert response.status == 200
                request_id = response.headers["x-request-id"]
    records: list[dict[str, Any]] = [orjson.loads(line) for line in lines(stream)]
    [failed] = [r for r in records if r["message"].startswith("duffel failed")]
    spans = exporter.get_finished_spans()
    [call] = [
        s for s in spans
        if s.kind is SpanKind.INTERNAL and s.attributes and s.attributes.get("gateway.field")
        == "flights" and s.attributes.get("gateway.provider") == "duffel"
    ]  # fmt: skip
    [request] = [s for s in spans if s.kind is SpanKind.SERVER]
    assert call.context is not None
    assert request.context is not None
    assert failed["span_id"] == format(call.context.span_id, "016x")
    assert failed["trace_id"] == format(request.context.trace_id, "032x")
    assert failed["request_id"] == request_id
