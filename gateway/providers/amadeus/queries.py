"""The query strings of Amadeus's searches, built from a domain query: travellers as Amadeus
counts them, within the bounds its definitions state (a search they cannot express is not sent).
"""

from __future__ import annotations

import math

from gateway import domain
from gateway.providers.errors import Unsupported

MAX_TRAVELLERS = 9
"""`adults` 1–9, `children` and `infants` 0–9, seated travellers (adults and children) at most 9,
and no more lap infants than adults (Flight Offers Search v2's parameters)."""
MAX_ROOM_ADULTS = 9
MAX_ROOMS = 9
"""Hotel Search v3: `adults` 1–9 per room, `roomQuantity` 1–9."""


def flight_travellers(query: domain.FlightQuery) -> tuple[int, int, int]:
    """(adults, children, infants) as Amadeus's fares count them: 12 and over at the adult
    fare, 2 to 11 as children, 0 and 1 on a lap; the deprecated counts added to their band.
    `Unsupported` when Amadeus's bounds cannot hold the party."""
    # Amadeus's bands are airlines' (Flight Offers Search v2: `children` are 2 to 11).
    adults, children, infants = domain.fare_bands(query.adults, query.children_ages)
    children += query.children
    infants += query.infants
    if not (
        1 <= adults <= MAX_TRAVELLERS
        and adults + children <= MAX_TRAVELLERS
        and children >= 0
        and 0 <= infants <= adults
    ):
        raise Unsupported(
            "amadeus flight search takes at most 9 seated travellers and one lap infant per "
            "adult: not asked"
        )
    return adults, children, infants


def flight_search(query: domain.FlightQuery, max_offers: int) -> dict[str, str]:
    """`GET /v2/shopping/flight-offers`'s parameters."""
    adults, children, infants = flight_travellers(query)
    params = {
        "originLocationCode": query.origin,
        "destinationLocationCode": query.destination,
        "departureDate": query.departure_date.isoformat(),
        "adults": str(adults),
        "travelClass": query.cabin.value,
        "nonStop": "true" if query.non_stop else "false",
        "max": str(max_offers),
    }
    if query.return_date is not None:
        params["returnDate"] = query.return_date.isoformat()
    if children:
        params["children"] = str(children)
    if infants:
        params["infants"] = str(infants)
    if query.currency:
        params["currencyCode"] = query.currency
    if query.max_price is not None:
        # Amadeus takes whole units; the search layer filters the exact bound.
        params["maxPrice"] = str(max(math.ceil(query.max_price), 1))
    return params


def room_adults(query: domain.HotelQuery) -> int:
    """Hotel Search v3's `adults`: "Number of adult guests (1-9) per room", the same for every
    room of `roomQuantity`. Rooms that hold different numbers (3 adults in 2 rooms: 2 and 1)
    are each asked for the largest share, so no room is priced for fewer guests than sleep in
    it (a room may be priced for one adult more than it holds).

    Hotel Search v3 takes adults only (no child parameter): a party with children is not asked
    for (`Unsupported`, before any call), rather than asked for adults alone and priced wrong.
    """
    if query.children_ages:
        raise Unsupported(
            "amadeus hotel search takes adults only: not asked for a party with children"
        )
    adults = max(party.adults for party in query.parties())
    if not (1 <= adults <= MAX_ROOM_ADULTS and 1 <= query.rooms <= MAX_ROOMS):
        raise Unsupported("amadeus hotel search takes 1 to 9 adults a room in 1 to 9 rooms")
    return adults


def hotel_search(hotel_ids: list[str], query: domain.HotelQuery) -> dict[str, str]:
    """`GET /v3/shopping/hotel-offers`'s parameters, for up to 20 hotels."""
    params = {
        "hotelIds": ",".join(hotel_ids),
        "checkInDate": query.check_in.isoformat(),
        "checkOutDate": query.check_out.isoformat(),
        "adults": str(room_adults(query)),
        "roomQuantity": str(query.rooms),
        "bestRateOnly": "false",
    }
    if query.currency:
        params["currency"] = query.currency
    return params
