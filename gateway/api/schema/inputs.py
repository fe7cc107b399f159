"""GraphQL inputs and enums of the search arguments, and their conversion to domain queries."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any, TypeVar

import strawberry

from gateway import domain
from gateway.api.schema import enums  # noqa: F401  (registers the enums first)
from gateway.compat.strawberry import get_object_definition, to_camel_case

T = TypeVar("T")


def _code(value: str) -> str:
    return value.strip().upper()


def _given(value: T | None) -> T | None:
    """None for an argument the client left out (UNSET keeps `= null` out of the schema)."""
    return None if value is strawberry.UNSET else value


@strawberry.input(
    description=(
        "What to keep of a flight search's offers. Applied by the gateway to the providers' "
        "merged answers, so a filter never calls providers again. Fare filters "
        "(includedCheckedBags, refundableOnly) keep in each offer only the fares that meet "
        "them, drop offers left with none, and price each offer at its cheapest fare kept; "
        "the others keep or drop whole offers."
    )
)
class FlightFilterInput:
    included_checked_bags: int | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Fares that include at least this many checked bags per traveller (0–9); a fare "
            "whose allowance is a weight counts as one bag, one that does not say as none."
        ),
    )
    refundable_only: bool = strawberry.field(
        default=False,
        description="Only fares stated refundable (a fare that does not say is left out).",
    )
    max_stops: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Offers with at most this many stops in each direction (0–3).",
    )
    included_carriers: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Offers whose every flight is marketed by one of these IATA airline codes (at "
            "most 20); empty or left out: any."
        ),
    )
    excluded_carriers: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Offers with no flight marketed by one of these IATA airline codes (at most 20)."
        ),
    )

    def to_filter(self) -> domain.FlightFilter:
        """As written (codes trimmed and upper-cased): problems name the client's positions."""
        return domain.FlightFilter(
            included_checked_bags=_given(self.included_checked_bags),
            refundable_only=self.refundable_only,
            max_stops=_given(self.max_stops),
            included_carriers=tuple(_code(c) for c in _given(self.included_carriers) or ()),
            excluded_carriers=tuple(_code(c) for c in _given(self.excluded_carriers) or ()),
        )


@strawberry.input(description="What to search flights for.")
class FlightSearchInput:
    origin: str = strawberry.field(description="IATA airport or city code to fly from, e.g. LON.")
    destination: str = strawberry.field(description="IATA airport or city code to fly to.")
    departure_date: dt.date = strawberry.field(description="Outbound date.")
    return_date: dt.date | None = strawberry.field(
        default=strawberry.UNSET, description="Return date for a round trip; omit for one way."
    )
    adults: int = strawberry.field(default=1, description="Travellers aged 18 or more (1–9).")
    children_ages: list[int] | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Each traveller under 18, by age (0–17) on the date of the last flight (the "
            "return's, for a round trip), as airlines price them. Aged 0 or 1: on an adult's "
            "lap, at most one per adult. Adults and children over 1 take at most 9 seats."
        ),
    )
    children: int = strawberry.field(
        default=0,
        description="Travellers aged 2 to 11, counted without their ages.",
        deprecation_reason=(
            "Use childrenAges: providers price children by age, and Duffel refuses counts."
        ),
    )
    infants: int = strawberry.field(
        default=0,
        description="Travellers under 2 on an adult's lap, counted without their ages.",
        deprecation_reason="Use childrenAges (0 or 1 for a child on a lap).",
    )
    cabin: domain.CabinClass = strawberry.field(
        default=domain.CabinClass.ECONOMY, description="Cabin of travel."
    )
    non_stop: bool = strawberry.field(default=False, description="Only direct flights.")
    currency: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 4217 currency to price in, e.g. EUR."
    )
    max_price: decimal.Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Highest total price to return, in `currency`."
    )
    filter: FlightFilterInput | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "What to keep of the offers: bags, refundability, stops, carriers. Applied to the "
            "providers' answers, not sent to them: every filter of a search is answered from "
            "the same answers, and a cursor pages only the filter it came from."
        ),
    )

    def to_filter(self) -> domain.FlightFilter:
        given = _given(self.filter)
        return domain.FlightFilter() if given is None else given.to_filter()

    def to_query(self) -> domain.FlightQuery:
        return domain.FlightQuery(
            origin=_code(self.origin),
            destination=_code(self.destination),
            departure_date=self.departure_date,
            return_date=_given(self.return_date),
            adults=self.adults,
            children=self.children,
            infants=self.infants,
            children_ages=tuple(_given(self.children_ages) or ()),
            cabin=self.cabin,
            non_stop=self.non_stop,
            currency=_code(currency) if (currency := _given(self.currency)) is not None else None,
            max_price=_given(self.max_price),
        )


@strawberry.input(description="What to search hotels for.")
class HotelSearchInput:
    city_code: str = strawberry.field(description="IATA city code, e.g. PAR.")
    check_in: dt.date = strawberry.field(description="Arrival date.")
    check_out: dt.date = strawberry.field(description="Departure date, after check-in.")
    adults: int = strawberry.field(
        default=1, description="Guests aged 18 or more, in all rooms together."
    )
    children_ages: list[int] | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Each guest under 18, by age (0–17) at check-in. The guests are spread over the "
            "rooms: adults as evenly as can be (larger shares first), then each child, oldest "
            "first, into the room with the fewest guests; at most 9 guests a room and 16 "
            "children a search."
        ),
    )
    rooms: int = strawberry.field(default=1, description="Rooms wanted (1–9).")
    currency: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 4217 currency to price in, e.g. EUR."
    )

    def to_query(self) -> domain.HotelQuery:
        return domain.HotelQuery(
            city_code=_code(self.city_code),
            check_in=self.check_in,
            check_out=self.check_out,
            adults=self.adults,
            rooms=self.rooms,
            currency=_code(currency) if (currency := _given(self.currency)) is not None else None,
            children_ages=tuple(_given(self.children_ages) or ()),
        )


def _python_names(input_type: type) -> dict[str, str]:
    """Each field's Python name by its GraphQL name (the schema's camel case)."""
    return {
        field.graphql_name or to_camel_case(field.python_name): field.python_name
        for field in get_object_definition(input_type, strict=True).fields
    }


_FLIGHT_SEARCH_FIELDS = _python_names(FlightSearchInput)
_HOTEL_SEARCH_FIELDS = _python_names(HotelSearchInput)


def flight_query_of(search: Mapping[str, Any]) -> domain.FlightQuery:
    """The query the `flights` resolver makes of its `search` argument, from the argument as
    graphql-core coerces it (GraphQL names, declared defaults filled in): what the search
    budget counts before anything runs. The filter is left out, as providers are never asked
    it; a name the input does not have is a `KeyError`."""
    given = {_FLIGHT_SEARCH_FIELDS[name]: value for name, value in search.items()}
    given.pop("filter", None)
    return FlightSearchInput(**given).to_query()


def hotel_query_of(search: Mapping[str, Any]) -> domain.HotelQuery:
    """The query the `hotels` resolver makes of its `search` argument (`flight_query_of`)."""
    given = {_HOTEL_SEARCH_FIELDS[name]: value for name, value in search.items()}
    return HotelSearchInput(**given).to_query()
