"""What a Python consumer writes with the generated client: the trip search, its next page,
and a search box, with dates, local times and amounts as real Python values.

`mypy --strict` checks it against the generated package; `python usage.py URL` runs it against a
gateway (the test suite does both). The `assert_type` lines fail type-checking if a scalar mapping
is lost, because an unmapped scalar becomes `Any`, not the type asserted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import sys
from typing import assert_type

from travel_client import (
    Client,
    FlightOfferCard,
    FlightSearchInput,
    FlightSort,
    HotelSearchInput,
    LocationKind,
    Trip,
)


def searches(departure: dt.date) -> tuple[FlightSearchInput, HotelSearchInput]:
    """London to New York, and Paris for two nights from the same day."""
    flight = FlightSearchInput(
        origin="LON",
        destination="NYC",
        departure_date=departure,
        currency="EUR",
        max_price=decimal.Decimal("2500.00"),
    )
    hotel = HotelSearchInput(
        city_code="PAR", check_in=departure, check_out=departure + dt.timedelta(days=2)
    )
    return flight, hotel


def cheapest(trip: Trip) -> FlightOfferCard | None:
    """The first offer is the cheapest: the gateway sorts by the exact converted price."""
    if trip.flights is None or not trip.flights.offers.edges:
        return None
    return trip.flights.offers.edges[0].node


def describe(offer: FlightOfferCard) -> str:
    amount = offer.price.amount
    assert_type(amount, decimal.Decimal)
    first = offer.itineraries[0].segments[0]
    departs = first.departure.at
    assert_type(departs, dt.datetime)
    assert departs.tzinfo is None, "a LocalDateTime is the airport's own clock"
    last_ticketing = offer.last_ticketing_date
    assert_type(last_ticketing, dt.date | None)
    for fare in offer.fares:
        for source in fare.sources:
            expires = source.expires_at
            assert_type(expires, dt.datetime | None)
            assert expires is None or expires.tzinfo is not None, "a DateTime is an instant"
    return (
        f"{offer.id} {first.carrier.code}{first.flight_number} "
        f"{first.departure.airport} {departs:%Y-%m-%d %H:%M} "
        f"{amount} {offer.price.currency}"
    )


async def main(url: str) -> None:
    departure = dt.date.today() + dt.timedelta(days=30)
    flight, hotel = searches(departure)
    async with Client(url=url) as client:
        trip = await client.trip(flight=flight, hotel=hotel, first=2)
        offer = cheapest(trip)
        print("cheapest:", describe(offer) if offer else "none")
        if trip.hotels is not None and trip.hotels.offers.nodes:
            stay = trip.hotels.offers.nodes[0]
            room = stay.rooms[0]
            assert_type(room.check_in, dt.date)
            assert_type(room.free_cancellation_until, dt.datetime | None)
            assert_type(room.price_per_night.amount, decimal.Decimal)
            assert_type(stay.price.amount, decimal.Decimal)
            print("hotel:", stay.hotel.name, stay.price.amount, stay.price.currency, room.check_in)
        if trip.flights is not None and trip.flights.offers.page_info.has_next_page:
            page = await client.flights_page(
                search=flight,
                after=trip.flights.offers.page_info.end_cursor,
                first=2,
                sort=FlightSort.PRICE,
            )
            assert page.flights is not None
            print("next page:", [describe(next_offer) for next_offer in page.flights.offers.nodes])
        places = await client.locations(query="lon", first=4)
        cities = [place.code for place in places.locations or [] if place.kind == LocationKind.CITY]
        print("cities:", cities)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/graphql"))
