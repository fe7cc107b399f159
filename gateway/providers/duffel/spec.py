"""Duffel as a plug-in: its settings, adapter and simulator (see `gateway.providers.spec`)."""

from __future__ import annotations

import aiohttp

from gateway.env import Env, get, rate_limit, url
from gateway.providers.base import Provider
from gateway.providers.duffel import simulator
from gateway.providers.duffel.adapter import BASE_URL, DuffelConfig, DuffelProvider
from gateway.providers.spec import ProviderSpec

VARIABLES = ("DUFFEL_ACCESS_TOKEN", "DUFFEL_BASE_URL", "DUFFEL_RATE_LIMIT")


def from_env(env: Env) -> DuffelConfig | None:
    token = get(env, "DUFFEL_ACCESS_TOKEN")
    if token is None:
        return None
    return DuffelConfig(
        access_token=token,
        base_url=url(env, "DUFFEL_BASE_URL", BASE_URL) or BASE_URL,
        rate_limit=rate_limit(env, "DUFFEL_RATE_LIMIT"),
    )


def simulated(base_url: str) -> DuffelConfig:
    return DuffelConfig(access_token="duffel_test_demo", base_url=base_url, mode="simulated")


def simulated_env(base_url: str) -> dict[str, str]:
    return {"DUFFEL_ACCESS_TOKEN": "duffel_test_simulated", "DUFFEL_BASE_URL": base_url}


def build(session: aiohttp.ClientSession, config: DuffelConfig) -> Provider:
    return DuffelProvider(session, config)


SPEC = ProviderSpec(
    name="duffel",
    serves=("flights", "hotels"),
    variables=VARIABLES,
    from_env=from_env,
    simulated=simulated,
    simulated_env=simulated_env,
    build=build,
    simulator=lambda faults: simulator.create_app(fault_config=faults),
)
