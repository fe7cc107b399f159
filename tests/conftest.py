from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.config import Settings
from gateway.simulator.faults import FaultConfig
from tests import aioresponses_compat
from tests.helpers import GraphQLClient, Simulators, gateway, simulators

aioresponses_compat.install()


@pytest.fixture
async def sims() -> AsyncIterator[Simulators]:
    async with simulators(FaultConfig(latency_ms=5), FaultConfig(latency_ms=5)) as running:
        yield running


@pytest.fixture
async def client(sims: Simulators) -> AsyncIterator[GraphQLClient]:
    async with gateway(Settings(provider_timeout_s=1.0), sims) as graphql:
        yield graphql
