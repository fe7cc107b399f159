"""A circuit breaker per provider: stop calling one that keeps failing, probe it now and then.

Closed: calls go through; `failure_threshold` outages in a row open it. Open: calls are refused
at once (the provider is reported UNAVAILABLE without being called) for `reset_timeout_s`.
Half-open: one probe call goes through; its success closes the circuit, its failure opens it
again. Written here rather than taken from a library: it is ~60 lines, async-agnostic, and
must report its state as a provider outcome, which the libraries' decorator style does not fit.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        self.failure_threshold = failure_threshold
        self._on_change = on_change
        """Told each transition (opened, half-open probe let through, closed): observers."""
        self.reset_timeout_s = reset_timeout_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._probing or self._clock() >= self._opened_at + self.reset_timeout_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def retry_in_s(self) -> float:
        if self._opened_at is None:
            return 0.0
        return max(self._opened_at + self.reset_timeout_s - self._clock(), 0.0)

    def allow(self) -> bool:
        """Whether a call may go now; in half-open state only the one probe may."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            if self._on_change is not None:
                self._on_change(BreakerState.HALF_OPEN)
            return True
        return False

    def record_success(self) -> None:
        if self._opened_at is not None and self._on_change is not None:
            self._on_change(BreakerState.CLOSED)
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._probing or self._failures >= self.failure_threshold:
            # A transition only from closed or from the probe: late failures of calls that
            # began before the circuit opened keep it open, they do not open it again.
            opens = self._opened_at is None or self._probing
            self._opened_at = self._clock()
            if opens and self._on_change is not None:
                self._on_change(BreakerState.OPEN)
        self._probing = False

    def release(self) -> None:
        """A call ended without a verdict (cancelled): let another probe go."""
        self._probing = False
