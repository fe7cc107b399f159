"""What a guard does while the fleet's shared state (Redis) is unavailable, and how it says so.

Three guards count in Redis when one is configured: Hotelbeds' daily quota, the providers' rate
limits and the clients' rate limits. Each has a failure mode, chosen by a setting: what it does
when the count it needs cannot be read or written. The default follows what is at stake: a paid
quota fails closed (overspending costs money and cannot be undone), a rate limit fails open
(refusing every search during a Redis outage would be worse than each process pacing its own
calls). Deciding without Redis is reported the same way by every guard: an event for each
decision (the metric `gateway_guard_fallbacks_total{guard}`) and one WARNING a minute at most.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from gateway.observe.events import NO_EVENTS, Events, GuardFellBack

log = logging.getLogger(__name__)

OPEN = "open"
"""Without Redis the guard holds per process (a rate limit: each process paces its own calls;
client limits: requests pass uncounted)."""
CLOSED = "closed"
"""Without Redis the guard refuses what it cannot vouch for (see each guard for precisely what)."""
STRICT = "strict"
"""The daily quota only: without Redis no call is made at all."""
QUOTA_MODES = (CLOSED, STRICT, OPEN)
"""`GATEWAY_QUOTA_WITHOUT_REDIS`, default first."""
LIMIT_MODES = (OPEN, CLOSED)
"""`GATEWAY_PROVIDER_LIMITS_WITHOUT_REDIS`, `GATEWAY_CLIENT_LIMITS_WITHOUT_REDIS`, default first."""
REPORT_EVERY_S = 60.0
"""A guard deciding without Redis is logged once a minute at most, however often it decides."""

DAILY_QUOTA = "daily_quota"
PROVIDER_RATE_LIMIT = "provider_rate_limit"
CLIENT_RATE_LIMIT = "client_rate_limit"
GUARDS = (DAILY_QUOTA, PROVIDER_RATE_LIMIT, CLIENT_RATE_LIMIT)
"""The values of the metric's `guard` label."""


class Fallbacks:
    """One guard's decisions made without the shared state: each one an event, and one WARNING
    a minute at most (shared by every instance of the guard in a process: four providers' rate
    limiters log one line, not four)."""

    def __init__(
        self,
        guard: str,
        events: Events = NO_EVENTS,
        *,
        logger: logging.Logger = log,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if guard not in GUARDS:
            raise ValueError(f"unknown guard {guard!r}")
        self.guard = guard
        self._events = events
        self._log = logger
        """The guard's own module's: the line names who decided."""
        self._clock = clock
        self._reported_at = -math.inf

    def decided(self, message: str, *args: object) -> None:
        """One decision made without the shared state; `message` (%-style, with `args`) is the
        WARNING, logged unless one was logged less than `REPORT_EVERY_S` ago."""
        if self._events:
            self._events.emit(GuardFellBack(self.guard))
        now = self._clock()
        if now - self._reported_at >= REPORT_EVERY_S:
            self._reported_at = now
            self._log.warning(message, *args)
