"""`@defer` over HTTP, against the served gateway, read part by part as clients read it.

The simulators answer flights in ~100 ms and hotels in ~700 ms (Amadeus's hotel offers and
Duffel's stays are slowed), so a trip query whose hotels are deferred must give its flights part
long before its hotels part, in the format Apollo Client and urql parse.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
import pytest

from gateway.api.transport import payloads
from gateway.api.transport.errors import INTERNAL_MESSAGE
from gateway.api.transport.media import (
    EVENT_STREAM,
    MULTIPART,
    PayloadFormat,
    Streaming,
    negotiate,
    negotiate_streaming,
)
from gateway.config import Settings
from gateway.errors import GatewayError
from gateway.search.service import SearchService
from simulators.common.faults import FaultConfig
from tests.helpers import (
    APOLLO_ACCEPT,
    GraphQLClient,
    Simulators,
    days_ahead,
    gateway,
    simulators,
    trip_variables,
)
from tests.incremental_clients import (
    MultipartReader,
    merge_defer_20220824,
    merge_draft,
    read_events,
)
from tests.test_attacks import upstream_calls
from tests.test_fault_matrix import settled, watched_sessions

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(served_client: GraphQLClient) -> GraphQLClient:
    """Parts are read off a real connection as they arrive, and clients leave it: served."""
    return served_client


APOLLO_DEFER = (
    "multipart/mixed;deferSpec=20220824,application/graphql-response+json,application/json;q=0.9"
)
"""What Apollo Client 4's HttpLink sends with an operation that has `@defer`, with the
`Defer20220824Handler`."""
APOLLO_3 = "multipart/mixed;deferSpec=20220824,application/json"
"""What Apollo Client 3.14 sends with such an operation."""
URQL = (
    "application/graphql-response+json, application/graphql+json, application/json, "
    "text/event-stream, multipart/mixed"
)
"""urql 5's Accept, sent with every query."""
URQL_4 = (
    "multipart/mixed, application/graphql-response+json, application/graphql+json, application/json"
)
"""urql 4's."""
DRAFT = "multipart/mixed;incrementalSpec=v0.2, application/json"

TRIP = """query Trip($flight: FlightSearchInput!, $hotel: HotelSearchInput!) {
  flights(search: $flight, first: 3) {
    offers { totalCount nodes { id price { amount currency } } }
    providers { provider status }
  }
  ... @defer(label: "hotels") {
    hotels(search: $hotel, first: 3) {
      offers { totalCount nodes { id hotel { name } price { amount currency } } }
      providers { provider status }
    }
  }
}"""
WHOLE_TRIP = TRIP.replace('... @defer(label: "hotels") {', "... {")

HOTELS_AFTER_S = 0.7
"""Hotels cannot come sooner: the Amadeus hotel list (100 ms), then its offers (600 ms)."""
FIRST_PART_AHEAD_S = 0.3
"""The flights part comes at least this long before the hotels part: their upstreams differ by
~600 ms. A gap, not a deadline, so that a loaded machine, which delays both, does not fail it."""


def arrived_in_order(first_at: float, hotels_at: float) -> bool:
    """Flights when they are ready, hotels when theirs are: not together at the end."""
    return hotels_at > HOTELS_AFTER_S and hotels_at - first_at > FIRST_PART_AHEAD_S


@asynccontextmanager
async def slow_hotels(
    **settings: Any,
) -> AsyncIterator[tuple[GraphQLClient, Simulators]]:
    """Flights ~100 ms; hotels ~700 ms (Amadeus: the hotel list, then 600 ms for offers)."""
    amadeus = FaultConfig(latency_ms=100, slow_paths=("/v3/shopping/hotel-offers",), slow_ms=500)
    duffel = FaultConfig(latency_ms=100, slow_paths=("/stays/",), slow_ms=600)
    configured = Settings(cache_ttl_flights_s=0, cache_ttl_hotels_s=0, **settings)
    async with (
        simulators(amadeus=amadeus, duffel=duffel) as sims,
        gateway(configured, sims, served=True) as client,
    ):
        # Amadeus's token, fetched once per process: not part of what is measured.
        await client.post(WHOLE_TRIP, trip_variables(departureDate=days_ahead(50)))
        yield client, sims


