"""Amadeus Self-Service wire formats, as typed structs (only the fields the gateway reads).

The fields are those Amadeus's own definitions declare (amadeus4dev/amadeus-open-api-
specification: Flight Offers Search v2, Flight Offers Price v1, Hotel List v1, Hotel Search v3;
tests/contracts/amadeus). Three more are read where present, each marked `LIVE_ONLY`: the
service sends them (answers captured in public code, shared/providers.md) though no definition
declares them, and what they add is shown to travellers (a brand's label, cabin bags, stars).
They are optional, so an answer without them reads the same; the simulator, held to the
definitions, never sends them, and unit tests read captured shapes. Where a definition's own
examples contradict its schema (a distance in `KM`, one `cancellation` policy), what the
examples show is read too, and said so where it is.

`gc=False`: decoded answers are acyclic trees, so the cycle collector need not track them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec


class TokenResponse(msgspec.Struct, gc=False):
    access_token: str
    expires_in: int
    token_type: str = "Bearer"


class ErrorItem(msgspec.Struct, gc=False):
    status: int | str | None = None
    code: int | str | None = None
    title: str | None = None
    detail: str | None = None


class ErrorResponse(msgspec.Struct, gc=False):
    errors: list[ErrorItem] = []


class Fee(msgspec.Struct, gc=False):
    amount: Decimal
    type: str | None = None


class Tax(msgspec.Struct, gc=False):
    amount: Decimal
    code: str | None = None


class Price(msgspec.Struct, gc=False):
    currency: str
    total: Decimal
    base: Decimal | None = None
    grandTotal: Decimal | None = None
    fees: list[Fee] | None = None
    taxes: list[Tax] | None = None


class TravelerPrice(msgspec.Struct, gc=False):
    """One traveller's part of the offer's price (`travelerPricings[].price`)."""

    total: Decimal | None = None
    currency: str | None = None
    base: Decimal | None = None


class Point(msgspec.Struct, gc=False):
    iataCode: str
    at: datetime
    terminal: str | None = None


class Aircraft(msgspec.Struct, gc=False):
    code: str | None = None


class Operating(msgspec.Struct, gc=False):
    carrierCode: str | None = None


class Segment(msgspec.Struct, gc=False):
    departure: Point
    arrival: Point
    carrierCode: str
    number: str
    id: str | None = None
    aircraft: Aircraft | None = None
    operating: Operating | None = None
    duration: str | None = None
    numberOfStops: int = 0


class Itinerary(msgspec.Struct, gc=False):
    segments: list[Segment]
    duration: str | None = None


class BagAllowance(msgspec.Struct, gc=False):
    """`includedCheckedBags` / `includedCabinBags`: pieces, or a weight with its unit."""

    quantity: int | None = None
    weight: int | None = None
    weightUnit: str | None = None


class FareDetail(msgspec.Struct, gc=False, rename={"booking_class": "class"}):
    segmentId: str
    cabin: str | None = None
    booking_class: str | None = None
    fareBasis: str | None = None
    brandedFare: str | None = None
    brandedFareLabel: str | None = None
    """LIVE_ONLY: the brand's name as shown (`ECOSTANDARD` for `ECOST`)."""
    includedCheckedBags: BagAllowance | None = None
    includedCabinBags: BagAllowance | None = None
    """LIVE_ONLY."""


class TravelerPricing(msgspec.Struct, gc=False):
    travelerId: str
    fareDetailsBySegment: list[FareDetail] = []
    travelerType: str | None = None
    price: TravelerPrice | None = None


class FlightOffer(msgspec.Struct, gc=False):
    id: str
    itineraries: list[Itinerary]
    price: Price
    numberOfBookableSeats: int | None = None
    lastTicketingDate: date | None = None
    validatingAirlineCodes: list[str] = []
    travelerPricings: list[TravelerPricing] = []


class Dictionaries(msgspec.Struct, gc=False):
    carriers: dict[str, str] = {}
    aircraft: dict[str, str] = {}


class FlightOffersResponse(msgspec.Struct, gc=False):
    data: list[FlightOffer]
    dictionaries: Dictionaries | None = None


class RawFlightOffers(msgspec.Struct, gc=False):
    """The same answer with each offer kept as its JSON: Flight Offers Price takes an offer
    exactly as the search returned it."""

    data: list[msgspec.Raw]


class PricedOffer(msgspec.Struct, gc=False):
    price: Price


