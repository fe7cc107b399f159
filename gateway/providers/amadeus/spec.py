"""Amadeus as a plug-in: its settings and adapter (see `gateway.providers.spec`)."""

from __future__ import annotations

import aiohttp

from gateway.env import ConfigError, Env, credential_pair, get, rate_limit, url
from gateway.providers.amadeus.adapter import AmadeusConfig, AmadeusProvider
from gateway.providers.base import Provider
from gateway.providers.spec import ProviderSpec

VARIABLES = (
    "AMADEUS_CLIENT_ID",
    "AMADEUS_CLIENT_SECRET",
    "AMADEUS_BASE_URL",
    "AMADEUS_RATE_LIMIT",
)


def from_env(env: Env) -> AmadeusConfig | None:
    credentials = credential_pair(env, "AMADEUS_CLIENT_ID", "AMADEUS_CLIENT_SECRET", "Amadeus")
    if credentials is None:
        return None
    client_id, secret = credentials
    if get(env, "AMADEUS_HOSTNAME") is not None:
        raise ConfigError(
            "AMADEUS_HOSTNAME is no longer read: Amadeus closed its Self-Service APIs "
            "(test.api.amadeus.com) in July 2026. Amadeus Enterprise customers set "
            "AMADEUS_BASE_URL to the API host Amadeus gave them"
        )
    base_url = url(env, "AMADEUS_BASE_URL")
    if base_url is None:
        raise ConfigError(
            "AMADEUS_BASE_URL is required with Amadeus credentials: the Enterprise API host "
            "Amadeus gave you (the Self-Service hosts closed in July 2026)"
        )
    return AmadeusConfig(
        client_id=client_id,
        client_secret=secret,
        base_url=base_url,
        rate_limit=rate_limit(env, "AMADEUS_RATE_LIMIT"),
    )


def build(session: aiohttp.ClientSession, config: AmadeusConfig) -> Provider:
    return AmadeusProvider(session, config)


SPEC: ProviderSpec[AmadeusConfig] = ProviderSpec(
    name="amadeus",
    serves=("flights", "hotels"),
    variables=VARIABLES,
    from_env=from_env,
    build=build,
)
