"""Relay-style paging over a sorted result set, with opaque cursors.

A cursor encodes a position in the sorted set; clients must treat it as an opaque string.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.domain import ProviderOutcome
from gateway.errors import BadUserInput

T = TypeVar("T")

MAX_PAGE_SIZE = 100
_PREFIX = "o1:"


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int = 20
    after: str | None = None


@dataclass(frozen=True, slots=True)
class Edge(Generic[T]):
    cursor: str
    node: T


@dataclass(frozen=True, slots=True)
class SearchPage(Generic[T]):
    edges: tuple[Edge[T], ...]
    total_count: int
    has_next_page: bool
    has_previous_page: bool
    outcomes: tuple[ProviderOutcome, ...]


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The position a cursor points at; `BadUserInput` for anything this gateway did not issue."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    digits = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not digits.isdigit() or len(digits) > 9:
        raise BadUserInput.single("after", "is not a valid cursor")
    return int(digits)


def check_page_request(page: PageRequest) -> None:
    if not 1 <= page.first <= MAX_PAGE_SIZE:
        raise BadUserInput.single("first", f"must be from 1 to {MAX_PAGE_SIZE}")
    if page.after is not None:
        decode_cursor(page.after)


def paginate(
    items: Sequence[T], page: PageRequest, outcomes: tuple[ProviderOutcome, ...]
) -> SearchPage[T]:
    start = 0 if page.after is None else decode_cursor(page.after) + 1
    if start > len(items):
        raise BadUserInput.single("after", "points past the end of the results")
    stop = min(start + page.first, len(items))
    return SearchPage(
        edges=tuple(Edge(encode_cursor(i), items[i]) for i in range(start, stop)),
        total_count=len(items),
        has_next_page=stop < len(items),
        has_previous_page=start > 0,
        outcomes=outcomes,
    )
