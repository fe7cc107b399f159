from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from gateway.config import Settings
from simulators.common.faults import FaultConfig
from tests import aioresponses_compat
from tests.helpers import GraphQLClient, Simulators, gateway, simulators
from tests.redis_server import redis_server

aioresponses_compat.install()


@pytest.fixture
async def sims() -> AsyncIterator[Simulators]:
    async with simulators(FaultConfig(latency_ms=5)) as running:
        yield running


@pytest.fixture
async def client(sims: Simulators) -> AsyncIterator[GraphQLClient]:
    async with gateway(Settings(provider_timeout_s=1.0), sims) as graphql:
        yield graphql


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
async def fresh_redis(redis_url: str) -> str:
    """The shared server, emptied for this test."""
    import redis.asyncio as redis

    client = redis.from_url(redis_url)
    await client.flushdb()
    await client.aclose()
    return redis_url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The container tests last: their set-up (podman, a base image; scripts/test starts it in
    the background) then overlaps the rest of the suite."""
    items.sort(key=lambda item: item.get_closest_marker("container") is not None)
