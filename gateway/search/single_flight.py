"""One call in flight per key: every caller with that key awaits the same answer.

Used where identical work arrives at once and doing it twice costs upstream calls: the search
cache's misses, and re-pricings (`flightOffer` / `hotelOffer` with `refresh`: ten aliases of one
refresh in a document, or ten clients refreshing one offer, make one set of calls). The task is
shielded from any one caller's cancellation and cancelled once nobody awaits it any more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(eq=False)
class _Flight(Generic[T]):
    task: asyncio.Task[T]
    waiters: int = 0


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._inflight: dict[Hashable, _Flight[T]] = {}

    def __len__(self) -> int:
        return len(self._inflight)

    async def run(
        self, key: Hashable, fetch: Callable[[], Coroutine[Any, Any, T]]
    ) -> tuple[T, bool]:
        """`fetch()`'s answer, run once for every caller with `key` meanwhile; and whether this
        caller joined a call already in flight."""
        flight = self._inflight.get(key)
        joined = flight is not None
        if flight is None:
            task = asyncio.create_task(fetch())
            flight = self._inflight[key] = _Flight(task)
            task.add_done_callback(lambda _: self._forget(key, flight))
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task), joined
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                flight.task.cancel()  # nobody wants the answer any more

    def _forget(self, key: Hashable, flight: _Flight[T]) -> None:
        if self._inflight.get(key) is flight:
            del self._inflight[key]
