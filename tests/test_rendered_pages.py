"""`search/pages.py`: a page of a set is built once and served again, bounded in bytes."""

from __future__ import annotations

import dataclasses

import pytest

from gateway.domain import ProviderOutcome, ProviderStatus
from gateway.search.pages import PAGE_OVERHEAD_BYTES, RenderedPages
from gateway.search.paging import page_of
from gateway.search.results import ResultSet, ResultStore

pytestmark = pytest.mark.unit

OK = (ProviderOutcome("duffel", ProviderStatus.OK, 120, 10),)
CACHED = (ProviderOutcome("duffel", ProviderStatus.OK, 0, 10, cached=True),)


def a_set(store: ResultStore, items: int = 10, size_bytes: int = 1_000) -> ResultSet[int]:
    return store.put("search", tuple(range(items)), OK, digest="d", size_bytes=size_bytes)


def test_a_page_is_served_again_with_the_outcomes_of_its_request() -> None:
    store, pages = ResultStore(), RenderedPages()
    result = a_set(store)
    page = page_of(result, 0, 5)
    pages.put(result, 0, 5, page)
    assert pages.get(result, 0, 5) is page
    repeated = dataclasses.replace(result, outcomes=CACHED)
    again = pages.get(repeated, 0, 5)
    assert again is not None
    assert again.edges is page.edges  # built once
    assert again.outcomes == CACHED
    assert pages.get(result, 5, 5) is None  # another position
    assert pages.get(result, 0, 3) is None  # another size


def test_another_set_s_page_is_never_served() -> None:
    store, pages = ResultStore(), RenderedPages()
    one, other = a_set(store), a_set(store)
    pages.put(one, 0, 5, page_of(one, 0, 5))
    assert pages.get(other, 0, 5) is None


def test_pages_are_bounded_by_their_share_of_their_set_s_bytes() -> None:
    store = ResultStore()
    # A page of 5 of 10 items: half its set's 1,000 bytes, and its own overhead.
    each = PAGE_OVERHEAD_BYTES + 500
    pages = RenderedPages(max_bytes=2 * each)
    sets = [a_set(store, items=10, size_bytes=1_000) for _ in range(3)]
    for result in sets:
        pages.put(result, 0, 5, page_of(result, 0, 5))
    assert len(pages) == 2
    assert pages.size_bytes == 2 * each
    assert pages.get(sets[0], 0, 5) is None  # least recently used
    huge = a_set(store, items=10, size_bytes=100_000)
    pages.put(huge, 0, 10, page_of(huge, 0, 10))
    assert pages.get(huge, 0, 10) is None  # over the bound alone


def test_empty_pages_are_charged_too_so_their_count_is_bounded() -> None:
    """Found in review: a page of no offers was charged 0 bytes, so distinct searches finding
    nothing kept one page each, without bound."""
    store, pages = ResultStore(max_sets=10_000), RenderedPages(max_bytes=100_000)
    for _ in range(5_000):
        empty = store.put("search", (), OK, digest="d", size_bytes=0)
        pages.put(empty, 0, 20, page_of(empty, 0, 20))
    assert len(pages) <= 100_000 // PAGE_OVERHEAD_BYTES
    assert pages.size_bytes <= 100_000
