"""One search, one identity: a query written the one way every spelling of it maps to.

Clients spell one search many ways: "100", "100.0", "1E2" for one `maxPrice`; " lon " and "LON";
a currency left out or given as the default; a party's ages in any order. Whatever counts,
keys or coalesces searches must take these as one search, or it counts spellings instead: the
search budget compared amounts by value while the cache key digested their text, so 20 aliases
of one flight search, each writing `maxPrice` its own way, passed the budget as one search and
made 40 upstream calls. So the normalisation is written here once, and everything that asks
"is this the same search?" asks it of this module's answer: the search budget
(`api/admission/budget.py`), the cache key and with it coalescing (`entries.search_key`), and the
search service, which applies it once a query has been checked (its problems name the positions the
client wrote: ages are sorted only after that).

The canonical query of a search:

- codes (airports, cities, currencies) trimmed and upper-cased, as the search layer reads them;
- no currency means the default one, written out, so leaving it out is giving it;
- an amount by its value, written one way: trailing zeros dropped, an integer without exponent
  ("100.00" and "1E+2" are 100); and an amount at or above `domain.MAX_AMOUNT` is that bound,
  since no offer shown costs as much (`domain.plausible`), so every such `maxPrice` keeps the
  same offers. That bound also keeps the number small for whoever reads it next: `1E+999999999`
  written out, as rounding it up to whole units does, would hold a process for minutes;
- lists whose order the search layer ignores (a party's `children_ages`) sorted.

Defaults the inputs declare (one adult, economy, one room) are filled in by GraphQL itself, so a
field left out and its default given arrive alike. A flight search's filter is not part of what
providers are asked (`search/filters.py` writes it one way for the result set): it has no part
in this identity.

Every function is idempotent: a canonical query is its own canonical form.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from gateway.domain import MAX_AMOUNT, FlightQuery, HotelQuery

CEILING = Decimal(int(MAX_AMOUNT))
"""`domain.MAX_AMOUNT` as canonical amounts are written (digits, no exponent): what any larger
amount becomes."""


def code(value: str) -> str:
    """An IATA or ISO code as the search layer compares it."""
    return value.strip().upper()


def amount(value: Decimal) -> Decimal:
    """`value` written the one way every equal amount is: trailing zeros dropped, an integer
    without exponent, zero unsigned, and a magnitude from `domain.MAX_AMOUNT` up as that bound
    (keeping its sign). Exact: nothing is rounded below the bound."""
    if not value.is_finite():
        return value  # refused where amounts are read (scalars, `domain.plausible`)
    if value.copy_abs() >= MAX_AMOUNT:
        return CEILING.copy_sign(value)
    if not value:
        return Decimal(0)
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    kept = len(digits)
    while digits[kept - 1] == 0:  # not all zeros: the value is not zero
        kept -= 1
    exponent += len(digits) - kept
    if exponent > 0:  # an integer: its digits written out (under 13 of them, below the bound)
        return Decimal((sign, digits[:kept] + (0,) * exponent, 0))
    return Decimal((sign, digits[:kept], exponent))


def flight_query(query: FlightQuery, default_currency: str | None = None) -> FlightQuery:
    """The canonical form of a flight search (the module docstring); no currency stays none
    unless `default_currency` is given."""
    currency = code(query.currency) if query.currency is not None else default_currency
    return msgspec.structs.replace(
        query,
        origin=code(query.origin),
        destination=code(query.destination),
        currency=currency,
        max_price=None if query.max_price is None else amount(query.max_price),
        children_ages=tuple(sorted(query.children_ages)),
    )


def hotel_query(query: HotelQuery, default_currency: str | None = None) -> HotelQuery:
    """The canonical form of a hotel search (the module docstring)."""
    currency = code(query.currency) if query.currency is not None else default_currency
    return msgspec.structs.replace(
        query,
        city_code=code(query.city_code),
        currency=currency,
        children_ages=tuple(sorted(query.children_ages)),
    )


def search(query: object) -> object:
    """A flight or hotel query in canonical form (its currency as it is); anything else as it
    is."""
    if isinstance(query, FlightQuery):
        return flight_query(query)
    if isinstance(query, HotelQuery):
        return hotel_query(query)
    return query
