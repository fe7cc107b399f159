"""Log lines from the gateway's events, and the log format (`GATEWAY_LOG_FORMAT`).

`text` (the default) keeps the one-line format the gateway always had. `json` writes every log
record as one JSON object a line (python-json-logger, on orjson), and adds one line per GraphQL
request: its id, operation name, outcome, duration, error codes, each provider's outcome, cache
use and the API key's name. Circuit transitions and client refusals are logged once each, in
both formats.

What a line never holds: provider text (the request line carries each provider's status, never
its message) and secrets (an API key is named, never shown; addresses are not logged).
"""

from __future__ import annotations

import logging
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

from gateway.observe.events import BreakerChanged, ClientRefused, Event, RequestDone
from gateway.request_id import RequestIdLogFilter

log = logging.getLogger("gateway.requests")
events_log = logging.getLogger("gateway.events")

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(request_id)s %(message)s"
"""`process`: the worker's pid, under `serve --workers N`."""


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return OrjsonFormatter(
            JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            # uvicorn's copy of its message with terminal colour codes: noise in a JSON line.
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        )
    return logging.Formatter(TEXT_FORMAT)


def dict_config(level: str, log_format: str = "text") -> dict[str, Any]:
    """`configure` as a `logging.config.dictConfig` dict: uvicorn applies it in each worker
    process of `serve --workers N`, which inherit no handler from the parent."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdLogFilter}},
        "formatters": {"gateway": {"()": formatter, "log_format": log_format}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "gateway",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
    }


def configure(level: str, log_format: str = "text") -> None:
    """The process's one log handler: stderr, in `log_format`, with the request id."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIdLogFilter())
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
