"""uvicorn internals the gateway relies on (contract: tests/test_compat_uvicorn.py).

`gateway.compat.uvicorn.edge.EdgeProtocol` subclasses uvicorn's httptools protocol (a non-public
module), overriding some of its methods (one private) and calling others (three private); its typing
comes from uvicorn's private `_types`; `gateway.cli` subclasses the `--workers` supervisor.
`EDGE_PROTOCOL` switches the edge protocol off: uvicorn's own httptools protocol then serves, the
public fallback (without the edge limits, and with uvicorn's plain-text answers).
"""

from __future__ import annotations

from importlib.metadata import version

from uvicorn._types import ASGI3Application, ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.server import ServerState
from uvicorn.supervisors import Multiprocess

__all__ = [
    "EDGE_PROTOCOL",
    "STATUS_LINE",
    "ASGI3Application",
    "ASGIReceiveCallable",
    "ASGISendCallable",
    "HttpToolsProtocol",
    "Multiprocess",
    "RequestResponseCycle",
    "Scope",
    "ServerState",
    "service_unavailable",
]

VERSION = version("uvicorn")

EDGE_PROTOCOL = True
"""Whether `gateway.http_edge.server_config` serves with `EdgeProtocol`; False: uvicorn's own
`httptools` protocol (`HTTP_FALLBACK`)."""
HTTP_FALLBACK = "httptools"
"""uvicorn's `--http` choice the edge protocol extends."""

PROTOCOL_OVERRIDES = (
    "__init__",
    "connection_made",
    "connection_lost",
    "shutdown",
    "data_received",
    "on_message_begin",
    "on_headers_complete",
    "on_message_complete",
    "send_400_response",
    "_start_asgi_task",
)
"""HttpToolsProtocol methods EdgeProtocol overrides (each calls uvicorn's, but `send_400_response`,
which it replaces: uvicorn calls it for a request it cannot parse)."""
PROTOCOL_CALLS = (
    "_unset_keepalive_if_required",
    "_should_upgrade",
    "_unsupported_upgrade_warning",
    "handle_websocket_upgrade",
    "timeout_keep_alive_handler",
)
"""HttpToolsProtocol methods EdgeProtocol calls."""
PROTOCOL_ATTRIBUTES = (
    "parser",
    "cycle",
    "headers",
    "flow",
    "pipeline",
    "loop",
    "logger",
    "transport",
    "client",
    "server_state",
    "timeout_keep_alive",
    "timeout_keep_alive_task",
)
"""Instance attributes of HttpToolsProtocol EdgeProtocol reads (or sets: `cycle.keep_alive`,
`timeout_keep_alive_task`)."""
CYCLE_ATTRIBUTES = (
    "send",
    "logger",
    "keep_alive",
    "response_started",
    "response_complete",
    "disconnected",
    "message_event",
)
"""Instance attributes of RequestResponseCycle EdgeProtocol reads or sets."""
SUPERVISOR_OVERRIDES = ("keep_subprocess_alive", "restart_all")
"""Multiprocess methods `gateway.cli`'s supervisor wraps to see workers end."""
SUPERVISOR_ATTRIBUTES = ("processes",)
"""Multiprocess attributes it reads: the worker processes (each with a `pid`)."""
