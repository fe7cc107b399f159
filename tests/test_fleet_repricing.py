"""Re-pricing bounded across the fleet (issue 18, item 5): a refresh of one offer younger than
`GATEWAY_REFRESH_REUSE_S` is answered from the earlier one, refreshes of one offer at once are
coalesced across processes, and every upstream call of a re-pricing passes the provider's rate
limiter.

Through real processes where the issue names them (a burst over two instances); at the service
level, against a real Redis, where a test must hold a provider's answer back or move a clock:
two `SearchService`s, each with its own Redis connections, stand for two processes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec
import pytest

from gateway.app import create_app
from gateway.config import ConfigError, Settings
from gateway.currency.rates import bundled_rates
from gateway.domain import (
    CheckedRate,
    HotelOffer,
    Money,
    ProviderOutcome,
    ProviderStatus,
    RecheckedRoom,
    RepricingStatus,
    RoomOffer,
)
from gateway.fleet.sealed import Sealer
from gateway.fleet.shared import PREFIX, Shared
from gateway.providers.client import UpstreamClient
from gateway.providers.deadline import remaining_s
from gateway.providers.errors import UpstreamStatusError
from gateway.providers.registry import Providers
from gateway.search import refreshes
from gateway.search.refreshes import Refreshed, Refreshes
from gateway.search.service import SearchService
from gateway.search.stores import RedisStore
from simulators import registry as sim_registry
from simulators.common.faults import FaultConfig
from tests.helpers import APOLLO_ACCEPT, GraphQLClient, serve, simulators
from tests.test_fleet_offers import (
    PRICING_PATHS,
    SIGNING_KEY,
    fleet,
    fleet_env,
    pricing_calls,
    searched,
    shared_now,
)
from tests.test_hotel_offer import Checking, hotel_offer, rate, served
from tests.test_selling import eur

pytestmark = pytest.mark.e2e

BURST = """
query Burst($f: ID!, $h: ID!) {
  f1: flightOffer(id: $f, refresh: true) { ...Flight }
  f2: flightOffer(id: $f, refresh: true) { ...Flight }
  h1: hotelOffer(id: $h, refresh: true) { ...Hotel }
  h2: hotelOffer(id: $h, refresh: true) { ...Hotel }
}
fragment Flight on FlightOfferCheck {
  sources { provider offerId status } providers { provider status cached }
}
fragment Hotel on HotelOfferCheck {
  sources { provider offerId status } providers { provider status cached }
}
"""


async def test_a_burst_of_refreshes_over_two_instances_makes_one_call_per_source(
    fresh_redis: str,
) -> None:
    """The finding: 30 requests with two `flightOffer(refresh: true)` each caused 270 upstream
    calls. Here 30 requests at once, each refreshing one flight and one hotel offer twice,
    spread over two processes: each source is asked once, whoever asked it."""
    # Providers slow enough that both processes are refreshing at once (and quick enough): one
    # must wait for the other's answer rather than ask too.
    async with simulators(FaultConfig(latency_ms=150)) as sims:
        # The longest reuse, so that however slow this machine, the burst lies within it.
        env = fleet_env(fresh_redis, sims, GATEWAY_REFRESH_REUSE_S="60")
        async with fleet(env) as (a, b):
            flight, hotel = await searched(a)
            await shared_now(fresh_redis, flight["id"], hotel["id"])
            before = pricing_calls(sims)
            variables = {"f": flight["id"], "h": hotel["id"]}
            answers = await asyncio.gather(
                *((a, b)[n % 2].post(BURST, variables) for n in range(30))
            )
    bodies = [body for _, body in answers]
    assert all("errors" not in body for body in bodies), bodies
    checks = [body["data"][alias] for body in bodies for alias in ("f1", "f2", "h1", "h2")]
    sources = {
        (source["provider"], source["offerId"])
        for check in checks
        for source in check["sources"]
        if source["status"] != "SKIPPED"
    }
    assert len(sources) >= 3  # flights from two providers, a hotel's rates: something asked
    assert pricing_calls(sims) - before == len(sources)  # not 30 × 2 × each
    for alias in ("f1", "h1"):
        assert len({str(body["data"][alias]["sources"]) for body in bodies}) == 1  # one answer
    assert any(all(p["cached"] for p in check["providers"]) for check in checks)


async def test_every_upstream_call_of_a_repricing_passes_the_providers_rate_limiter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each provider's calls go through its `UpstreamClient`, which takes the request's turn
    under the provider's rate limit (and its quota) before sending: every re-pricing call the
    simulators answered went through one, with the limit configured."""
    through: list[tuple[str, str, float | None]] = []
    request = UpstreamClient.request

    async def spied(self: UpstreamClient, method: str, url: str, **kwargs: Any) -> Any:
        through.append((self.provider, url, self.rate_limit))
        return await request(self, method, url, **kwargs)

    monkeypatch.setattr(UpstreamClient, "request", spied)
    async with simulators() as sims:
        env: dict[str, str] = {}
        for name, url in sims.base_urls.items():
            env.update(sim_registry.spec(name).simulated_env(url))
            env[f"{name.upper()}_RATE_LIMIT"] = "1000"
        settings = Settings.from_env({**env, "GATEWAY_FX_URL": ""})
        app = create_app(settings)
        async with (
            serve(app, settings) as url,
            aiohttp.ClientSession(headers={"Accept": APOLLO_ACCEPT}) as session,
        ):
            client = GraphQLClient(session, url, app)
            flight, hotel = await searched(client)
            before, spied_before = pricing_calls(sims), len(through)
            _, body = await client.post(BURST, {"f": flight["id"], "h": hotel["id"]})
    assert "errors" not in body, body
    calls = [call for call in through[spied_before:] if any(p in call[1] for p in PRICING_PATHS)]
    assert len(calls) == pricing_calls(sims) - before > 0
    assert {provider for provider, _, _ in calls} >= {"amadeus", "duffel"}
    assert {limit for _, _, limit in calls} == {1000}


