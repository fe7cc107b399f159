"""The search service: validate, fan out to the field's providers, merge, sort and page."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TypeVar

from gateway.domain import (
    FlightOffer,
    FlightQuery,
    FlightSort,
    HotelOffer,
    HotelQuery,
    HotelSort,
    ProviderInfo,
    ProviderOutcome,
    ProviderStatus,
)
from gateway.errors import AllProvidersFailed, NoProvidersConfigured
from gateway.providers.registry import Providers
from gateway.search import ordering
from gateway.search.fanout import ProviderCall, ProviderResult, fan_out
from gateway.search.paging import PageRequest, SearchPage, check_page_request, paginate
from gateway.search.validation import check_flight_query, check_hotel_query

T = TypeVar("T")


class SearchService:
    def __init__(self, providers: Providers, *, provider_timeout_s: float) -> None:
        self._providers = providers
        self._flight_providers = providers.flights
        self._hotel_providers = providers.hotels
        self.provider_timeout_s = provider_timeout_s

    def provider_info(self) -> list[ProviderInfo]:
        return [provider.info() for provider in self._providers.all]

    async def search_flights(
        self, query: FlightQuery, order: FlightSort, page: PageRequest
    ) -> SearchPage[FlightOffer]:
        check_flight_query(query)
        check_page_request(page)
        calls = [
            ProviderCall(provider.name, functools.partial(provider.search_flights, query))
            for provider in self._flight_providers
        ]
        offers, outcomes = await self._gather("flights", calls)
        offers = [offer for offer in offers if ordering.within_budget(offer, query)]
        return paginate(ordering.sort_flights(offers, order), page, outcomes)

    async def search_hotels(
        self, query: HotelQuery, order: HotelSort, page: PageRequest
    ) -> SearchPage[HotelOffer]:
        check_hotel_query(query)
        check_page_request(page)
        calls = [
            ProviderCall(provider.name, functools.partial(provider.search_hotels, query))
            for provider in self._hotel_providers
        ]
        offers, outcomes = await self._gather("hotels", calls)
        return paginate(ordering.sort_hotels(offers, order), page, outcomes)

    async def _gather(
        self, field: str, calls: Sequence[ProviderCall[T]]
    ) -> tuple[list[T], tuple[ProviderOutcome, ...]]:
        if not calls:
            raise NoProvidersConfigured(f"No provider serving {field} is configured.")
        results = await fan_out(calls, self.provider_timeout_s)
        outcomes = tuple(result.outcome for result in results)
        if all(outcome.status is not ProviderStatus.OK for outcome in outcomes):
            raise AllProvidersFailed(field, [_public(outcome) for outcome in outcomes])
        return _concat(results), outcomes


def _concat(results: Sequence[ProviderResult[T]]) -> list[T]:
    return [offer for result in results for offer in result.offers]


def _public(outcome: ProviderOutcome) -> dict[str, object]:
    """An outcome with the field names GraphQL clients know (for the error's extensions)."""
    return {
        "provider": outcome.provider,
        "status": outcome.status.value,
        "latencyMs": outcome.latency_ms,
        "offerCount": outcome.offer_count,
        "message": outcome.message,
    }
