"""LiteAPI v3.0 wire formats, as typed structs (only the fields the gateway reads).

Extra fields are ignored; what LiteAPI sends as `null` or leaves out in its own captured answers
(a rate's `retailRate.total`, an offer's `offerId`, a policy's `refundableTag`) is optional here.
Amounts its schema types as lists of {amount, currency} and its examples as one object
(`offerRetailRate`, `suggestedSellingPrice`) are read in either form: `OneOrMore`.
`gc=False`: decoded answers are acyclic trees, so the cycle collector need not track them.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class ErrorDetail(msgspec.Struct, gc=False):
    code: int | str | None = None
    """Numeric in the spec (2001 no availability, 4000 bad request, 401, 429…)."""
    message: str | None = None
    description: str | None = None


class ErrorResponse(msgspec.Struct, gc=False):
    error: ErrorDetail | None = None


class Amount(msgspec.Struct, gc=False):
    amount: Decimal
    currency: str


OneOrMore = Amount | list[Amount] | None
"""An amount as an object (LiteAPI's examples, its service) or as a list (its schema)."""


class TaxOrFee(msgspec.Struct, gc=False):
    included: bool | None = None
    """In the rate's total (True), or to pay at the hotel (False)."""
    amount: Decimal | None = None
    currency: str | None = None


class RetailRate(msgspec.Struct, gc=False, rename="camel"):
    total: list[Amount] | None = None
    suggested_selling_price: OneOrMore = None
    """This room's share of the offer's minimum public selling price."""
    taxes_and_fees: list[TaxOrFee] | None = None


class CancelPolicyInfo(msgspec.Struct, gc=False, rename="camel"):
    """From `cancelTime` on, cancelling costs `amount`."""

    cancel_time: str | None = None
    """`2026-07-30 02:00:00`, in `timezone`."""
    amount: Decimal | None = None
    currency: str | None = None
    type: str | None = None
    timezone: str | None = None


class CancellationPolicies(msgspec.Struct, gc=False, rename="camel"):
    refundable_tag: str | None = None
    """`RFN` refundable, `NRFN` not."""
    cancel_policy_infos: list[CancelPolicyInfo] | None = None


class Rate(msgspec.Struct, gc=False, rename="camel"):
    """One occupancy's (one room's) share of an offer."""

    name: str | None = None
    board_type: str | None = None
    board_name: str | None = None
    commission: list[Amount] | None = None
    """The seller's commission inside this room's retail total."""
    retail_rate: RetailRate | None = None
    cancellation_policies: CancellationPolicies | None = None


class RoomType(msgspec.Struct, gc=False, rename="camel"):
    """An offer: one rate per requested occupancy, booked together by `offerId`."""

    offer_id: str | None = None
    name: str | None = None
    rates: list[Rate] | None = None
    offer_retail_rate: OneOrMore = None
    """The offer's total, the seller's commission included: what LiteAPI charges."""
    suggested_selling_price: OneOrMore = None
    """"The minimum public selling price for all the rooms combined … used for pricing
    control" (LiteAPI's OpenAPI): a floor under what the traveller is shown."""


class HotelRates(msgspec.Struct, gc=False, rename="camel"):
    hotel_id: str
    room_types: list[RoomType] | None = None


class HotelData(msgspec.Struct, gc=False):
    """A hotel as the rates answer's `hotels[]` and the static `/data/hotels` list give it."""

    id: str
    name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    stars: float | None = None
    """Star rating (the static detail calls it `starRating`, which is not read)."""
    rating: float | None = None
    """Guests' score out of 10."""
    review_count: int | None = None
    """`review_count` in the rates answer's `hotels[]`; the static list says `reviewCount`."""
    reviewCount: int | None = None
    address: str | None = None
    """One line: street, sometimes with the city."""
    zip: str | None = None
    city_name: str | None = None
    city: str | None = None
    """The static list's name for `city_name`."""
    country_code: str | None = None
    country: str | None = None
    """The static list's name for `country_code` (lower case in its examples)."""


class RatesResponse(msgspec.Struct, gc=False):
    """`POST /hotels/rates`: rates, hotel data, or the error envelope (2001: no availability)."""

    data: list[HotelRates] | msgspec.UnsetType | None = msgspec.UNSET
    """Absent: not an answer at all; `null`: no hotel had rates."""
    hotels: list[HotelData] | None = None
    error: ErrorDetail | None = None


class HotelsResponse(msgspec.Struct, gc=False):
    """`GET /data/hotels?hotelIds=…`: static data of those hotels."""

    data: list[HotelData]


class PrebookRoomType(msgspec.Struct, gc=False):
    rates: list[Rate] | None = None


class PrebookData(msgspec.Struct, gc=False, rename="camel"):
    """The offer as LiteAPI sells it now (`POST /rates/prebook`)."""

    prebook_id: str
    currency: str
    price: Decimal
    """The booking's total for every room (add-ons and vouchers included; the gateway sends
    none), the seller's commission included: the retail rate now."""
    suggested_selling_price: OneOrMore = None
    commission: Decimal | None = None
    """The commission of every room together, in `currency`."""
    room_types: list[PrebookRoomType] | None = None
    board_changed: bool | None = None
    cancellation_changed: bool | None = None
    """With `board_changed` and `priceDifferencePercent`, "the three important fields to
    check": LiteAPI may put a similar rate in place of one sold out."""


class PrebookResponse(msgspec.Struct, gc=False):
    data: PrebookData | None = None
    error: ErrorDetail | None = None
