"""Which providers run, built from their configurations. A new provider is one line here."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from gateway.providers.amadeus import AmadeusConfig, AmadeusProvider
from gateway.providers.base import FlightProvider, HotelProvider, Provider
from gateway.providers.duffel import DuffelConfig, DuffelProvider


@dataclass(frozen=True, slots=True)
class Providers:
    all: tuple[Provider, ...]

    @property
    def flights(self) -> tuple[FlightProvider, ...]:
        return tuple(p for p in self.all if isinstance(p, FlightProvider))

    @property
    def hotels(self) -> tuple[HotelProvider, ...]:
        return tuple(p for p in self.all if isinstance(p, HotelProvider))


def build_providers(
    session: aiohttp.ClientSession,
    *,
    amadeus: AmadeusConfig | None = None,
    duffel: DuffelConfig | None = None,
) -> Providers:
    built: list[Provider] = []
    if amadeus is not None:
        built.append(AmadeusProvider(session, amadeus))
    if duffel is not None:
        built.append(DuffelProvider(session, duffel))
    return Providers(tuple(built))
