"""ISO 4217: which codes are currencies, and how many decimals each is quoted with."""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_EVEN, Decimal

import iso4217


@functools.cache
def _exponents() -> dict[str, int | None]:
    return {currency.code: currency.exponent for currency in iso4217.Currency}


def is_currency(code: str) -> bool:
    return code in _exponents()


def minor_units(code: str) -> int:
    """Decimals of `code` (JPY 0, EUR 2, BHD 3); 2 for funds and metals that define none."""
    exponent = _exponents().get(code)
    return 2 if exponent is None else exponent


def round_to_minor_units(amount: Decimal, code: str) -> Decimal:
    """Banker's rounding to the currency's minor unit, as accounting systems do."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(code)), rounding=ROUND_HALF_EVEN)