# Service level: two services on one Redis stand for two processes.


async def _shared(url: str, shared_class: type[Shared] = Shared) -> Shared:
    return shared_class(RedisStore.connect(url, timeout_s=1.0), Sealer(SIGNING_KEY))


def _service(
    provider: Checking, shared: Shared, reuse_s: float = 5.0, **settings: Any
) -> SearchService:
    return SearchService(
        Providers((provider,)),
        rates=bundled_rates,
        shared=shared,
        refresh_reuse_s=reuse_s,
        **settings,
    )


async def _shared_by(service: SearchService) -> HotelOffer:
    """The first hotel offer `service` serves, once written to the fleet's store (in the
    background, after the page) for the other services to find."""
    offer = await served(service)
    await service.flush()
    return offer


def _lock_of(service: SearchService, offer: HotelOffer) -> str:
    """The Redis key of the lock on refreshes of `offer` by gateways configured as `service`."""
    variant = service.refresh_variant(offer)
    return f"{PREFIX}{refreshes.KEY_PREFIX}{offer.id}:{variant}:lock"


def _rooms(count: int = 4) -> list[RoomOffer]:
    return [rate("liteapi", f"r{n}", str(100 + n)) for n in range(count)]


class Gated(Checking):
    """Checks rates only once `gate` is set, counting the calls begun meanwhile."""

    def __init__(self, name: str, offers: list[HotelOffer]) -> None:
        super().__init__(name, offers)
        self.gate = asyncio.Event()
        self.begun = 0

    async def current_rate(self, room: RoomOffer) -> CheckedRate | None:
        self.begun += 1
        await self.gate.wait()
        return await super().current_rate(room)


class Watched(Shared):
    """The shared store, telling when a lock it asked for was held by another process."""

    refused: asyncio.Event

    async def lock(self, key: str, token: str, ttl_s: float, what: str) -> bool | None:
        taken = await super().lock(key, token, ttl_s, what)
        if taken is False:
            self.refused.set()
        return taken


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never came")


async def test_refreshes_at_once_in_two_processes_make_one_set_of_calls(fresh_redis: str) -> None:
    """No reuse at all (0 s): one process asks while the other waits for its answer."""
    provider = Gated("liteapi", [hotel_offer("liteapi", *_rooms())])
    watched = await _shared(fresh_redis, Watched)
    assert isinstance(watched, Watched)
    watched.refused = asyncio.Event()
    one = _service(provider, await _shared(fresh_redis), reuse_s=0)
    two = _service(provider, watched, reuse_s=0)
    offer = await _shared_by(one)

    first = asyncio.create_task(one.hotel_offer(offer.id, refresh=True))
    await _until(lambda: provider.begun == 4)  # one is asking the provider
    second = asyncio.create_task(two.hotel_offer(offer.id, refresh=True))
    await asyncio.wait_for(watched.refused.wait(), 5)  # two found one's lock: it waits
    provider.gate.set()
    asked, waited = await first, await second

    assert provider.begun == 4  # not 8
    assert waited.sources == asked.sources
    assert not any(outcome.cached for outcome in asked.outcomes)
    assert all(outcome.cached for outcome in waited.outcomes)  # two called nobody

    # Without reuse, a refresh after them asks again.
    await two.hotel_offer(offer.id, refresh=True)
    assert provider.begun == 8


