"""Hotelbeds availability to domain offers: one hotel offer per hotel, one room offer per rate.

A rate's `net` is what the seller pays Hotelbeds; Hotelbeds sets no price for the traveller,
except that a rate with `hotelMandatory` may not be sold below its `sellingRate` (the hotel's
minimum selling price; without `hotelMandatory` it is only Hotelbeds' recommendation). So each
room offer carries `net_price` = `net`, `price` = the larger of `net` and that floor, and
`markup_applies`: the gateway adds the seller's markup to `net_price` afterwards, never going
below `price` (`gateway.search.selling`, docs/pricing.md).

A party whose rooms differ (3 adults in 2 rooms; children in one room only) is asked for as
several occupancies (`occupancy.py`), and Hotelbeds prices each occupancy's rates apart. Such a
stay is offered per board: the cheapest rate of each occupancy with that board, added up (nets
and floors alike), whose `offer_id` is the JSON list of their rate keys (booking takes one rate
key per room).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from gateway import domain
from gateway.providers import rates
from gateway.providers.errors import MalformedResponse
from gateway.providers.hotelbeds import wire
from gateway.providers.hotelbeds.occupancy import Occupancy, answers

PROVIDER = "hotelbeds"
RECHECK = "RECHECK"
"""The `rateType` of rates Hotelbeds requires checked (`POST /checkrates`) before booking."""

_B = domain.BoardType
BOARDS = {
    "RO": _B.ROOM_ONLY,
    "SC": _B.ROOM_ONLY,
    "BB": _B.BREAKFAST,
    "CB": _B.BREAKFAST,
    "AB": _B.BREAKFAST,
    "DB": _B.BREAKFAST,
    "GB": _B.BREAKFAST,
    "IB": _B.BREAKFAST,
    "LB": _B.BREAKFAST,
    "HB": _B.HALF_BOARD,
    "FB": _B.FULL_BOARD,
    "AI": _B.ALL_INCLUSIVE,
    "TI": _B.ALL_INCLUSIVE,
}
"""Hotelbeds' common board codes: room only and self catering; bed and, continental,
American, buffet, English, Irish and light breakfast; half and full board; all inclusive and
its premium form. Any other code (a regional plan) is OTHER."""
_STARS = re.compile(r"^(\d)\s*(?:EST|LUX|\*)", re.IGNORECASE)
"""`4EST` (four stars), `5LUX` (five stars, luxury): the category codes of hotels."""
_STARS_NAME = re.compile(r"^(\d)\s+STARS?\b", re.IGNORECASE)


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
    return rates.hotel_offer(PROVIDER, str(hotel.code), _hotel(hotel, query), rooms)


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
    """A rate's amount, or ValueError (the answer is malformed): `rates.money` says which can
    be shown (finite, not negative, bounded, in an ISO 4217 code)."""
    found = rates.money(amount, currency)
    if found is None:
        raise ValueError(f"rate with price {amount} {currency[:8]}")
    return found


def floor(rate: wire.Rate) -> Decimal:
    """The least the traveller may pay for `rate`: its `sellingRate` when the hotel makes it
    mandatory and it is above `net`, else `net` (a seller never sells below cost)."""
    if not rate.hotelMandatory or rate.sellingRate is None:
        return rate.net
    if not rate.sellingRate.is_finite() or rate.sellingRate < 0:
        raise ValueError(f"rate with a mandatory selling rate of {rate.sellingRate}")
    return max(rate.net, rate.sellingRate)


def must_check(rate: wire.Rate) -> bool:
    return (rate.rateType or "").strip().upper() == RECHECK


def _room(
    room: wire.Room, rate: wire.Rate, currency: str, query: domain.HotelQuery, now: datetime
) -> domain.RoomOffer:
    return _offer(rate.rateKey, [(room, rate)], currency, query, now)


def _offer(
    offer_id: str,
    chosen: list[tuple[wire.Room, wire.Rate]],
    currency: str,
    query: domain.HotelQuery,
    now: datetime,
) -> domain.RoomOffer:
    """One offer of one rate, or of one rate per occupancy booked together: nets and floors
    added up (the markup then applies to the sum, never below the sum of the floors)."""
    net = _price(sum((rate.net for _, rate in chosen), Decimal(0)), currency)
    price = _price(sum((floor(rate) for _, rate in chosen), Decimal(0)), currency)
    policies = [cancellation(rate, currency, now) for _, rate in chosen]
    verdicts = [policy.refundable for policy in policies]
    dues = [due_at_hotel(rate, currency) for _, rate in chosen]
    return domain.RoomOffer(
        id="",
        offer_id=offer_id,
        provider=PROVIDER,
        price=price,
        net_price=net,
        markup_applies=True,
        rate_check_required=any(must_check(rate) for _, rate in chosen),
        check_in=query.check_in,
        check_out=query.check_out,
        description=rates.text(
            " + ".join(room.name or "room" for room, _ in chosen)
            if len(chosen) > 1
            else chosen[0][0].name,
            rates.MAX_DESCRIPTION_CHARS,
        ),
        board_type=board(chosen[0][1]),
        refundable=False if False in verdicts else None if None in verdicts else True,
        free_cancellation_until=None
        if any(policy.free_until is None for policy in policies)
        else rates.earliest(policy.free_until for policy in policies),
        cancellation_penalty=rates.total(policy.penalty for policy in policies),
        included_taxes=rates.total(included_taxes(rate, currency) for _, rate in chosen),
        due_at_hotel=rates.total(dues),
    )


def _combined_rooms(
    hotel: wire.Hotel, query: domain.HotelQuery, asked: tuple[Occupancy, ...], now: datetime
) -> tuple[domain.RoomOffer, ...]:
    """Per board, the cheapest rate of every occupancy asked for, as one offer. A rate goes to
    the one occupancy it answers; one that could answer several (the same counts, no ages
    stated) or none cannot be placed and is left out."""
    assert hotel.currency is not None
    cheapest: dict[tuple[str, Occupancy], tuple[wire.Room, wire.Rate]] = {}
    for room, rate in _rates(hotel):
        placed = [occupancy for occupancy in asked if answers(rate, occupancy)]
        if len(placed) != 1:
            continue
        named = board(rate)
        key = (named.value if named else "", placed[0])
        if key not in cheapest or _cost(rate) < _cost(cheapest[key][1]):
            cheapest[key] = (room, rate)
    offers = []
    for board_type in sorted({board_type for board_type, _ in cheapest}):
        if any((board_type, occupancy) not in cheapest for occupancy in asked):
            continue
        chosen = [cheapest[board_type, occupancy] for occupancy in asked]
        offer_id = json.dumps([rate.rateKey for _, rate in chosen])
        offers.append(_offer(offer_id, chosen, hotel.currency, query, now))
    return tuple(offers)


def _cost(rate: wire.Rate) -> tuple[Decimal, Decimal]:
    """What a rate costs the traveller at the least, then the seller."""
    return floor(rate), rate.net


def board(rate: wire.Rate) -> domain.BoardType | None:
    """From `boardCode`; a rate with only a `boardName`, or an unknown code, is OTHER."""
    code = (rate.boardCode or "").strip().upper()
    if code in BOARDS:
        return BOARDS[code]
    return domain.BoardType.OTHER if code or (rate.boardName or "").strip() else None


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


@dataclass(frozen=True, slots=True)
class Cancellation:
    refundable: bool | None
    free_until: datetime | None
    penalty: domain.Money | None


def cancellation(rate: wire.Rate, currency: str, now: datetime) -> Cancellation:
    """Free until the first charge starts (if that is still ahead), then that charge: stated
    against `net`, paid by the traveller in proportion to the rate's floor (`in_proportion`)."""
    verdict = refundable(rate, now)
    dated = sorted(
        (
            (moment, policy)
            for policy in rate.cancellationPolicies
            if (moment := _moment(policy.starts)) is not None
        ),
        key=lambda pair: pair[0],
    )
    stated = rates.money(dated[0][1].amount, currency) if dated else None
    price = _price(floor(rate), currency)
    penalty = rates.in_proportion(stated, _price(rate.net, currency), price)
    if verdict is False and penalty is None and (rate.rateClass or "").upper() == "NRF":
        penalty = price
    free_until = dated[0][0] if dated and verdict else None
    return Cancellation(verdict, free_until, penalty)


