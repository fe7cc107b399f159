"""SIGTERM drains (gateway/drain.py): readiness 503 first while everything else is served, then
the server's graceful shutdown; only the served app takes the signal."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator

import aiohttp
import pytest

from gateway.app import create_app, create_served_app
from gateway.config import ConfigError, Settings
from gateway.drain import DRAINING, Drain
from tests.helpers import Simulators, days_ahead, serve
from tests.served import served_gateway

pytestmark = pytest.mark.e2e


@pytest.fixture
def sigterm_restored() -> Iterator[None]:
    """Whatever a test does, the test process's SIGTERM disposition is put back."""
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


async def test_sigterm_starts_the_drain_and_hands_the_signal_back_after_it(
    sigterm_restored: None,
) -> None:
    raised: list[int] = []
    previous = signal.getsignal(signal.SIGTERM)
    drain = Drain(0.05, raise_signal=raised.append)
    drain.install()
    os.kill(os.getpid(), signal.SIGTERM)  # the loop's handler takes it: the process lives on
    for _ in range(200):
        if drain.draining:
            break
        await asyncio.sleep(0.01)
    assert drain.draining
    assert raised == []  # not yet: the drain lasts delay_s
    for _ in range(500):
        if raised:
            break
        await asyncio.sleep(0.01)
    assert raised == [signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) == previous  # the server's handler is back


async def test_a_second_sigterm_stops_at_once(sigterm_restored: None) -> None:
    raised: list[int] = []
    drain = Drain(3600, raise_signal=raised.append)
    drain.install()
    drain.begin()
    assert raised == []
    drain.begin()
    assert raised == [signal.SIGTERM]


def test_the_drain_is_a_setting() -> None:
    assert Settings.from_env({}).drain_s == 5
    assert Settings.from_env({"GATEWAY_DRAIN_S": "0"}).drain_s == 0
    for bad in ("-1", "soon", "3600"):
        with pytest.raises(ConfigError, match="GATEWAY_DRAIN_S"):
            Settings.from_env({"GATEWAY_DRAIN_S": bad})


async def test_while_draining_readiness_is_503_and_searches_are_served(
    sims: Simulators, sigterm_restored: None
) -> None:
    settings = Settings(provider_timeout_s=2.0).with_simulators(sims.configs())
    raised: list[int] = []
    drain = Drain(3600, raise_signal=raised.append)
    app = create_app(settings, drain=drain)
    async with serve(app, settings) as url, aiohttp.ClientSession() as session:
        async with session.get(f"{url}/readyz") as ready:
            assert ready.status == 200
        drain.begin()  # what SIGTERM does
        async with session.get(f"{url}/readyz") as ready:
            assert ready.status == 503
            assert DRAINING in (await ready.json())["reasons"]
        async with session.get(f"{url}/healthz") as health:
            assert health.status == 200
        query = """query($s: FlightSearchInput!) {
          flights(search: $s, first: 1) { offers { totalCount } } }"""
        search = {"origin": "PAR", "destination": "NYC", "departureDate": days_ahead(30)}
        payload = {"query": query, "variables": {"s": search}}
        async with session.post(f"{url}/graphql", json=payload) as answer:
            assert answer.status == 200
            assert "errors" not in await answer.json()
    assert raised == []


def test_only_the_served_app_takes_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    """An app embedded in another process (tests, another server) leaves its signals alone."""
    assert create_app(Settings()).state.drain is None
    monkeypatch.setenv("GATEWAY_DRAIN_S", "2.5")
    served = create_served_app().state.drain
    assert isinstance(served, Drain)
    assert served.delay_s == 2.5


@pytest.mark.parametrize("workers", [1, 2])
async def test_the_served_gateway_drains_then_exits(workers: int, redis_url: str) -> None:
    """`travel-gateway serve` (and each worker of `--workers 2`): SIGTERM, 503 from /readyz
    while it drains, then the process ends on its own."""
    env = {"GATEWAY_DRAIN_S": "1.5", "GATEWAY_CACHE_URL": redis_url}
    async with served_gateway(env, args=["--workers", str(workers)]) as served:
        assert served.process is not None
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{served.url}/readyz") as ready:
                assert ready.status == 200
            os.kill(served.pid, signal.SIGTERM)
            seen = set()
            for _ in range(400):
                try:
                    async with session.get(f"{served.url}/readyz") as ready:
                        seen.add(ready.status)
                        if ready.status == 503:
                            break
                except aiohttp.ClientError:
                    break
                await asyncio.sleep(0.01)
            assert 503 in seen
        code = await asyncio.wait_for(served.process.wait(), timeout=60)
        log = "".join(served.log)
        assert code in (0, -signal.SIGTERM), log[-3000:]
        assert "draining" in log
        assert "Traceback" not in log, log[-3000:]
