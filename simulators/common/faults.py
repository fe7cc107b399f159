"""Latency and fault injection for the simulators, adjustable while they run.

`GET/PUT /__sim/faults` reads or changes the settings, `GET /__sim/stats` counts the calls per
path (tests use it to prove coalescing and batching). Faults never touch those two paths. The
same settings say how re-pricing answers (`price_factor`, `offers_gone`), so a demo can show a
price that changed or an offer that went.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal

from aiohttp import web

from simulators.common.responses import json_response

CONTROL_PREFIX = "/__sim/"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ErrorBody = Callable[[int], dict[str, object]]
"""Builds the provider's own error body for an HTTP status."""


FAULTS = (
    "error",  # 500 with the provider's error body
    "unavailable",  # 503 with Retry-After
    "rate_limited",  # 429 with Retry-After
    "unauthorized",  # 401 with the provider's error body
    "hang",  # never answers
    "malformed",  # 200, JSON content type, an HTML body
    "wrong_shape",  # 200, valid JSON of the wrong shape
    "truncated",  # 200, the connection closes before Content-Length bytes arrive
    "oversized",  # 200, a body larger than any sane answer (9 MiB)
    "slow_body",  # 200, headers at once, then a byte now and then
)
"""Each fault a simulator can inject, chosen per call with its `<name>_rate` probability."""

