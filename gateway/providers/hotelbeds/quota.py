"""Hotelbeds' daily request quota, counted in this process so a spent quota costs no call.

Evaluation keys allow about 50 requests a day; past that Hotelbeds' API gateway answers 403
("Developer Over Rate") to everything until the quota resets. Counting our own requests lets the
gateway report the provider `UNAVAILABLE` with the reason, without calling, instead of spending
the day's last calls on refusals. The count is per process: several workers (or gateways) on one
key each count their own, so together they can pass the limit; Hotelbeds' own refusal then marks
the quota spent in whichever process meets it.

Days are UTC days. Hotelbeds does not document when its quota resets (other deployments of the
API gateway it runs, Mashery, report quota resets at midnight GMT); should its day end later
than ours, the first call of our new day meets its refusal and marks the day spent again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from gateway.domain import ProviderStatus
from gateway.providers.errors import ProviderError

SECONDS_PER_DAY = 86_400


class QuotaSpent(ProviderError):
    """The day's quota is spent: reported `UNAVAILABLE`, and no call is made until it resets."""

    status = ProviderStatus.UNAVAILABLE
    limit = "daily_quota"

    @property
    def is_outage(self) -> bool:
        # The provider is healthy; opening its circuit would only hide this message.
        return False


class DailyQuota:
    """Requests sent today (UTC), against `limit` (None: no limit of ours, but a refusal from
    Hotelbeds still marks the day spent)."""

    def __init__(
        self, limit: int | None, *, provider: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.limit = limit
        self._provider = provider
        self._clock = clock
        self._day = self._today()
        self._used = 0
        self._refused = False
        """Hotelbeds said the quota is spent, today."""

    def _today(self) -> int:
        return int(self._clock() // SECONDS_PER_DAY)

    def _roll(self) -> None:
        today = self._today()
        if today != self._day:
            self._day, self._used, self._refused = today, 0, False

    @property
    def used(self) -> int:
        """Requests counted today."""
        self._roll()
        return self._used

    @property
    def spent(self) -> bool:
        self._roll()
        return self._refused or (self.limit is not None and self._used >= self.limit)

    def take(self) -> None:
        """Count one request about to be sent; `QuotaSpent` (nothing counted) when none is left."""
        if self.spent:
            raise self._error()
        self._used += 1

    def refused(self, *, detail: str | None = None) -> QuotaSpent:
        """Hotelbeds refused a request for the quota: spent until the day ends."""
        self._roll()
        self._refused = True
        return self._error(detail)

    def _error(self, detail: str | None = None) -> QuotaSpent:
        of = ""
        if self.limit is not None:
            of = f" of {self.limit} request{'' if self.limit == 1 else 's'}"
        return QuotaSpent(
            f"{self._provider} daily quota{of} spent; resets at 00:00 UTC", detail=detail
        )
