"""Provider guards held by the whole fleet: what they need from the shared state, and the rate
limit that paces every process's calls to a provider as one.

With Redis (`GATEWAY_CACHE_URL=redis://…`) every gateway process sharing it paces its calls to
a provider on one schedule: a GCRA in Redis (`search/stores.py`, one Lua script, Redis's own
clock), one turn every 1/rate seconds, no bursts, as the per-process limiter did. A call takes
the next free turn and waits for it when the wait fits before its deadline; when it does not,
no turn is taken and the call is not made (`RateLimitSaturated`, reported `UNAVAILABLE`), rather
than waiting out the deadline as a per-process limiter would. A turn taken by a call that then
gives up (its client left) is lost: the pace errs on the provider's side. A call that wakes well
after its turn (its process was busy: the event loop held) takes another turn rather than go at
once with the calls of the turns after its own, which the provider would see as a burst; but
only a turn that still leaves it half its time (`RETAKE_SHARE`): behind a long queue it goes at
once rather than miss its deadline. A stored turn further ahead than any call of this process
would wait (`QUEUE_SLACK_S` beyond the longest it has asked for) was planted: it is reset, so a
planted value holds calls back no longer than a full queue would. The pace is tracked apart in
the shared state (`fleet/shared.py`): another operation's failure does not make it fall back.

Why a GCRA of our own rather than the `limits` library (which counts the clients' limits): its
strategies answer "allowed or not" for a window, so waiting for a turn would mean polling it,
and every waiter across the fleet would wake at the window's reset and race; its windows are
whole seconds (a fixed window lets twice the rate through around a boundary). A GCRA answers
the exact wait and takes the turn in the same step, one round trip per call.

Without Redis (down, or `mem://`) each process paces its own calls (`aiolimiter`): N processes
may send up to N times the rate. `GATEWAY_PROVIDER_LIMITS_WITHOUT_REDIS=closed` makes a process
that cannot reach Redis send nothing to a rate-limited provider instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from aiolimiter import AsyncLimiter

from gateway.domain import ProviderStatus
from gateway.outage import CLOSED, OPEN, Fallbacks
from gateway.providers.deadline import remaining_s
from gateway.providers.errors import ProviderError
from gateway.search.stores import PACE_HORIZON_S

log = logging.getLogger(__name__)

LONGEST_WAIT_S = 120.0
"""A call waits at most this long for its turn, deadline or not (the search deadline's
maximum; the store ignores turns further ahead: `search.stores.PACE_HORIZON_S`)."""
DEADLINE_MARGIN_S = 0.05
"""Time kept in hand after the wait for a turn, for the call itself to have a chance (a paid
request asks for more: `hotelbeds.quota.MIN_LEFT_S`)."""
QUEUE_SLACK_S = 1.0
"""How much deeper than the longest wait this process's calls have asked for the fleet's queue
may legitimately be (calls of other processes start a little earlier or later): a stored turn
further ahead was planted, and is reset. Instances sharing a Redis share their deadlines
(`GATEWAY_SEARCH_DEADLINE_S`, `GATEWAY_PROVIDER_TIMEOUT_S`), or one with the shorter resets the
longer queue of the others."""
RETAKE_SHARE = 0.5
"""A call that woke late takes another turn only if it comes within this share of the time it
has left (less the margin); further, it goes at once: re-queued behind every waiter, a call
of a busy process (its loop held 30 ms of every 50) missed its deadline (41 of 350 calls)."""
LATE_S = 0.02
"""A call that wakes this much (or one interval, if longer) after its turn takes another: a
process that was busy (its event loop held, as on its first searches) would otherwise send the
calls of every turn that went by at once, a burst the provider counts."""
TURNS_TAKEN = 3
"""Turns a call takes at most; after the last, even late, it goes (a process lagging that much
all the time bunches its calls by its lag whatever it does)."""
CREDENTIAL_FIELDS = ("client_id", "client_secret", "access_token", "api_key", "secret")
"""The fields of a provider's configuration that say whose account it calls: fleet-wide counts
are per provider and account (a test checks every provider's configuration has one)."""


class SharedState(Protocol):
    """What the fleet's shared state offers provider guards (`gateway/fleet/shared.py`'s
    `Shared`): each operation answers None when the store is down or failed."""

    async def incr(
        self, key: str, amount: int, ttl_s: float, what: str, *, apart: bool = False
    ) -> int | None: ...

    async def pace(
        self,
        key: str,
        interval_s: float,
        max_wait_s: float,
        what: str,
        *,
        horizon_s: float = PACE_HORIZON_S,
        apart: bool = False,
    ) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Fleet:
    """The shared state, and what each provider guard does without it (`gateway/outage.py`)."""

    shared: SharedState
    quota: str = CLOSED
    """`GATEWAY_QUOTA_WITHOUT_REDIS`."""
    rate_limits: str = OPEN
    """`GATEWAY_PROVIDER_LIMITS_WITHOUT_REDIS`."""


def account(config: Any) -> str:
    """Whose account a provider's configuration calls with, as a short digest of its
    credentials: the key of its fleet-wide counts, which never holds a credential itself."""
    values = [str(getattr(config, name)) for name in CREDENTIAL_FIELDS if hasattr(config, name)]
    if not values:
        raise ValueError(f"{type(config).__name__} has none of {', '.join(CREDENTIAL_FIELDS)}")
    return hashlib.sha256("\0".join(values).encode()).hexdigest()[:16]


class RateLimitSaturated(ProviderError):
    """No turn under the rate limit comes before the call's deadline: not sent."""

    status = ProviderStatus.UNAVAILABLE
    limit = "rate_limit"
    sent = False

    @property
    def is_outage(self) -> bool:
        return False  # the provider is not at fault: we are sending it more than agreed


class RateLimitUnchecked(RateLimitSaturated):
    """The fleet's pace cannot be read (Redis down) and the limit fails closed: not sent."""


class FleetRateLimit:
    """A provider's rate limit, paced for the whole fleet in the shared state (see the module);
    `local` paces this process alone while the shared state is down, unless the limit fails
    closed."""

    def __init__(
        self,
        shared: SharedState,
        *,
        provider: str,
        account: str,
        rate: float,
        local: AsyncLimiter,
        without_redis: str = OPEN,
        fallbacks: Fallbacks | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError("a rate limit is above 0 requests a second")
        self._shared = shared
        self._provider = provider
        self._key = f"pace:{provider}:{account}"
        self.rate = rate
        self._interval_s = 1 / rate
        self._local = local
        self._closed = without_redis == CLOSED
        self._fallbacks = fallbacks
        self.waited_s = 0.0
        """Time this process's calls waited for their turns, in all (for tests and benches)."""
        self.late = 0
        """Turns that went by while this process was busy (each call then took another, or
        went at once)."""
        self._deepest_s = 0.0
        """The longest wait a call of this process has asked for: how deep the fleet's queue can
        legitimately be (`QUEUE_SLACK_S`)."""

    async def acquire(self) -> None:
        """Wait for this call's turn; `RateLimitSaturated` when none comes before the deadline
        (nothing is taken), `RateLimitUnchecked` when Redis is down and the limit fails closed."""
        loop = asyncio.get_running_loop()
        for taken in range(TURNS_TAKEN):
            left = remaining_s()
            max_wait_s = LONGEST_WAIT_S if left is None else left - DEADLINE_MARGIN_S
            max_wait_s = min(max(max_wait_s, 0.0), LONGEST_WAIT_S)
            if taken:
                max_wait_s *= RETAKE_SHARE  # a turn again, only well before the deadline
            else:
                self._deepest_s = max(self._deepest_s, max_wait_s)
            wait_s = await self._shared.pace(
                self._key,
                self._interval_s,
                max_wait_s,
                f"{self._provider} rate limit",
                horizon_s=self._deepest_s + QUEUE_SLACK_S,
                apart=True,
            )
            answered_at = loop.time()
            if wait_s is None or not 0 <= wait_s <= LONGEST_WAIT_S + self._interval_s:
                await self._without_redis()
                return
            if wait_s > max_wait_s:
                if taken:
                    return  # late, and no turn soon enough: it goes now (none was taken)
                raise RateLimitSaturated(
                    f"{self._provider} not called: no turn under the gateway's rate limit "
                    f"({self.rate:g} requests/s) before the deadline"
                )
            if wait_s > 0:
                self.waited_s += wait_s
                await asyncio.sleep(wait_s)
            late_s = loop.time() - answered_at - wait_s
            if late_s <= max(self._interval_s, LATE_S):
                return
            self.late += 1  # the turn went by unused: take another rather than crowd the next
        # Late for every turn taken: this process lags that much all the time; it goes.

    async def _without_redis(self) -> None:
        if self._fallbacks is not None:
            self._fallbacks.decided(
                "provider rate limits: the fleet's pace (Redis) is unavailable; %s",
                "no call is made to a rate-limited provider (closed)"
                if self._closed
                else "each process paces its own calls meanwhile (open)",
            )
        if self._closed:
            raise RateLimitUnchecked(
                f"{self._provider} not called: its rate limit cannot be checked now"
            )
        await self._local.acquire()
