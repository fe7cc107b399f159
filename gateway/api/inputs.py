"""GraphQL inputs and enums of the search arguments, and their conversion to domain queries."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TypeVar

import strawberry

from gateway import domain
from gateway.api import enums  # noqa: F401  (registers the enums first)

T = TypeVar("T")


def _code(value: str) -> str:
    return value.strip().upper()


def _given(value: T | None) -> T | None:
    """None for an argument the client left out (UNSET keeps `= null` out of the schema)."""
    return None if value is strawberry.UNSET else value


@strawberry.input(description="What to search flights for.")
class FlightSearchInput:
    origin: str = strawberry.field(description="IATA airport or city code to fly from, e.g. LON.")
    destination: str = strawberry.field(description="IATA airport or city code to fly to.")
    departure_date: dt.date = strawberry.field(description="Outbound date.")
    return_date: dt.date | None = strawberry.field(
        default=strawberry.UNSET, description="Return date for a round trip; omit for one way."
    )
    adults: int = strawberry.field(default=1, description="Travellers aged 12 or more (1–9).")
    children: int = strawberry.field(default=0, description="Travellers aged 2 to 11.")
    infants: int = strawberry.field(
        default=0, description="Travellers under 2 on an adult's lap; at most one per adult."
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

    def to_query(self) -> domain.FlightQuery:
        return domain.FlightQuery(
            origin=_code(self.origin),
            destination=_code(self.destination),
            departure_date=self.departure_date,
            return_date=_given(self.return_date),
            adults=self.adults,
            children=self.children,
            infants=self.infants,
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
    adults: int = strawberry.field(default=1, description="Guests in all rooms together.")
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
        )
