"""LiteAPI wire structs to domain offers: one room offer per LiteAPI offer (`roomTypes[]`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from gateway import domain
from gateway.providers.liteapi import wire

PROVIDER = "liteapi"

BOARD_TYPES = {
    "RO": "ROOM_ONLY",
    "BB": "BREAKFAST",
    "BI": "BREAKFAST",
    "HB": "HALF_BOARD",
    "FB": "FULL_BOARD",
    "AI": "ALL_INCLUSIVE",
}
"""LiteAPI's board codes (RO, BB, BI "Breakfast Included"…) in the words the others use."""


def hotel_data(answer: wire.RatesResponse) -> dict[str, wire.HotelData]:
    """The answer's own hotel data, by hotel id."""
    return {hotel.id: hotel for hotel in answer.hotels or ()}


def rated_hotels(answer: wire.RatesResponse) -> list[wire.HotelRates]:
    return answer.data if isinstance(answer.data, list) else []


def lacking_details(
    rates: Iterable[wire.HotelRates], known: Mapping[str, wire.HotelData]
) -> list[str]:
    """Hotels with offers whose data lacks a name or coordinates (needed to show and merge)."""
    return [
        entry.hotel_id
        for entry in rates
        if entry.room_types and _incomplete(known.get(entry.hotel_id))
    ]


def _incomplete(hotel: wire.HotelData | None) -> bool:
    return hotel is None or not hotel.name or hotel.latitude is None or hotel.longitude is None


def hotel_offers(
    rates: Iterable[wire.HotelRates],
    hotels: Mapping[str, wire.HotelData],
    query: domain.HotelQuery,
) -> list[domain.HotelOffer]:
    """Offers of the hotels with a name and at least one bookable, priced offer."""
    offers = []
    for entry in rates:
        data = hotels.get(entry.hotel_id)
        if data is None or not data.name:
            continue  # a hotel without a name cannot be shown
        rooms = tuple(
            room
            for room_type in entry.room_types or ()
            if (room := _room(room_type, query)) is not None
        )
        if not rooms:
            continue
        cheapest = min(rooms, key=lambda room: room.price.amount)
        offers.append(
            domain.HotelOffer(
                id=f"{PROVIDER}:{entry.hotel_id}",
                hotel=_hotel(entry.hotel_id, data, query),
                price=cheapest.price,
                rooms=rooms,
                sources=(
                    domain.OfferSource(
                        provider=PROVIDER, offer_id=entry.hotel_id, price=cheapest.price
                    ),
                ),
            )
        )
    return offers


def _hotel(hotel_id: str, data: wire.HotelData, query: domain.HotelQuery) -> domain.Hotel:
    assert data.name
    location = None
    if data.latitude is not None and data.longitude is not None:
        location = domain.GeoPoint(data.latitude, data.longitude)
    return domain.Hotel(
        id=f"{PROVIDER}:{hotel_id}",
        name=data.name,
        city_code=query.city_code,
        location=location,
        rating=stars(data.stars),
    )


def stars(value: float | None) -> int | None:
    """Whole stars, 1 to 5: a 3.5-star hotel is listed as 3 (at least that many); 0 is unrated."""
    if value is None or not 1 <= value <= 5:
        return None
    return int(value)


def _room(room_type: wire.RoomType, query: domain.HotelQuery) -> domain.RoomOffer | None:
    """None for an offer that cannot be booked (no `offerId`) or has no price."""
    price = offer_price(room_type)
    if not room_type.offer_id or price is None:
        return None
    rates = room_type.rates or []
    first = rates[0] if rates else None
    return domain.RoomOffer(
        id="",
        offer_id=room_type.offer_id,
        provider=PROVIDER,
        price=price,
        check_in=query.check_in,
        check_out=query.check_out,
        description=room_type.name or (first.name if first else None) or None,
        board_type=board_type(first.board_type if first else None),
        refundable=refundable(rates),
    )


def offer_price(room_type: wire.RoomType) -> domain.Money | None:
    """The offer's total for the stay and every room: `offerRetailRate`, else the sum of its
    rates' totals (one per room) when each has one, in one currency; None otherwise."""
    total = room_type.offer_retail_rate
    if isinstance(total, list):
        total = total[0] if total else None
    if total is not None:
        price = domain.Money(total.amount, total.currency)
    else:
        rates = room_type.rates or []
        parts = [r.retail_rate.total[0] for r in rates if r.retail_rate and r.retail_rate.total]
        if not rates or len(parts) != len(rates) or len({p.currency for p in parts}) != 1:
            return None
        price = domain.Money(sum((p.amount for p in parts), Decimal(0)), parts[0].currency)
    return price if price.amount.is_finite() and price.amount > 0 else None


def board_type(code: str | None) -> str | None:
    code = (code or "").strip().upper()
    if code in BOARD_TYPES:
        return BOARD_TYPES[code]
    return "BREAKFAST" if code.startswith("BB") else None  # BB1, BB2…: breakfast variants


def refundable(rates: list[wire.Rate]) -> bool | None:
    """True when every room's rate is `RFN`, False when any is `NRFN`, else unknown."""
    tags = {
        (rate.cancellation_policies.refundable_tag or "").upper()
        if rate.cancellation_policies
        else ""
        for rate in rates
    }
    if "NRFN" in tags:
        return False
    if tags == {"RFN"}:
        return True
    return None
