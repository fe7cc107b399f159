"""Guards held by the fleet, piece by piece: the pace (a GCRA) in real Redis and in memory, the
daily quota counted by several processes' quotas on one Redis, each guard's failure mode while
Redis is down, and the settings that choose them."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter
from typing import Any

import pytest
import redis.asyncio as redis
from aiolimiter import AsyncLimiter

from gateway.api.admission.clients import ClientLimits, ClientPolicy, RateLimited
from gateway.config import ConfigError, Settings
from gateway.fleet.sealed import Sealer
from gateway.fleet.shared import PREFIX, Shared
from gateway.observe.events import Events, GuardFellBack
from gateway.outage import CLIENT_RATE_LIMIT, CLOSED, DAILY_QUOTA, OPEN, STRICT, Fallbacks
from gateway.providers import registry
from gateway.providers.deadline import deadline_in
from gateway.providers.fleet import (
    LONGEST_WAIT_S,
    FleetRateLimit,
    RateLimitSaturated,
    RateLimitUnchecked,
    account,
)
from gateway.providers.hotelbeds.quota import (
    FRESH_S,
    MIN_LEFT_S,
    SECONDS_PER_DAY,
    TTL_PAST_DAY_END_S,
    DailyQuota,
    QuotaNotRisked,
    QuotaSpent,
)
from gateway.search.stores import PACE_HORIZON_S, MemoryStore, RedisStore
from simulators import registry as sim_registry
from tests.helpers import Recorder

pytestmark = pytest.mark.e2e

NOON = 1_800_000_000 // SECONDS_PER_DAY * SECONDS_PER_DAY + SECONDS_PER_DAY // 2
"""A fixed noon (UTC): quota days never turn under a test by accident."""


class Down:
    """Shared state that is down: every operation answers None, as `Shared` does in an outage."""

    def __init__(self) -> None:
        self.calls = 0

    async def incr(
        self, key: str, amount: int, ttl_s: float, what: str, *, apart: bool = False
    ) -> int | None:
        self.calls += 1
        return None

    async def pace(
        self,
        key: str,
        interval_s: float,
        max_wait_s: float,
        what: str,
        *,
        horizon_s: float = PACE_HORIZON_S,
        apart: bool = False,
    ) -> None:
        self.calls += 1
        return None


class Switchable:
    """Shared state over a real store that can be switched off (an outage) and on again."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.up = True

    async def incr(
        self, key: str, amount: int, ttl_s: float, what: str, *, apart: bool = False
    ) -> int | None:
        if not self.up:
            return None
        return await self.shared.incr(key, amount, ttl_s, what, apart=apart)

    async def pace(
        self,
        key: str,
        interval_s: float,
        max_wait_s: float,
        what: str,
        *,
        horizon_s: float = PACE_HORIZON_S,
        apart: bool = False,
    ) -> float | None:
        if not self.up:
            return None
        return await self.shared.pace(
            key, interval_s, max_wait_s, what, horizon_s=horizon_s, apart=apart
        )


# ------------------------------------------------------------------------------- the pace


async def test_the_pace_in_redis_spaces_turns_and_refuses_past_the_longest_wait(
    fresh_redis: str,
) -> None:
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    try:
        waits = [await store.pace("p", 10, 100) for _ in range(3)]
        # Turns every 10 s from the first, on Redis's clock: each wait 10 s longer than the
        # last, less the (small) time between the calls; never more.
        assert waits[0] == 0
        for before, after in itertools.pairwise(waits):
            assert 9 < after - before <= 10
        assert await store.pace("p", 10, 5) > 5  # the next turn is too far: not taken
        assert 29 < await store.pace("p", 10, 100) <= 30  # so the next call gets that turn
        raw = redis.from_url(fresh_redis)
        assert 30_000 < await raw.pttl("p") <= 41_000  # lives until its next turn has passed
        await raw.aclose()
    finally:
        await store.close()


