"""The fan-out: concurrency, per-provider timeouts, failures as outcomes, cancellation."""

from __future__ import annotations

import asyncio

import pytest

from gateway.domain import ProviderStatus
from gateway.providers.errors import Unsupported, UpstreamStatusError, UpstreamUnavailable
from gateway.search.breaker import BreakerState, CircuitBreaker
from gateway.search.fanout import ProviderCall, fan_out

pytestmark = pytest.mark.unit


def after(seconds: float, result: list[int] | Exception) -> ProviderCall[int]:
    async def call() -> list[int]:
        await asyncio.sleep(seconds)
        if isinstance(result, Exception):
            raise result
        return result

    return ProviderCall(f"p{seconds}", call)


def meeting(
    name: str, result: list[int], arrived: list[str], everyone: asyncio.Event
) -> ProviderCall[int]:
    """A call that answers 0.3 s after every call of the fan-out has started: run one after
    another, the first would wait for the second until its timeout."""

    async def call() -> list[int]:
        arrived.append(name)
        if len(arrived) == 2:
            everyone.set()
        await everyone.wait()
        await asyncio.sleep(0.3)
        return result

    return ProviderCall(name, call)


async def test_calls_run_concurrently() -> None:
    arrived: list[str] = []
    everyone = asyncio.Event()
    calls = [meeting("a", [1], arrived, everyone), meeting("b", [2, 3], arrived, everyone)]
    results = await fan_out(calls, timeout_s=5)
    assert [r.offers for r in results] == [[1], [2, 3]]
    assert [r.outcome.offer_count for r in results] == [1, 2]
    assert all(r.outcome.status is ProviderStatus.OK for r in results)
    assert all(r.outcome.latency_ms >= 250 for r in results)


async def test_each_failure_becomes_an_outcome() -> None:
    results = await fan_out(
        [
            after(0.01, UpstreamStatusError("x", 503)),
            after(0.01, UpstreamUnavailable("could not connect to x", request_sent=False)),
            after(0.01, RuntimeError("boom at https://secret")),
            after(5, [1]),
            after(0.01, [7]),
        ],
        timeout_s=0.2,
    )
    assert [(r.outcome.status, r.outcome.message) for r in results] == [
        (ProviderStatus.ERROR, "x server error (HTTP 503)"),
        (ProviderStatus.UNAVAILABLE, "could not connect to x"),
        (ProviderStatus.ERROR, "internal error"),
        (ProviderStatus.TIMEOUT, "no answer within 0.2 s"),
        (ProviderStatus.OK, None),
    ]
    assert results[-1].offers == [7]


async def test_cancelling_the_search_cancels_every_call() -> None:
    cancelled = []

    def slow(name: str) -> ProviderCall[int]:
        async def call() -> list[int]:
            try:
                await asyncio.Event().wait()  # never answers: only cancelling ends it
            except asyncio.CancelledError:
                cancelled.append(name)
                raise
            return []

        return ProviderCall(name, call)

    task = asyncio.create_task(fan_out([slow("a"), slow("b")], timeout_s=30))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(cancelled) == ["a", "b"]


async def test_a_search_never_sent_gives_the_circuit_no_verdict() -> None:
    """Found in review: an UNSUPPORTED search (nothing sent) counted as a success, so family
    hotel searches between Amadeus outages kept its circuit from opening, and one closed an
    open circuit without a call."""
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_s=10, clock=lambda: now[0])

    async def unsupported() -> list[object]:
        raise Unsupported("amadeus hotel search takes adults only")

    async def down() -> list[object]:
        raise UpstreamUnavailable("refused", request_sent=False)

    for call in (down, unsupported, down):  # two outages in a row, whatever came between
        (result,) = await fan_out([ProviderCall("amadeus", call, breaker)], 1.0)
    assert breaker.state is BreakerState.OPEN
    now[0] = 11.0  # half-open: the probe must not be spent on a search never sent
    (result,) = await fan_out([ProviderCall("amadeus", unsupported, breaker)], 1.0)
    assert result.outcome.status is ProviderStatus.UNSUPPORTED
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()  # the probe is still there for a real call
