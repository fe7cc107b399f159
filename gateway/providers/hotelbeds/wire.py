"""Hotelbeds APItude Booking API wire formats, as typed structs (only the fields the gateway reads).

Hotelbeds sends some numbers as JSON strings (`"net": "118.27"`, `"latitude": "40.64"` in its own
documentation) and others as numbers (`"net": 212.40` in recorded test answers), so every number
we read is a `Decimal`, which msgspec decodes from either, digits intact; ids are `int | str`.

`gc=False`: decoded answers are acyclic trees, so the cycle collector need not track them.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class ApiError(msgspec.Struct, gc=False):
    code: str | None = None
    """`INVALID_REQUEST`, `INVALID_DATA`, `SYSTEM_ERROR`, `PRODUCT_ERROR`…, sometimes followed by
    `-` and an opaque id."""
    message: str | None = None


class ErrorResponse(msgspec.Struct, gc=False):
    """Hotelbeds' own formatted error (`GenericResponse` in its SDK)."""

    error: ApiError | None = None


class CancellationPolicy(msgspec.Struct, gc=False):
    amount: Decimal | None = None
    starts: str | None = msgspec.field(default=None, name="from")
    """When this charge starts to apply (ISO 8601 with an offset); read leniently."""


class Tax(msgspec.Struct, gc=False):
    included: bool | None = None
    """In `net` (True), or to be paid at the hotel (False)."""
    amount: Decimal | None = None
    currency: str | None = None
    """The hotel's currency."""
    clientAmount: Decimal | None = None
    clientCurrency: str | None = None
    """The same amount in the account's currency, when Hotelbeds converts it."""


class Taxes(msgspec.Struct, gc=False):
    taxes: list[Tax] | None = None
    allIncluded: bool | None = None
    """Every tax is in `net`: none is left to pay at the hotel."""


class Rate(msgspec.Struct, gc=False):
    rateKey: str
    net: Decimal
    """What the seller pays Hotelbeds for the rate's rooms and the whole stay, in the hotel's
    `currency` (SDK `Rate.net`)."""
    sellingRate: Decimal | None = None
    """Hotelbeds' selling price for the same: its recommendation, or, with `hotelMandatory`, the
    lowest price the rate may be sold at (SDK `Rate.sellingRate`, `Rate.hotelMandatory`)."""
    hotelMandatory: bool | None = None
    """True: `sellingRate` is the hotel's minimum selling price, which the seller must keep."""
    rateClass: str | None = None
    """`NOR` (normal) or `NRF` (non-refundable), among others."""
    rateType: str | None = None
    """`BOOKABLE`, or `RECHECK`: the rate must be checked (`POST /checkrates`) before booking."""
    boardCode: str | None = None
    boardName: str | None = None
    cancellationPolicies: list[CancellationPolicy] = []
    """From each `from` on, cancelling costs its `amount` (in the hotel's `currency`)."""
    taxes: Taxes | None = None
    rooms: int | str | None = None
    """Rooms of the occupancy the rate is for."""
    adults: int | str | None = None
    """Adults in each of those rooms."""
    children: int | str | None = None
    """Children in each of those rooms."""
    childrenAges: str | None = None
    """The children's ages, comma-separated (`"2,4"`), where the rate states them."""


class Room(msgspec.Struct, gc=False):
    code: str | None = None
    name: str | None = None
    rates: list[Rate] = []


class Hotel(msgspec.Struct, gc=False):
    code: int | str
    name: str
    categoryCode: str | None = None
    categoryName: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    rooms: list[Room] = []
    currency: str | None = None
    """The account's currency: Hotelbeds prices every rate in it, whatever the market."""


class Hotels(msgspec.Struct, gc=False):
    hotels: list[Hotel] = []
    """Absent when nothing is available (`{"total": 0}`)."""
    total: int | str | None = None


class AvailabilityResponse(msgspec.Struct, gc=False):
    hotels: Hotels | None = None
    """Always present in an answer; its absence means the body is not one."""
    error: ApiError | None = None


class CheckedHotel(msgspec.Struct, gc=False):
    """The hotel of a rate check (`CheckRateRS.hotel`): the rates asked for, as sold now.
    Every field is optional here, so an empty hotel (`{}`) is read and then refused by name."""

    code: int | str | None = None
    rooms: list[Room] = []
    currency: str | None = None


class CheckRateResponse(msgspec.Struct, gc=False):
    hotel: CheckedHotel | None = None
    error: ApiError | None = None
