"""Hotelbeds' daily request quota, counted before each request so a spent quota costs no call:
counted by the whole fleet in Redis when the gateway shares one, else in this process.

Evaluation keys allow about 50 requests a day; past that Hotelbeds' API gateway answers 403
("Developer Over Rate") to everything until the quota resets. Counting our own requests lets the
gateway report the provider `UNAVAILABLE` with the reason, without calling, instead of spending
the day's last calls on refusals. Hotelbeds' own refusal marks the day spent too.

**Fleet-wide** (the registry calls `share` when `GATEWAY_CACHE_URL` is Redis): one counter per
account (a digest of the key) and UTC day in Redis, with a TTL past the day's end; every process
adds each request it is about to send (`count`, run by the HTTP client just before sending), and
refuses it when the count passes the limit. So `HOTELBEDS_DAILY_QUOTA=3` on any number of
instances and workers sends 3 requests a day in all. A counter that went back (Redis restarted
empty, or the key was deleted) is put back to the highest count this process saw: a quota never
resets because Redis did. With `mem://` there is no fleet: each process counts its own.

The count is tracked apart in the shared state (`fleet/shared.py`): it is tried before every
request whatever other operations met (an offers write timing out under load marks the rest of
the shared state down, never the quota), so the quota falls back only when its own count fails.

**Without Redis** (`GATEWAY_QUOTA_WITHOUT_REDIS`), each process decides alone:

- `closed` (default): it goes on from the fleet count it last read, adding its own requests,
  and refuses once that reaches the limit, but only if it read that count within the last
  `FRESH_S` (30 s); a process that read none since (it started, the day turned, or it sent
  nothing for 30 s before the outage) sends nothing. It never sends a request its own knowledge
  says is over the quota, but it cannot see the others' requests: P processes that each read
  the count at c can send up to P × (limit − c) between them, against the limit − c left, and
  only in the outage's first 30 s (a process that read c an hour ago would go on from a count
  the fleet may have long passed). Hotelbeds' own refusal stays the backstop.
- `strict`: nothing is sent while the count cannot be read: never overspent, and Hotelbeds is
  reported `UNAVAILABLE` for the outage.
- `open`: as `closed`, but however long ago the count was read, and a process that read none
  today starts from 0: each process may spend the whole quota (how the gateway counted before
  it shared a count).

Days are UTC days. Hotelbeds does not document when its quota resets (other deployments of the
API gateway it runs, Mashery, report quota resets at midnight GMT); should its day end later
than ours, the first call of our new day meets its refusal and marks the day spent again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from gateway.domain import ProviderStatus
from gateway.outage import CLOSED, QUOTA_MODES, STRICT, Fallbacks
from gateway.providers.deadline import remaining_s
from gateway.providers.errors import ProviderError
from gateway.providers.fleet import SharedState

log = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400
TTL_PAST_DAY_END_S = 3_600.0
"""A day's counter outlives the day by this much: gateways whose clocks differ by less still
find it, and it goes by itself after (nothing else cleans up)."""
WHAT = "hotelbeds daily quota"
FRESH_S = 30.0
"""`closed` goes on from the fleet's count without Redis only if it was read this recently: the
fleet may spend the whole quota in minutes, so an older count says nothing of what is left.
The worst case it allows: P processes spend up to P × (limit − c) in the outage's first 30 s."""
MIN_LEFT_S = 0.5
"""A request of the quota is counted, and sent, only with this much of its deadline left: one
sent later is likely cancelled at the deadline before Hotelbeds answers, a request paid for
nothing. (A rate limit's turn keeps only 50 ms in hand: `providers.fleet.DEADLINE_MARGIN_S`.)"""


class QuotaSpent(ProviderError):
    """The day's quota is spent: reported `UNAVAILABLE`, and no call is made until it resets."""

    status = ProviderStatus.UNAVAILABLE
    limit = "daily_quota"

    @property
    def is_outage(self) -> bool:
        # The provider is healthy; opening its circuit would only hide this message.
        return False


class QuotaNotRisked(ProviderError):
    """Too little of the call's deadline is left to spend a request of the quota on it: not
    sent, reported as a limit of ours (as a saturated rate limit is)."""

    status = ProviderStatus.UNAVAILABLE
    limit = "daily_quota"
    sent = False

    @property
    def is_outage(self) -> bool:
        return False


