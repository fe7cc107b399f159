"""The Query root: `flights` and `hotels` are async siblings, so the executor runs them at once;
`locations` and `providers` answer from memory."""

from __future__ import annotations

from typing import Annotated

import msgspec
import strawberry
from graphql import ListValueNode, ObjectValueNode, ValueNode, VariableNode

from gateway import domain
from gateway.api.admission import disclosure
from gateway.api.schema.context import Context
from gateway.api.schema.inputs import FlightSearchInput, HotelSearchInput
from gateway.api.schema.types import (
    FlightOfferCheck,
    FlightSearch,
    HotelOfferCheck,
    HotelSearch,
    Location,
    ProviderInfo,
)
from gateway.compat.strawberry import graphql_info
from gateway.errors import BadUserInput
from gateway.search import locations
from gateway.search.paging import MAX_PAGE_SIZE, PageRequest
from gateway.search.repricing import MAX_OFFER_ID_CHARS, MAX_REPRICED_SOURCES
from gateway.search.validation import MAX_LOCATION_QUERY, check_location_search

Info = strawberry.Info[Context, None]

_FIRST = f"How many offers to return, 1 to {MAX_PAGE_SIZE}."
_AFTER = "Cursor after which the page starts (`pageInfo.endCursor` of the previous page)."
DEFAULT_LOCATIONS = 10
"""Places a location query returns when it does not say."""


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
        try:
            page = await info.context.search.search_flights(
                search.to_query(),
                sort,
                PageRequest(first, None if after is strawberry.UNSET else after),
                search.to_filter(),
            )
        except BadUserInput as error:
            raise error.renamed(_given_as(info)) from None
        info.context.freshness.served(page.fresh_until)
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
        try:
            page = await info.context.search.search_hotels(
                search.to_query(),
                sort,
                PageRequest(first, None if after is strawberry.UNSET else after),
            )
        except BadUserInput as error:
            raise error.renamed(_given_as(info)) from None
        info.context.freshness.served(page.fresh_until)
        return HotelSearch.of(page if info.context.net_prices else disclosure.hidden_page(page))

    @strawberry.field(
        description=(
            "A flight offer a search served, by its `id`, from the stored result set (no "
            "provider is called); with `refresh: true`, each of its fares' sources is priced "
            "again by its provider (one upstream call each, at most "
            f"{MAX_REPRICED_SOURCES}; priced by the search budget). An id no stored set holds "
            "(expired with its set, or never served) is the error OFFER_NOT_FOUND."
        )
    )
    async def flight_offer(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description=f"The offer's `id`, at most {MAX_OFFER_ID_CHARS} characters."
            ),
        ],
        refresh: Annotated[
            bool, strawberry.argument(description="Ask the providers for the price now.")
        ] = False,
    ) -> FlightOfferCheck | None:
        info.context.freshness.spoiled()
        check = await info.context.search.flight_offer(str(id), refresh=refresh)
        return FlightOfferCheck.of(check)

    @strawberry.field(
        description=(
            "A hotel offer a search served, by its `id`, from the stored result set (no "
            "provider is called); with `refresh: true`, each of its room rates is checked again "
            "with its provider before booking, rates the provider requires checked "
            "(`rateCheckRequired`) first (one upstream call each, at most "
            f"{MAX_REPRICED_SOURCES}; priced by the search budget). An id no stored set holds "
            "(expired with its set, or never served) is the error OFFER_NOT_FOUND."
        )
    )
    async def hotel_offer(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description=f"The offer's `id`, at most {MAX_OFFER_ID_CHARS} characters."
            ),
        ],
        refresh: Annotated[
            bool, strawberry.argument(description="Ask the providers for the rates now.")
        ] = False,
    ) -> HotelOfferCheck | None:
        info.context.freshness.spoiled()
        check = await info.context.search.hotel_offer(str(id), refresh=refresh)
        if not info.context.net_prices:
            check = msgspec.structs.replace(check, offer=disclosure.hidden(check.offer))
        return HotelOfferCheck.of(check)

    @strawberry.field(
        graphql_type=list[Location] | None,
        description=(
            "Airports and cities for a search box, best first: an exact code (LHR, LON), then "
            "places whose name or city starts with `query` (case and accents ignored: zur finds "
            "Zurich, sao São Paulo; a city comes right before its airports), then places with a "
            "later word starting with it (heathrow), larger airports first. Answered from "
            "reference data, without calling a provider; no match is an empty list. Null only "
            "when an argument is out of bounds (BAD_USER_INPUT)."
        ),
    )
    def locations(
        self,
        query: Annotated[
            str,
            strawberry.argument(
                description=(
                    f"What the traveller typed: a code or the start of a name, 1 to "
                    f"{MAX_LOCATION_QUERY} characters once trimmed."
                )
            ),
        ],
        first: Annotated[
            int,
            strawberry.argument(
                description=f"How many places to return, 1 to {locations.MAX_RESULTS}."
            ),
        ] = DEFAULT_LOCATIONS,
    ) -> list[domain.Location] | None:
        return locations.find(check_location_search(query, first), first)

    @strawberry.field(description="The providers this gateway searches, and in which mode.")
    def providers(self, info: Info) -> list[ProviderInfo]:
        return [ProviderInfo.of(provider) for provider in info.context.search.provider_info()]


def _given_as(info: Info) -> dict[str, str]:
    """Where the client put each argument value: problems are reported under the client's own
    path, the variable's when the value came from one (`search.checkIn` given as `$s` is
    `$s.checkIn`), so a form maps problems the same way whether they come from coercion
    (`api/admission/variables.py`) or from the search layer's checks."""
    given: dict[str, str] = {}

    def walk(path: str, value: ValueNode) -> None:
        if isinstance(value, VariableNode):
            given[path] = "$" + value.name.value
        elif isinstance(value, ObjectValueNode):
            for field in value.fields:
                walk(f"{path}.{field.name.value}", field.value)
        elif isinstance(value, ListValueNode):
            for index, item in enumerate(value.values):
                walk(f"{path}[{index}]", item)

    # Strawberry hands resolvers converted values only; the nodes say where they came from.
    for argument in graphql_info(info).field_nodes[0].arguments or ():
        walk(argument.name.value, argument.value)
    return given
