"""What a LiteAPI offer costs the traveller and the seller (docs/pricing.md).

`offerRetailRate` is what LiteAPI charges for the offer: base rate, taxes, fees and the seller's
commission set in LiteAPI. `suggestedSellingPrice` is "the minimum public selling price for all
the rooms combined … used for pricing control" (LiteAPI's OpenAPI, search.json and booking.json):
a floor. So the traveller pays the retail rate, never less than the floor, and the seller pays
LiteAPI the retail rate less the commission each room's rate states. LiteAPI sets the selling
price itself: the gateway's markup never applies.

Every amount is the provider's: one that is not a finite, non-negative amount in an ISO 4217
code is unknown, and an offer without a usable retail rate is not priced at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from gateway import domain
from gateway.providers import rates
from gateway.providers.errors import MalformedResponse
from gateway.providers.liteapi import wire

MAX_FLOOR_RATIO = 3
"""A suggested selling price above this many times the retail rate is a fault, not a floor:
the offer is not priced (neither shown below a floor nor at an absurd price)."""


def one(value: wire.OneOrMore) -> domain.Money | None:
    """An amount given as one object, or as a list holding exactly one (which of several would
    be meant is not said: none is taken)."""
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    return None if value is None else rates.money(value.amount, value.currency)


def commission(parts: Iterable[wire.Amount]) -> domain.Money | None:
    """A commission's parts added up; None when none is listed or one is unusable."""
    return rates.total(rates.money(part.amount, part.currency) for part in parts)


def _rooms(
    room_rates: list[wire.Rate] | None, amount_of: Callable[[wire.Rate], domain.Money | None]
) -> domain.Money | None:
    """An amount summed over every room's rate; None when some room lacks it."""
    if not room_rates:
        return None
    return rates.total(amount_of(rate) for rate in room_rates)


def _total(rate: wire.Rate) -> domain.Money | None:
    return one(rate.retail_rate.total) if rate.retail_rate is not None else None


class Incomparable(Exception):
    """A floor is stated that cannot be compared with the retail rate (another currency, an
    unusable amount): the offer is not priced, rather than shown below a floor."""


def floor_in(value: wire.OneOrMore, currency: str) -> domain.Money | None:
    """The floor an amount field states in `currency`: the largest of its entries there (its
    schema makes it a list: each entry is a minimum, so all of them hold); None when it states
    none; `Incomparable` when it states some and none is usable in `currency`."""
    entries = value if isinstance(value, list) else [] if value is None else [value]
    if not entries:
        return None
    found = [rates.money(entry.amount, entry.currency) for entry in entries]
    usable = [floor for floor in found if floor is not None and floor.currency == currency]
    if not usable:
        raise Incomparable
    return max(usable, key=lambda floor: floor.amount)


def rooms_floor(room_rates: list[wire.Rate] | None, currency: str) -> domain.Money | None:
    """The least the rooms may sell for together, when the offer states no floor of its own:
    each room at the larger of its floor and its total (a room without a floor: its total);
    None when no room states a floor. `Incomparable` when one is stated but cannot be used, or
    a room has neither a floor nor a total to count."""
    if not room_rates:
        return None
    floors = [
        floor_in(rate.retail_rate.suggested_selling_price, currency) if rate.retail_rate else None
        for rate in room_rates
    ]
    if all(floor is None for floor in floors):
        return None
    least = Decimal(0)
    for rate, floor in zip(room_rates, floors, strict=True):
        total = _total(rate)
        known = [m.amount for m in (floor, total) if m is not None and m.currency == currency]
        if not known:
            raise Incomparable
        least += max(known)
    return domain.Money(least, currency)


def _floor(
    stated: wire.OneOrMore, room_rates: list[wire.Rate] | None, currency: str
) -> domain.Money | None:
    """The offer's own floor, else its rooms' (`rooms_floor`)."""
    floor = floor_in(stated, currency)
    return floor if floor is not None else rooms_floor(room_rates, currency)


def _commission(rate: wire.Rate) -> domain.Money | None:
    return commission(rate.commission or ())


def sold(
    retail: domain.Money, floor: domain.Money | None, commission_: domain.Money | None
) -> tuple[domain.Money, domain.Money | None] | None:
    """(what the traveller pays, what the seller pays) for a retail rate, its suggested selling
    price and its commission; None when the floor is implausible (`MAX_FLOOR_RATIO`).

    The floor is in the retail rate's currency (`floor_in`); so is the commission, which must be
    less than the retail rate (a commission of 0 is a net rate: the seller pays it all)."""
    if retail.amount <= 0:
        return None
    price = retail
    if floor is not None and floor.amount > retail.amount:
        if floor.amount > retail.amount * MAX_FLOOR_RATIO:
            return None
        price = floor
    net = None
    if (
        commission_ is not None
        and commission_.currency == retail.currency
        and commission_.amount < retail.amount
    ):
        net = domain.Money(retail.amount - commission_.amount, retail.currency)
    return price, net


def retail(room_type: wire.RoomType) -> domain.Money | None:
    """What LiteAPI charges for the offer: its `offerRetailRate`, else its rooms' totals."""
    return one(room_type.offer_retail_rate) or _rooms(room_type.rates, _total)


def offer_prices(room_type: wire.RoomType) -> tuple[domain.Money, domain.Money | None] | None:
    """(price, net price) of an offer (`roomTypes[]`): its `offerRetailRate`, else the sum of
    its rooms' totals, never below its floor (`_floor`); less the sum of its rooms' commissions.
    None when it has no usable retail rate, or a floor it cannot be compared with."""
    room_rates = room_type.rates
    charged = retail(room_type)
    if charged is None:
        return None
    try:
        floor = _floor(room_type.suggested_selling_price, room_rates, charged.currency)
    except Incomparable:
        return None
    return sold(charged, floor, _rooms(room_rates, _commission))


def checked_rate(data: wire.PrebookData) -> domain.CheckedRate | None:
    """The rate as a prebook sells it now, by the search's rules; None when LiteAPI put another
    rate in its place (`boardChanged` / `cancellationChanged`: the rate the traveller chose, with
    its board and its cancellation terms, is no longer sold, whatever the price)."""
    if data.board_changed or data.cancellation_changed:
        return None
    retail = rates.money(data.price, data.currency)
    if retail is None or retail.amount <= 0:
        raise MalformedResponse(
            "liteapi response has an unexpected shape", detail="prebook without a usable price"
        )
    room_rates = [rate for room in data.room_types or () for rate in room.rates or ()]
    try:
        floor = _floor(data.suggested_selling_price, room_rates, retail.currency)
    except Incomparable:
        raise MalformedResponse(
            "liteapi response has an unexpected shape",
            detail="prebook's suggested selling price cannot be compared with its price",
        ) from None
    commission_ = _rooms(room_rates, _commission) or rates.money(data.commission, data.currency)
    prices = sold(retail, floor, commission_)
    if prices is None:
        raise MalformedResponse(
            "liteapi response has an unexpected shape",
            detail="prebook's suggested selling price is implausible",
        )
    price, net = prices
    return domain.CheckedRate(price=price, net_price=net, markup_applies=False)
