"""Relay-style pages over a stored result set, with opaque cursors.

A cursor names a result set and a position in it; clients must treat it as an opaque string.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.domain import ProviderOutcome
from gateway.errors import BadUserInput
from gateway.search.results import ResultSet

T = TypeVar("T")

MAX_PAGE_SIZE = 100
_CURSOR = re.compile(r"^([A-Za-z0-9_-]{8,32})\.(\d{1,6})\.([0-9a-f]{0,32})\Z")


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
    fresh_until: float | None = None
    """Until when (Unix time) the same request would be answered with this very page: its set
    answers its search again until then (`search/repeats.py`). None: it may not (a provider
    failed, the answers are not cached): what HTTP caching may promise."""


@dataclass(frozen=True, slots=True)
class Cursor:
    result_set: str
    position: int
    digest: str = ""
    """The set's fingerprint, so a process that does not hold it can rebuild and check it."""

    def encode(self) -> str:
        raw = f"{self.result_set}.{self.position}.{self.digest}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor in `text`; `BadUserInput` for anything this gateway did not issue."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
        except (binascii.Error, UnicodeError, ValueError):
            raw = ""
        match = _CURSOR.match(raw)
        if match is None:
            raise BadUserInput.single("after", "is not a valid cursor")
        return cls(match.group(1), int(match.group(2)), match.group(3))


def check_page_request(page: PageRequest) -> Cursor | None:
    if not 1 <= page.first <= MAX_PAGE_SIZE:
        raise BadUserInput.single("first", f"must be from 1 to {MAX_PAGE_SIZE}")
    return None if page.after is None else Cursor.decode(page.after)


def page_of(result: ResultSet[T], start: int, first: int) -> SearchPage[T]:
    """`first` items of the set from position `start`."""
    if start > len(result.items):
        raise BadUserInput.single("after", "points past the end of the results")
    stop = min(start + first, len(result.items))
    return SearchPage(
        edges=tuple(
            Edge(Cursor(result.id, i, result.digest).encode(), result.items[i])
            for i in range(start, stop)
        ),
        total_count=len(result.items),
        has_next_page=stop < len(result.items),
        has_previous_page=start > 0,
        outcomes=result.outcomes,
    )
