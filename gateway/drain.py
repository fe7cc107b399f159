"""Draining on SIGTERM: out of rotation first, then the server's own graceful shutdown.

A platform stopping an instance (Kubernetes, Compose, systemd, podman) sends SIGTERM and goes on
routing to it until its readiness probe fails or its endpoint is removed (Kubernetes removes it
concurrently with the signal: a pod that stops listening at once refuses the requests still
sent its way). So on the first SIGTERM the served gateway:

1. answers `/readyz` 503 ("draining") while serving everything else as before, for
   `GATEWAY_DRAIN_S` (5 s by default: a few readiness periods of a load balancer checking
   every 1-2 s; Kubernetes' endpoint removal takes about as long);
2. then hands the signal to the server (uvicorn): it stops accepting connections, lets requests
   in flight finish (10 s at most, more than a search's deadline of 8 s), closes idle
   keep-alive connections and runs the app's shutdown (offers still being written to Redis
   are flushed, the cache closed).

A second SIGTERM during the wait ends it at once (step 2). SIGINT (Ctrl-C) skips the wait: a
developer's terminal is no load balancer. The grace period a platform allows must cover both
steps and start-up of the next request: `GATEWAY_DRAIN_S` + 10 s + a margin (30 s: deploy/).

Only `travel-gateway serve` installs it (`create_served_app`): an app embedded in another
process (tests, another server) leaves that process's signals alone. It uses no server API: it
takes SIGTERM from whatever handler the server installed before the app started, and gives it
back, raising it again, when the wait is over.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

DRAIN_S = 5.0
"""Default of `GATEWAY_DRAIN_S`: how long `/readyz` answers 503 before the server stops."""
MAX_DRAIN_S = 120.0
"""`GATEWAY_DRAIN_S` at most: a platform's grace period must cover it, and they are minutes."""
DRAINING = "draining: shutting down after SIGTERM"
"""The reason `/readyz` gives while draining."""


class Drain:
    """Whether this process is draining, and the SIGTERM handler that starts it."""

    def __init__(
        self, delay_s: float = DRAIN_S, *, raise_signal: Callable[[int], None] = signal.raise_signal
    ) -> None:
        self.delay_s = delay_s
        self.draining = False
        self._raise = raise_signal
        self._previous: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    def install(self) -> None:
        """Take SIGTERM for this process's running loop (keeping the server's handler, to give
        it back); from the app's start-up, after the server installed its own."""
        loop = asyncio.get_running_loop()
        self._previous = signal.getsignal(signal.SIGTERM)
        self._loop = loop
        loop.add_signal_handler(signal.SIGTERM, self.begin)

    def begin(self) -> None:
        """SIGTERM: out of rotation now, the server told after `delay_s`; a second one, at once."""
        if self.draining:
            log.warning("second SIGTERM while draining: stopping now")
            self.stop()
            return
        self.draining = True
        log.warning(
            "SIGTERM: draining (readiness answers 503) for %gs, then finishing requests "
            "in flight and stopping",
            self.delay_s,
        )
        loop = self._loop or asyncio.get_running_loop()
        self._timer = loop.call_later(self.delay_s, self.stop)

    def stop(self) -> None:
        """Give SIGTERM back to the server's handler and raise it: its graceful shutdown."""
        self.uninstall()
        self._raise(signal.SIGTERM)

    def uninstall(self) -> None:
        """SIGTERM back to the handler it was taken from (at the app's shutdown too: a
        process's signals outlive its app)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._loop is not None:
            self._loop.remove_signal_handler(signal.SIGTERM)
            self._loop = None
            signal.signal(signal.SIGTERM, self._previous or signal.SIG_DFL)
