"""Hotelbeds' rate check (`POST /hotel-api/1.0/checkrates`): which offers can be checked, the
request, and the rate as its answer sells it now.

A room offer's `offer_id` is one rate key, or, for rooms booked together, the JSON list of
their keys (`mapping.py`); the check asks for them all at once, `{"rooms": [{"rateKey": …}, …]}`
(SDK `CheckRateRQ`, `BookingRoom`), and the rate is priced as a search prices it: nets and
mandatory floors added up (`mapping.floor`), the seller's markup still to come.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from gateway import domain
from gateway.providers import rates
from gateway.providers.errors import MalformedResponse
from gateway.providers.hotelbeds import mapping, wire

MAX_ROOMS = 9
"""Rate keys one offer may hold: one per room, and a search asks for at most 9 rooms."""
RATE_KEY = re.compile(r"\d{8}\|\d{8}\|[\x20-\x7e]{1,480}")
"""A rate key as Hotelbeds writes them: check-in and check-out (yyyyMMdd), then printable
ASCII (`20270310|20270312|W|59|3424|DBL.ST|ID_B2B_26|BB||1~2~1|8|N@05~~2608a`; some carry
spaces). Anything else in an offer id is not ours to send."""


def rate_keys(offer_id: str) -> tuple[str, ...] | None:
    """The rate keys of a room offer's id; None when it is not one key or a JSON list of 1 to
    `MAX_ROOMS` of them."""
    if RATE_KEY.fullmatch(offer_id):
        return (offer_id,)
    if not offer_id.startswith("[") or len(offer_id) > MAX_ROOMS * 500:
        return None
    try:
        keys = json.loads(offer_id)
    except ValueError:
        return None
    if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_ROOMS:
        return None
    if not all(isinstance(key, str) and RATE_KEY.fullmatch(key) for key in keys):
        return None
    return tuple(keys)


def request(keys: tuple[str, ...]) -> dict[str, object]:
    return {"rooms": [{"rateKey": key} for key in keys]}


def checked_rate(answer: wire.CheckRateResponse, keys: tuple[str, ...]) -> domain.CheckedRate:
    """The rates asked for, as the answer sells them: by their keys, or, where Hotelbeds
    answers a key of its own (a checked rate may come back re-keyed for booking), in the order
    asked when the answer holds exactly one rate per key asked."""
    hotel = answer.hotel
    answered = [rate for room in hotel.rooms for rate in room.rates] if hotel else []
    if hotel is None or not answered:
        raise MalformedResponse("hotelbeds rate check answer has no rate", detail="no rates")
    if not hotel.currency:
        raise MalformedResponse("hotelbeds rate check answer has no currency")
    by_key = {rate.rateKey: rate for rate in answered}
    if all(key in by_key for key in keys):
        chosen = [by_key[key] for key in keys]
    elif len(answered) == len(keys):
        chosen = answered
    else:
        raise MalformedResponse(
            "hotelbeds rate check answered other rates",
            detail=f"{len(keys)} rate keys asked, {len(answered)} rates answered",
        )
    try:
        net = sum((rate.net for rate in chosen), Decimal(0))
        least = sum((mapping.floor(rate) for rate in chosen), Decimal(0))
    except (ValueError, ArithmeticError) as exc:
        raise MalformedResponse("hotelbeds rate could not be read", detail=str(exc)) from exc
    price, net_price = rates.money(least, hotel.currency), rates.money(net, hotel.currency)
    if price is None or net_price is None:
        raise MalformedResponse("hotelbeds rate could not be read", detail="an unusable amount")
    return domain.CheckedRate(price=price, net_price=net_price, markup_applies=True)
