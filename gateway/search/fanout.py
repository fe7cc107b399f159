"""Call every provider of a field at once, each under its own timeout; failures become data.

A provider that fails yields a `ProviderOutcome` saying why, never an exception, so the offers of
the others are still returned. A provider whose circuit is open is not called at all. Cancelling
the caller (deadline, client gone) cancels every call in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from gateway import tracing
from gateway.domain import ProviderOutcome, ProviderStatus
from gateway.observe.events import NO_EVENTS, Events, ProviderCalled, ProviderLimited
from gateway.providers.deadline import deadline_in
from gateway.providers.errors import ProviderError
from gateway.search.breaker import CircuitBreaker

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ProviderCall(Generic[T]):
    provider: str
    call: Callable[[], Awaitable[list[T]]]
    breaker: CircuitBreaker | None = None
    cache_key: str | None = None
    """Identifies the search for the cache; None: never cached."""


@dataclass(frozen=True, slots=True)
class ProviderResult(Generic[T]):
    outcome: ProviderOutcome
    offers: list[T]
    fresh_until: float | None = None
    """Until when (Unix time) the search cache serves this answer again without calling the
    provider: a result set made from it may answer the same search until then
    (`search/repeats.py`). None: not kept (a failure, or a field the cache does not keep).
    Set by the cache, never stored in it (`search/entries.py`)."""


async def _run_one(
    call: ProviderCall[T], timeout_s: float, field: str = "", events: Events = NO_EVENTS
) -> ProviderResult[T]:
    tracer = tracing.current()
    if tracer is None:  # the request is not traced: nothing more than this check
        return await _call_provider(call, timeout_s, field, events)
    with tracer.provider_call(call.provider, field) as span:
        result = await _call_provider(call, timeout_s, field, events)
        span.finish(result.outcome.status.name, result.outcome.offer_count)
        return result


async def _call_provider(
    call: ProviderCall[T], timeout_s: float, field: str, events: Events
) -> ProviderResult[T]:
    started = time.perf_counter()

    def outcome(
        status: ProviderStatus, count: int = 0, message: str | None = None, called: bool = True
    ) -> ProviderOutcome:
        elapsed_s = time.perf_counter() - started
        if events and called:
            events.emit(ProviderCalled(call.provider, field, status.value, elapsed_s))
        return ProviderOutcome(call.provider, status, round(elapsed_s * 1000), count, message)

    breaker = call.breaker
    if breaker is not None and not breaker.allow():
        message = f"circuit open after repeated failures; next try in {breaker.retry_in_s():.0f} s"
        return ProviderResult(
            outcome(ProviderStatus.UNAVAILABLE, message=message, called=False), []
        )

    healthy: bool | None = None  # the verdict for the breaker; None: no verdict (cancelled)
    try:
        with deadline_in(timeout_s):
            async with asyncio.timeout(timeout_s):
                offers = await call.call()
        healthy = True
    except TimeoutError:
        healthy = False
        log.warning("%s gave no answer within %g s", call.provider, timeout_s)
        return ProviderResult(
            outcome(ProviderStatus.TIMEOUT, message=f"no answer within {timeout_s:g} s"), []
        )
    except ProviderError as exc:
        called = exc.sent and exc.limit is None
        # Nothing sent (a limit of ours, a search the provider cannot take): no verdict on its
        # health, so the circuit neither counts it as a success nor spends its probe on it.
        healthy = None if not called else not exc.is_outage
        if exc.limit is not None and events:
            events.emit(ProviderLimited(call.provider, field, exc.limit))
        if not exc.sent:
            log.debug("%s not asked: %s", call.provider, exc.message)
        elif exc.detail:
            log.warning("%s failed: %s (%s)", call.provider, exc.message, exc.detail)
        else:
            log.warning("%s failed: %s", call.provider, exc.message)
        return ProviderResult(outcome(exc.status, message=exc.message, called=called), [])
    except Exception:
        healthy = False
        log.exception("%s failed unexpectedly", call.provider)
        return ProviderResult(outcome(ProviderStatus.ERROR, message="internal error"), [])
    finally:
        if breaker is not None:
            if healthy is None:
                breaker.release()
            elif healthy:
                breaker.record_success()
            else:
                breaker.record_failure()
    return ProviderResult(outcome(ProviderStatus.OK, len(offers)), offers)


class Fetch(Protocol):
    """What the search cache offers: an answer for a key, running `run` only on a miss."""

    def __call__(
        self, field: str, key: str, run: Callable[[], Awaitable[ProviderResult[Any]]]
    ) -> Awaitable[ProviderResult[Any]]: ...


async def fan_out(
    calls: Sequence[ProviderCall[T]],
    timeout_s: float,
    *,
    field: str = "",
    fetch: Fetch | None = None,
    events: Events = NO_EVENTS,
) -> list[ProviderResult[T]]:
    """Run all calls concurrently (through `fetch`, the cache, when given); results in order.
    Each call made is reported to `events` (`ProviderCalled`)."""

    async def run(call: ProviderCall[T]) -> ProviderResult[T]:
        if fetch is None or call.cache_key is None:
            return await _run_one(call, timeout_s, field, events)
        result: ProviderResult[T] = await fetch(
            field, call.cache_key, lambda: _run_one(call, timeout_s, field, events)
        )
        return result

    if len(calls) == 1:
        return [await run(calls[0])]
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(run(call)) for call in calls]
    return [task.result() for task in tasks]
