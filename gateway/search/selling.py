"""The seller's markup on hotel rates whose provider sets no selling price of its own.

A provider states what the traveller pays (LiteAPI's retail rate, never below its suggested
selling price; Duffel Stays' total; Amadeus's total), or only what the seller pays (Hotelbeds'
`net`, with a minimum selling price where the hotel imposes one). For the second kind the
adapter marks the rate (`RoomOffer.markup_applies`) and the price is set here: the net price
plus `GATEWAY_HOTEL_MARKUP_PERCENT`, never below the provider's minimum.

Applied to provider answers after the search cache, not in the adapters: the cache then holds
what providers said, so every instance prices alike from it, and a change of markup takes
effect at once instead of after the cache's TTL.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import msgspec

from gateway.currency.units import round_to_minor_units
from gateway.domain import CheckedRate, HotelOffer, Money, RoomOffer
from gateway.providers import rates

MAX_MARKUP_PERCENT = Decimal(1000)
"""A higher markup is a typing error, not a price policy."""


def selling_price(net: Money | None, floor: Money, percent: Decimal) -> Money:
    """What the traveller pays: `net` plus `percent`, rounded to the currency's minor unit,
    and never below `floor` (the provider's minimum, or the net price itself)."""
    if net is None or not percent or net.currency != floor.currency:
        return floor
    marked = round_to_minor_units(net.amount * (1 + percent / 100), net.currency)
    return floor if marked <= floor.amount else Money(marked, net.currency)


def priced_room(room: RoomOffer, percent: Decimal) -> RoomOffer:
    """`room` at its selling price; a cancellation penalty in proportion (what cancelling
    forfeits grows with what was paid), never above the price."""
    if not room.markup_applies or not percent:
        return room
    price = selling_price(room.net_price, room.price, percent)
    if price == room.price:
        return room
    penalty = rates.in_proportion(room.cancellation_penalty, room.price, price)
    return msgspec.structs.replace(room, price=price, cancellation_penalty=penalty)


def priced_rate(rate: CheckedRate, percent: Decimal) -> Money:
    """A checked rate's price as a search would show it."""
    if not rate.markup_applies:
        return rate.price
    return selling_price(rate.net_price, rate.price, percent)


def priced_offers(offers: Iterable[HotelOffer], percent: Decimal) -> list[HotelOffer]:
    """Each offer with its marked rates priced; its price and source follow its cheapest room."""
    if not percent:
        return list(offers)
    priced = []
    for offer in offers:
        rooms = tuple(priced_room(room, percent) for room in offer.rooms)
        if rooms != offer.rooms:
            was = min(offer.rooms, key=lambda room: room.price.amount)
            cheapest = min(rooms, key=lambda room: room.price.amount)
            # A provider booked by its cheapest room's id is booked by the new cheapest's.
            sources = tuple(
                msgspec.structs.replace(
                    source,
                    offer_id=(
                        cheapest.offer_id if source.offer_id == was.offer_id else source.offer_id
                    ),
                    price=cheapest.price,
                    net_price=cheapest.net_price,
                )
                for source in offer.sources
            )
            offer = msgspec.structs.replace(
                offer, rooms=rooms, price=cheapest.price, sources=sources
            )
        priced.append(offer)
    return priced
