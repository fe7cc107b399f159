"""Duffel API v2 wire formats, as typed structs (only the fields the gateway reads)."""

from __future__ import annotations

from datetime import datetime
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
    offers: list[Offer] = []


class OfferRequestResponse(msgspec.Struct):
    data: OfferRequest
