"""Duffel API v2 wire formats, as typed structs (only the fields the gateway reads).

`gc=False`: decoded answers are acyclic trees, so the cycle collector need not track them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec


class ErrorItem(msgspec.Struct, gc=False):
    type: str | None = None
    title: str | None = None
    message: str | None = None
    code: str | None = None


class ErrorResponse(msgspec.Struct, gc=False):
    errors: list[ErrorItem] = []


class Place(msgspec.Struct, gc=False):
    iata_code: str


class Company(msgspec.Struct, gc=False):
    iata_code: str | None = None
    name: str | None = None


class Aircraft(msgspec.Struct, gc=False):
    name: str | None = None


class Baggage(msgspec.Struct, gc=False):
    type: str
    """checked | carry_on"""
    quantity: int


class SegmentPassenger(msgspec.Struct, gc=False):
    cabin_class: str | None = None
    passenger_id: str | None = None
    fare_basis_code: str | None = None
    baggages: list[Baggage] | None = None


class Segment(msgspec.Struct, gc=False):
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


class Slice(msgspec.Struct, gc=False):
    segments: list[Segment]
    duration: str | None = None
    fare_brand_name: str | None = None


class Condition(msgspec.Struct, gc=False):
    """`conditions.refund_before_departure` / `change_before_departure` when not null."""

    allowed: bool | None = None
    penalty_amount: Decimal | None = None
    penalty_currency: str | None = None


class Conditions(msgspec.Struct, gc=False):
    refund_before_departure: Condition | None = None
    change_before_departure: Condition | None = None


class OfferPassenger(msgspec.Struct, gc=False):
    id: str | None = None
    type: str | None = None
    """adult | child | infant_without_seat; absent when the passenger was given by `age`."""
    age: int | None = None


class Offer(msgspec.Struct, gc=False):
    id: str
    total_amount: Decimal
    total_currency: str
    slices: list[Slice]
    owner: Company | None = None
    expires_at: datetime | None = None
    base_amount: Decimal | None = None
    base_currency: str | None = None
    tax_amount: Decimal | None = None
    tax_currency: str | None = None
    total_emissions_kg: Decimal | None = None
    """A string on the wire, such as "460"."""
    conditions: Conditions | None = None
    passengers: list[OfferPassenger] = []


class OfferRequest(msgspec.Struct, gc=False):
    offers: list[Offer]
    """Always present with `return_offers=true`: its absence means the answer is not one."""


class OfferRequestResponse(msgspec.Struct, gc=False):
    data: OfferRequest


class OfferPrice(msgspec.Struct, gc=False):
    """An offer as `GET /air/offers/{id}` answers it: only its price is read."""

    id: str
    total_amount: Decimal
    total_currency: str


class OfferResponse(msgspec.Struct, gc=False):
    data: OfferPrice


class Coordinates(msgspec.Struct, gc=False):
    latitude: float
    longitude: float


class Address(msgspec.Struct, gc=False):
    line_one: str | None = None
    postal_code: str | None = None
    city_name: str | None = None
    country_code: str | None = None


class AccommodationLocation(msgspec.Struct, gc=False):
    geographic_coordinates: Coordinates | None = None
    address: Address | None = None


class CancellationRefund(msgspec.Struct, gc=False):
    """Cancelling before `before` refunds `refund_amount`; the timeline is in ascending order
    and empty for a non-refundable rate."""

    refund_amount: Decimal | None = None
    before: datetime | None = None
    currency: str | None = None


class Rate(msgspec.Struct, gc=False):
    id: str
    total_amount: Decimal
    """What Duffel charges at booking, for all nights and guests: what the traveller pays
    (excludes `due_at_accommodation_amount`, paid at the hotel)."""
    total_currency: str
    board_type: str | None = None
    cancellation_timeline: list[CancellationRefund] | None = None
    base_amount: Decimal | None = None
    tax_amount: Decimal | None = None
    tax_currency: str | None = None
    fee_amount: Decimal | None = None
    fee_currency: str | None = None
    due_at_accommodation_amount: Decimal | None = None
    due_at_accommodation_currency: str | None = None
    estimated_commission_amount: Decimal | None = None
    """What the seller earns on the rate, as Duffel estimates it (SDK: `StaysRoomRate`)."""
    estimated_commission_currency: str | None = None


class Amenity(msgspec.Struct, gc=False):
    type: str | None = None


class StayRoom(msgspec.Struct, gc=False):
    rates: list[Rate] = []
    name: str | None = None


class Accommodation(msgspec.Struct, gc=False):
    id: str
    name: str
    rating: int | None = None
    """Stars, 1 to 5."""
    review_score: float | None = None
    """Guests' score, 1.0 to 10.0."""
    review_count: int | None = None
    amenities: list[Amenity] | None = None
    location: AccommodationLocation | None = None
    rooms: list[StayRoom] = []


class StaySearchResult(msgspec.Struct, gc=False):
    id: str
    accommodation: Accommodation
    check_in_date: date | None = None
    check_out_date: date | None = None
    cheapest_rate_total_amount: Decimal | None = None
    cheapest_rate_currency: str | None = None


class StaySearch(msgspec.Struct, gc=False):
    results: list[StaySearchResult]


class SearchResultResponse(msgspec.Struct, gc=False):
    """`fetch_all_rates`: the search result again, with its rooms and their rates."""

    data: StaySearchResult


class StaySearchResponse(msgspec.Struct, gc=False):
    data: StaySearch


class Quote(msgspec.Struct, gc=False):
    """`POST /stays/quotes`: a rate as Duffel sells it now (SDK: `StaysQuote`). Its
    accommodation holds the quoted room and rate, whose commission the quote itself omits."""

    id: str
    total_amount: Decimal
    total_currency: str
    accommodation: Accommodation | None = None


class QuoteResponse(msgspec.Struct, gc=False):
    data: Quote
