"""Log lines from the gateway's events, and the log format (`GATEWAY_LOG_FORMAT`).

`text` (the default) keeps the one-line format the gateway always had. `json` writes every log
record as one JSON object a line (python-json-logger, on orjson), and adds one line per GraphQL
request: its id, operation name, outcome, duration, error codes, each provider's outcome, cache
use and the API key's name. Circuit transitions and client refusals are logged once each, in
both formats.

Times are ISO 8601 in UTC with the offset written out (`2026-12-07T22:05:01.123+00:00`), in
both formats and uvicorn's lines too: workers on several machines (and their time zones) sort
into one order, and no reader has to guess the zone. With tracing on, a line written inside a
sampled span carries its `trace_id` and `span_id`, so a line and its trace meet.

What a line never holds: provider text (the request line carries each provider's status, never
its message) and secrets (an API key is named, never shown; addresses are not logged).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

from gateway.env import ConfigError
from gateway.observe.events import BreakerChanged, ClientRefused, Event, RequestDone
from gateway.request_id import RequestIdLogFilter

log = logging.getLogger("gateway.requests")
events_log = logging.getLogger("gateway.events")

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s%(trace_ids)s] %(message)s"
"""`trace_ids`: ` trace_id=… span_id=…` inside a traced span, else nothing."""
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(request_id)s %(message)s"
"""`process`: the worker's pid, under `serve --workers N`."""


def checked_level(raw: str, name: str) -> str:
    """A log level named by `name` (a variable or an option), upper-cased; a `ConfigError`
    naming it otherwise (logging's own error would be a traceback at start-up)."""
    value = raw.strip().upper()
    if value not in LEVELS:
        raise ConfigError(f"{name} must be one of {', '.join(LEVELS)}")
    return value


def utc_time(record: logging.LogRecord) -> str:
    """The record's time: ISO 8601, UTC, milliseconds, the offset written out."""
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """The text format: UTC ISO times, and the trace ids only where there are some."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_time(record)

    def formatMessage(self, record: logging.LogRecord) -> str:
        trace_id = getattr(record, "trace_id", None)
        span_id = getattr(record, "span_id", "")
        record.trace_ids = f" trace_id={trace_id} span_id={span_id}" if trace_id else ""
        return super().formatMessage(record)


class JsonFormatter(OrjsonFormatter):
    """The JSON format (python-json-logger on orjson), with UTC ISO times."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_time(record)


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            # uvicorn's copy of its message with terminal colour codes: noise in a JSON line;
            # `trace_ids` is the text format's.
            reserved_attrs=[*RESERVED_ATTRS, "color_message", "trace_ids"],
        )
    return TextFormatter()


def trace_filter() -> logging.Filter:
    """Puts the current span's ids on each record, when tracing is on; a filter that adds
    nothing without OpenTelemetry (the `otel` extra not installed: tracing is off anyway)."""
    try:
        from gateway.tracing.log_ids import TraceIdLogFilter
    except ImportError:
        return logging.Filter()
    return TraceIdLogFilter()


def dict_config(level: str, log_format: str = "text", *, trace_ids: bool = False) -> dict[str, Any]:
    """`configure` as a `logging.config.dictConfig` dict: uvicorn applies it in each worker
    process of `serve --workers N`, which inherit no handler from the parent."""
    filters: dict[str, Any] = {"request_id": {"()": RequestIdLogFilter}}
    if trace_ids:
        filters["trace_ids"] = {"()": trace_filter}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": filters,
        "formatters": {"gateway": {"()": formatter, "log_format": log_format}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "gateway",
                "filters": list(filters),
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
    }


def configure(level: str, log_format: str = "text", *, trace_ids: bool = False) -> None:
    """The process's one log handler: stderr, in `log_format`, with the request id (and the
    trace ids, with tracing on)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIdLogFilter())
    if trace_ids:
        handler.addFilter(trace_filter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class LogObserver:
    """Writes the log lines of events: transitions and refusals always, requests when asked."""

    def __init__(self, *, requests: bool = False) -> None:
        self.requests = requests
        """Whether each request gets its line (the JSON format's access log)."""

    def observe(self, event: Event) -> None:
        if isinstance(event, RequestDone):
            if self.requests:
                log.info("request", extra=request_fields(event))
        elif isinstance(event, BreakerChanged):
            if event.state == "open":
                events_log.warning(
                    "%s %s circuit opened after repeated failures",
                    event.provider,
                    event.field,
                    extra={"event": "breaker", "provider": event.provider,
                           "field": event.field, "state": event.state},
                )  # fmt: skip
            else:
                events_log.info(
                    "%s %s circuit %s",
                    event.provider,
                    event.field,
                    "half-open: one probe goes" if event.state == "half-open" else "closed",
                    extra={"event": "breaker", "provider": event.provider,
                           "field": event.field, "state": event.state},
                )  # fmt: skip
        elif isinstance(event, ClientRefused):
            events_log.info(
                "client %s refused: over its %s limit",
                event.client or "(no key)",
                event.limit,
                extra={"event": "refused", "limit": event.limit, "client": event.client},
            )


def request_fields(event: RequestDone) -> dict[str, Any]:
    """The fields of a request's line (only values the gateway chose or bounded)."""
    return {
        "event": "request",
        "request_id": event.request_id,
        "operation": event.operation,
        "outcome": event.outcome,
        "status": event.status,
        "duration_ms": round(event.duration_s * 1000, 1),
        "error_codes": list(event.error_codes),
        "providers": [
            {
                "provider": outcome.provider,
                "status": outcome.status.value,
                "latency_ms": outcome.latency_ms,
                "offers": outcome.offer_count,
                "cached": outcome.cached,
            }
            for outcome in event.providers
        ],
        "cache": {
            "hits": event.cache_hits,
            "misses": event.cache_misses,
            "coalesced": event.coalesced,
        },
        "client": event.client,
    }