@pytest.mark.parametrize(
    "planted",
    [
        ("set", str(10**18)),  # a turn far beyond the horizon
        ("set", "not a number"),
        ("set", "9" * 40),  # longer than any turn
        ("set", "nan"),
        ("hset", "x"),  # another type
    ],
)
async def test_a_planted_pace_resets_it_never_stops_calls(
    fresh_redis: str, planted: tuple[str, str]
) -> None:
    raw = redis.from_url(fresh_redis)
    kind, value = planted
    if kind == "set":
        await raw.set("p", value)
    else:
        await raw.hset("p", "f", value)
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    try:
        assert await store.pace("p", 10, 100) == 0  # as if there were none
        assert 9 < await store.pace("p", 10, 100) <= 10
    finally:
        await store.close()
        await raw.aclose()


async def test_the_pace_in_memory_is_the_same_gcra() -> None:
    now = [100.0]
    store = MemoryStore(clock=lambda: now[0])
    assert [await store.pace("p", 0.5, 10) for _ in range(3)] == [0.0, 0.5, 1.0]
    assert await store.pace("p", 0.5, 1.0) == 1.5  # over the longest wait: not taken
    now[0] += 10  # long idle: no credit saved up (no bursts)
    assert [await store.pace("p", 0.5, 10) for _ in range(2)] == [0.0, 0.5]


@pytest.mark.parametrize("where", ["redis", "memory"])
async def test_the_store_resets_a_turn_beyond_the_horizon_it_is_given(
    where: str, redis_url: str
) -> None:
    raw = redis.from_url(redis_url)
    await raw.delete("p")
    await raw.aclose()
    store = RedisStore.connect(redis_url, timeout_s=1.0) if where == "redis" else MemoryStore()
    try:
        waits = [await store.pace("p", 1, 100, horizon_s=5) for _ in range(4)]
        assert waits[0] == 0
        assert 2 < waits[3] <= 3  # the next turn: 4 s from the first
        # Deeper than this caller waits, within the horizon: a real queue, kept (none taken).
        assert 2 < await store.pace("p", 1, 0.5, horizon_s=5) <= 4
        # Deeper than the horizon given (and an interval): planted, reset.
        assert await store.pace("p", 1, 100, horizon_s=1) == 0
        assert 0.5 < await store.pace("p", 1, 100, horizon_s=1) <= 1
    finally:
        await store.close()


async def test_a_pace_planted_inside_the_horizon_holds_calls_no_longer_than_a_queue_would(
    fresh_redis: str,
) -> None:
    """A turn planted 115 s ahead (within the store's 120 s) refused every call for 115 s. No
    call of this process would wait that long (its deadlines are 8 s): planted, reset. A
    real queue deeper than one call's wait is kept."""
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    raw = redis.from_url(fresh_redis)
    limit = FleetRateLimit(
        Shared(store, Sealer(None)),
        provider="duffel",
        account="a",
        rate=0.25,
        local=AsyncLimiter(1, 4),
    )
    try:
        with deadline_in(8):
            await limit.acquire()  # now; the next turn in 4 s
        with deadline_in(0.5), pytest.raises(RateLimitSaturated):
            await limit.acquire()  # that turn is past this deadline: kept, not taken
        seconds, micros = await raw.time()
        await raw.set(PREFIX + "pace:duffel:a", str((seconds + 115) * 1_000_000 + micros))
        with deadline_in(8):
            await limit.acquire()  # planted: reset, it goes now
        assert limit.waited_s == 0
        turn = int(await raw.get(PREFIX + "pace:duffel:a"))
        seconds, micros = await raw.time()
        assert turn <= (seconds + 4) * 1_000_000 + micros  # the pace starts again from now
    finally:
        await raw.aclose()
        await store.close()


def test_no_call_waits_past_the_horizon_the_store_keeps() -> None:
    assert LONGEST_WAIT_S <= PACE_HORIZON_S


