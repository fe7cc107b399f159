"""The interface the search layer sees: a provider serves flights, hotels or both."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from gateway.domain import (
    CheckedRate,
    FareSource,
    FlightOffer,
    FlightQuery,
    HotelOffer,
    HotelQuery,
    Money,
    ProviderInfo,
    RoomOffer,
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


@runtime_checkable
class HotelRateChecker(Provider, Protocol):
    """A hotel provider that can say what one of its rates costs now, before booking."""

    def checkable(self, room: RoomOffer) -> bool:
        """Whether `room` is this provider's and carries what a check needs (no call made)."""
        ...

    async def current_rate(self, room: RoomOffer) -> CheckedRate | None:
        """The rate as the provider sells it now; None when it no longer does. One upstream
        call; raises `ProviderError` for an expected failure."""
        ...


def needs_children_ages(provider: Provider) -> bool:
    """Whether `provider` must be told each child's age and refuses counts (Duffel's
    passengers): its class says so with `children_by_age = True`."""
    return bool(getattr(provider, "children_by_age", False))
