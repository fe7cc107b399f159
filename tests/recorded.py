"""Every exchange between the gateway and the simulators, recorded as it crossed the wire.

Contract tests run searches through the public API against simulators that record each request
the gateway sent (method, path, query, headers, body) and each answer the simulator gave, then
hold both against the providers' own definitions (`tests/contracts`). So what is checked is what
an adapter really builds and what a simulator really answers, not a hand-made copy of either.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from simulators import registry as sim_registry
from simulators import runner
from simulators.common.faults import FAULTS_KEY, FaultConfig
from tests.helpers import Simulators

CONTROL_PREFIX = "/__sim/"


@dataclass(frozen=True)
class Exchange:
    provider: str
    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]
    body: bytes
    status: int
    answer: bytes

    def request_json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def answer_json(self) -> Any:
        return json.loads(self.answer) if self.answer else None

    def __str__(self) -> str:
        return f"{self.provider} {self.method} {self.path} -> {self.status}"


@dataclass
class RecordedSimulators(Simulators):
    exchanges: list[Exchange] = field(default_factory=list)

    def of(self, provider: str) -> list[Exchange]:
        return [exchange for exchange in self.exchanges if exchange.provider == provider]


def _recording(provider: str, into: list[Exchange]) -> Callable[..., Awaitable[Any]]:
    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        body = await request.read()
        response = await handler(request)
        if request.path.startswith(CONTROL_PREFIX):
            return response
        answer = response.body if isinstance(response, web.Response) else b""
        into.append(
            Exchange(
                provider=provider,
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=CIMultiDict(request.headers),
                body=body,
                status=response.status,
                answer=answer if isinstance(answer, bytes) else b"",
            )
        )
        return response

    return record


@asynccontextmanager
async def recorded_simulators(
    default: FaultConfig | None = None,
) -> AsyncIterator[RecordedSimulators]:
    """Every provider's simulator on loopback, each exchange with it recorded in order."""
    exchanges: list[Exchange] = []
    started = []
    for name in sim_registry.names():
        app = runner.create_app(name, default)
        app.middlewares.insert(0, _recording(name, exchanges))  # outermost: replays too
        started.append(await runner.start(name, app=app))
    try:
        yield RecordedSimulators(
            base_urls={s.provider: s.base_url for s in started},
            states={s.provider: s.runner.app[FAULTS_KEY] for s in started},
            exchanges=exchanges,
        )
    finally:
        for simulator in started:
            await simulator.stop()
