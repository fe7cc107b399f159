"""Providers are plug-ins: each is one spec in the registry, and each spec is complete."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from gateway.config import Settings
from gateway.providers import registry
from gateway.providers.base import FlightProvider, HotelProvider
from gateway.providers.spec import SEARCH_FIELDS, ProviderSpec
from tests import test_fault_matrix

TESTS = Path(__file__).parent


@pytest.mark.parametrize("spec", registry.SPECS, ids=registry.names())
async def test_every_provider_is_a_complete_plugin(spec: ProviderSpec) -> None:
    assert spec.name == spec.name.lower()
    assert spec.serves
    assert set(spec.serves) <= set(SEARCH_FIELDS)
    assert spec.from_env({}) is None  # nothing runs without its own settings
    assert isinstance(spec.simulator(None), web.Application)
    assert (TESTS / f"test_{spec.name}_wire.py").exists(), "exact wire exchanges"
    assert any(fault.provider == spec.name for fault in test_fault_matrix.MATRIX.values())
    env = spec.simulated_env("http://127.0.0.1:9")
    assert set(env) <= set(spec.variables)
    config = spec.from_env(env)
    assert config is not None
    async with aiohttp.ClientSession() as session:
        provider = spec.build(session, config)
        assert provider.name == spec.name
        assert set(provider.info().serves) == set(spec.serves)
        assert isinstance(provider, FlightProvider) == ("flights" in spec.serves)
        assert isinstance(provider, HotelProvider) == ("hotels" in spec.serves)


def test_names_are_unique_and_settings_loop_over_them() -> None:
    assert len(set(registry.names())) == len(registry.SPECS)
    env = {k: v for spec in registry.SPECS for k, v in spec.simulated_env("http://x:1").items()}
    assert set(Settings.from_env(env).providers) == set(registry.names())
    only_duffel = Settings.from_env(registry.spec("duffel").simulated_env("http://x:1"))
    assert set(only_duffel.providers) == {"duffel"}
