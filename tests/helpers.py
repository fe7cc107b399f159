"""Shared test plumbing: real servers on loopback and a small GraphQL client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiohttp
import httpx
import orjson
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from multidict import CIMultiDict
from starlette.applications import Starlette
from starlette.types import ASGIApp

from gateway.app import create_app
from gateway.config import Settings
from gateway.http_edge import server_config
from gateway.observe.events import Event, Observer, RequestDone
from simulators import registry as sim_registry
from simulators import runner
from simulators.common.faults import FAULTS_KEY, FaultConfig, FaultState

APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
"""What Apollo Client sends: the spec's media type first, so request errors are 4xx."""


def days_ahead(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


TRIP_QUERY = """
query Trip($flight: FlightSearchInput!, $hotel: HotelSearchInput!, $first: Int! = 5) {
  flights(search: $flight, first: $first) {
    offers {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        id price { amount currency }
        itineraries { durationMinutes stops segments {
          carrier { code name } flightNumber departure { airport at } arrival { airport at }
          durationMinutes cabin } }
        sources { provider offerId price { amount currency } }
      } }
    }
    providers { provider status latencyMs offerCount message }
  }
  hotels(search: $hotel, first: $first) {
    offers {
      totalCount
      nodes { id hotel { id name cityCode location { latitude longitude } distanceKm }
              price { amount currency } rooms { id provider price { amount currency } } }
    }
    providers { provider status latencyMs offerCount message }
  }
}
"""


def trip_variables(**flight: Any) -> dict[str, Any]:
    return {
        "flight": {
            "origin": "LON",
            "destination": "NYC",
            "departureDate": days_ahead(30),
            **flight,
        },
        "hotel": {"cityCode": "PAR", "checkIn": days_ahead(30), "checkOut": days_ahead(32)},
    }


@dataclass
class Simulators:
    """Every simulator (`simulators/registry.py`): `base_urls[name]`, and its fault switches
    and call counts as an attribute of its name (`sims.duffel.update(...)`)."""

    base_urls: dict[str, str]
    states: dict[str, FaultState]

    def urls(self) -> dict[str, str]:
        return dict(self.base_urls)

    def configs(self) -> dict[str, Any]:
        """Each provider's configuration pointed at its simulator (`Settings.with_simulators`)."""
        return sim_registry.configs(self.base_urls)

    def __getattr__(self, name: str) -> FaultState:
        states: dict[str, FaultState] = self.__dict__["states"]
        if name not in states:
            raise AttributeError(name)
        return states[name]


@asynccontextmanager
async def simulators(
    default: FaultConfig | None = None, **per_provider: FaultConfig
) -> AsyncIterator[Simulators]:
    """Every simulator on loopback: `default` for all, or one's own by its name."""
    unknown = set(per_provider) - set(sim_registry.names())
    assert not unknown, f"no simulator named {unknown}"
    started = [
        await runner.start(name, fault_config=per_provider.get(name, default))
        for name in sim_registry.names()
    ]
    try:
        yield Simulators(
            base_urls={s.provider: s.base_url for s in started},
            states={s.provider: s.runner.app[FAULTS_KEY] for s in started},
        )
    finally:
        for simulator in started:
            await simulator.stop()


class ManualClock:
    """A clock a test moves by hand, for the classes that take `clock=` (ResultStore,
    CircuitBreaker, MemoryStore, ...): time passes when the test says, not when the machine
    gets round to it."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def eventually(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Wait until `check()` holds (a served process's log, another process's file): polled,
    where a fixed sleep guessed how long a busy machine would take. Fails after `timeout_s`."""
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + timeout_s
    while not check():
        assert loop.time() < give_up_at, f"not within {timeout_s} s: {check}"
        await asyncio.sleep(0.02)


def clocked(monkeypatch: pytest.MonkeyPatch, cls: type, clock: Callable[[], float]) -> None:
    """Every `cls` made from now on (create_app makes its own, in its lifespan) keeps `clock`."""
    original: Callable[..., None] = cls.__init__  # type: ignore[misc]

    def init(self: object, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **{**kwargs, "clock": clock})

    monkeypatch.setattr(cls, "__init__", init)


@asynccontextmanager
async def serve(app: ASGIApp, settings: Settings) -> AsyncIterator[str]:
    """Serve `app` as `travel-gateway serve` does (gateway/http_edge.py, with the edge limits of
    `settings`), on a free loopback port; yields its base URL."""
    server = uvicorn.Server(server_config(settings, app, port=0))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before starting")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def gateway(
    settings: Settings,
    sims: Simulators,
    observers: Sequence[Observer] = (),
    *,
    served: bool = False,
) -> AsyncIterator[GraphQLClient]:
    """The gateway pointed at `sims`, `observers` told its events: in process by default (its
    lifespan run as a server runs it, requests through httpx's ASGI transport: no socket to the
    gateway, so nothing for a busy machine to time out); `served`: on loopback with uvicorn and
    the edge protocol, for the tests where the connection is the point (they use
    `client.session` and `client.base_url`)."""
    settings = settings.with_simulators(sims.configs())
    app = create_app(settings, extra_observers=observers)
    if served:
        async with (
            serve(app, settings) as url,
            aiohttp.ClientSession(headers={"Accept": APOLLO_ACCEPT}) as session,
        ):
            yield GraphQLClient(session, url, app)
        return
    # The lifespan loads reference data and starts the provider clients: generous on a busy
    # machine, where it is not what a test checks.
    async with (
        LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as lifespan,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=lifespan.app, raise_app_exceptions=False),
            base_url="http://gateway.test",
            headers={"Accept": APOLLO_ACCEPT},
        ) as http,
    ):
        yield GraphQLClient(app=app, http=http)