async def test_two_processes_share_one_pace(fresh_redis: str) -> None:
    """Two processes' limiters on one Redis: turns interleave, each 1/rate after the last, so
    together they go no faster than the rate (per process, each would go at the rate)."""
    stores = [RedisStore.connect(fresh_redis, timeout_s=1.0) for _ in range(2)]
    limits = [
        FleetRateLimit(
            Shared(store, Sealer(None)),
            provider="duffel",
            account="a",
            rate=20,
            local=AsyncLimiter(1, 1 / 20),
        )
        for store in stores
    ]
    started = time.monotonic()
    stamps: list[float] = []

    async def call(limit: FleetRateLimit) -> None:
        await limit.acquire()
        stamps.append(time.monotonic() - started)

    try:
        await asyncio.gather(*(call(limits[n % 2]) for n in range(12)))
    finally:
        for store in stores:
            await store.close()
    # 12 turns at 20/s: the last at least 11 intervals after the first (a lower bound only).
    assert max(stamps) >= 11 / 20 * 0.95
    assert sum(limit.waited_s for limit in limits) > 0


async def test_a_call_that_wakes_late_takes_another_turn() -> None:
    """A process busy past a call's turn (its event loop held) would send that call together
    with the next turn's: a burst. The late call takes a new turn instead."""
    limit = FleetRateLimit(
        Shared(MemoryStore(), Sealer(None)),
        provider="duffel",
        account="a",
        rate=10,
        local=AsyncLimiter(1, 0.1),
    )
    await limit.acquire()  # now
    second = asyncio.create_task(limit.acquire())  # 0.1 s from now: it sleeps
    await asyncio.sleep(0.01)
    time.sleep(0.3)  # the process is busy past that turn  # noqa: ASYNC251
    await second
    assert limit.late == 1


async def test_a_late_call_behind_a_long_queue_goes_rather_than_miss_its_deadline() -> None:
    """Re-queued behind every waiter, a call that woke late (its loop held) missed its
    deadline: 41 of 350 calls refused on a loop held 30 ms of every 50. A new turn that would
    not come well before the deadline is not taken: the call goes at once."""
    limit = FleetRateLimit(
        Shared(MemoryStore(), Sealer(None)),
        provider="duffel",
        account="a",
        rate=10,
        local=AsyncLimiter(1, 0.1),
    )
    await limit.acquire()  # now
    with deadline_in(1.0):
        late = asyncio.create_task(limit.acquire())  # its turn 0.1 s from now
    waiters = [asyncio.create_task(limit.acquire()) for _ in range(20)]  # 0.2 s … 2.1 s
    await asyncio.sleep(0.01)
    time.sleep(0.3)  # the process is busy past the first turns  # noqa: ASYNC251
    try:
        # A new turn (2.2 s) would come past its deadline (1 s), or too near it (before, it
        # waited for the turn if it came before the deadline): it went at once.
        await late
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
    assert limit.late >= 1


async def test_a_turn_past_the_deadline_is_not_waited_for(fresh_redis: str) -> None:
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    limit = FleetRateLimit(
        Shared(store, Sealer(None)),
        provider="duffel",
        account="a",
        rate=2,
        local=AsyncLimiter(1, 0.5),
    )
    try:
        with deadline_in(0.3):
            await limit.acquire()  # now
            with pytest.raises(RateLimitSaturated) as caught:
                await limit.acquire()  # 0.5 s away: after the deadline
    finally:
        await store.close()
    assert caught.value.message == (
        "duffel not called: no turn under the gateway's rate limit (2 requests/s) before the "
        "deadline"
    )
    assert caught.value.limit == "rate_limit"
    assert not caught.value.sent
    assert not caught.value.is_outage


