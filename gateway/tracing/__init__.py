"""OpenTelemetry tracing, an optional extra (`pip install travel-gateway[otel]`).

This package is what the rest of the gateway sees of tracing, and it imports no OpenTelemetry:
without the extra, or with tracing off, the app factory installs nothing, the upstream session
carries no trace hooks, and the one check left on the hot path (`current()`, once per provider
call) reads a context variable that is never set. Everything that touches OpenTelemetry is in
`gateway/tracing/otel.py`, imported only when tracing is on (docs/operations.md, Tracing).

Three hook points, each one line where it is used: the request span (an ASGI middleware the app
factory adds), the provider-call span (`search/fanout.py`), and one HTTP span per upstream
request with the `traceparent` header (an aiohttp trace config on the shared session).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

import aiohttp
from starlette.middleware import Middleware

from gateway.env import ConfigError, flag, get

log = logging.getLogger(__name__)

EXPORTERS = ("otlp", "console")
"""What `OTEL_TRACES_EXPORTER` may name (besides `none`): OTLP over HTTP, and stdout."""
OTLP_PROTOCOL = "http/protobuf"
"""The OTLP transport the extra installs (the specification's default; no gRPC stack)."""
INCOMING = ("link", "continue")
"""What the gateway does with a caller's `traceparent` (`GATEWAY_TRACE_INCOMING`)."""
MAX_OPERATION_NAME = 64
"""Characters of a GraphQL operation name kept on a span: the client chooses it."""


@dataclass(frozen=True, slots=True)
class TracingSettings:
    exporters: tuple[str, ...] = ()
    """Where spans go (`OTEL_TRACES_EXPORTER`); empty: tracing is off."""
    incoming: str = "link"
    """`link`: a caller's trace context is linked, never the parent (public endpoint);
    `continue`: it is the parent of the request span (a trusted caller or edge)."""

    @property
    def enabled(self) -> bool:
        return bool(self.exporters)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TracingSettings:
        """On only when asked for by name: `OTEL_TRACES_EXPORTER` set, not `none`, and the SDK
        not disabled. (The SDK's own default exporter, `otlp`, would send every span of every
        development run to a collector that is not there.)"""
        incoming = (get(env, "GATEWAY_TRACE_INCOMING") or "link").lower()
        if incoming not in INCOMING:
            raise ConfigError(
                f"GATEWAY_TRACE_INCOMING must be one of {', '.join(INCOMING)}, got {incoming!r}"
            )
        if flag(env, "OTEL_SDK_DISABLED", False):
            return cls(incoming=incoming)
        raw = get(env, "OTEL_TRACES_EXPORTER") or "none"
        names = tuple(dict.fromkeys(name.strip().lower() for name in raw.split(",") if name))
        unknown = [name for name in names if name not in (*EXPORTERS, "none")]
        if unknown:
            raise ConfigError(
                f"OTEL_TRACES_EXPORTER: {unknown[0]!r} is not supported; "
                f"use {', '.join(EXPORTERS)} or none"
            )
        if "none" in names:
            names = ()
        if "otlp" in names:
            protocol = (
                get(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                or get(env, "OTEL_EXPORTER_OTLP_PROTOCOL")
                or OTLP_PROTOCOL
            )
            if protocol != OTLP_PROTOCOL:
                raise ConfigError(
                    f"OTEL_EXPORTER_OTLP_PROTOCOL: the otel extra exports OTLP as {OTLP_PROTOCOL}"
                    f" (a collector's port 4318), not {protocol!r}"
                )
        return cls(exporters=names, incoming=incoming)


class CallTrace(Protocol):
    """The span of one provider call, as the fan-out sees it."""

    def finish(self, outcome: str, offers: int) -> None:
        """Record how the call ended (a `ProviderStatus` name) and its offer count."""
        ...


class Tracing(Protocol):
    """Tracing switched on: built by `gateway/tracing/otel.py`."""

    def middleware(self) -> Middleware:
        """The ASGI middleware that makes the request span."""
        ...

    def trace_configs(self) -> list[aiohttp.TraceConfig]:
        """For the upstream session: a span and a `traceparent` per upstream request."""
        ...

    def provider_call(self, provider: str, field: str) -> AbstractContextManager[CallTrace]:
        """The span of one provider call, current while it runs."""
        ...

    def name_operation(self, operation_type: str, name: str | None) -> None:
        """Put the GraphQL operation on the current request span (capped)."""
        ...

    async def shutdown(self) -> None:
        """Export what is queued, then stop."""
        ...


_current: ContextVar[Tracing | None] = ContextVar("tracing", default=None)
"""Set by the request middleware for the request it traces; never set with tracing off."""


def current() -> Tracing | None:
    """The tracing of the request being served; None when it is not traced."""
    return _current.get()


def name_operation(operation_type: str, name: str | None) -> None:
    """Tell the request span which operation ran; nothing when the request is not traced."""
    tracing = _current.get()
    if tracing is not None:
        tracing.name_operation(operation_type, name)


def start(settings: TracingSettings) -> Tracing | None:
    """The tracing `settings` ask for, or None: off, or the `otel` extra is not installed."""
    if not settings.enabled:
        return None
    try:
        from gateway.tracing import otel
    except ImportError as missing:
        log.warning(
            "OTEL_TRACES_EXPORTER=%s but the otel extra is not installed (%s); tracing is off. "
            "Install it with: pip install 'travel-gateway[otel]' "
            "(in a checkout: scripts/bootstrap otel)",
            ",".join(settings.exporters),
            missing.name,
        )
        return None
    return otel.OtelTracing.from_settings(settings)
