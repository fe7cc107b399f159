"""Duffel as a plug-in: its settings and adapter (see `gateway.providers.spec`)."""

from __future__ import annotations

import aiohttp

from gateway.env import Env, get, rate_limit, url
from gateway.providers.base import Provider
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


def build(session: aiohttp.ClientSession, config: DuffelConfig) -> Provider:
    return DuffelProvider(session, config)


SPEC: ProviderSpec[DuffelConfig] = ProviderSpec(
    name="duffel",
    serves=("flights", "hotels"),
    variables=VARIABLES,
    from_env=from_env,
    build=build,
)