async def test_a_refresh_is_reused_fleet_wide_while_younger_than_the_setting(
    fresh_redis: str,
) -> None:
    now = [1_000_000.0]
    provider = Checking("liteapi", [hotel_offer("liteapi", *_rooms())])
    services = []
    for _ in range(2):
        shared = await _shared(fresh_redis)
        service = _service(provider, shared)
        service.refreshes = Refreshes(shared, reuse_s=5, clock=lambda: now[0], wall=lambda: now[0])
        services.append(service)
    one, two = services
    offer = await _shared_by(one)

    asked = await one.hotel_offer(offer.id, refresh=True)
    assert len(provider.asked) == 4
    now[0] += 4.9
    again = await one.hotel_offer(offer.id, refresh=True)  # from this process's memory
    elsewhere = await two.hotel_offer(offer.id, refresh=True)  # from Redis
    assert len(provider.asked) == 4
    for reused in (again, elsewhere):
        assert reused.sources == asked.sources
        assert all(o.cached and o.latency_ms == 0 for o in reused.outcomes)
    now[0] += 0.2  # 5.1 s old: the provider is asked again
    fresh = await two.hotel_offer(offer.id, refresh=True)
    assert len(provider.asked) == 8
    assert not any(outcome.cached for outcome in fresh.outcomes)


async def test_a_refresh_where_a_provider_failed_is_not_reused(fresh_redis: str) -> None:
    rooms = _rooms(2)
    provider = Checking("liteapi", [hotel_offer("liteapi", *rooms)])
    provider.answers["r1"] = UpstreamStatusError("liteapi", 503)
    service = _service(provider, await _shared(fresh_redis))
    offer = await served(service)
    failed = await service.hotel_offer(offer.id, refresh=True)
    assert [o.status is ProviderStatus.OK for o in failed.outcomes] == [False]
    del provider.answers["r1"]
    answered = await service.hotel_offer(offer.id, refresh=True)
    assert len(provider.asked) == 4
    assert {s.status for s in answered.sources} == {RepricingStatus.UNCHANGED}


