"""Which providers exist — one spec each, one line each — and which of them run: the configured.

A new provider is its package (adapter, wire structs, mapping, simulator, `spec.py`) and one line
in `SPECS`; settings, the demo, `travel-gateway simulate`, the tests' simulators and the
benchmark all loop over this list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from gateway.env import Env
from gateway.observe.events import NO_EVENTS, Events
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
from gateway.providers.hotelbeds.spec import SPEC as HOTELBEDS
from gateway.providers.liteapi.spec import SPEC as LITEAPI
from gateway.providers.spec import ProviderSpec

SPECS: tuple[ProviderSpec, ...] = (
    AMADEUS,
    DUFFEL,
    HOTELBEDS,
    LITEAPI,
)
"""Every provider the gateway can talk to, in the order outcomes list them."""


def names() -> tuple[str, ...]:
    return tuple(spec.name for spec in SPECS)


def spec(name: str) -> ProviderSpec:
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
    session: aiohttp.ClientSession, configs: Mapping[str, Any], events: Events = NO_EVENTS
) -> Providers:
    """The adapters of the configured providers, on the one upstream session; each one's HTTP
    client (its `http`) reporting to `events`."""
    built = tuple(spec.build(session, configs[spec.name]) for spec in SPECS if spec.name in configs)
    for provider in built:
        http = getattr(provider, "http", None)
        if isinstance(http, UpstreamClient):
            http.events = events
    return Providers(built)
