"""Cycle-collector settings for a serving process.

A search allocates thousands of short-lived containers (coroutines, GraphQL result dicts and
lists). With CPython's default young-generation threshold of 700, the objects of the searches
in flight survive collections, get promoted, and push the collector into full collections that
walk every object the process holds: modules, the schema, reference data. Measured at 50
clients (docs/performance.md): with offers as untracked records, freezing start-up objects and
collecting the young generation less often took the collector from ~18 % to ~6 % of the
gateway's CPU.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations between young collections (CPython's default: 700). Higher still saves little
and makes each pause longer."""


def tune_for_serving() -> None:
    """Keep what start-up built out of every later collection, and collect the young less often.

    Call once, when start-up is complete; objects alive then are never collected as cycles.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
