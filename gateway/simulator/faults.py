"""Latency and fault injection for the simulators, adjustable while they run.

`GET/PUT /__sim/faults` reads or changes the settings, `GET /__sim/stats` counts the calls per
path (tests use it to prove coalescing and batching). Faults never touch those two paths.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, fields, replace

from aiohttp import web

CONTROL_PREFIX = "/__sim/"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ErrorBody = Callable[[int], dict[str, object]]
"""Builds the provider's own error body for an HTTP status."""


@dataclass(frozen=True, slots=True)
class FaultConfig:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    """Share of calls answered 500 with the provider's error body."""
    hang_rate: float = 0.0
    """Share of calls that never answer."""
    malformed_rate: float = 0.0
    """Share of calls answered 200 with a body that is not JSON."""
    seed: int | None = None
    paths: tuple[str, ...] = ()
    """Path prefixes faults apply to; empty: every path (latency always applies)."""

    def validated(self) -> FaultConfig:
        for name in ("latency_ms", "jitter_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("error_rate", "hang_rate", "malformed_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
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
        if isinstance(changes.get("paths"), list):
            changes = {**changes, "paths": tuple(changes["paths"])}
        self.config = replace(self.config, **changes).validated()  # type: ignore[arg-type]
        if "seed" in changes:
            self._rng = random.Random(self.config.seed)

    def delay_s(self) -> float:
        config = self.config
        jitter = self._rng.uniform(-config.jitter_ms, config.jitter_ms) if config.jitter_ms else 0
        return max(config.latency_ms + jitter, 0) / 1000

    def pick_fault(self, path: str) -> str | None:
        if self.config.paths and not path.startswith(self.config.paths):
            return None
        roll = self._rng.random()
        for name in ("error", "hang", "malformed"):
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
    if (delay := state.delay_s()) > 0:
        await asyncio.sleep(delay)
    fault = state.pick_fault(request.path)
    if fault == "hang":
        await asyncio.Event().wait()  # until the client gives up and the server cancels us
    if fault == "error":
        return web.json_response(state.error_body(500), status=500)
    if fault == "malformed":
        # What a misbehaving proxy sends: 200, a JSON content type, and an HTML page.
        return web.Response(
            body=b"<html><body>502 Bad Gateway</body></html>", content_type="application/json"
        )
    return await handler(request)


async def _get_faults(request: web.Request) -> web.Response:
    return web.json_response(asdict(request.app[FAULTS_KEY].config))


async def _put_faults(request: web.Request) -> web.Response:
    try:
        changes = await request.json()
        if not isinstance(changes, dict):
            raise ValueError("expected a JSON object")
        request.app[FAULTS_KEY].update(changes)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response(asdict(request.app[FAULTS_KEY].config))


async def _get_stats(request: web.Request) -> web.Response:
    calls = request.app[FAULTS_KEY].calls
    return web.json_response({"calls": dict(calls), "total": sum(calls.values())})


def install(app: web.Application, config: FaultConfig, error_body: ErrorBody) -> FaultState:
    """Add fault injection and the control endpoints to a simulator app."""
    state = FaultState(config, error_body)
    app[FAULTS_KEY] = state
    app.middlewares.append(inject_faults)
    app.router.add_get(CONTROL_PREFIX + "faults", _get_faults)
    app.router.add_put(CONTROL_PREFIX + "faults", _put_faults)
    app.router.add_get(CONTROL_PREFIX + "stats", _get_stats)
    return state
