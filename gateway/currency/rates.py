"""Euro reference rates and conversion between any two currencies they cover.

Conversion goes through the euro (amount / rate[from] × rate[to]) in Decimal arithmetic, then
rounds once, to the target currency's minor units.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources

from gateway.currency.units import round_to_minor_units
from gateway.domain import Money

_DAY = re.compile(rb"<Cube\s+time=['\"](\d{4}-\d{2}-\d{2})['\"]\s*>")
_RATE = re.compile(rb"<Cube\s+currency=['\"]([A-Z]{3})['\"]\s+rate=['\"]([0-9.]+)['\"]\s*/>")
MAX_FEED_BYTES = 64 * 1024


class NoRate(LookupError):
    """No reference rate for a currency."""


class FeedError(ValueError):
    """A reference-rate document that cannot be read."""


@dataclass(frozen=True, slots=True)
class ReferenceRates:
    as_of: date
    per_eur: Mapping[str, Decimal]
    """Units of each currency one euro buys; EUR itself is 1."""
    source: str

    def has(self, currency: str) -> bool:
        return currency in self.per_eur

    def convert(self, money: Money, currency: str) -> Money:
        """`money` in `currency`, rounded to its minor units; raises NoRate."""
        if money.currency == currency:
            return money
        try:
            rate_from, rate_to = self.per_eur[money.currency], self.per_eur[currency]
        except KeyError as exc:
            raise NoRate(exc.args[0]) from None
        amount = money.amount / rate_from * rate_to
        return Money(round_to_minor_units(amount, currency), currency)


def parse_ecb(document: bytes, source: str) -> ReferenceRates:
    """Read the ECB's daily euro reference rates (eurofxref-daily.xml)."""
    if len(document) > MAX_FEED_BYTES:
        raise FeedError("rate document too large")
    day = _DAY.search(document)
    rates = _RATE.findall(document)
    if day is None or not rates or b"</gesmes:Envelope>" not in document:
        raise FeedError("not a complete ECB reference-rate document")
    per_eur = {"EUR": Decimal(1)}
    try:
        for code, value in rates:
            rate = Decimal(value.decode())
            if not rate > 0:
                raise FeedError(f"non-positive rate for {code.decode()}")
            per_eur[code.decode()] = rate
        as_of = date.fromisoformat(day.group(1).decode())
    except (InvalidOperation, ValueError) as exc:
        raise FeedError(f"malformed rate document: {exc}") from None
    return ReferenceRates(as_of=as_of, per_eur=per_eur, source=source)


def bundled_rates() -> ReferenceRates:
    """The dated snapshot shipped with the gateway, used until a fresh feed is read."""
    document = resources.files(__package__).joinpath("ecb-fallback.xml").read_bytes()
    return parse_ecb(document, source="bundled ECB reference rates")