class GraphQLClient:
    """Requests to the gateway, over a socket (`session` to `base_url`) or in process (`http`);
    `app`, for tests that look inside it (`app.state.schema`)."""

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        base_url: str | None = None,
        app: Starlette | None = None,
        *,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._session, self._base_url, self.app, self.http = session, base_url, app, http

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise AssertionError("this test talks over a socket: gateway(..., served=True)")
        return self._session

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise AssertionError("this test talks over a socket: gateway(..., served=True)")
        return self._base_url

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **extra: Any
    ) -> tuple[int, dict[str, Any]]:
        payload: dict[str, Any] = {"query": query, **extra}
        if variables is not None:
            payload["variables"] = variables
        return await self.post_payload(payload)

    async def post_payload(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST any JSON body: persisted-query ids, documentId, extensions."""
        status, _, body = await self.raw("POST", json=payload)
        return status, orjson.loads(body)

    async def raw(
        self, method: str, path: str = "/graphql", **kwargs: Any
    ) -> tuple[int, CIMultiDict[str], bytes]:
        if self.http is not None:
            if "data" in kwargs:  # aiohttp's name for a raw body
                kwargs["content"] = kwargs.pop("data")
            answer = await self.http.request(method, path, **kwargs)
            return answer.status_code, CIMultiDict(answer.headers.multi_items()), answer.content
        async with self.session.request(method, self.base_url + path, **kwargs) as response:
            return response.status, response.headers.copy(), await response.read()


class Recorder:
    """An observer keeping every event it is told, in order."""

    def __init__(self) -> None:
        self.seen: list[Event] = []

    def observe(self, event: Event) -> None:
        self.seen.append(event)


def request_done(operation: str | None = "Trip", outcome: str = "ok") -> RequestDone:
    """A `RequestDone` of a request that called no provider."""
    return RequestDone(
        request_id="r",
        operation=operation,
        outcome=outcome,
        status=200,
        duration_s=0.0123,
        error_codes=(),
        providers=(),
        cache_hits=0,
        cache_misses=0,
        coalesced=0,
        client=None,
    )
