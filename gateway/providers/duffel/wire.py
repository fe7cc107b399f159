"""Duffel API v2 wire formats, as typed structs (only the fields the gateway reads)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec


class ErrorItem(msgspec.Struct):
    type: str | None = None
    title: str | None = None
    message: str | None = None
    code: str | None = None


class ErrorResponse(msgspec.Struct):
    errors: list[ErrorItem] = []


class Place(msgspec.Struct):
    iata_code: str


class Company(msgspec.Struct):
    iata_code: str | None = None
    name: str | None = None


class Aircraft(msgspec.Struct):
    name: str | None = None


class SegmentPassenger(msgspec.Struct):
    cabin_class: str | None = None


class Segment(msgspec.Struct):
    departing_at: datetime
    arriving_at: datetime
    origin: Place
    destination: Place
    marketing_carrier: Company
    marketing_carrier_flight_number: str
    duration: str | None = None
    origin_terminal: str | None = None
    destination_terminal: str | None = None
    operating_carrier: Company | None = None
    aircraft: Aircraft | None = None
    passengers: list[SegmentPassenger] = []


class Slice(msgspec.Struct):
    segments: list[Segment]
    duration: str | None = None


class Offer(msgspec.Struct):
    id: str
    total_amount: Decimal
    total_currency: str
    slices: list[Slice]
    owner: Company | None = None
    expires_at: datetime | None = None


class OfferRequest(msgspec.Struct):
    offers: list[Offer]
    """Always present with `return_offers=true`: its absence means the answer is not one."""


class OfferRequestResponse(msgspec.Struct):
    data: OfferRequest


class Coordinates(msgspec.Struct):
    latitude: float
    longitude: float


class Address(msgspec.Struct):
    city_name: str | None = None
    country_code: str | None = None


class AccommodationLocation(msgspec.Struct):
    geographic_coordinates: Coordinates | None = None
    address: Address | None = None


class CancellationRefund(msgspec.Struct):
    refund_amount: Decimal | None = None
    before: datetime | None = None


class Rate(msgspec.Struct):
    id: str
    total_amount: Decimal
    total_currency: str
    board_type: str | None = None
    cancellation_timeline: list[CancellationRefund] = []


class StayRoom(msgspec.Struct):
    rates: list[Rate] = []
    name: str | None = None


class Accommodation(msgspec.Struct):
    id: str
    name: str
    rating: int | None = None
    location: AccommodationLocation | None = None
    rooms: list[StayRoom] = []
    chain: dict[str, str] | None = None


class StaySearchResult(msgspec.Struct):
    id: str
    accommodation: Accommodation
    check_in_date: date | None = None
    check_out_date: date | None = None
    cheapest_rate_total_amount: Decimal | None = None
    cheapest_rate_currency: str | None = None


class StaySearch(msgspec.Struct):
    results: list[StaySearchResult]


class StaySearchResponse(msgspec.Struct):
    data: StaySearch
