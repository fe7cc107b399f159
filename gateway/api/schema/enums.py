"""The GraphQL enums, registered once on the domain's own enum classes.

Registering them here, in one module imported before any type uses them, keeps one definition
per enum (Strawberry refuses a second) and lets every layer pass the same enum values around.
"""

from __future__ import annotations

import strawberry

from gateway import domain

strawberry.enum(
    domain.CabinClass,
    name="CabinClass",
    description="Cabin of travel.",
)
strawberry.enum(
    domain.ProviderStatus,
    name="ProviderStatus",
    description=(
        "How one provider's part of a search ended: OK (answered), TIMEOUT (no answer in time), "
        "ERROR (answered with an error or an unreadable body), UNAVAILABLE (could not be "
        "reached), UNSUPPORTED (cannot take the search as asked, such as children for a "
        "provider that prices adults only: not asked)."
    ),
)


strawberry.enum(
    domain.TravellerType,
    name="TravellerType",
    description=(
        "A kind of traveller as fares are priced: ADULT, CHILD, INFANT (on a lap or in a seat)."
    ),
)
strawberry.enum(
    domain.FlightSort,
    name="FlightSort",
    description=(
        "Order of flight offers. PRICE: cheapest first (by each offer's price: its cheapest "
        "fare meeting the filter); PRICE_WITH_BAGS: cheapest fare including a checked bag "
        "first, offers with no such fare after all the others; DURATION: shortest first; "
        "DEPARTURE: earliest first. Ties break on price, duration, departure, then id."
    ),
)
strawberry.enum(
    domain.HotelSort,
    name="HotelSort",
    description=(
        "Order of hotel offers. PRICE: cheapest first; DISTANCE: nearest the centre first; "
        "NAME: alphabetical. Ties break on price, distance, name, then id."
    ),
)
strawberry.enum(
    domain.LocationKind,
    name="LocationKind",
    description=(
        "What a location is. AIRPORT: one airport; CITY: a metropolitan area covering several "
        "airports under its own code, such as LON (Heathrow, Gatwick, …) or NYC."
    ),
)
strawberry.enum(
    domain.BoardType,
    name="BoardType",
    description=(
        "Meals a room rate includes, mapped from each provider's codes (Amadeus `boardType`, "
        "Duffel `board_type`, Hotelbeds `boardCode`, LiteAPI `boardType`). OTHER: the provider "
        "named a board that is none of these (a family plan, 'as brochured'); a rate whose "
        "provider names none has a null `boardType` instead."
    ),
)
strawberry.enum(
    domain.Amenity,
    name="Amenity",
    description=(
        "What a hotel offers its guests, from a closed list (Duffel Stays' amenity types): a "
        "provider's other amenities are left out, never shown as its own text."
    ),
)
strawberry.enum(
    domain.RepricingStatus,
    name="RepricingStatus",
    description=(
        "What a provider said of one of its offers when asked again: UNCHANGED (the same "
        "price), CHANGED (another price: see currentPrice), GONE (no longer on sale), FAILED "
        "(the provider could not be asked or did not answer: its outcome says why), SKIPPED "
        "(not asked: past the per-offer limit, or the provider cannot re-price it)."
    ),
)
