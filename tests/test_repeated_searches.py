"""`search/repeats.py`: which set answers a repeated search, and for how long (injected clock)."""

from __future__ import annotations

import pytest

from gateway.search.repeats import RepeatedSearches
from tests.helpers import ManualClock

pytestmark = pytest.mark.unit


def test_a_search_is_answered_until_its_answers_stop_being_fresh() -> None:
    clock = ManualClock()
    repeats = RepeatedSearches(clock=clock)
    repeats.remember("trip", "set-1", clock.now + 120, within_s=300)
    clock.advance(119)
    assert repeats.find("trip") == "set-1"
    clock.advance(1)
    assert repeats.find("trip") is None
    assert len(repeats) == 0  # dropped once stale


def test_a_planted_freshness_holds_no_longer_than_half_the_set_s_life() -> None:
    """A value planted in a shared cache may claim any expiry its store keeps: the set still
    answers only while its cursors have half the results TTL left."""
    clock = ManualClock()
    repeats = RepeatedSearches(clock=clock)
    repeats.remember("trip", "set-1", clock.now + 10**9, within_s=300)
    clock.advance(300)
    assert repeats.find("trip") is None


def test_nothing_is_remembered_that_would_answer_no_one() -> None:
    clock = ManualClock()
    repeats = RepeatedSearches(clock=clock)
    repeats.remember("stale", "set-1", clock.now, within_s=300)
    repeats.remember("old set", "set-2", clock.now + 60, within_s=0)
    assert len(repeats) == 0


def test_the_searches_remembered_are_bounded_least_recently_used_first() -> None:
    clock = ManualClock()
    repeats = RepeatedSearches(max_searches=2, clock=clock)
    repeats.remember("a", "set-a", clock.now + 60, within_s=300)
    repeats.remember("b", "set-b", clock.now + 60, within_s=300)
    assert repeats.find("a") == "set-a"  # a is now the most recently used
    repeats.remember("c", "set-c", clock.now + 60, within_s=300)
    assert (repeats.find("a"), repeats.find("b"), repeats.find("c")) == ("set-a", None, "set-c")


def test_a_newer_set_replaces_the_older_for_the_same_search() -> None:
    clock = ManualClock()
    repeats = RepeatedSearches(clock=clock)
    repeats.remember("trip", "set-1", clock.now + 60, within_s=300)
    repeats.remember("trip", "set-2", clock.now + 60, within_s=300)
    assert repeats.find("trip") == "set-2"
    repeats.forget("trip")
    assert repeats.find("trip") is None