async def test_without_redis_the_rate_limit_is_per_process_or_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    fallbacks = Fallbacks("provider_rate_limit", Events([recorder]))
    local = AsyncLimiter(1, 1 / 1000)
    opened = FleetRateLimit(
        Down(), provider="duffel", account="a", rate=1000, local=local, fallbacks=fallbacks
    )
    closed = FleetRateLimit(
        Down(),
        provider="amadeus",
        account="a",
        rate=1000,
        local=local,
        without_redis=CLOSED,
        fallbacks=fallbacks,
    )
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            await opened.acquire()  # paced by this process alone: it goes
        with pytest.raises(RateLimitUnchecked) as caught:
            await closed.acquire()
    assert caught.value.message == "amadeus not called: its rate limit cannot be checked now"
    assert recorder.seen == [GuardFellBack("provider_rate_limit")] * 4
    warnings = [r for r in caplog.records if "provider rate limits" in r.getMessage()]
    assert len(warnings) == 1  # four decisions, one line a minute


# ------------------------------------------------------------------------------ the quota


def quota(limit: int | None = 3, now: list[float] | None = None) -> DailyQuota:
    clock = now if now is not None else [float(NOON)]
    return DailyQuota(limit, provider="hotelbeds", clock=lambda: clock[0])


async def spend(q: DailyQuota) -> bool:
    """One request as the adapter and its HTTP client make it: whether it may be sent."""
    try:
        q.take()
        await q.count()
    except QuotaSpent:
        return False
    return True


async def test_processes_sharing_redis_send_the_quota_in_all(fresh_redis: str) -> None:
    """Issue 18: `HOTELBEDS_DAILY_QUOTA=3` over several processes let 9 calls through; with
    one count in Redis they send 3 in all, whoever sends them."""
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    quotas = [quota() for _ in range(4)]
    for q in quotas:
        q.share(Shared(store, Sealer(None)), account="acct")
    sent = [await spend(quotas[n % 4]) for n in range(10)]
    raw = redis.from_url(fresh_redis)
    [key] = await raw.keys(PREFIX + "quota:*")
    ttl_s = await raw.ttl(key)
    await raw.aclose()
    await store.close()
    assert sent == [True] * 3 + [False] * 7
    assert key.decode() == PREFIX + "quota:hotelbeds:acct:2027-01-15"
    # A counter per account and day, gone an hour after the day ends (the clock says noon).
    assert 0 < ttl_s <= SECONDS_PER_DAY // 2 + TTL_PAST_DAY_END_S
    assert ttl_s > SECONDS_PER_DAY // 2
    # The fleet's count as each last saw it: a process that did not know the day was spent
    # asked once more (and was refused); then it knows.
    assert [q.used for q in quotas] == [5, 6, 3, 4]
    assert all(q.spent for q in quotas[:2])


async def test_a_count_redis_lost_is_put_back(fresh_redis: str) -> None:
    """Redis restarted empty mid-day (no persistence, as docs/operations.md advises): the count
    does not start again from 0, it is put back to the highest this process saw."""
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    one, two = quota(limit=5), quota(limit=5)
    for q in (one, two):
        q.share(Shared(store, Sealer(None)), account="acct")
    assert [await spend(one), await spend(one), await spend(one)] == [True] * 3
    raw = redis.from_url(fresh_redis)
    await raw.flushdb()
    assert await spend(one)  # the fourth: the count is put back to 3 + 1
    assert await spend(two)  # the fifth
    assert not await spend(two)
    [key] = await raw.keys(PREFIX + "quota:*")
    assert int(await raw.get(key)) >= 5
    await raw.aclose()
    await store.close()


async def test_a_refusal_from_hotelbeds_spends_the_day_for_the_fleet(fresh_redis: str) -> None:
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    one, two = quota(limit=50), quota(limit=50)
    for q in (one, two):
        q.share(Shared(store, Sealer(None)), account="acct")
    assert await spend(one)
    one.refused()
    raw = redis.from_url(fresh_redis)
    [key] = await raw.keys(PREFIX + "quota:*")
    for _ in range(500):  # the push to the fleet's count runs as a task: wait for it
        if int(await raw.get(key)) > 50:
            break
        await asyncio.sleep(0.01)
    await raw.aclose()
    assert not await spend(two)
    await store.close()


