"""Custom scalars of the public contract: Date, LocalDateTime, DateTime (an instant, in UTC) and
Decimal (money as a string)."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import NewType

import strawberry

from gateway.compat.strawberry import ScalarDefinition
from gateway.errors import excerpt

LocalDateTime = NewType("LocalDateTime", dt.datetime)

DATE_SPEC = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
"""RFC 3339's `full-date`."""
LOCAL_DATE_TIME_SPEC = "https://the-guild.dev/graphql/scalars/docs/scalars/local-date-time"
"""GraphQL Scalars' LocalDateTime: `YYYY-MM-DDTHH:mm:ss`, no offset (what codegen presets map)."""
DATE_TIME_SPEC = "https://scalars.graphql.org/andimarek/date-time"
"""The GraphQL Scalars project's DateTime: RFC 3339 `date-time`, always with an offset."""
DECIMAL_SPEC = "https://www.w3.org/TR/xmlschema11-2/#decimal"
"""XML Schema's decimal lexical space: an optional sign, digits, an optional fraction."""


def _shown(value: object) -> str:
    """The client's value in a message: an excerpt, never the whole of a long string."""
    if isinstance(value, str):
        return excerpt(value)
    shown = repr(value)
    return shown if len(shown) <= 24 else f"a {type(value).__name__}"


def _parse_date(value: object) -> dt.date:
    message = f"{_shown(value)} is not a valid date (expected YYYY-MM-DD)"
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError(message)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(message) from None


def _parse_local_datetime(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("a LocalDateTime must be a string like 2027-01-10T19:00:00")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{_shown(value)} is not a valid local date-time") from None
    if parsed.tzinfo is not None:
        raise ValueError("a LocalDateTime has no UTC offset")
    return parsed


def _serialize_datetime(value: dt.datetime) -> str:
    """In UTC with `Z`; a time without offset is not an instant and is refused (a bug upstream:
    records hold aware times only)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a DateTime needs a UTC offset")
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _parse_datetime(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("a DateTime must be a string like 2027-01-10T19:00:00Z")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{_shown(value)} is not a valid date-time") from None
    if parsed.tzinfo is None:
        raise ValueError("a DateTime needs a UTC offset, such as Z")
    return parsed


def _parse_decimal(value: object) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError('a Decimal must be a string such as "410.20" (or an integer)')
    try:
        parsed = decimal.Decimal(value)
    except decimal.InvalidOperation:
        raise ValueError(f"{_shown(value)} is not a decimal number") from None
    if not parsed.is_finite():
        raise ValueError("a Decimal must be a finite number")
    return parsed


def _serialize_decimal(value: decimal.Decimal) -> str:
    return format(value, "f")


SCALAR_MAP: dict[object, ScalarDefinition] = {
    dt.date: strawberry.scalar(
        name="Date",
        description="A calendar date, RFC 3339 `full-date`: `YYYY-MM-DD`.",
        specified_by_url=DATE_SPEC,
        serialize=dt.date.isoformat,
        parse_value=_parse_date,
    ),
    LocalDateTime: strawberry.scalar(
        name="LocalDateTime",
        description=(
            "A local date and time as the carrier publishes it, without UTC offset, "
            "`YYYY-MM-DDTHH:mm:ss`: `2027-01-10T19:00:00` is 19:00 at that airport."
        ),
        specified_by_url=LOCAL_DATE_TIME_SPEC,
        serialize=dt.datetime.isoformat,
        parse_value=_parse_local_datetime,
    ),
    dt.datetime: strawberry.scalar(
        name="DateTime",
        description=(
            "An instant, RFC 3339 `date-time` in UTC: `2027-01-10T19:00:00Z`. Used where a "
            "provider states a moment (an offer's expiry), unlike local flight times."
        ),
        specified_by_url=DATE_TIME_SPEC,
        serialize=_serialize_datetime,
        parse_value=_parse_datetime,
    ),
    decimal.Decimal: strawberry.scalar(
        name="Decimal",
        description=(
            'An exact decimal number serialized as a string, such as `"410.20"` (the lexical '
            "form of XML Schema's decimal); never a float, so amounts keep every digit."
        ),
        specified_by_url=DECIMAL_SPEC,
        serialize=_serialize_decimal,
        parse_value=_parse_decimal,
    ),
}
