"""Which providers exist — one spec each, one line each — and which of them run: the configured.

A new provider is its package (adapter, wire structs, mapping, `spec.py`) and one line in
`SPECS`; settings, the adapters, the cost model (`gateway/api/schema/build.py`) and the benchmark
loop over this list. Its simulator, if it has one, is listed apart (`simulators/registry.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from gateway.env import Env
from gateway.observe.events import NO_EVENTS, Events
from gateway.outage import DAILY_QUOTA, PROVIDER_RATE_LIMIT, Fallbacks
from gateway.providers.amadeus.spec import SPEC as AMADEUS
from gateway.providers.base import (
    FlightProvider,
    FlightRepricer,
    HotelProvider,
    HotelRateChecker,
    Provider,
)
from gateway.providers.client import UpstreamClient
from gateway.providers.duffel.spec import SPEC as DUFFEL
from gateway.providers.fleet import Fleet, FleetRateLimit, account
from gateway.providers.fleet import log as fleet_log
from gateway.providers.hotelbeds.quota import DailyQuota
from gateway.providers.hotelbeds.quota import log as quota_log
from gateway.providers.hotelbeds.spec import SPEC as HOTELBEDS
from gateway.providers.liteapi.spec import SPEC as LITEAPI
from gateway.providers.spec import ProviderSpec

SPECS: tuple[ProviderSpec[Any], ...] = (
    AMADEUS,
    DUFFEL,
    HOTELBEDS,
    LITEAPI,
)
"""Every provider the gateway can talk to, in the order outcomes list them."""


def names() -> tuple[str, ...]:
    return tuple(spec.name for spec in SPECS)


def spec(name: str) -> ProviderSpec[Any]:
    for candidate in SPECS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"unknown provider {name!r}; choose from {', '.join(names())}")


def configured(env: Env) -> dict[str, Any]:
    """The configuration of every provider whose settings are present, by name."""
    found = {}
    for candidate in SPECS:
        config = candidate.from_env(env)
        if config is not None:
            found[candidate.name] = config
    return found


@dataclass(frozen=True, slots=True)
class Providers:
    all: tuple[Provider, ...]

    @property
    def flights(self) -> tuple[FlightProvider, ...]:
        return tuple(p for p in self.all if isinstance(p, FlightProvider))

    @property
    def repricers(self) -> dict[str, FlightRepricer]:
        """Flight providers that can re-price their offers, by name."""
        return {p.name: p for p in self.all if isinstance(p, FlightRepricer)}

    @property
    def checkers(self) -> dict[str, HotelRateChecker]:
        """Hotel providers that can check their rates again, by name."""
        return {p.name: p for p in self.all if isinstance(p, HotelRateChecker)}

    @property
    def hotels(self) -> tuple[HotelProvider, ...]:
        return tuple(p for p in self.all if isinstance(p, HotelProvider))


def build_providers(
    session: aiohttp.ClientSession,
    configs: Mapping[str, Any],
    events: Events = NO_EVENTS,
    fleet: Fleet | None = None,
) -> Providers:
    """The adapters of the configured providers, on the one upstream session; each one's HTTP
    client (its `http`) reporting to `events`. With a `fleet` (Redis), rate limits and daily
    quotas are held by every process sharing it, per provider account (`providers/fleet.py`)."""
    built = tuple(spec.build(session, configs[spec.name]) for spec in SPECS if spec.name in configs)
    paces = Fallbacks(PROVIDER_RATE_LIMIT, events, logger=fleet_log)
    quotas = Fallbacks(DAILY_QUOTA, events, logger=quota_log)
    for provider in built:
        http = getattr(provider, "http", None)
        if not isinstance(http, UpstreamClient):
            continue
        http.events = events
        if fleet is None:
            continue
        whose = account(configs[provider.name])
        if http.rate_limit and http.limiter is not None:
            http.share_rate_limit(
                FleetRateLimit(
                    fleet.shared,
                    provider=provider.name,
                    account=whose,
                    rate=http.rate_limit,
                    local=http.limiter,
                    without_redis=fleet.rate_limits,
                    fallbacks=paces,
                )
            )
        quota = getattr(provider, "quota", None)
        if isinstance(quota, DailyQuota) and quota.limit is not None:
            quota.share(fleet.shared, account=whose, without_redis=fleet.quota, fallbacks=quotas)
            http.before_send.append(quota.count)
    return Providers(built)
