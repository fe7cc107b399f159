"""When and how long to wait before trying an upstream call again.

Retried: connection failures, 429 and 503, with exponential backoff and full jitter, honouring
`Retry-After`, and never past the call's deadline. Calls that are not idempotent (Duffel's
offer-request POST) are retried only where the provider cannot have acted: a 429, or a
connection that failed before the request was sent.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from gateway.providers.deadline import remaining_s

RETRY_STATUSES = frozenset({429, 503})
DEADLINE_MARGIN_S = 0.05
"""Time kept in hand after a wait, for the retried call itself to have a chance."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    """Calls in all, the first included."""
    base_delay_s: float = 0.1
    max_delay_s: float = 2.0
    max_retry_after_s: float = 10.0
    """A longer `Retry-After` is not waited for: the call fails with the status it got."""

    def backoff_s(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full-jitter backoff after the `attempt`-th failed call (1-based)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return (rng or random).uniform(0, ceiling)

    def should_retry_status(self, status: int, *, idempotent: bool) -> bool:
        return status in RETRY_STATUSES and (idempotent or status == 429)


def retry_after_s(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or HTTP-date), if any."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def fits_before_deadline(delay_s: float) -> bool:
    left = remaining_s()
    return left is None or delay_s + DEADLINE_MARGIN_S < left