class FlightOffersPricing(msgspec.Struct, gc=False):
    flightOffers: list[PricedOffer]


class FlightOffersPricingResponse(msgspec.Struct, gc=False):
    """`POST /v1/shopping/flight-offers/pricing`: the offers priced again (only the prices are
    read)."""

    data: FlightOffersPricing


class GeoCode(msgspec.Struct, gc=False):
    latitude: float
    longitude: float


class Distance(msgspec.Struct, gc=False):
    value: float | None = None
    unit: str | None = None
    """The spec's enum says `KILOMETERS` / `MILES`; its own examples (and the service) say
    `KM`: both are read (`mapping.distance_km`)."""


class ListAddress(msgspec.Struct, gc=False):
    countryCode: str | None = None
    """The one part of an address the Hotel List spec declares."""


class HotelListItem(msgspec.Struct, gc=False):
    hotelId: str
    name: str
    address: ListAddress | None = None
    timeZoneName: str | None = None
    """The hotel's IANA zone (`Europe/Paris`), from the Location it inherits in the spec."""
    chainCode: str | None = None
    iataCode: str | None = None
    geoCode: GeoCode | None = None
    distance: Distance | None = None
    rating: int | str | None = None
    """LIVE_ONLY: stars, 1 to 5 (the request's `ratings` filter is declared; the answer's
    field is not)."""


class HotelListResponse(msgspec.Struct, gc=False):
    data: list[HotelListItem]


class OfferHotel(msgspec.Struct, gc=False):
    """Hotel Search v3's `Hotel`: its place comes from the hotel list's `geoCode`."""

    hotelId: str
    name: str
    cityCode: str | None = None
    chainCode: str | None = None


class RoomDescription(msgspec.Struct, gc=False):
    text: str | None = None
    lang: str | None = None


class RoomEstimate(msgspec.Struct, gc=False):
    category: str | None = None
    beds: int | None = None
    bedType: str | None = None


class Room(msgspec.Struct, gc=False):
    typeEstimated: RoomEstimate | None = None
    description: RoomDescription | None = None


class Cancellation(msgspec.Struct, gc=False):
    deadline: datetime | None = None
    """After it the penalty applies: the hotel's local time with its offset (spec)."""
    amount: Decimal | None = None
    """The penalty, in the offer's price currency."""
    percentage: Decimal | None = None
    """The penalty as a percentage of the stay's total."""
    type: str | None = None
    """`FULL_STAY`: the penalty is the whole total."""
    numberOfNights: int | None = None
    """The penalty as that many nights of the stay."""


class Policies(msgspec.Struct, gc=False):
    cancellations: list[Cancellation] = []
    cancellation: Cancellation | None = None
    """Not in the schema, which has `cancellations`, but what the spec's own examples (both
    of Hotel Search v3's) and Amadeus's hotel guide show: one policy. Read when the list is
    absent."""


class HotelTax(msgspec.Struct, gc=False):
    amount: Decimal | None = None
    currency: str | None = None
    included: bool | None = None
    """Whether `total` includes it; a tax that does not say is counted nowhere."""


class HotelPrice(msgspec.Struct, gc=False):
    currency: str
    total: Decimal
    """total = base + taxes (spec)."""
    base: Decimal | None = None
    taxes: list[HotelTax] | None = None


class HotelOfferItem(msgspec.Struct, gc=False):
    id: str
    checkInDate: date
    checkOutDate: date
    price: HotelPrice
    boardType: str | None = None
    room: Room | None = None
    policies: Policies | None = None


class HotelOffers(msgspec.Struct, gc=False):
    hotel: OfferHotel
    available: bool = True
    offers: list[HotelOfferItem] = []


class HotelOffersResponse(msgspec.Struct, gc=False):
    """`GET /v3/shopping/hotel-offers`. The spec declares `data` one object; its example and
    the service send an array (a known defect of the definition)."""

    data: list[HotelOffers] = []


class PricedHotelOffer(msgspec.Struct, gc=False):
    """One offer as `GET /v3/shopping/hotel-offers/{offerId}` prices it (only what is read)."""

    id: str
    price: HotelPrice


class PricedHotelOffers(msgspec.Struct, gc=False):
    available: bool = True
    offers: list[PricedHotelOffer] = []


class HotelOfferPricingResponse(msgspec.Struct, gc=False):
    """`GET /v3/shopping/hotel-offers/{offerId}`: `data` is one object here, as declared."""

    data: PricedHotelOffers | None = None
