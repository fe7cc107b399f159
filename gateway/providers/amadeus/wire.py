"""Amadeus Self-Service wire formats, as typed structs (only the fields the gateway reads)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec


class TokenResponse(msgspec.Struct):
    access_token: str
    expires_in: int
    token_type: str = "Bearer"


class ErrorItem(msgspec.Struct):
    status: int | str | None = None
    code: int | str | None = None
    title: str | None = None
    detail: str | None = None


class ErrorResponse(msgspec.Struct):
    errors: list[ErrorItem] = []


class Price(msgspec.Struct):
    currency: str
    total: Decimal
    base: Decimal | None = None
    grandTotal: Decimal | None = None


class Point(msgspec.Struct):
    iataCode: str
    at: datetime
    terminal: str | None = None


class Aircraft(msgspec.Struct):
    code: str | None = None


class Operating(msgspec.Struct):
    carrierCode: str | None = None


class Segment(msgspec.Struct):
    departure: Point
    arrival: Point
    carrierCode: str
    number: str
    id: str | None = None
    aircraft: Aircraft | None = None
    operating: Operating | None = None
    duration: str | None = None
    numberOfStops: int = 0


class Itinerary(msgspec.Struct):
    segments: list[Segment]
    duration: str | None = None


class FareDetail(msgspec.Struct):
    segmentId: str
    cabin: str | None = None


class TravelerPricing(msgspec.Struct):
    travelerId: str
    fareDetailsBySegment: list[FareDetail] = []
    travelerType: str | None = None


class FlightOffer(msgspec.Struct):
    id: str
    itineraries: list[Itinerary]
    price: Price
    numberOfBookableSeats: int | None = None
    lastTicketingDate: date | None = None
    validatingAirlineCodes: list[str] = []
    travelerPricings: list[TravelerPricing] = []


class Dictionaries(msgspec.Struct):
    carriers: dict[str, str] = {}
    aircraft: dict[str, str] = {}


class FlightOffersResponse(msgspec.Struct):
    data: list[FlightOffer]
    dictionaries: Dictionaries | None = None


class GeoCode(msgspec.Struct):
    latitude: float
    longitude: float


class Distance(msgspec.Struct):
    value: float
    unit: str = "KM"


class HotelListItem(msgspec.Struct):
    hotelId: str
    name: str
    chainCode: str | None = None
    iataCode: str | None = None
    geoCode: GeoCode | None = None
    distance: Distance | None = None
    rating: int | None = None


class HotelListResponse(msgspec.Struct):
    data: list[HotelListItem]


class OfferHotel(msgspec.Struct):
    hotelId: str
    name: str
    cityCode: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    chainCode: str | None = None
    rating: int | str | None = None


class RoomDescription(msgspec.Struct):
    text: str | None = None
    lang: str | None = None


class RoomEstimate(msgspec.Struct):
    category: str | None = None
    beds: int | None = None
    bedType: str | None = None


class Room(msgspec.Struct):
    typeEstimated: RoomEstimate | None = None
    description: RoomDescription | None = None


class Cancellation(msgspec.Struct):
    deadline: datetime | None = None
    amount: Decimal | None = None


class Policies(msgspec.Struct):
    cancellations: list[Cancellation] = []
    refundable: dict[str, str] | None = None


class HotelOfferItem(msgspec.Struct):
    id: str
    checkInDate: date
    checkOutDate: date
    price: Price
    boardType: str | None = None
    room: Room | None = None
    policies: Policies | None = None


class HotelOffers(msgspec.Struct):
    hotel: OfferHotel
    available: bool = True
    offers: list[HotelOfferItem] = []


class HotelOffersResponse(msgspec.Struct):
    data: list[HotelOffers] = []
