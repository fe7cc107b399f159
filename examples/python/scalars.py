"""The gateway's custom scalars as Python values, for the client ariadne-codegen generates.

Copied into the generated package (`files_to_include`). Date needs nothing beyond its type:
pydantic reads and writes `YYYY-MM-DD`. These make the rest exact: a LocalDateTime is the
airport's own clock, so it stays naive and one with an offset is refused rather than silently
taken for another instant; a DateTime is an instant, so it is aware and one without an offset is
refused; a Decimal is read from its string and sent as one in plain notation
("410.20", never "4.102E+2"), so an amount never passes through a float.
"""

from __future__ import annotations

import datetime as dt
import decimal


def parse_local_datetime(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value)
    else:
        raise ValueError("a LocalDateTime is a string like 2027-01-10T19:00:00")
    if parsed.tzinfo is not None:
        raise ValueError("a LocalDateTime has no UTC offset")
    return parsed


def parse_datetime(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value)
    else:
        raise ValueError("a DateTime is a string like 2027-01-10T19:00:00Z")
    if parsed.tzinfo is None:
        raise ValueError("a DateTime has a UTC offset")
    return parsed


def parse_decimal(value: object) -> decimal.Decimal:
    if isinstance(value, decimal.Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError('a Decimal is a string such as "410.20", never a float')
    try:
        return decimal.Decimal(value)
    except decimal.InvalidOperation:
        raise ValueError(f"{value[:24]!r} is not a decimal number") from None


def serialize_decimal(value: decimal.Decimal) -> str:
    return format(value, "f")