def differences(streamed: Any, whole: Any, path: str = "") -> list[str]:
    """Where a streamed answer and the whole one differ (the first few), for a failure to say
    what differed: a provider's outcome, an offer's id or price, or the set's size."""
    if isinstance(streamed, dict) and isinstance(whole, dict):
        found = []
        for key in sorted(set(streamed) | set(whole)):
            found += differences(streamed.get(key), whole.get(key), f"{path}.{key}")
        return found[:8]
    if isinstance(streamed, list) and isinstance(whole, list) and len(streamed) == len(whole):
        found = []
        for i, (one, other) in enumerate(zip(streamed, whole, strict=True)):
            found += differences(one, other, f"{path}[{i}]")
        return found[:8]
    return [] if streamed == whole else [f"{path}: {streamed!r} != {whole!r}"[:300]]


@dataclass
class Streamed:
    status: int
    headers: Any
    parts: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    """Each payload with the seconds from the request to when a client could read it."""
    closed: bool = False
    """The stream ended as its format says it must."""
    text: str = ""

    def payloads(self) -> list[dict[str, Any]]:
        return [payload for _, payload in self.parts]


async def stream(
    client: GraphQLClient,
    query: str,
    variables: dict[str, Any] | None = None,
    accept: str = APOLLO_DEFER,
    encoding: str | None = None,
) -> Streamed:
    headers = {"Accept": accept, "Accept-Encoding": encoding or "identity"}
    body = {"query": query, "variables": variables or trip_variables()}
    decoder = codecs.getincrementaldecoder("utf-8")()
    started = time.perf_counter()
    async with client.session.post(
        f"{client.base_url}/graphql", json=body, headers=headers
    ) as response:
        got = Streamed(response.status, response.headers)
        content_type = response.headers["content-type"]
        reader = MultipartReader(content_type) if content_type.startswith("multipart/") else None
        async for chunk in response.content.iter_any():
            at = time.perf_counter() - started
            text = decoder.decode(chunk)
            got.text += text
            if reader is not None:
                got.parts += [(at, part) for part in reader.feed(text)]
            elif content_type.startswith("text/event-stream"):
                done = got.text.rsplit("\n\n", 1)[0]
                events = read_events(done)
                got.parts += [(at, orjson.loads(data)) for kind, data in events[len(got.parts) :]
                              if kind == "next"]  # fmt: skip
                got.closed = bool(events) and events[-1] == ("complete", "")
        if reader is not None:
            got.closed = reader.closed
        elif not content_type.startswith("text/event-stream"):
            got.parts = [(time.perf_counter() - started, orjson.loads(got.text))]
            got.closed = True
    return got


OLDER = PayloadFormat.DEFER_20220824


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, None),
        ("application/json", None),
        ("*/*", None),
        ("multipart/mixed;q=0, application/json", None),
        ("multipart/mixed;deferSpec=20190101, application/json", None),
        ("multipart/mixed", Streaming(MULTIPART, PayloadFormat.DEFER_20220824)),
        (APOLLO_DEFER, Streaming(MULTIPART, PayloadFormat.DEFER_20220824)),
        ('MULTIPART/MIXED; boundary="graphql"; DEFERSPEC="20220824"',
         Streaming(MULTIPART, PayloadFormat.DEFER_20220824)),
        ("multipart/mixed;incrementalSpec=v0.1", Streaming(MULTIPART, OLDER)),
        ("multipart/mixed;incrementalSpec=v0.2", Streaming(MULTIPART, PayloadFormat.DRAFT)),
        # A range naming its format beats a bare one.
        ("multipart/mixed,multipart/mixed;incrementalSpec=v0.2,application/json",
         Streaming(MULTIPART, PayloadFormat.DRAFT)),
        # Apollo Client 4.3's GraphQL17Alpha9Handler.
        ("multipart/mixed;incrementalSpec=v0.2,application/graphql-response+json,"
         "application/json;q=0.9", Streaming(MULTIPART, PayloadFormat.DRAFT)),
        ("text/event-stream", Streaming(EVENT_STREAM, PayloadFormat.DEFER_20220824)),
        ("multipart/mixed;q=0.5, text/event-stream", Streaming(EVENT_STREAM, OLDER)),
        (APOLLO_3, Streaming(MULTIPART, OLDER)),
        (URQL, Streaming(MULTIPART, OLDER)),
        (URQL_4, Streaming(MULTIPART, OLDER)),
    ],
)  # fmt: skip
def test_streaming_negotiation(accept: str | None, expected: Streaming | None) -> None:
    assert negotiate_streaming(accept) == expected


