"""Repeated searches answered from the result set they made, while its answers are fresh.

Real traffic repeats itself: the same popular route, the same search rendered again. A search
whose providers all answered was merged, sorted and stored as a result set; the same search
(its canonical identity, with its filter, order, display currency and exchange rates) asked
again while that set lives is answered from it: no cache reads, no decoding, merging, sorting
or storing. The set answers only as long as the search cache would have served the answers it
was made from (the earliest `ProviderResult.fresh_until`), so a repeated search is never staler
than it was without this, and only while the set has half its life left, so the cursors of a
repeated answer still live at least half the results TTL. A search where a provider failed is
never repeated from its set: the next one asks that provider again, as it always did.

Per process and bounded (`max_searches`, least recently used first); across instances the
shared cache answers as before. A stale entry costs nothing: the set it names may be gone
(expired, evicted), and the search then runs as usual.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

MAX_SEARCHES = 500
"""Searches remembered at most (as many as result sets are kept by default)."""


class RepeatedSearches:
    def __init__(
        self, *, max_searches: int = MAX_SEARCHES, clock: Callable[[], float] = time.time
    ) -> None:
        self._max_searches = max_searches
        self._clock = clock
        """Wall-clock time, as `ProviderResult.fresh_until` is."""
        self._sets: OrderedDict[Hashable, tuple[str, float]] = OrderedDict()

    def remember(
        self, search: Hashable, result_id: str, fresh_until: float, *, within_s: float
    ) -> None:
        """`search` may be answered from the set `result_id` until `fresh_until`, and for
        `within_s` at most."""
        until = min(fresh_until, self._clock() + within_s)
        if until <= self._clock():
            return
        self._sets[search] = (result_id, until)
        self._sets.move_to_end(search)
        while len(self._sets) > self._max_searches:
            self._sets.popitem(last=False)

    def find(self, search: Hashable) -> str | None:
        """The set that answers `search` now, if one still may."""
        found = self._sets.get(search)
        if found is None:
            return None
        result_id, fresh_until = found
        if fresh_until <= self._clock():
            del self._sets[search]
            return None
        self._sets.move_to_end(search)
        return result_id

    def answers_until(self, search: Hashable, result_id: str) -> float | None:
        """Until when the set `result_id` answers `search`; None: it does not (now)."""
        found = self._sets.get(search)
        if found is None or found[0] != result_id or found[1] <= self._clock():
            return None
        return found[1]

    def forget(self, search: Hashable) -> None:
        self._sets.pop(search, None)

    def __len__(self) -> int:
        return len(self._sets)
