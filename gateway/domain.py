"""Plain data the layers exchange: search queries, offers, money and provider outcomes.

Nothing here knows about GraphQL or any provider's wire format, so every layer can use it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


class CabinClass(enum.Enum):
    ECONOMY = "ECONOMY"
    PREMIUM_ECONOMY = "PREMIUM_ECONOMY"
    BUSINESS = "BUSINESS"
    FIRST = "FIRST"


class FlightSort(enum.Enum):
    PRICE = "PRICE"
    DURATION = "DURATION"
    DEPARTURE = "DEPARTURE"


class HotelSort(enum.Enum):
    PRICE = "PRICE"
    DISTANCE = "DISTANCE"
    NAME = "NAME"


class ProviderStatus(enum.Enum):
    OK = "OK"
    TIMEOUT = "TIMEOUT"
    ERROR = "ERROR"
    UNAVAILABLE = "UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class FlightQuery:
    origin: str
    destination: str
    departure_date: date
    return_date: date | None = None
    adults: int = 1
    children: int = 0
    infants: int = 0
    cabin: CabinClass = CabinClass.ECONOMY
    non_stop: bool = False
    currency: str | None = None
    max_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class HotelQuery:
    city_code: str
    check_in: date
    check_out: date
    adults: int = 1
    rooms: int = 1
    currency: str | None = None
    centre: GeoPoint | None = None
    """The city's centre, from reference data: providers that search by coordinates use it."""

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days


@dataclass(frozen=True, slots=True)
class Carrier:
    code: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class FlightPoint:
    airport: str
    at: datetime
    """Local time at the airport, without offset, as carriers publish it."""
    terminal: str | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    carrier: Carrier
    flight_number: str
    departure: FlightPoint
    arrival: FlightPoint
    duration_minutes: int
    operating_carrier: Carrier | None = None
    aircraft: str | None = None
    cabin: CabinClass | None = None


@dataclass(frozen=True, slots=True)
class Itinerary:
    duration_minutes: int
    segments: tuple[Segment, ...]

    @property
    def stops(self) -> int:
        return len(self.segments) - 1


@dataclass(frozen=True, slots=True)
class OfferSource:
    provider: str
    offer_id: str
    price: Money


@dataclass(frozen=True, slots=True)
class FlightOffer:
    id: str
    price: Money
    itineraries: tuple[Itinerary, ...]
    sources: tuple[OfferSource, ...]
    validating_carrier: Carrier | None = None
    seats_available: int | None = None
    last_ticketing_date: date | None = None

    @property
    def total_duration_minutes(self) -> int:
        return sum(itinerary.duration_minutes for itinerary in self.itineraries)

    @property
    def departure_at(self) -> datetime:
        return self.itineraries[0].segments[0].departure.at


@dataclass(frozen=True, slots=True)
class Hotel:
    id: str
    name: str
    chain_code: str | None = None
    city_code: str | None = None
    location: GeoPoint | None = None
    rating: int | None = None
    distance_km: float | None = None


@dataclass(frozen=True, slots=True)
class RoomOffer:
    id: str
    provider: str
    price: Money
    check_in: date
    check_out: date
    description: str | None = None
    board_type: str | None = None
    refundable: bool | None = None


@dataclass(frozen=True, slots=True)
class HotelOffer:
    id: str
    hotel: Hotel
    price: Money
    rooms: tuple[RoomOffer, ...]
    sources: tuple[OfferSource, ...]


@dataclass(frozen=True, slots=True)
class ProviderOutcome:
    provider: str
    status: ProviderStatus
    latency_ms: int
    offer_count: int = 0
    message: str | None = None
    cached: bool = False
    """Served from the gateway's search cache, without calling the provider."""


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    name: str
    serves: tuple[str, ...]
    mode: str
    """live | test | simulated"""
