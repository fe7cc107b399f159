"""Duffel's own rate-limit window, as its answers announce it, honoured before each call.

Every answer carries `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset` (an
HTTP-date, as Duffel's Ruby SDK parses it). Once an answer says nothing remains (or a 429 came),
no call is made until the reset: each would only collect a 429 and count against the account.
The outcome says so, without a call, and the circuit breaker does not count it as an outage.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping

from gateway.domain import ProviderStatus
from gateway.providers.errors import ProviderError

MAX_WAIT_S = 3600.0
"""A reset further away than this is not believed (a clock or header gone wrong)."""


class RateWindowSpent(ProviderError):
    """Duffel's window is spent: nothing is sent before it resets."""

    status = ProviderStatus.UNAVAILABLE

    def __init__(self, resets_in_s: float) -> None:
        super().__init__(
            f"duffel rate limit reached; calls resume in {max(1, round(resets_in_s))} s"
        )

    @property
    def is_outage(self) -> bool:
        return False  # the provider is healthy; we are over our allowance


class RateWindow:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._closed_until = 0.0

    def check(self) -> None:
        """`RateWindowSpent` while the last answer said the window is spent."""
        left = self._closed_until - self._clock()
        if left > 0:
            raise RateWindowSpent(left)

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Read an answer's window: closed until its reset when nothing remains, or on a 429."""
        remaining = headers.get("ratelimit-remaining")
        if status != 429 and (remaining is None or remaining.strip() != "0"):
            return
        reset = _reset_at(headers.get("ratelimit-reset"), self._clock())
        if reset is not None:
            self._closed_until = max(self._closed_until, reset)


def _reset_at(value: str | None, now: float) -> float | None:
    """The reset time: an HTTP-date, or (as some proxies send) seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        at = now + int(value)
    else:
        try:
            at = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return at if now < at <= now + MAX_WAIT_S else None
