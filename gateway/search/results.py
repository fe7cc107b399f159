"""Merged, sorted result sets kept for a short while, so page 2 continues page 1.

Paging must not call providers again or reshuffle offers: the first page stores the whole sorted
set under a random id, and cursors point into it. Sets expire after `ttl_s`; at most `max_sets`
are kept, holding at most `max_bytes` together (least recently used go first). A set's bytes
are those of its encoding (`search/fingerprint.py`, made once anyway): its records in memory
take about as much again (measured: docs/operations.md, Sizing).
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
MAX_BYTES = 64 * 1024**2
"""Bytes of result sets kept at most, by their encodings (`GATEWAY_RESULTS_MAX_MIB`): the
demo's flight sets encode to ~350 KB (a third Amadeus quotes), hotel sets to ~100 KB."""


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
    size_bytes: int = 0


class ResultStore:
    def __init__(
        self,
        *,
        ttl_s: float = 600.0,
        max_sets: int = 500,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self._max_sets = max_sets
        self._max_bytes = max_bytes
        self._clock = clock
        self._sets: OrderedDict[str, ResultSet[object]] = OrderedDict()
        self.size_bytes = 0
        """Bytes of the sets kept, by their encodings."""

    def put(
        self,
        search: Hashable,
        items: tuple[T, ...],
        outcomes: tuple[ProviderOutcome, ...],
        *,
        digest: str = "",
        size_bytes: int = 0,
        result_id: str | None = None,
    ) -> ResultSet[T]:
        """Keep a set under a new id, or `result_id` when rebuilt for another process's cursor.
        A set larger than `max_bytes` alone is answered, not kept (its cursors expire at once)."""
        result = ResultSet(
            result_id or secrets.token_urlsafe(12),
            search,
            items,
            outcomes,
            self._clock() + self.ttl_s,
            digest,
            size_bytes,
        )
        if size_bytes > self._max_bytes:
            return result
        self.discard(result.id)
        self._sets[result.id] = result  # type: ignore[assignment]
        self.size_bytes += size_bytes
        while len(self._sets) > self._max_sets or self.size_bytes > self._max_bytes:
            _, dropped = self._sets.popitem(last=False)
            self.size_bytes -= dropped.size_bytes
        return result

    def get(self, result_id: str) -> ResultSet[object] | None:
        result = self._sets.get(result_id)
        if result is None:
            return None
        if result.expires_at <= self._clock():
            self.discard(result_id)
            return None
        self._sets.move_to_end(result_id)
        return result

    def ttl_left(self, result: ResultSet[Any]) -> float:
        """Seconds `result` has left to live (0 once expired): what anything kept for it
        elsewhere (its offers in the fleet's store) may live."""
        return max(0.0, result.expires_at - self._clock())

    def discard(self, result_id: str) -> None:
        dropped = self._sets.pop(result_id, None)
        if dropped is not None:
            self.size_bytes -= dropped.size_bytes

    def __len__(self) -> int:
        return len(self._sets)
