"""The current span's ids on log records (`trace_id`, `span_id`), so a log line and its trace
meet. Imported by the log configuration only with tracing on (`gateway/observe/logs.py`); it
needs OpenTelemetry, so it fails to import without the `otel` extra, and logs go on without ids.

Only a sampled span's ids are written: an unsampled span is never exported, and an id that
finds no trace would send the reader looking for nothing (the request id is on every line).
The gateway's spans are current through OpenTelemetry's context (`trace.use_span`), whatever
tracer provider made them, so reading the current span is enough.
"""

from __future__ import annotations

import logging

from opentelemetry import trace


class TraceIdLogFilter(logging.Filter):
    """Adds `trace_id` (32 hex digits) and `span_id` (16) inside a sampled span; nothing
    elsewhere, so the text format can leave them out."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid and context.trace_flags.sampled:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True
