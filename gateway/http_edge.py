"""How the gateway is served: the one uvicorn configuration, with the edge protocol.

uvicorn bounds idle keep-alive (`timeout_keep_alive`) and answers 503 over `limit_concurrency`,
but its httptools protocol buffers a request's line and headers without limit and waits for them,
and for a body, forever. `EdgeProtocol` (`gateway/compat/uvicorn/edge.py`, where uvicorn's
internals are touched) adds those limits (`gateway/edge_limits.py`), checked as bytes arrive, and
makes every answer the server gives on its own a GraphQL-style JSON error. `server_config` is the
one uvicorn configuration of the gateway: `travel-gateway serve` and the tests both serve with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.compat import uvicorn as compat_uvicorn
from gateway.compat.uvicorn.edge import EdgeProtocol
from gateway.config import Settings
from gateway.edge_limits import EdgeConfig, EdgeLimits

__all__ = ["SERVED_APP", "EdgeProtocol", "server_config"]

SERVED_APP = "gateway.app:create_served_app"
"""The app factory `travel-gateway serve` runs, imported by each worker process."""


def server_config(
    settings: Settings,
    app: Callable[..., Any] | str = SERVED_APP,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    access_log: bool = False,
    log_config: dict[str, Any] | None = None,
) -> EdgeConfig:
    """How the gateway is served: `app` is an app object (tests) or the import string of a
    factory (the command line, where `--workers` processes each import it). `log_config`
    (a dictConfig) is applied in every worker; None: logging is left as it is."""
    return EdgeConfig(
        app,
        limits=EdgeLimits.from_settings(settings),
        factory=isinstance(app, str),
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http=EdgeProtocol if compat_uvicorn.EDGE_PROTOCOL else compat_uvicorn.HTTP_FALLBACK,
        # No WebSocket route: an upgrade must not hand the socket to a protocol without the limits.
        ws="none",
        lifespan="on",
        log_config=log_config,
        access_log=access_log,
        # uvicorn counts the connection asking too, so serving N connections takes a limit of N + 1.
        limit_concurrency=settings.max_connections + 1,
        timeout_keep_alive=settings.keepalive_timeout_s,
        # Forwarded headers are the app's to judge, not trusted from 127.0.0.1 by default.
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