class DailyQuota:
    """Requests sent today (UTC), against `limit` (None: no limit of ours, but a refusal from
    Hotelbeds still marks the day spent)."""

    def __init__(
        self,
        limit: int | None,
        *,
        provider: str,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self._provider = provider
        self._clock = clock
        """Wall time: which UTC day it is."""
        self._monotonic = monotonic
        """How long ago the fleet's count was read (`FRESH_S`)."""
        self._day = self._today()
        self._used = 0
        """Requests counted today: this process's, or the fleet's as last seen here."""
        self._refused = False
        """Hotelbeds said the quota is spent, today."""
        self._shared: SharedState | None = None
        self._account = ""
        self._mode = CLOSED
        self._fallbacks: Fallbacks | None = None
        self._read_at: float | None = None
        """When a fleet count of today was last read (`monotonic`; shared only): `closed` goes
        on from it within `FRESH_S`."""
        self._tasks: set[asyncio.Task[object]] = set()

    def share(
        self,
        shared: SharedState,
        *,
        account: str,
        without_redis: str = CLOSED,
        fallbacks: Fallbacks | None = None,
    ) -> None:
        """Count in the fleet's shared state, per `account` (a digest, never the key): `count`
        must then run before each request is sent (the registry adds it to the HTTP client)."""
        if self.limit is None:
            raise ValueError("no quota of ours to share")
        if without_redis not in QUOTA_MODES:
            raise ValueError(f"without_redis must be one of {', '.join(QUOTA_MODES)}")
        self._shared, self._account = shared, account
        self._mode, self._fallbacks = without_redis, fallbacks

    @property
    def shared(self) -> bool:
        return self._shared is not None

    def _today(self) -> int:
        return int(self._clock() // SECONDS_PER_DAY)

    def _roll(self) -> None:
        today = self._today()
        if today != self._day:
            self._day, self._used, self._refused, self._read_at = today, 0, False, None

    @property
    def used(self) -> int:
        """Requests counted today: by this process alone, or, shared, by the whole fleet as
        this process last saw it (its own since, while Redis is down)."""
        self._roll()
        return self._used

    @property
    def spent(self) -> bool:
        self._roll()
        return self._refused or (self.limit is not None and self._used >= self.limit)

    def take(self) -> None:
        """One request about to be sent: `QuotaSpent` (nothing counted) when none is left as far
        as this process knows. Alone it counts the request here; shared, `count` counts it with
        the fleet just before it is sent."""
        if self.spent:
            raise self._error()
        if self._shared is None:
            self._used += 1

    async def count(self) -> None:
        """Count one request about to be sent in the fleet's count (shared only; else nothing):
        `QuotaSpent` when it passes the limit, or, with Redis down, as the failure mode says;
        `QuotaNotRisked` when less than `MIN_LEFT_S` of the call's deadline is left."""
        shared = self._shared
        if shared is None or self.limit is None:
            return
        if self.spent:
            raise self._error()
        left = remaining_s()
        if left is not None and left < MIN_LEFT_S:
            raise QuotaNotRisked(
                f"{self._provider} not called: too little time left before the deadline to "
                "spend a request of its daily quota"
            )
        day, before = self._day, self._used
        key, ttl_s = self._key(day), self._ttl_s(day)
        counted = await shared.incr(key, 1, ttl_s, WHAT, apart=True)
        if counted is not None and counted <= before:
            # Not above a count seen before this request: Redis lost the count (restarted
            # empty, evicted, deleted; or it missed requests made while it was down). Put back
            # what this process knows, this request included.
            counted = await shared.incr(key, before + 1 - counted, ttl_s, WHAT, apart=True)
        if counted is None or counted <= before:
            self._without_redis()
            return
        if self._day == day:
            self._read_at = self._monotonic()
            self._used = max(self._used, counted)
        if counted > self.limit:
            raise self._error()

    def _without_redis(self) -> None:
        assert self.limit is not None
        if self._fallbacks is not None:
            self._fallbacks.decided(
                "%s: the fleet's count (Redis) is unavailable; %s",
                WHAT,
                {
                    CLOSED: "each process goes on from the count it read in the last "
                    f"{FRESH_S:g} s and stops at the limit; one that read none sends nothing "
                    "(closed)",
                    STRICT: "nothing is sent until it is back (strict)",
                }.get(self._mode, "each process counts its own requests (open)"),
            )
        fresh = self._read_at is not None and self._monotonic() - self._read_at <= FRESH_S
        if self._mode == STRICT or (self._mode == CLOSED and not fresh):
            raise QuotaSpent(f"{self._provider} not called: its daily quota cannot be counted now")
        if self._used >= self.limit:
            raise self._error()
        self._used += 1

    def refused(self, *, detail: str | None = None) -> QuotaSpent:
        """Hotelbeds refused a request for the quota: spent until the day ends (for the fleet
        too, when shared: its count is pushed to the limit)."""
        self._roll()
        self._refused = True
        if self._shared is not None and self.limit is not None:
            self._spend_for_fleet(self._shared, self.limit)
        return self._error(detail)

    def _spend_for_fleet(self, shared: SharedState, limit: int) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        day = self._day
        task = loop.create_task(
            shared.incr(self._key(day), limit, self._ttl_s(day), WHAT, apart=True)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _key(self, day: int) -> str:
        date = datetime.fromtimestamp(day * SECONDS_PER_DAY, UTC).date().isoformat()
        return f"quota:{self._provider}:{self._account}:{date}"

    def _ttl_s(self, day: int) -> float:
        return (day + 1) * SECONDS_PER_DAY - self._clock() + TTL_PAST_DAY_END_S

    def _error(self, detail: str | None = None) -> QuotaSpent:
        of = ""
        if self.limit is not None:
            of = f" of {self.limit} request{'' if self.limit == 1 else 's'}"
        return QuotaSpent(
            f"{self._provider} daily quota{of} spent; resets at 00:00 UTC", detail=detail
        )
