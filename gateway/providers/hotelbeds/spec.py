"""Hotelbeds as a plug-in: its settings and adapter (see `gateway.providers.spec`).

The daily quota's default follows the host: evaluation keys (what anyone can get) reach only the
test host and allow about 50 requests a day, so on the test host the gateway counts 50 unless
told otherwise; production keys have contract quotas the gateway cannot know, so elsewhere it
counts none. `HOTELBEDS_DAILY_QUOTA` sets it either way (0: no limit of ours).
"""

from __future__ import annotations

import aiohttp

from gateway.env import ConfigError, Env, credential_pair, get, number, rate_limit, url
from gateway.providers.base import Provider
from gateway.providers.hotelbeds.adapter import (
    EVALUATION_DAILY_QUOTA,
    TEST_BASE_URL,
    HotelbedsConfig,
    HotelbedsProvider,
    is_test_host,
)
from gateway.providers.spec import ProviderSpec

VARIABLES = (
    "HOTELBEDS_API_KEY",
    "HOTELBEDS_SECRET",
    "HOTELBEDS_BASE_URL",
    "HOTELBEDS_RATE_LIMIT",
    "HOTELBEDS_DAILY_QUOTA",
)
MAX_DAILY_QUOTA = 100_000_000


def from_env(env: Env) -> HotelbedsConfig | None:
    credentials = credential_pair(env, "HOTELBEDS_API_KEY", "HOTELBEDS_SECRET", "Hotelbeds")
    if credentials is None:
        return None
    api_key, secret = credentials
    base_url = url(env, "HOTELBEDS_BASE_URL", TEST_BASE_URL) or TEST_BASE_URL
    return HotelbedsConfig(
        api_key=api_key,
        secret=secret,
        base_url=base_url,
        rate_limit=rate_limit(env, "HOTELBEDS_RATE_LIMIT"),
        daily_quota=daily_quota(env, base_url),
    )


def daily_quota(env: Env, base_url: str) -> int | None:
    """`HOTELBEDS_DAILY_QUOTA` (0: none); unset: 50 on the test host, none elsewhere."""
    name = "HOTELBEDS_DAILY_QUOTA"
    if get(env, name) is None:
        return EVALUATION_DAILY_QUOTA if is_test_host(base_url) else None
    value = number(env, name, 0, low=0, high=MAX_DAILY_QUOTA)
    if not value.is_integer():
        raise ConfigError(f"{name} must be a whole number of requests, got {get(env, name)}")
    return int(value) or None


def build(session: aiohttp.ClientSession, config: HotelbedsConfig) -> Provider:
    return HotelbedsProvider(session, config)


SPEC: ProviderSpec[HotelbedsConfig] = ProviderSpec(
    name="hotelbeds",
    serves=("hotels",),
    variables=VARIABLES,
    from_env=from_env,
    build=build,
)
