"""Hotelbeds availability to domain offers: one hotel offer per hotel, one room offer per rate.

A party that does not split evenly over its rooms (3 adults, 2 rooms) is asked for as two
occupancies (a room of 2, a room of 1), and Hotelbeds prices each occupancy's rates apart. Such a
stay is offered per board: the cheapest rate of each occupancy with that board, added up, whose
`offer_id` is the JSON list of their rate keys (booking takes one rate key per room).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from gateway import domain
from gateway.providers.errors import MalformedResponse
from gateway.providers.hotelbeds import wire

PROVIDER = "hotelbeds"

BOARDS = {
    "RO": "ROOM_ONLY",
    "SC": "ROOM_ONLY",
    "BB": "BREAKFAST",
    "CB": "BREAKFAST",
    "AB": "BREAKFAST",
    "DB": "BREAKFAST",
    "HB": "HALF_BOARD",
    "FB": "FULL_BOARD",
    "AI": "ALL_INCLUSIVE",
}
"""Hotelbeds' common board codes in the gateway's words (Amadeus's); others keep their name."""
_STARS = re.compile(r"^(\d)\s*(?:EST|LUX|\*)", re.IGNORECASE)
"""`4EST` (four stars), `5LUX` (five stars, luxury): the category codes of hotels."""
_STARS_NAME = re.compile(r"^(\d)\s+STARS?\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Occupancy:
    """Rooms of one size: `rooms` rooms of `adults` adults each, as Hotelbeds counts them."""

    rooms: int
    adults: int


def occupancies(adults: int, rooms: int) -> tuple[Occupancy, ...]:
    """`adults` spread as evenly as can be over `rooms`: one occupancy, or two of adjacent sizes."""
    each, extra = divmod(adults, rooms)
    split = (Occupancy(extra, each + 1), Occupancy(rooms - extra, each))
    return tuple(occupancy for occupancy in split if occupancy.rooms)


def hotel_offers(
    answer: wire.AvailabilityResponse,
    query: domain.HotelQuery,
    asked: tuple[Occupancy, ...],
    now: datetime,
) -> list[domain.HotelOffer]:
    hotels = answer.hotels.hotels if answer.hotels else []
    offers = []
    try:
        for hotel in hotels:
            offer = _hotel_offer(hotel, query, asked, now)
            if offer is not None:
                offers.append(offer)
    except (ValueError, ArithmeticError) as exc:
        raise MalformedResponse("hotelbeds hotel could not be read", detail=str(exc)) from exc
    return offers


def _hotel_offer(
    hotel: wire.Hotel, query: domain.HotelQuery, asked: tuple[Occupancy, ...], now: datetime
) -> domain.HotelOffer | None:
    if not hotel.currency:
        raise ValueError(f"hotel {hotel.code} has no currency")
    if len(asked) == 1:
        rooms = tuple(_room(room, rate, hotel.currency, query, now) for room, rate in _rates(hotel))
    else:
        rooms = _combined_rooms(hotel, query, asked, now)
    if not rooms:
        return None
    cheapest = min(rooms, key=lambda room: room.price.amount)
    return domain.HotelOffer(
        id=f"{PROVIDER}:{hotel.code}",
        hotel=_hotel(hotel, query),
        price=cheapest.price,
        rooms=rooms,
        sources=(
            domain.OfferSource(provider=PROVIDER, offer_id=cheapest.offer_id, price=cheapest.price),
        ),
    )


def _rates(hotel: wire.Hotel) -> Iterable[tuple[wire.Room, wire.Rate]]:
    return ((room, rate) for room in hotel.rooms for rate in room.rates)


def _hotel(hotel: wire.Hotel, query: domain.HotelQuery) -> domain.Hotel:
    location = None
    if hotel.latitude is not None and hotel.longitude is not None:
        latitude, longitude = float(hotel.latitude), float(hotel.longitude)
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError(f"hotel {hotel.code} has coordinates out of range")
        location = domain.GeoPoint(latitude, longitude)
    return domain.Hotel(
        id=f"{PROVIDER}:{hotel.code}",
        name=" ".join(hotel.name.split()),  # Hotelbeds' names carry double spaces at times
        city_code=query.city_code,
        location=location,
        rating=stars(hotel.categoryCode, hotel.categoryName),
    )


def stars(code: str | None, name: str | None) -> int | None:
    """A hotel's stars from its category (`4EST`, or the name `4 STARS`); None for others
    (hostels, apartments, which Hotelbeds classes apart)."""
    for pattern, text in ((_STARS, code), (_STARS_NAME, name)):
        match = pattern.match(text.strip()) if text else None
        if match and 1 <= int(match.group(1)) <= 5:
            return int(match.group(1))
    return None


def _price(amount: Decimal, currency: str) -> domain.Money:
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"rate with price {amount}")
    return domain.Money(amount, currency)


def _room(
    room: wire.Room, rate: wire.Rate, currency: str, query: domain.HotelQuery, now: datetime
) -> domain.RoomOffer:
    return domain.RoomOffer(
        id="",
        offer_id=rate.rateKey,
        provider=PROVIDER,
        price=_price(rate.net, currency),
        check_in=query.check_in,
        check_out=query.check_out,
        description=room.name,
        board_type=board(rate),
        refundable=refundable(rate, now),
    )


def _combined_rooms(
    hotel: wire.Hotel, query: domain.HotelQuery, asked: tuple[Occupancy, ...], now: datetime
) -> tuple[domain.RoomOffer, ...]:
    """Per board, the cheapest rate of every occupancy asked for, as one offer."""
    assert hotel.currency is not None
    cheapest: dict[tuple[str, Occupancy], tuple[wire.Room, wire.Rate]] = {}
    for room, rate in _rates(hotel):
        if rate.rooms is None or rate.adults is None:
            continue  # a rate that does not say whose it is cannot be placed
        key = (board(rate) or "", Occupancy(int(rate.rooms), int(rate.adults)))
        if key[1] in asked and (key not in cheapest or rate.net < cheapest[key][1].net):
            cheapest[key] = (room, rate)
    offers = []
    for board_type in sorted({board_type for board_type, _ in cheapest}):
        if any((board_type, occupancy) not in cheapest for occupancy in asked):
            continue
        chosen = [cheapest[board_type, occupancy] for occupancy in asked]
        verdicts = [refundable(rate, now) for _, rate in chosen]
        offers.append(
            domain.RoomOffer(
                id="",
                offer_id=json.dumps([rate.rateKey for _, rate in chosen]),
                provider=PROVIDER,
                price=_price(sum((rate.net for _, rate in chosen), Decimal(0)), hotel.currency),
                check_in=query.check_in,
                check_out=query.check_out,
                description=" + ".join(room.name or "room" for room, _ in chosen),
                board_type=board_type or None,
                refundable=False if False in verdicts else None if None in verdicts else True,
            )
        )
    return tuple(offers)


def board(rate: wire.Rate) -> str | None:
    if rate.boardCode and rate.boardCode.upper() in BOARDS:
        return BOARDS[rate.boardCode.upper()]
    name = rate.boardName or rate.boardCode
    return "_".join(name.upper().split()) if name else None


def refundable(rate: wire.Rate, now: datetime) -> bool | None:
    """Whether the rate can still be cancelled free of charge: not `NRF`, and its first
    cancellation charge starts later than `now`. None when Hotelbeds says neither."""
    if (rate.rateClass or "").upper() == "NRF":
        return False
    starts = [_moment(policy.starts) for policy in rate.cancellationPolicies]
    known = [moment for moment in starts if moment is not None]
    if known:
        return min(known) > now
    return None


def _moment(text: str | None) -> datetime | None:
    """An ISO 8601 moment (`2024-02-22T23:59:00Z`, `…+01:00`); without an offset, UTC."""
    try:
        moment = datetime.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
