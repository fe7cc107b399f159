from __future__ import annotations

import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import NoReturn

import pytest

from gateway.config import Settings
from simulators.common.faults import FaultConfig
from tests import aioresponses_compat
from tests.helpers import GraphQLClient, Simulators, gateway, simulators
from tests.redis_server import redis_server

aioresponses_compat.install()

PROVIDER_TIMEOUT_S = 5.0
"""The `client` fixture's provider timeout: far past a loopback simulator's answer, loaded."""


@pytest.fixture
async def sims() -> AsyncIterator[Simulators]:
    async with simulators(FaultConfig(latency_ms=5)) as running:
        yield running


@pytest.fixture
async def client(sims: Simulators) -> AsyncIterator[GraphQLClient]:
    """The gateway in process (`tests/helpers.py` `gateway`), pointed at the simulators."""
    # 5 s, not 1: no test on this fixture is about the timeout (those set their own), and on a
    # busy machine a simulator's 5 ms answer took over 1 s and the provider was TIMEOUT.
    async with gateway(Settings(provider_timeout_s=PROVIDER_TIMEOUT_S), sims) as graphql:
        yield graphql


@pytest.fixture
async def served_client(sims: Simulators) -> AsyncIterator[GraphQLClient]:
    """`client` on loopback (uvicorn, the edge protocol): for tests where the connection is the
    point (streamed parts, compression on the wire, a client leaving)."""
    settings = Settings(provider_timeout_s=PROVIDER_TIMEOUT_S)
    async with gateway(settings, sims, served=True) as graphql:
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


@pytest.hookimpl(tryfirst=True)  # before `-m` selects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The container tests last: their set-up (podman, a base image; scripts/test starts it in
    the background) then overlaps the rest of the suite."""
    items.sort(key=lambda item: item.get_closest_marker("container") is not None)


@pytest.fixture(autouse=True)
def _unit_tests_stay_in_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test marked `unit` opens no socket and starts no process: `scripts/test --quick` stays
    quick and cannot flake on a busy machine's servers. Such a test belongs to another kind."""
    if request.node.get_closest_marker("unit") is None:
        yield
        return

    def refused(*_: object, **__: object) -> NoReturn:
        raise AssertionError(
            f"{request.node.nodeid} is marked unit but opens a socket or starts a process: "
            "mark its module e2e (or edge, tooling)"
        )

    with pytest.MonkeyPatch.context() as patch:
        for name in ("bind", "connect", "connect_ex"):
            patch.setattr(socket.socket, name, refused)
        patch.setattr(subprocess.Popen, "__init__", refused)
        yield
