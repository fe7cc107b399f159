"""The Query root: `flights` and `hotels` are async siblings, so the executor runs them at once."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway import domain
from gateway.api.context import Context
from gateway.api.inputs import FlightSearchInput, HotelSearchInput
from gateway.api.types import FlightSearch, HotelSearch, ProviderInfo
from gateway.search.paging import MAX_PAGE_SIZE, PageRequest

Info = strawberry.Info[Context, None]

_FIRST = f"How many offers to return, 1 to {MAX_PAGE_SIZE}."
_AFTER = "Cursor after which the page starts (`pageInfo.endCursor` of the previous page)."


@strawberry.type(description="Searches across every configured travel provider.")
class Query:
    @strawberry.field(
        description=(
            "Flight offers from every flight provider, merged, sorted and paged. Null only when "
            "every provider failed (error code ALL_PROVIDERS_FAILED); otherwise `providers` "
            "says how each one did."
        )
    )
    async def flights(
        self,
        info: Info,
        search: Annotated[
            FlightSearchInput, strawberry.argument(description="Route, dates and travellers.")
        ],
        sort: Annotated[
            domain.FlightSort, strawberry.argument(description="Order of the offers.")
        ] = domain.FlightSort.PRICE,
        first: Annotated[int, strawberry.argument(description=_FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = strawberry.UNSET,
    ) -> FlightSearch | None:
        page = await info.context.search.search_flights(
            search.to_query(),
            sort,
            PageRequest(first, None if after is strawberry.UNSET else after),
        )
        return FlightSearch.of(page)

    @strawberry.field(
        description=(
            "Hotel offers from every hotel provider, merged, sorted and paged. Null only when "
            "every provider failed (error code ALL_PROVIDERS_FAILED)."
        )
    )
    async def hotels(
        self,
        info: Info,
        search: Annotated[
            HotelSearchInput, strawberry.argument(description="City, stay dates and guests.")
        ],
        sort: Annotated[
            domain.HotelSort, strawberry.argument(description="Order of the offers.")
        ] = domain.HotelSort.PRICE,
        first: Annotated[int, strawberry.argument(description=_FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = strawberry.UNSET,
    ) -> HotelSearch | None:
        page = await info.context.search.search_hotels(
            search.to_query(),
            sort,
            PageRequest(first, None if after is strawberry.UNSET else after),
        )
        return HotelSearch.of(page)

    @strawberry.field(description="The providers this gateway searches, and in which mode.")
    def providers(self, info: Info) -> list[ProviderInfo]:
        return [ProviderInfo.of(provider) for provider in info.context.search.provider_info()]
