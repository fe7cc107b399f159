"""The interface the search layer sees: a provider serves flights, hotels or both."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from gateway.domain import (
    FareSource,
    FlightOffer,
    FlightQuery,
    HotelOffer,
    HotelQuery,
    Money,
    ProviderInfo,
)


class Provider(Protocol):
    name: str
    """Stable lower-case name, shown to clients in outcomes and sources."""

    def info(self) -> ProviderInfo: ...

    def upstream_calls(self, field: str) -> int:
        """Most calls one search of `field` makes upstream: what the search budget charges."""
        ...


@runtime_checkable
class FlightProvider(Provider, Protocol):
    async def search_flights(self, query: FlightQuery) -> list[FlightOffer]:
        """Offers for the query; raises `ProviderError` for an expected failure."""
        ...


@runtime_checkable
class HotelProvider(Provider, Protocol):
    async def search_hotels(self, query: HotelQuery) -> list[HotelOffer]:
        """Offers for the query; raises `ProviderError` for an expected failure."""
        ...


@runtime_checkable
class FlightRepricer(Provider, Protocol):
    """A flight provider that can say what one of its offers costs now, before booking."""

    def repriceable(self, source: FareSource) -> bool:
        """Whether `source` carries what a re-pricing call needs (no call is made)."""
        ...

    async def current_price(self, source: FareSource) -> Money | None:
        """The offer's total now, in the provider's currency; None when the provider no longer
        sells it. One upstream call; raises `ProviderError` for an expected failure."""
        ...
