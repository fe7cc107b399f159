"""What the four hotel mappings share: provider text made safe to show, instants in UTC, sums
of money, and the one place an address or a review score is bounded.

Every value here comes from a provider and may reach a client, so each is checked: text is
printable, single-spaced and cut to a length; a country code is two letters; a score lies on
its scale. Anything that fails is None, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway import domain
from gateway.currency.units import round_to_minor_units

MAX_TEXT_CHARS = 120
"""The longest address line shown; a longer one is cut with an ellipsis."""
MAX_SHORT_CHARS = 40
"""Postal codes and city names."""
MAX_DESCRIPTION_CHARS = 300
"""A room's description (Amadeus's run to a few sentences)."""
_COUNTRY = re.compile(r"^[A-Z]{2}\Z")


def text(value: object, limit: int = MAX_TEXT_CHARS) -> str | None:
    """Provider text fit to show: printable, whitespace runs as one space, at most `limit`
    characters; None when not a string or blank."""
    if not isinstance(value, str):
        return None
    if not value.isprintable():  # rare: the character loop only then
        value = "".join(ch if ch.isprintable() else " " for ch in value)
    cleaned = " ".join(value.split())
    if not cleaned:
        return None
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def country(value: object) -> str | None:
    """An ISO 3166-1 alpha-2 code in capitals, or None."""
    code = value.strip().upper() if isinstance(value, str) else ""
    return code if _COUNTRY.match(code) else None


def address(
    line: object = None,
    postal_code: object = None,
    city_name: object = None,
    country_code: object = None,
) -> domain.Address | None:
    """An address of whatever parts are usable; None when none is."""
    found = domain.Address(
        line=text(line),
        postal_code=text(postal_code, MAX_SHORT_CHARS),
        city_name=text(city_name, MAX_SHORT_CHARS),
        country_code=country(country_code),
    )
    return found if found != domain.Address() else None


def review_score(
    score: float | None, scale: float, count: int | None = None
) -> domain.ReviewScore | None:
    """A score on `scale` (0 means unrated to the providers that send it, so it is None too)."""
    if score is None or not 0 < score <= scale:
        return None
    return domain.ReviewScore(
        score=float(score), scale=scale, count=count if count is not None and count >= 0 else None
    )


def utc(moment: datetime | None, zone: str | None = None) -> datetime | None:
    """`moment` in UTC. A naive one is read in `zone` (an IANA name the provider gave for the
    place); without one, or with a zone we do not know, it is None: never guessed."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    if not zone:
        return None
    try:
        return moment.replace(tzinfo=ZoneInfo(zone.strip())).astimezone(UTC)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def money(amount: Decimal | None, currency: str | None) -> domain.Money | None:
    """An amount that can be shown (`domain.plausible`); else None."""
    if amount is None or not isinstance(currency, str):
        return None
    found = domain.Money(amount, currency)
    return found if domain.plausible(found) else None


def total(amounts: Iterable[domain.Money | None]) -> domain.Money | None:
    """The sum, when every part is known and in one currency; None otherwise (or for none)."""
    result = None
    for part in amounts:
        if part is None or (result is not None and part.currency != result.currency):
            return None
        result = (
            part if result is None else domain.Money(result.amount + part.amount, part.currency)
        )
    return result


def in_proportion(
    charge: domain.Money | None, stated_against: domain.Money | None, price: domain.Money
) -> domain.Money | None:
    """A charge a provider states against one amount (its net or retail rate: a cancellation
    penalty) as the traveller pays it at `price`: in proportion, rounded to the currency's minor
    unit, never above `price` (a non-refundable rate sold at a floor of 130 forfeits 130, not
    the 100 it was stated against). As stated where the amounts agree or currencies differ."""
    if (
        charge is None
        or stated_against is None
        or stated_against.amount <= 0
        or stated_against.amount == price.amount
        or not charge.currency == stated_against.currency == price.currency
    ):
        return charge
    scaled = round_to_minor_units(
        charge.amount * price.amount / stated_against.amount, price.currency
    )
    return domain.Money(min(scaled, price.amount), price.currency)


def earliest(moments: Iterable[datetime | None]) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def hotel_offer(
    provider: str,
    key: str,
    hotel: domain.Hotel,
    rooms: tuple[domain.RoomOffer, ...],
    source_id: str | None = None,
) -> domain.HotelOffer:
    """One provider's offer for a hotel: its rooms, priced at the cheapest; the source is the
    cheapest room's own id unless the provider books by another (`source_id`), at what the
    traveller and the seller pay for it."""
    cheapest = min(rooms, key=lambda room: room.price.amount)
    return domain.HotelOffer(
        id=f"{provider}:{key}",
        hotel=hotel,
        price=cheapest.price,
        rooms=rooms,
        sources=(
            domain.OfferSource(
                provider=provider,
                offer_id=source_id if source_id is not None else cheapest.offer_id,
                price=cheapest.price,
                net_price=cheapest.net_price,
            ),
        ),
    )