class Clock:
    """Time that passes only as a refresh sleeps: every wait is counted, none is waited."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class Counted(Shared):
    """The shared store, counting the lock attempts and reads a refresh makes."""

    locks = 0
    reads = 0

    async def lock(self, key: str, token: str, ttl_s: float, what: str) -> bool | None:
        self.locks += 1
        return await super().lock(key, token, ttl_s, what)

    async def get(self, key: str, what: str, **options: Any) -> memoryview | None:
        self.reads += 1
        return await super().get(key, what, **options)


class Timed(Checking):
    """Checks rates as `Checking` does, noting when each call began and the time it was given
    (the provider call's deadline, as adapters read it), in loop time."""

    def __init__(self, name: str, offers: list[HotelOffer]) -> None:
        super().__init__(name, offers)
        self.calls: list[tuple[float, float | None]] = []

    async def current_rate(self, room: RoomOffer) -> CheckedRate | None:
        self.calls.append((asyncio.get_running_loop().time(), remaining_s()))
        return await super().current_rate(room)


async def test_a_process_waiting_for_a_refresh_that_never_comes_asks_itself(
    fresh_redis: str,
) -> None:
    """The finding: a waiter whose lock's holder was killed polled lock and result every 20 ms
    for the provider timeout and a second (~1,300 Redis commands), then asked with the whole
    provider timeout: answered after 9 s against an 8 s deadline. Now (in time that passes
    only as it sleeps) it looks again after 20 ms, then twice as long each time up to 200 ms,
    and asks once waiting longer would leave its own ask less than the provider timeout (or
    half the deadline: with both 8 s, 4 s), with the time left: done by the deadline."""
    import redis.asyncio as redis

    provider = Timed("liteapi", [hotel_offer("liteapi", *_rooms())])
    shared = await _shared(fresh_redis, Counted)
    assert isinstance(shared, Counted)
    service = _service(provider, shared)
    clock = Clock()
    service.refreshes = Refreshes(
        shared, reuse_s=5, deadline_s=8, ask_s=8, clock=clock, sleep=clock.sleep
    )
    offer = await served(service)
    raw = redis.from_url(fresh_redis)
    await raw.set(_lock_of(service, offer), "crashed", px=60_000)
    await raw.aclose()

    check = await service.hotel_offer(offer.id, refresh=True)
    assert len(provider.asked) == 4
    assert not any(outcome.cached for outcome in check.outcomes)
    assert clock.slept[:5] == [0.02, 0.04, 0.08, 0.16, 0.2]
    assert max(clock.slept) == 0.2
    assert sum(clock.slept) == pytest.approx(4.0)  # waited 4 s
    assert shared.locks == len(clock.slept) + 1 <= 25  # a look after each wait: not 450
    for _, left_s in provider.calls:
        assert left_s == pytest.approx(4.0, abs=0.5)  # the ask ends by the field's deadline


class Orphaned(Counted):
    """A store where another process holds every refresh lock and never answers."""

    async def lock(self, key: str, token: str, ttl_s: float, what: str) -> bool | None:
        self.locks += 1
        return False


async def test_waiting_for_a_holder_that_never_answers_stays_within_the_deadline(
    fresh_redis: str,
) -> None:
    """The same finding in real time, with a field deadline of 1 s (and a provider timeout of
    as much): a waiter looks a few times, not every 20 ms, and its own ask is given only the
    time left, so its calls end by the field's deadline."""
    provider = Timed("liteapi", [hotel_offer("liteapi", *_rooms())])
    shared = await _shared(fresh_redis, Orphaned)
    assert isinstance(shared, Orphaned)
    service = _service(provider, shared, deadline_s=1.0)
    offer = await served(service)

    begun = asyncio.get_running_loop().time()
    check = await service.hotel_offer(offer.id, refresh=True)
    assert len(provider.asked) == 4
    assert shared.locks <= 8  # 20, 40, 80, 160 ms, then 200 ms: 0.5 s; not 100 polls in 2 s
    for called_at, left_s in provider.calls:
        assert left_s is not None
        # Each call's deadline is by the field's (given a loop turn to start the calls).
        assert called_at + left_s - begun <= 1.0 + 0.25
    assert {s.status for s in check.sources} == {RepricingStatus.UNCHANGED}


async def test_a_waiter_handed_another_process_failure_asks_itself(fresh_redis: str) -> None:
    """The finding: a waiter was handed another process's failure (its open circuit, its
    saturation, its quota refusal) as its own answer. Here the process asking first fails
    (its provider answers 503); the one waiting for it asks itself, and answers."""
    rooms = _rooms()
    offers = [hotel_offer("liteapi", *rooms)]
    failing = Gated("liteapi", offers)
    for room in rooms:
        failing.answers[room.offer_id] = UpstreamStatusError("liteapi", 503)
    healthy = Checking("liteapi", offers)
    watched = await _shared(fresh_redis, Watched)
    assert isinstance(watched, Watched)
    watched.refused = asyncio.Event()
    one = _service(failing, await _shared(fresh_redis))
    two = _service(healthy, watched)
    offer = await _shared_by(one)

    first = asyncio.create_task(one.hotel_offer(offer.id, refresh=True))
    await _until(lambda: failing.begun == 4)  # one is asking its provider
    second = asyncio.create_task(two.hotel_offer(offer.id, refresh=True))
    await asyncio.wait_for(watched.refused.wait(), 5)  # two found one's lock: it waits
    failing.gate.set()
    failed, answered = await first, await second

    assert all(outcome.status is not ProviderStatus.OK for outcome in failed.outcomes)
    assert len(healthy.asked) == 4  # two asked itself
    assert [outcome.status for outcome in answered.outcomes] == [ProviderStatus.OK]
    assert not any(outcome.cached for outcome in answered.outcomes)
    assert {s.status for s in answered.sources} == {RepricingStatus.UNCHANGED}


async def test_gateways_configured_differently_do_not_answer_each_others_refreshes(
    fresh_redis: str,
) -> None:
    """The finding: the refresh key left out settings that change the answer. Two gateways
    sharing a Redis, one with a hotel markup and one whose provider does not check these rates
    (as Hotelbeds under a daily quota checks only those it must), each refresh on their own;
    a gateway configured alike reuses the first's refresh."""
    offers = [hotel_offer("liteapi", *_rooms())]
    provider = Checking("liteapi", offers)
    plain = _service(provider, await _shared(fresh_redis))
    marked = _service(provider, await _shared(fresh_redis), hotel_markup_percent=Decimal(10))
    unable = _service(Checking("liteapi", offers, checks=False), await _shared(fresh_redis))
    alike = _service(provider, await _shared(fresh_redis))
    offer = await _shared_by(plain)

    await plain.hotel_offer(offer.id, refresh=True)
    assert len(provider.asked) == 4
    own = await marked.hotel_offer(offer.id, refresh=True)
    assert len(provider.asked) == 8  # its own, at its markup
    assert not any(outcome.cached for outcome in own.outcomes)
    skipped = await unable.hotel_offer(offer.id, refresh=True)
    assert {s.status for s in skipped.sources} == {RepricingStatus.SKIPPED}  # none it can check
    reused = await alike.hotel_offer(offer.id, refresh=True)
    assert len(provider.asked) == 8
    assert all(outcome.cached for outcome in reused.outcomes)


def _forgeries(
    offer: HotelOffer, sources: tuple[RecheckedRoom, ...], outcomes: tuple[ProviderOutcome, ...]
) -> dict[str, tuple[tuple[RecheckedRoom, ...], tuple[ProviderOutcome, ...], float]]:
    """Refreshes of `offer` no gateway would have made: (sources, outcomes, age in s)."""

    def source(index: int, **changed: Any) -> tuple[RecheckedRoom, ...]:
        changed_sources = list(sources)
        changed_sources[index] = msgspec.structs.replace(sources[index], **changed)
        return tuple(changed_sources)

    def outcome(**changed: Any) -> tuple[ProviderOutcome, ...]:
        return (msgspec.structs.replace(outcomes[0], **changed),)

    dearer = Money(Decimal("1e13"), "EUR")
    return {
        "another rate's id": (source(0, offer_id="planted"), outcomes, 0),
        "another provider's rate": (source(0, provider="hotelbeds"), outcomes, 0),
        "an absurd price": (
            source(0, status=RepricingStatus.CHANGED, current_price=dearer),
            outcomes,
            0,
        ),
        "UNCHANGED at another price": (source(0, current_price=eur("1.00")), outcomes, 0),
        "a price where there is none": (source(0, status=RepricingStatus.GONE), outcomes, 0),
        "another provider's outcome": (sources, outcome(provider="hotelbeds"), 0),
        "a message with escapes": (sources, outcome(message="\x1b[31mcall us\x1b[0m"), 0),
        "made in the future": (sources, outcomes, -3600),
        "the genuine, too old": (sources, outcomes, 6),
    }


async def test_planted_refreshes_are_not_reused(fresh_redis: str) -> None:
    """Refreshes planted in Redis (signed with the fleet's own key: every check past the seal
    is shown) are refused, and the providers asked; the genuine one is reused."""
    import redis.asyncio as redis

    provider = Checking("liteapi", [hotel_offer("liteapi", *_rooms())])
    shared = await _shared(fresh_redis)
    service = _service(provider, shared)
    offer = await served(service)
    genuine = await service.hotel_offer(offer.id, refresh=True)
    served_offer = genuine.offer
    key = _lock_of(service, offer).removesuffix(":lock")
    raw = redis.from_url(fresh_redis)
    encoder = msgspec.msgpack.Encoder(decimal_format="string")
    now = [2_000_000.0]

    async def plant(
        sources: tuple[RecheckedRoom, ...],
        outcomes: tuple[ProviderOutcome, ...],
        age_s: float,
        of: str = offer.id,
    ) -> int:
        """The calls a refresh makes with this planted, from a process that remembers none."""
        at_ms = round((now[0] - age_s) * 1000)
        made = Refreshed(of, at_ms, "planted", sources, outcomes)
        await raw.set(key, Sealer(SIGNING_KEY).seal(key, encoder.encode(made), 60))
        service.refreshes = Refreshes(shared, reuse_s=5, wall=lambda: now[0])
        before = len(provider.asked)
        check = await service.hotel_offer(offer.id, refresh=True)
        assert "planted" not in str(check.sources) + str(check.outcomes)
        return len(provider.asked) - before

    forgeries = _forgeries(served_offer, genuine.sources, genuine.outcomes)
    for what, (sources, outcomes, age_s) in forgeries.items():
        assert await plant(sources, outcomes, age_s) == 4, what
    assert await plant(genuine.sources, genuine.outcomes, 1, of="O" + "0" * 20) == 4
    assert await plant(genuine.sources, genuine.outcomes, 1) == 0  # what the checks let through
    await raw.set(key, Sealer(None).seal(key, b"unsigned", 60))
    service.refreshes = Refreshes(shared, reuse_s=5)
    before = len(provider.asked)
    await service.hotel_offer(offer.id, refresh=True)
    assert len(provider.asked) == before + 4
    await raw.aclose()


def test_the_reuse_setting_is_checked_at_start_up() -> None:
    assert Settings.from_env({}).refresh_reuse_s == refreshes.REUSE_S == 5.0
    assert Settings.from_env({"GATEWAY_REFRESH_REUSE_S": "0"}).refresh_reuse_s == 0
    for bad in ("-1", "61", "soon"):
        with pytest.raises(ConfigError, match="GATEWAY_REFRESH_REUSE_S"):
            Settings.from_env({"GATEWAY_REFRESH_REUSE_S": bad})
