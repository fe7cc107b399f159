"""Providers are plug-ins: each is one spec in the registry, and each spec is complete. A
simulator is a plug-in of its own (`simulators/registry.py`); a provider may have none, and then
its wire tests and contract tests must stand for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gateway.config import Settings
from gateway.providers import registry
from gateway.providers.base import FlightProvider, HotelProvider
from gateway.providers.spec import SEARCH_FIELDS, ProviderSpec
from simulators import registry as sim_registry
from tests import test_fault_matrix

pytestmark = pytest.mark.unit

TESTS = Path(__file__).parent


def missing_tests(spec: ProviderSpec[Any]) -> list[str]:
    """The test files a provider must have: its exact wire exchanges always; its contract tests
    (its traffic against the provider's own definitions) when no simulator stands in for it,
    since then no end-to-end or fault-matrix test reaches it."""
    wanted = [f"test_{spec.name}_wire.py"]
    if not sim_registry.has(spec.name):
        wanted.append(f"test_contract_{spec.name}.py")
    return [name for name in wanted if not (TESTS / name).exists()]


@pytest.mark.parametrize("spec", registry.SPECS, ids=registry.names())
async def test_every_provider_is_a_complete_plugin(spec: ProviderSpec[Any]) -> None:
    assert spec.name == spec.name.lower()
    assert spec.serves
    assert set(spec.serves) <= set(SEARCH_FIELDS)
    assert spec.from_env({}) is None  # nothing runs without its own settings
    assert missing_tests(spec) == []
    if not sim_registry.has(spec.name):
        return
    simulator = sim_registry.spec(spec.name)
    assert simulator.provider is spec
    assert isinstance(simulator.app(None), web.Application)
    assert any(fault.provider == spec.name for fault in test_fault_matrix.MATRIX.values())
    env = simulator.simulated_env("http://127.0.0.1:9")
    assert set(env) <= set(spec.variables)
    config = spec.from_env(env)
    assert config is not None
    async with aiohttp.ClientSession() as session:
        for built in (config, simulator.simulated("http://127.0.0.1:9")):
            provider = spec.build(session, built)
            assert provider.name == spec.name
            assert set(provider.info().serves) == set(spec.serves)
            assert isinstance(provider, FlightProvider) == ("flights" in spec.serves)
            assert isinstance(provider, HotelProvider) == ("hotels" in spec.serves)


def test_a_provider_without_a_simulator_must_have_wire_and_contract_tests() -> None:
    lone = ProviderSpec(
        name="fakeair",
        serves=("flights",),
        variables=("FAKEAIR_TOKEN",),
        from_env=lambda env: env.get("FAKEAIR_TOKEN"),
        build=lambda session, token: pytest.fail("not configured, never built"),
    )
    assert not sim_registry.has(lone.name)
    assert missing_tests(lone) == ["test_fakeair_wire.py", "test_contract_fakeair.py"]


def test_names_are_unique_and_settings_loop_over_them() -> None:
    assert len(set(registry.names())) == len(registry.SPECS)
    env = sim_registry.environment(dict.fromkeys(sim_registry.names(), "http://x:1"))
    assert set(Settings.from_env(env).providers) == set(sim_registry.names())
    only_duffel = Settings.from_env(sim_registry.spec("duffel").simulated_env("http://x:1"))
    assert set(only_duffel.providers) == {"duffel"}


def test_every_simulator_stands_in_for_a_provider_of_the_registry() -> None:
    assert len(set(sim_registry.names())) == len(sim_registry.SPECS)
    for simulator in sim_registry.SPECS:
        assert simulator.provider is registry.spec(simulator.name)
    # Listed in the registry's order, as the demo starts them.
    order = [name for name in registry.names() if sim_registry.has(name)]
    assert list(sim_registry.names()) == order
    with pytest.raises(KeyError, match="no simulator for provider 'fakeair'"):
        sim_registry.spec("fakeair")
