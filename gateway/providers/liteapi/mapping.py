"""LiteAPI wire structs to domain offers: one room offer per LiteAPI offer (`roomTypes[]`),
priced as `prices` says."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from gateway import domain
from gateway.providers import rates
from gateway.providers.liteapi import prices, wire

PROVIDER = "liteapi"

OFFER_ID = re.compile(r"[A-Za-z0-9_=-]{1,4096}")
"""An offer id as LiteAPI writes them (base32 text, some 1,500 characters in its examples): an
offer with any other id is not shown, since it could not be checked or booked by it."""

BOARD_TYPES = {
    "RO": domain.BoardType.ROOM_ONLY,
    "BB": domain.BoardType.BREAKFAST,
    "BI": domain.BoardType.BREAKFAST,
    "HB": domain.BoardType.HALF_BOARD,
    "FB": domain.BoardType.FULL_BOARD,
    "AI": domain.BoardType.ALL_INCLUSIVE,
}
"""LiteAPI's board codes (RO, BB, BI "Breakfast Included"…) in the words the others use."""
BOARD_NAMES = {
    "room only": domain.BoardType.ROOM_ONLY,
    "breakfast included": domain.BoardType.BREAKFAST,
    "bed and breakfast": domain.BoardType.BREAKFAST,
    "breakfast": domain.BoardType.BREAKFAST,
    "half board": domain.BoardType.HALF_BOARD,
    "full board": domain.BoardType.FULL_BOARD,
    "all inclusive": domain.BoardType.ALL_INCLUSIVE,
}
"""`boardName`s, read only when the code is unknown (suppliers' codes vary more than names)."""
REVIEW_SCALE = 10.0
"""`rating` is a guest score out of 10 (8.5 in the spec's examples)."""


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
    rated: Iterable[wire.HotelRates],
    hotels: Mapping[str, wire.HotelData],
    query: domain.HotelQuery,
) -> list[domain.HotelOffer]:
    """Offers of the hotels with a name and at least one bookable, priced offer."""
    offers = []
    for entry in rated:
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
        hotel = _hotel(entry.hotel_id, data, query)
        offers.append(rates.hotel_offer(PROVIDER, entry.hotel_id, hotel, rooms, entry.hotel_id))
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
        address=rates.address(
            data.address, data.zip, data.city_name or data.city, data.country_code or data.country
        ),
        review_score=rates.review_score(
            data.rating,
            REVIEW_SCALE,
            data.review_count if data.review_count is not None else data.reviewCount,
        ),
    )


def stars(value: float | None) -> int | None:
    """Whole stars, 1 to 5: a 3.5-star hotel is listed as 3 (at least that many); 0 is unrated."""
    if value is None or not 1 <= value <= 5:
        return None
    return int(value)


def _room(room_type: wire.RoomType, query: domain.HotelQuery) -> domain.RoomOffer | None:
    """None for an offer that cannot be booked (no `offerId`) or has no price."""
    sold = prices.offer_prices(room_type)
    if room_type.offer_id is None or not OFFER_ID.fullmatch(room_type.offer_id) or sold is None:
        return None
    price, net_price = sold
    room_rates = room_type.rates or []
    first = room_rates[0] if room_rates else None
    free_until, penalty = cancellation(room_rates)
    # Stated against the retail rate; paid in proportion where the floor raised the price.
    penalty = rates.in_proportion(penalty, prices.retail(room_type), price)
    verdict = refundable(room_rates)
    return domain.RoomOffer(
        id="",
        offer_id=room_type.offer_id,
        provider=PROVIDER,
        price=price,
        net_price=net_price,
        check_in=query.check_in,
        check_out=query.check_out,
        description=rates.text(
            room_type.name or (first.name if first else None), rates.MAX_DESCRIPTION_CHARS
        ),
        board_type=board_type(first.board_type, first.board_name) if first else None,
        refundable=verdict,
        free_cancellation_until=free_until if verdict is not False else None,
        cancellation_penalty=price if verdict is False and penalty is None else penalty,
        included_taxes=_taxes(room_rates, included=True),
        due_at_hotel=_taxes(room_rates, included=False),
    )


def cancellation(room_rates: list[wire.Rate]) -> tuple[datetime | None, domain.Money | None]:
    """(free until, penalty after it) of the offer: each room's rate is free until its first
    `cancelTime` and then costs that policy's `amount`; the offer is free until the earliest of
    them and costs their sum. None for what some room's rate does not say. A non-refundable
    rate (`NRFN`) has no free cancellation, whatever times it lists."""
    deadlines, penalties = [], []
    for rate in room_rates:
        policies = rate.cancellation_policies
        infos = (policies.cancel_policy_infos or []) if policies else []
        dated = sorted(
            (
                (moment, info)
                for info in infos
                if (moment := _cancel_time(info.cancel_time, info.timezone)) is not None
            ),
            key=lambda pair: pair[0],
        )
        if not dated:
            return None, None
        tag = (policies.refundable_tag or "").upper() if policies else ""
        deadlines.append(None if tag == "NRFN" else dated[0][0])
        penalties.append(rates.money(dated[0][1].amount, dated[0][1].currency))
    if not room_rates:
        return None, None
    free_until = None if None in deadlines else rates.earliest(deadlines)
    return free_until, rates.total(penalties)


def _cancel_time(text: str | None, zone: str | None) -> datetime | None:
    """`2026-07-30 02:00:00` in `timezone` (GMT in every example; another IANA name is read,
    an unknown one makes the time unknown)."""
    try:
        moment = datetime.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None
    if not zone or zone.strip().upper() in ("GMT", "UTC", "Z"):
        zone = "UTC"
    return rates.utc(moment, zone)


def _taxes(room_rates: list[wire.Rate], *, included: bool) -> domain.Money | None:
    """Each room's `taxesAndFees` that are (or are not) `included`, added up; None when a room's
    rate lists none of them."""
    parts = []
    for rate in room_rates:
        items = rate.retail_rate.taxes_and_fees if rate.retail_rate else None
        chosen = [item for item in items or () if item.included is included]
        if not chosen:
            return None
        parts.append(rates.total(rates.money(item.amount, item.currency) for item in chosen))
    return rates.total(parts) if parts else None


def board_type(code: str | None, name: str | None = None) -> domain.BoardType | None:
    """From the code; from the name when the code is unknown; OTHER when neither is known."""
    code = (code or "").strip().upper()
    if code in BOARD_TYPES:
        return BOARD_TYPES[code]
    if code.startswith("BB"):
        return domain.BoardType.BREAKFAST  # BB1, BB2…: breakfast variants
    spelled = " ".join((name or "").lower().replace("&", " and ").split())
    if spelled in BOARD_NAMES:
        return BOARD_NAMES[spelled]
    return domain.BoardType.OTHER if code or spelled else None


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
