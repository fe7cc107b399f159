"""Pages of result sets as served, built once per set, position and size.

Serving a page builds each of its offers from the set's clusters (merged fares, names, ids
digested from their content) and each edge's cursor: a quarter of a repeated search's CPU. A set
never changes once stored, so neither does a page of it: the page built first is kept, and the
same page asked again (the same search repeated, `search/repeats.py`, or page 2 asked twice) is
served from here. Only the outcomes are the request's own (a repeated search reports cache hits).

Bounded by an estimate of the pages' encoded bytes (a page's share of its set's encoding,
`search/fingerprint.py`), least recently used first; records take about as much again in memory.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import Any

from gateway.search.paging import SearchPage
from gateway.search.results import ResultSet

MAX_BYTES = 16 * 1024**2
"""Estimated encoded bytes of the pages kept (a first page of 20 flights: ~30 KB)."""
PAGE_OVERHEAD_BYTES = 512
"""What every page is charged besides its share of its set, its key and record: so pages of
no offers (searches that found nothing) are bounded in number too."""


class RenderedPages:
    def __init__(self, *, max_bytes: int = MAX_BYTES) -> None:
        self._max_bytes = max_bytes
        self._pages: OrderedDict[tuple[str, str, int, int], tuple[SearchPage[Any], int]] = (
            OrderedDict()
        )
        self.size_bytes = 0

    def get(self, result: ResultSet[Any], start: int, first: int) -> SearchPage[Any] | None:
        """The page of `result` from `start` as served before, with `result`'s outcomes."""
        key = (result.id, result.digest, start, first)
        found = self._pages.get(key)
        if found is None:
            return None
        self._pages.move_to_end(key)
        page = found[0]
        if page.outcomes is result.outcomes:
            return page
        return dataclasses.replace(page, outcomes=result.outcomes)

    def put(self, result: ResultSet[Any], start: int, first: int, page: SearchPage[Any]) -> None:
        share = result.size_bytes * len(page.edges) // max(1, len(result.items))
        size = PAGE_OVERHEAD_BYTES + share
        if size > self._max_bytes:
            return
        key = (result.id, result.digest, start, first)
        old = self._pages.pop(key, None)
        if old is not None:
            self.size_bytes -= old[1]
        self._pages[key] = (page, size)
        self.size_bytes += size
        while self.size_bytes > self._max_bytes:
            _, (_, dropped) = self._pages.popitem(last=False)
            self.size_bytes -= dropped

    def __len__(self) -> int:
        return len(self._pages)
