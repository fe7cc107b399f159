"""Merged, sorted result sets kept for a short while, so page 2 continues page 1.

Paging must not call providers again or reshuffle offers: the first page stores the whole sorted
set under a random id, and cursors point into it. Sets expire after `ttl_s`; at most `max_sets`
are kept (least recently used go first), which bounds memory.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from gateway.domain import ProviderOutcome

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ResultSet(Generic[T]):
    id: str
    search: Hashable
    """What was searched (query and order): a cursor is only valid for the same search."""
    items: tuple[T, ...]
    outcomes: tuple[ProviderOutcome, ...]
    expires_at: float
    digest: str = ""
    """`search.fingerprint` of all it serves: another process rebuilding the set can check it."""


class ResultStore:
    def __init__(
        self,
        *,
        ttl_s: float = 600.0,
        max_sets: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self._max_sets = max_sets
        self._clock = clock
        self._sets: OrderedDict[str, ResultSet[object]] = OrderedDict()

    def put(
        self,
        search: Hashable,
        items: tuple[T, ...],
        outcomes: tuple[ProviderOutcome, ...],
        *,
        digest: str = "",
        result_id: str | None = None,
    ) -> ResultSet[T]:
        """Keep a set under a new id, or `result_id` when rebuilt for another process's cursor."""
        result = ResultSet(
            result_id or secrets.token_urlsafe(12),
            search,
            items,
            outcomes,
            self._clock() + self.ttl_s,
            digest,
        )
        self._sets[result.id] = result  # type: ignore[assignment]
        while len(self._sets) > self._max_sets:
            self._sets.popitem(last=False)
        return result

    def get(self, result_id: str) -> ResultSet[object] | None:
        result = self._sets.get(result_id)
        if result is None:
            return None
        if result.expires_at <= self._clock():
            del self._sets[result_id]
            return None
        self._sets.move_to_end(result_id)
        return result

    def ttl_left(self, result: ResultSet[Any]) -> float:
        """Seconds `result` has left to live (0 once expired): what anything kept for it
        elsewhere (its offers in the fleet's store) may live."""
        return max(0.0, result.expires_at - self._clock())

    def discard(self, result_id: str) -> None:
        self._sets.pop(result_id, None)

    def __len__(self) -> int:
        return len(self._sets)