@pytest.mark.parametrize("encoding", [None, "gzip", "br"])
async def test_deferred_hotels_arrive_when_ready(
    encoding: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Apollo Client's request: flights in the first part, hotels in the next when their
    providers answer; compression (which flushes each part) holds nothing back."""
    seen: list[str] = []
    search_flights, search_hotels = SearchService.search_flights, SearchService.search_hotels

    async def hotels(self: SearchService, *args: Any) -> Any:
        seen.append("hotels started")
        return await search_hotels(self, *args)

    async def flights(self: SearchService, *args: Any, **kwargs: Any) -> Any:
        try:
            return await search_flights(self, *args, **kwargs)
        finally:
            seen.append("flights ended")

    async with slow_hotels() as (client, _):
        monkeypatch.setattr(SearchService, "search_hotels", hotels)
        monkeypatch.setattr(SearchService, "search_flights", flights)
        got = await stream(client, TRIP, encoding=encoding)
        _, whole = await client.post(WHOLE_TRIP, trip_variables())

    assert got.status == 200
    assert got.headers["content-type"] == (
        'multipart/mixed; boundary="graphql"; deferSpec=20220824'
    )
    assert got.headers.get("content-encoding") == encoding
    assert got.closed
    [(first_at, first), (hotels_at, hotels)] = got.parts
    print(f"\nfirst part {first_at:.3f} s, hotels part {hotels_at:.3f} s ({encoding})")
    assert arrived_in_order(first_at, hotels_at)
    # Early execution: the deferred search started with the request, not after the first part
    # (which waits for the flights). Order, not a 0.1 s window a loaded machine missed.
    assert seen[:2] == ["hotels started", "flights ended"], seen
    assert first["hasNext"] is True
    assert first["data"]["flights"]["offers"]["totalCount"] > 0
    assert "hotels" not in first["data"]
    [entry] = hotels["incremental"]
    assert entry["path"] == []
    assert entry["label"] == "hotels"
    assert entry["data"]["hotels"]["offers"]["nodes"]
    assert hotels["hasNext"] is False
    merged = merge_defer_20220824(got.payloads())
    assert merged == (whole["data"], []), differences(merged[0], whole["data"])


async def test_the_draft_format_when_asked_for() -> None:
    async with slow_hotels() as (client, _):
        got = await stream(client, TRIP, accept=DRAFT)
        _, whole = await client.post(WHOLE_TRIP, trip_variables())
    assert got.headers["content-type"] == (
        'multipart/mixed; boundary="graphql"; incrementalSpec=v0.2'
    )
    [(first_at, first), (hotels_at, hotels)] = got.parts
    assert arrived_in_order(first_at, hotels_at)
    assert first["pending"] == [{"id": "0", "path": [], "label": "hotels"}]
    assert hotels["completed"] == [{"id": "0"}]
    merged = merge_draft(got.payloads())
    assert merged == (whole["data"], []), differences(merged[0], whole["data"])


async def test_server_sent_events() -> None:
    async with slow_hotels() as (client, _):
        got = await stream(client, TRIP, accept="text/event-stream")
        _, whole = await client.post(WHOLE_TRIP, trip_variables())
    assert got.status == 200
    assert got.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert got.headers["cache-control"] == "no-cache"
    assert got.closed  # `complete` came last
    [(first_at, _), (hotels_at, _)] = got.parts
    print(f"\nSSE: first event {first_at:.3f} s, hotels event {hotels_at:.3f} s")
    assert arrived_in_order(first_at, hotels_at)
    merged = merge_defer_20220824(got.payloads())
    assert merged == (whole["data"], []), differences(merged[0], whole["data"])


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "*/*",
        APOLLO_ACCEPT,
        "multipart/mixed;deferSpec=20190101, application/json",  # a format we do not speak
        "multipart/mixed;q=0, application/json",
    ],
)
async def test_a_client_that_cannot_take_parts_is_refused_before_anything_runs(
    accept: str, client: GraphQLClient, sims: Simulators
) -> None:
    got = await stream(client, TRIP, accept=accept)
    assert got.status == 406
    [(_, body)] = got.parts
    [error] = body["errors"]
    assert error["extensions"] == {"code": "NOT_ACCEPTABLE"}
    assert "multipart/mixed" in error["message"]
    assert upstream_calls(sims) == 0


async def test_defer_that_does_not_apply_needs_no_parts(client: GraphQLClient) -> None:
    query = TRIP.replace('@defer(label: "hotels")', "@defer(if: $later)").replace(
        "$hotel: HotelSearchInput!)", "$hotel: HotelSearchInput!, $later: Boolean!)"
    )
    variables = trip_variables()
    status, body = await client.post(query, {**variables, "later": False})
    assert status == 200
    assert body["data"]["hotels"]["offers"]["totalCount"] > 0
    status, body = await client.post(query, {**variables, "later": True})
    assert status == 406
    status, body = await client.post(TRIP.replace("@defer(", "@defer(if: false, "), variables)
    assert status == 200
    assert "hotels" in body["data"]


@pytest.mark.parametrize("accept", [APOLLO_DEFER, APOLLO_3, URQL, URQL_4, DRAFT])
async def test_without_defer_nothing_changes(client: GraphQLClient, accept: str) -> None:
    """The same JSON answer as for a client that takes no parts, from the lean path."""
    got = await stream(client, WHOLE_TRIP, accept=accept)
    plain = await stream(client, WHOLE_TRIP, accept=APOLLO_ACCEPT)
    assert got.status == 200
    assert got.headers["content-type"] == f"{negotiate(accept)}; charset=utf-8"
    assert got.payloads() == plain.payloads()
    assert "hasNext" not in got.payloads()[0]
    assert client.app is not None
    plans = client.app.state.schema.documents.prepare(WHOLE_TRIP).plans
    [operation] = plans._operations.values()
    [planned] = operation.plans.values()
    assert sum(plan is not None for plan in planned.values()) >= 8


async def test_a_client_taking_only_streams_gets_every_answer_as_one(
    client: GraphQLClient,
) -> None:
    """GraphQL over SSE clients (graphql-sse) accept only `text/event-stream`: an operation
    without `@defer` is one `next` event, a request error too (SSE: on a 200 stream)."""
    events = await stream(client, WHOLE_TRIP, accept="text/event-stream")
    plain = await stream(client, WHOLE_TRIP, accept="application/json")
    assert events.status == 200
    assert events.closed
    assert events.payloads() == plain.payloads()
    refused = await stream(client, "{ nonsense }", accept="text/event-stream")
    assert refused.status == 200
    [(_, error)] = refused.parts
    assert error["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    parts = await stream(client, WHOLE_TRIP, accept="multipart/mixed")
    assert parts.headers["content-type"].startswith("multipart/mixed")
    assert parts.payloads() == plain.payloads()
    assert parts.closed


class Refused(GatewayError):
    code = "HOTELS_REFUSED"


@pytest.mark.parametrize("accept", [APOLLO_DEFER, DRAFT, "text/event-stream"])
async def test_every_error_in_every_part_is_formatted(
    accept: str,
    client: GraphQLClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected error in a deferred fragment is masked (with the request id) and logged
    once; a gateway error keeps its code and message."""

    async def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("db password is hunter2 at https://internal.example/api")

    monkeypatch.setattr(SearchService, "search_hotels", explode)
    with caplog.at_level(logging.ERROR, logger="gateway.errors"):
        got = await stream(client, TRIP, accept=accept)
    assert got.status == 200
    assert "hunter2" not in got.text
    assert "internal.example" not in got.text
    [error] = [
        error
        for payload in got.payloads()
        for entry in payload.get("incremental", [])
        for error in entry.get("errors", [])
    ]
    request_id = got.headers["x-request-id"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert error["path"] == ["hotels"]
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None

    async def refuse(*args: Any, **kwargs: Any) -> None:
        raise Refused("hotels are closed today")

    monkeypatch.setattr(SearchService, "search_hotels", refuse)
    got = await stream(client, TRIP, accept=accept)
    [error] = [
        error
        for payload in got.payloads()
        for entry in payload.get("incremental", [])
        for error in entry.get("errors", [])
    ]
    assert error["message"] == "hotels are closed today"
    assert error["extensions"] == {"code": "HOTELS_REFUSED"}


async def test_a_failure_while_streaming_ends_the_stream_with_a_masked_error(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("a bug that quotes hunter2")

    monkeypatch.setattr(payloads, "_defer_20220824", broken)
    with caplog.at_level(logging.ERROR, logger="gateway.api.transport.incremental"):
        got = await stream(client, TRIP)
    assert got.status == 200
    assert got.closed
    [(_, first), (_, last)] = got.parts
    assert first["hasNext"] is True
    request_id = got.headers["x-request-id"]
    assert last == {
        "errors": [
            {
                "message": INTERNAL_MESSAGE,
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ],
        "hasNext": False,
    }
    assert "hunter2" not in got.text
    [record] = caplog.records
    assert request_id in record.getMessage()
    assert record.exc_info is not None


HOTEL_PATHS = ["/v3/shopping/hotel-offers", "/stays/"]


async def test_a_client_leaving_mid_stream_cancels_the_deferred_search(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.api.transport.incremental")
    async with simulators() as sims, watched_sessions(monkeypatch) as sessions:
        for simulator in (sims.amadeus, sims.duffel):
            simulator.update({"hang_rate": 1, "paths": HOTEL_PATHS})
        async with gateway(Settings(search_deadline_s=30), sims, served=True) as client:
            await client.post("{ providers { name } }")
            baseline = set(asyncio.all_tasks())
            [session] = sessions
            async with client.session.post(
                f"{client.base_url}/graphql",
                json={"query": TRIP, "variables": trip_variables()},
                headers={"Accept": APOLLO_DEFER},
            ) as response:
                reader = MultipartReader(response.headers["content-type"])
                first: list[dict[str, Any]] = []
                while not first:
                    first = reader.feed((await response.content.readany()).decode())
                assert first[0]["hasNext"] is True
                response.close()  # the client leaves with the hotels still searching
            left = time.perf_counter()
            leftover = await settled(baseline, timeout_s=5)
            took = time.perf_counter() - left
            held = len(session.connector._acquired)  # type: ignore[union-attr]
            hotel_calls = sum(sims.amadeus.calls[p] + sims.duffel.calls[p] for p in
                              ("/v3/shopping/hotel-offers", "/stays/search"))  # fmt: skip
    assert hotel_calls >= 1, "the deferred search should have reached its providers"
    assert not leftover, f"tasks left running: {leftover}"
    assert took < 4, "the deferred search went on after the client left"  # its hang: 30 s
    assert held == 0, "an upstream connection was left checked out"
    assert "client went away mid-stream; its searches were cancelled" in caplog.messages


async def test_a_client_leaving_before_the_first_part_cancels_everything(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The deferred hotels started with the flights (early execution): cancelling the request
    alone would leave them running; the operation's abort signal stops them too."""
    caplog.set_level(logging.INFO, logger="gateway.api.transport.http")
    async with simulators() as sims, watched_sessions(monkeypatch) as sessions:
        for simulator in (sims.amadeus, sims.duffel):
            simulator.update({"hang_rate": 1, "paths": ["/air/", "/v2/", *HOTEL_PATHS]})
        async with gateway(Settings(search_deadline_s=30), sims, served=True) as client:
            await client.post("{ providers { name } }")
            baseline = set(asyncio.all_tasks())
            [session] = sessions
            with pytest.raises(TimeoutError):
                await client.session.post(
                    f"{client.base_url}/graphql",
                    json={"query": TRIP, "variables": trip_variables()},
                    headers={"Accept": APOLLO_DEFER},
                    timeout=aiohttp.ClientTimeout(total=0.5),
                )
            left = time.perf_counter()
            leftover = await settled(baseline, timeout_s=5)
            took = time.perf_counter() - left
            held = len(session.connector._acquired)  # type: ignore[union-attr]
            searched = set(sims.amadeus.calls) | set(sims.duffel.calls)
    assert {"/stays/search", "/air/offer_requests"} <= searched
    assert not leftover, f"tasks left running: {leftover}"
    assert took < 4  # the hanging searches' deadline: 30 s
    assert held == 0
    assert "client went away; its searches were cancelled" in caplog.messages


async def test_the_budget_refuses_a_deferred_operation_before_any_upstream_call(
    client: GraphQLClient, sims: Simulators
) -> None:
    hotels = " ".join(
        f'h{n}: hotels(search: {{cityCode: "{city}", checkIn: "{days_ahead(30)}", '
        f'checkOut: "{days_ahead(32)}"}}) {{ offers {{ totalCount }} }}'
        for n, city in enumerate(["PAR", "LON", "NYC"])
    )
    query = f'{{ providers {{ name }} ... @defer(label: "all") {{ {hotels} }} }}'
    got = await stream(client, query, accept=APOLLO_DEFER)
    assert got.status == 400
    [(_, body)] = got.parts
    assert body["errors"][0]["extensions"]["code"] == "OPERATION_TOO_EXPENSIVE"
    assert upstream_calls(sims) == 0


async def test_stream_is_not_offered(client: GraphQLClient) -> None:
    query = "{ providers @stream { name } }"
    got = await stream(client, query, accept=APOLLO_DEFER)
    assert got.status == 400
    [(_, body)] = got.parts
    assert body["errors"][0]["message"] == "Unknown directive '@stream'."
