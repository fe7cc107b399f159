"""`api/transport/http_cache.py`: the tags a process gave, until when, and how many (a clock)."""

from __future__ import annotations

import pytest

from gateway.api.transport.http_cache import MAX_KEY_BYTES, HttpCache, etag_of, request_key
from tests.helpers import ManualClock

pytestmark = pytest.mark.unit

KEY = request_key("a" * 64, "Hotels", '{"h": 1}', "application/json", None)


def test_a_tag_holds_until_its_answer_may_change_then_the_request_runs_again() -> None:
    clock = ManualClock()
    cache = HttpCache(clock=clock)
    assert KEY is not None
    headers = cache.tag(KEY, b'{"data": 1}', clock.now + 90.5)
    assert headers == {
        "ETag": etag_of(b'{"data": 1}'),
        "Cache-Control": "public, max-age=90",
        "Vary": "Accept, Authorization, X-API-Key",
    }
    clock.advance(60)
    answer = cache.not_modified(KEY, [headers["ETag"]])
    assert answer is not None
    assert answer.status_code == 304
    assert answer.headers["Cache-Control"] == "public, max-age=30"  # what is left
    assert cache.not_modified(KEY, ['W/"another"']) is None
    assert cache.not_modified(KEY, ["*"]) is not None
    clock.advance(30)
    assert cache.not_modified(KEY, [headers["ETag"]]) is None
    assert len(cache) == 0


def test_nothing_is_promised_for_less_than_a_second() -> None:
    clock = ManualClock()
    cache = HttpCache(clock=clock)
    assert KEY is not None
    assert cache.tag(KEY, b"{}", clock.now + 0.9) is None
    assert len(cache) == 0


def test_a_keyed_answer_is_tagged_private() -> None:
    clock = ManualClock()
    keyed = request_key("a" * 64, None, None, "application/json", "web")
    assert keyed is not None
    headers = HttpCache(clock=clock).tag(keyed, b"{}", clock.now + 60)
    assert headers is not None
    assert headers["Cache-Control"] == "private, max-age=60"


def test_what_is_remembered_is_bounded_in_bytes_and_a_long_request_is_not() -> None:
    clock = ManualClock()
    cache = HttpCache(max_bytes=1_000, clock=clock)
    for i in range(20):
        key = request_key(f"{i:064x}", None, None, "application/json", None)
        assert key is not None
        cache.tag(key, b"{}", clock.now + 60)
    assert cache.size_bytes <= 1_000
    assert 0 < len(cache) < 20
    long_variables = "x" * MAX_KEY_BYTES
    assert request_key("a" * 64, None, long_variables, "application/json", None) is None
    assert request_key(None, None, "{}", "application/json", None) is None  # not persisted
