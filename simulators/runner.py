"""Start simulators on loopback inside the running event loop (demo mode, tests, the CLI)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from aiohttp import web

from gateway import reference
from simulators import registry
from simulators.common.faults import FaultConfig


@dataclass(slots=True)
class RunningSimulator:
    provider: str
    runner: web.AppRunner
    base_url: str

    async def stop(self) -> None:
        await self.runner.cleanup()


def create_app(provider: str, fault_config: FaultConfig | None = None) -> web.Application:
    """The simulator of `provider`, as its spec builds it (`simulators/registry.py`)."""
    try:
        spec = registry.spec(provider)
    except KeyError as exc:
        raise ValueError(str(exc.args[0])) from None
    return spec.app(fault_config)


async def start(
    provider: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    fault_config: FaultConfig | None = None,
    app: web.Application | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> RunningSimulator:
    """Serve a simulator on `host:port` (port 0 picks a free one) and return its base URL.

    With `ssl_context` it speaks HTTPS, as the real providers do (the benchmark uses that).
    """
    reference.preload_districts()
    runner = web.AppRunner(
        app or create_app(provider, fault_config),
        access_log=None,
        # A hanging handler ends when its client gives up, and shutdown never waits long on one.
        handler_cancellation=True,
        shutdown_timeout=1.0,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    bound_port = runner.addresses[0][1]
    scheme = "https" if ssl_context is not None else "http"
    return RunningSimulator(provider, runner, f"{scheme}://{host}:{bound_port}")