async def test_closed_goes_on_from_the_last_count_seen_and_stops_at_the_limit(
    fresh_redis: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    recorder = Recorder()
    other, this, fresh = quota(), quota(), quota()
    switch = Switchable(Shared(store, Sealer(None)))
    fallbacks = Fallbacks(DAILY_QUOTA, Events([recorder]))
    for q in (other, this, fresh):
        q.share(switch, account="acct", fallbacks=fallbacks)
    assert await spend(other)  # the count is 1
    assert await spend(this)  # 2, seen here
    switch.up = False  # Redis goes
    with caplog.at_level(logging.WARNING):
        assert await spend(this)  # 3, counted here alone
        assert not await spend(this)  # this process's count says spent: refused
        # One that saw no count today sends nothing: it knows nothing of today's spending.
        fresh.take()  # nothing known here says spent
        with pytest.raises(QuotaSpent, match="cannot be counted now"):
            await fresh.count()
    await store.close()
    assert this.used == 3
    assert recorder.seen == [GuardFellBack(DAILY_QUOTA)] * 2
    assert len([r for r in caplog.records if "daily quota" in r.getMessage()]) == 1


async def test_another_operation_failing_does_not_skip_the_quotas_count(
    fresh_redis: str,
) -> None:
    """Found in review: process A saw the count at 1, the fleet spent 49 of 50, then one of
    A's other shared operations failed (an offers write meeting a full pool), which marked
    all of A's shared state down: `closed` went on from 1 and A sent 49 more, 98 against 50.
    The quota's count is tried apart: A reads 50 and sends the one request left."""
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    mine, others = Shared(store, Sealer(None)), Shared(store, Sealer(None))
    a, b = quota(limit=50), quota(limit=50)
    a.share(mine, account="acct")
    b.share(others, account="acct")
    assert await spend(a)
    assert [await spend(b) for _ in range(48)] == [True] * 48

    async def offers_write() -> None:
        raise ConnectionError("no connection free in the pool")

    await mine.run(offers_write, None, "offer")
    assert not mine.available()
    sent = [await spend(a) for _ in range(49)]
    await store.close()
    assert sent == [True] + [False] * 48
    assert a.used == 50  # the fleet's count: 50 sent, and A knows it


async def test_closed_trusts_only_a_count_read_lately(fresh_redis: str) -> None:
    """A count read an hour ago says nothing of what the fleet spent since: `closed` goes on
    from the last count only within `FRESH_S` of reading it, then sends nothing."""
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    switch = Switchable(Shared(store, Sealer(None)))
    read = [0.0]
    q = DailyQuota(5, provider="hotelbeds", clock=lambda: float(NOON), monotonic=lambda: read[0])
    q.share(switch, account="acct")
    assert await spend(q)  # the count is 1, read at 0
    switch.up = False
    read[0] = FRESH_S
    assert await spend(q)  # 30 s on: goes on from it (2, counted here)
    read[0] = FRESH_S + 0.1
    q.take()
    with pytest.raises(QuotaSpent, match="cannot be counted now"):
        await q.count()
    switch.up = True
    assert await spend(q)  # read again (Redis's 1 put back to 3): trusted anew
    switch.up = False
    assert await spend(q)
    await store.close()
    assert q.used == 4


async def test_a_request_of_the_quota_is_not_spent_on_a_call_about_to_be_cancelled(
    fresh_redis: str,
) -> None:
    """A turn taken 50 ms before the deadline then spent a request of the quota on a call
    cancelled before Hotelbeds could answer. Counted only with `MIN_LEFT_S` left."""
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    raw = redis.from_url(fresh_redis)
    q = quota()
    q.share(Shared(store, Sealer(None)), account="acct")
    try:
        with deadline_in(MIN_LEFT_S - 0.1):
            q.take()
            with pytest.raises(QuotaNotRisked) as caught:
                await q.count()
        assert await raw.keys(PREFIX + "quota:*") == []  # nothing counted
        with deadline_in(MIN_LEFT_S + 1):
            assert await spend(q)
        assert q.used == 1
    finally:
        await raw.aclose()
        await store.close()
    assert caught.value.message == (
        "hotelbeds not called: too little time left before the deadline to spend a request of "
        "its daily quota"
    )
    assert caught.value.limit == "daily_quota"
    assert not caught.value.sent
    assert not caught.value.is_outage
    assert caught.value.status.value == "UNAVAILABLE"


@pytest.mark.parametrize(
    ("mode", "sent"),
    [
        (CLOSED, [False]),  # saw no count today: sends nothing
        (STRICT, [False]),
        (OPEN, [True, True, True, False]),  # counts its own from 0
    ],
)
async def test_each_failure_mode_of_the_quota(mode: str, sent: list[bool]) -> None:
    q = quota()
    q.share(Down(), account="acct", without_redis=mode)
    assert [await spend(q) for _ in sent] == sent


async def test_strict_sends_nothing_even_after_a_count_was_seen(fresh_redis: str) -> None:
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    switch = Switchable(Shared(store, Sealer(None)))
    q = quota()
    q.share(switch, account="acct", without_redis=STRICT)
    assert await spend(q)
    switch.up = False
    assert not await spend(q)
    await store.close()


async def test_a_new_day_is_a_new_count() -> None:
    now = [float(NOON)]
    q = quota(limit=1, now=now)
    q.share(Down(), account="acct", without_redis=OPEN)
    assert [await spend(q), await spend(q)] == [True, False]
    now[0] += SECONDS_PER_DAY
    assert await spend(q)


def test_alone_the_quota_counts_in_the_process_as_before() -> None:
    q = quota(limit=2)
    q.take()
    q.take()
    with pytest.raises(QuotaSpent):
        q.take()
    assert q.used == 2
    assert not q.shared


# ------------------------------------------------------------------ accounts and wiring


def test_every_provider_names_its_account_by_a_digest() -> None:
    for spec in sim_registry.SPECS:
        config = spec.simulated("http://127.0.0.1:9")
        digest = account(config)
        assert len(digest) == 16
        for field in ("api_key", "secret", "access_token", "client_id", "client_secret"):
            value = getattr(config, field, None)
            if value:
                assert value not in digest


async def test_the_registry_shares_rate_limits_and_the_quota_only_with_a_fleet() -> None:
    import aiohttp

    from gateway.providers.fleet import Fleet

    env = {
        **sim_registry.spec("duffel").simulated_env("http://127.0.0.1:9"),
        **sim_registry.spec("hotelbeds").simulated_env("http://127.0.0.1:9"),
        "DUFFEL_RATE_LIMIT": "5",
        "HOTELBEDS_DAILY_QUOTA": "3",
    }
    configs = registry.configured(env)
    async with aiohttp.ClientSession() as session:
        alone = registry.build_providers(session, configs)
        fleet = registry.build_providers(session, configs, fleet=Fleet(Down()))
    by_name: dict[str, Any] = {p.name: p for p in fleet.all}
    assert by_name["duffel"].http._fleet_limit is not None
    assert by_name["hotelbeds"].quota.shared
    assert by_name["hotelbeds"].http.before_send == [by_name["hotelbeds"].quota.count]
    assert all(getattr(p.http, "_fleet_limit", None) is None for p in alone.all)
    assert not next(p for p in alone.all if p.name == "hotelbeds").quota.shared  # type: ignore[attr-defined]


# ---------------------------------------------------------------- retries under the limits


async def test_a_retry_the_rate_limit_refuses_ends_as_the_call_that_was_sent() -> None:
    """A 503, then no turn for the retry before the deadline: the call was made and failed.
    Reported "not called" (`RateLimitSaturated`), its circuit heard nothing of the 503."""
    import aiohttp
    from aiohttp import web

    from gateway.providers.client import UpstreamClient
    from gateway.providers.http import status_error
    from gateway.search.breaker import BreakerState, CircuitBreaker
    from gateway.search.fanout import ProviderCall, fan_out

    answered: list[int] = []

    async def answer(request: web.Request) -> web.Response:
        answered.append(503 if not answered else 200)
        return web.json_response({}, status=answered[-1])

    app = web.Application()
    app.router.add_get("/", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
    breaker = CircuitBreaker(failure_threshold=1)
    async with aiohttp.ClientSession() as session:
        http = UpstreamClient(session, "duffel", rate_limit=0.5)
        assert http.limiter is not None
        http.share_rate_limit(
            FleetRateLimit(
                Shared(MemoryStore(), Sealer(None)),
                provider="duffel",
                account="a",
                rate=0.5,
                local=http.limiter,
            )
        )

        async def search() -> list[object]:
            response = await http.request("GET", url, idempotent=True)
            if response.status != 200:
                raise status_error("duffel", response.status, b"", dict, str)
            return []

        # The retry's turn (2 s after the first) is past the deadline (1.5 s).
        [result] = await fan_out([ProviderCall("duffel", search, breaker)], 1.5)
    await runner.cleanup()
    assert answered == [503]
    assert http.requests_sent == 1
    assert (result.outcome.status.value, result.outcome.message) == (
        "ERROR",
        "duffel server error (HTTP 503)",
    )
    assert breaker.state is BreakerState.OPEN  # a verdict: the call failed


# ------------------------------------------------------------------------ client limits


async def test_client_limits_closed_refuse_while_the_store_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from limits.aio.storage import RedisStorage

    from gateway.api.admission.clients import Client
    from tests.ports import free_port

    recorder = Recorder()
    storage = RedisStorage(
        f"async+redis://127.0.0.1:{free_port()}/0",
        implementation="redispy",
        socket_timeout=0.2,
        socket_connect_timeout=0.2,
    )
    now = [0.0]
    limits = ClientLimits(
        ClientPolicy(requests_per_minute=100),
        storage,
        Events([recorder]),
        without_redis=CLOSED,
        clock=lambda: now[0],
    )
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            with pytest.raises(RateLimited) as caught:
                await limits.admit_request(Client("203.0.113.1"))
    await limits.close()
    assert caught.value.message == "Rate limits cannot be checked now. Try again in 5 s."
    assert caught.value.retry_after_s == 5
    assert Counter(recorder.seen) == {GuardFellBack(CLIENT_RATE_LIMIT): 3}
    assert len([r for r in caplog.records if "rate limits unavailable" in r.getMessage()]) == 1


# ----------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_QUOTA_WITHOUT_REDIS", "sometimes"),
        ("GATEWAY_PROVIDER_LIMITS_WITHOUT_REDIS", "strict"),  # a quota's mode only
        ("GATEWAY_CLIENT_LIMITS_WITHOUT_REDIS", "maybe"),
        ("GATEWAY_REDIS_REQUIRED", "perhaps"),
    ],
)
def test_a_bad_failure_mode_stops_start_up_naming_it(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_failure_modes_default_to_closed_quota_and_open_limits() -> None:
    settings = Settings.from_env({})
    assert settings.quota_without_redis == CLOSED
    assert settings.provider_limits_without_redis == OPEN
    assert settings.client_limits_without_redis == OPEN
    assert settings.redis_required is False
    chosen = Settings.from_env(
        {
            "GATEWAY_QUOTA_WITHOUT_REDIS": "Strict",
            "GATEWAY_PROVIDER_LIMITS_WITHOUT_REDIS": "closed",
            "GATEWAY_CLIENT_LIMITS_WITHOUT_REDIS": "closed",
            "GATEWAY_REDIS_REQUIRED": "on",
        }
    )
    assert (chosen.quota_without_redis, chosen.provider_limits_without_redis) == (STRICT, CLOSED)
    assert chosen.client_limits_without_redis == CLOSED
    assert chosen.redis_required