def _tax_amount(tax: wire.Tax, currency: str) -> domain.Money | None:
    """In the account's currency (the rate's): `clientAmount` when converted, else `amount`
    when that is already in it; None otherwise."""
    if tax.clientAmount is not None and tax.clientCurrency:
        return rates.money(tax.clientAmount, tax.clientCurrency)
    if tax.currency in (None, currency):
        return rates.money(tax.amount, currency)
    return None


def included_taxes(rate: wire.Rate, currency: str) -> domain.Money | None:
    items = [t for t in (rate.taxes.taxes or []) if t.included is True] if rate.taxes else []
    return rates.total(_tax_amount(tax, currency) for tax in items) if items else None


def due_at_hotel(rate: wire.Rate, currency: str) -> domain.Money | None:
    """Taxes marked not included; zero when `allIncluded`; None when Hotelbeds says nothing."""
    if rate.taxes is None:
        return None
    items = [t for t in (rate.taxes.taxes or []) if t.included is False]
    if items:
        return rates.total(_tax_amount(tax, currency) for tax in items)
    return domain.Money(Decimal(0), currency) if rate.taxes.allIncluded else None


def _moment(text: str | None) -> datetime | None:
    """An ISO 8601 moment (`2024-02-22T23:59:00Z`, `…+01:00`); without an offset, UTC."""
    try:
        moment = datetime.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