OVERSIZED_BYTES = 9 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FaultConfig:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    unavailable_rate: float = 0.0
    rate_limited_rate: float = 0.0
    unauthorized_rate: float = 0.0
    hang_rate: float = 0.0
    malformed_rate: float = 0.0
    wrong_shape_rate: float = 0.0
    truncated_rate: float = 0.0
    oversized_rate: float = 0.0
    slow_body_rate: float = 0.0
    retry_after_s: int = 1
    """What 503 and 429 answers ask for in Retry-After."""
    seed: int | None = None
    paths: tuple[str, ...] = ()
    """Path prefixes faults apply to; empty: every path (latency always applies)."""
    slow_paths: tuple[str, ...] = ()
    """Path prefixes whose calls take `slow_ms` more: one slow endpoint (hotel offers, say)
    beside fast ones."""
    slow_ms: float = 0.0
    price_factor: float = 1.0
    """Re-pricing (Amadeus Flight Offers Price, Duffel's single offer) answers each offer's
    price × this: 1 answers the search's price, 1.1 a tenth more."""
    offers_gone: bool = False
    """Re-pricing answers that the offer is no longer on sale, in the provider's way."""

    def validated(self) -> FaultConfig:
        for name in ("latency_ms", "jitter_ms", "retry_after_s", "slow_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if not 0 < self.price_factor <= 10:
            raise ValueError("price_factor must be above 0 and at most 10")
        rates = [getattr(self, f"{name}_rate") for name in FAULTS]
        for name, rate in zip(FAULTS, rates, strict=True):
            if not 0 <= rate <= 1:
                raise ValueError(f"{name}_rate must be between 0 and 1")
        if sum(rates) > 1:
            raise ValueError("fault rates add up to more than 1")
        return self


class FaultState:
    def __init__(self, config: FaultConfig, error_body: ErrorBody) -> None:
        self.config = config.validated()
        self.error_body = error_body
        self.calls: Counter[str] = Counter()
        self._rng = random.Random(config.seed)

    def update(self, changes: dict[str, object]) -> None:
        known = {field.name for field in fields(FaultConfig)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        for name in ("paths", "slow_paths"):
            paths = changes.get(name)
            if isinstance(paths, list):
                changes = {**changes, name: tuple(str(path) for path in paths)}
        self.config = replace(self.config, **changes).validated()  # type: ignore[arg-type]
        if "seed" in changes:
            self._rng = random.Random(self.config.seed)

    def delay_s(self, path: str) -> float:
        config = self.config
        jitter = self._rng.uniform(-config.jitter_ms, config.jitter_ms) if config.jitter_ms else 0
        slow = config.slow_ms if config.slow_paths and path.startswith(config.slow_paths) else 0
        return max(config.latency_ms + jitter + slow, 0) / 1000

    def pick_fault(self, path: str) -> str | None:
        if self.config.paths and not path.startswith(self.config.paths):
            return None
        roll = self._rng.random()
        for name in FAULTS:
            rate: float = getattr(self.config, f"{name}_rate")
            if roll < rate:
                return name
            roll -= rate
        return None


FAULTS_KEY = web.AppKey("faults", FaultState)


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(CONTROL_PREFIX):
        return await handler(request)
    state = request.app[FAULTS_KEY]
    state.calls[request.path] += 1
    if (delay := state.delay_s(request.path)) > 0:
        await asyncio.sleep(delay)
    fault = state.pick_fault(request.path)
    if fault is None:
        return await handler(request)
    return await _FAULT_ANSWERS[fault](request, state)


async def _hang(request: web.Request, state: FaultState) -> web.StreamResponse:
    await asyncio.Event().wait()  # until the client gives up and the server cancels us
    raise AssertionError("unreachable")


async def _status(status: int, request: web.Request, state: FaultState) -> web.StreamResponse:
    headers = {"Retry-After": str(state.config.retry_after_s)} if status in (429, 503) else None
    return json_response(state.error_body(status), status=status, headers=headers)


async def _malformed(request: web.Request, state: FaultState) -> web.StreamResponse:
    # What a misbehaving proxy sends: 200, a JSON content type, and an HTML page.
    return web.Response(
        body=b"<html><body>502 Bad Gateway</body></html>", content_type="application/json"
    )


async def _wrong_shape(request: web.Request, state: FaultState) -> web.StreamResponse:
    return json_response({"data": [{"unexpected": True}], "meta": {"count": "one"}})


async def _truncated(request: web.Request, state: FaultState) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.content_length = 4096
    await response.prepare(request)
    await response.write(b'{"data": [{"id": "1", "price": {"total": "12')
    assert request.transport is not None
    request.transport.close()  # the connection drops mid-body
    return response


@functools.cache
def _oversized_body() -> bytes:
    item = b'{"id": "x", "padding": "' + b"x" * 1000 + b'"},'
    count = OVERSIZED_BYTES // len(item) + 1
    return b'{"data": [' + item * count + b'{"id": "last"}]}'


async def _oversized(request: web.Request, state: FaultState) -> web.StreamResponse:
    return web.Response(body=_oversized_body(), content_type="application/json")


async def _slow_body(request: web.Request, state: FaultState) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await response.write(b'{"data": ')
    for _ in range(600):  # a space every 100 ms for up to a minute: valid JSON, never done
        await asyncio.sleep(0.1)
        await response.write(b" ")
    await response.write(b"[]}")
    return response


_FAULT_ANSWERS: dict[str, Callable[[web.Request, FaultState], Awaitable[web.StreamResponse]]] = {
    "error": functools.partial(_status, 500),
    "unavailable": functools.partial(_status, 503),
    "rate_limited": functools.partial(_status, 429),
    "unauthorized": functools.partial(_status, 401),
    "hang": _hang,
    "malformed": _malformed,
    "wrong_shape": _wrong_shape,
    "truncated": _truncated,
    "oversized": _oversized,
    "slow_body": _slow_body,
}


async def _get_faults(request: web.Request) -> web.Response:
    return json_response(asdict(request.app[FAULTS_KEY].config))


async def _put_faults(request: web.Request) -> web.Response:
    try:
        changes = await request.json()
        if not isinstance(changes, dict):
            raise ValueError("expected a JSON object")
        request.app[FAULTS_KEY].update(changes)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        return json_response({"error": str(exc)}, status=400)
    return json_response(asdict(request.app[FAULTS_KEY].config))


async def _get_stats(request: web.Request) -> web.Response:
    calls = request.app[FAULTS_KEY].calls
    return json_response({"calls": dict(calls), "total": sum(calls.values())})


def install(app: web.Application, config: FaultConfig, error_body: ErrorBody) -> FaultState:
    """Add fault injection and the control endpoints to a simulator app."""
    state = FaultState(config, error_body)
    app[FAULTS_KEY] = state
    app.middlewares.append(inject_faults)
    app.router.add_get(CONTROL_PREFIX + "faults", _get_faults)
    app.router.add_put(CONTROL_PREFIX + "faults", _put_faults)
    app.router.add_get(CONTROL_PREFIX + "stats", _get_stats)
    return state


def repriced(request: web.Request, amount: str) -> str:
    """`amount` (a decimal string) as re-pricing answers it now: × `price_factor`, in the same
    number of decimal places."""
    factor = request.app[FAULTS_KEY].config.price_factor
    if factor == 1:
        return amount
    original = Decimal(amount)
    return str((original * Decimal(str(factor))).quantize(original))


def offers_gone(request: web.Request) -> bool:
    return request.app[FAULTS_KEY].config.offers_gone
