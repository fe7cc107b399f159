"""Attacks on the HTTP edge, over raw sockets against the served configuration.

The server is the one `travel-gateway serve` runs (tests/helpers.py builds it with the same
function as the command line), with its deadlines lowered through Settings so that every test
takes a second or two. Each attack must be answered with a GraphQL-style JSON error and a closed
connection, within its limit, without the server buffering what the attacker sends.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import struct
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.config import Settings
from tests.helpers import TRIP_QUERY, GraphQLClient, Simulators, gateway, serve, trip_variables
from tests.ports import free_port
from tests.served import PROVIDER_PREFIXES

pytestmark = pytest.mark.edge

BASE = Settings(provider_timeout_s=5.0, header_timeout_s=1.0, body_timeout_s=1.0)
"""Edge deadlines of a second, so an attack that is not cut shows as a test that times out (the
provider's 5 s is not the point here: a loaded machine's searches missed 1 s)."""
WAIT_S = 8.0
"""Longest wait for an answer: well past every lowered deadline, on a loaded machine too."""
CUT_WITHIN_S = 6.0
"""A 1 s deadline is met within this (generous: a busy machine answered a cut late, and 2 s
flaked); the drips last 20 s and more, so a deadline each byte renewed still fails."""
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n"


@asynccontextmanager
async def edge(sims: Simulators, **limits: Any) -> AsyncIterator[tuple[GraphQLClient, str, int]]:
    """The gateway served with `limits` over BASE; yields a client and its host and port."""
    async with gateway(replace(BASE, **limits), sims, served=True) as client:
        address = urlsplit(client.base_url)
        assert address.hostname is not None
        assert address.port is not None
        yield client, address.hostname, address.port


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def error_code(self) -> str:
        """The `extensions.code` of a GraphQL-style JSON error body, checking its shape."""
        assert self.headers["content-type"] == "application/json"
        payload = orjson.loads(self.body)
        assert list(payload) == ["errors"]
        [error] = payload["errors"]
        assert isinstance(error["message"], str)
        assert error["message"]
        return str(error["extensions"]["code"])


async def read_answer(reader: asyncio.StreamReader) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Answer(int(status_line.split()[1]), headers, body)


async def closed(reader: asyncio.StreamReader) -> bool:
    """True once the server has closed the connection (end of stream or reset)."""
    try:
        return await reader.read(1) == b""
    except ConnectionError:
        return True


async def ask(host: str, port: int, request: bytes) -> Answer:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        return await asyncio.wait_for(read_answer(reader), WAIT_S)
    finally:
        writer.close()


async def still_serves(client: GraphQLClient) -> None:
    status, _, body = await client.raw("GET", "/healthz")
    assert status == 200, body


async def send_slowly(writer: asyncio.StreamWriter, data: bytes, interval_s: float) -> None:
    """One byte every `interval_s`, until done or the server closes."""
    try:
        for i in range(len(data)):
            writer.write(data[i : i + 1])
            await writer.drain()
            await asyncio.sleep(interval_s)
    except ConnectionError:
        pass


async def send_flood(writer: asyncio.StreamWriter, head: bytes, total: int, chunk: int) -> int:
    """`head`, then `total` bytes of one header value in `chunk`s; returns the bytes sent before
    the server stopped reading (the connection reset) or all of them."""
    sent = 0
    try:
        writer.write(head)
        filler = b"a" * chunk
        while sent < total:
            writer.write(filler)
            await writer.drain()
            sent += chunk
            await asyncio.sleep(0)  # lets the server, in this same loop, read what arrived
    except ConnectionError:
        pass
    return sent


async def test_a_huge_header_is_refused_431_before_it_is_read(sims: Simulators) -> None:
    total = 1024 * 1024
    async with edge(sims) as (client, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        answer = asyncio.ensure_future(read_answer(reader))
        flood = asyncio.ensure_future(
            send_flood(writer, b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Big: ", total, 16384)
        )
        try:
            done, _ = await asyncio.wait((answer,), timeout=WAIT_S)
            assert done, "no answer to a 1 MB header"
            # The answer came while the header was still being sent: nothing waited for it all.
            assert not flood.done() or await flood < total
            refused = answer.result()
            assert refused.status == 431
            assert refused.error_code() == "REQUEST_HEADER_FIELDS_TOO_LARGE"
            assert refused.headers["connection"] == "close"
            flood.cancel()
            assert await asyncio.wait_for(closed(reader), WAIT_S)
        finally:
            flood.cancel()
            answer.cancel()
            writer.close()
        await still_serves(client)


async def test_too_many_headers_are_refused_431(sims: Simulators) -> None:
    def request(headers: int) -> bytes:
        fields = b"".join(b"X-Field-%d: v\r\n" % i for i in range(headers - 1))
        return b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n" + fields + b"\r\n"

    async with edge(sims, max_headers=30) as (client, host, port):
        assert (await ask(host, port, request(30))).status == 200
        refused = await ask(host, port, request(31))
        assert refused.status == 431
        assert refused.error_code() == "REQUEST_HEADER_FIELDS_TOO_LARGE"
        await still_serves(client)


async def test_headers_sent_a_byte_at_a_time_are_cut_408_at_the_header_deadline(
    sims: Simulators,
) -> None:
    async with edge(sims) as (client, host, port):
        started = time.monotonic()
        reader, writer = await asyncio.open_connection(host, port)
        drip = asyncio.ensure_future(send_slowly(writer, HEALTHZ[:-2] + b"X-Slow: " * 20, 0.2))
        try:
            answer = await asyncio.wait_for(read_answer(reader), WAIT_S)
            assert answer.status == 408
            assert answer.error_code() == "REQUEST_TIMEOUT"
            assert await asyncio.wait_for(closed(reader), WAIT_S)
            assert 0.9 < time.monotonic() - started < CUT_WITHIN_S
        finally:
            drip.cancel()
            writer.close()
        await still_serves(client)


async def test_a_silent_connection_is_closed_at_the_header_deadline(sims: Simulators) -> None:
    async with edge(sims) as (client, host, port):
        started = time.monotonic()
        reader, writer = await asyncio.open_connection(host, port)
        try:
            answer = await asyncio.wait_for(read_answer(reader), WAIT_S)
            assert answer.status == 408
            assert answer.error_code() == "REQUEST_TIMEOUT"
            assert await asyncio.wait_for(closed(reader), WAIT_S)
            assert 0.9 < time.monotonic() - started < CUT_WITHIN_S
        finally:
            writer.close()
        await still_serves(client)


async def test_a_body_sent_a_byte_at_a_time_is_cut_408_at_the_body_deadline(
    sims: Simulators, caplog: pytest.LogCaptureFixture
) -> None:
    body = orjson.dumps({"query": "{ __typename }", "pad": "x" * 200})
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    caplog.set_level(logging.INFO, logger="gateway.api.transport.http")
    async with edge(sims) as (client, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(head)
        started = time.monotonic()
        drip = asyncio.ensure_future(send_slowly(writer, body, 0.1))
        try:
            answer = await asyncio.wait_for(read_answer(reader), WAIT_S)
            assert answer.status == 408
            assert answer.error_code() == "REQUEST_TIMEOUT"
            assert await asyncio.wait_for(closed(reader), WAIT_S)
            assert 0.9 < time.monotonic() - started < CUT_WITHIN_S
        finally:
            drip.cancel()
            writer.close()
        await still_serves(client)
    # The app heard the disconnect and let the request go, without an error.
    assert "client went away while sending its request" in caplog.messages
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_connection_answered_before_its_body_still_idles_out(sims: Simulators) -> None:
    """An early answer (413 on the declared length) leaves the body to arrive; after it, the
    connection is idle and must close at the keep-alive deadline like any other."""
    declared = 300_000  # over GATEWAY_MAX_BODY_BYTES
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % declared
    )
    async with edge(sims, keepalive_timeout_s=1) as (client, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(head)
            answer = await asyncio.wait_for(read_answer(reader), WAIT_S)
            assert answer.status == 413
            writer.write(b" " * declared)
            await writer.drain()
            started = time.monotonic()
            assert await asyncio.wait_for(closed(reader), WAIT_S)
            assert time.monotonic() - started < CUT_WITHIN_S
        finally:
            writer.close()
        await still_serves(client)


async def failing_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app (no Starlette to catch its errors) that fails before answering."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": message["type"] + ".complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    raise RuntimeError("boom")


async def test_an_app_failing_before_it_answers_gets_a_json_500() -> None:
    async with serve(failing_app, BASE) as url:
        address = urlsplit(url)
        assert address.hostname is not None
        assert address.port is not None
        answer = await ask(address.hostname, address.port, HEALTHZ)
    assert answer.status == 500
    assert answer.error_code() == "INTERNAL_SERVER_ERROR"


async def test_a_connection_over_the_cap_is_answered_503(sims: Simulators) -> None:
    async with edge(sims, max_connections=1) as (_, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(HEALTHZ)
            assert (await asyncio.wait_for(read_answer(reader), WAIT_S)).status == 200
            refused = await ask(host, port, HEALTHZ)  # a second connection while the first lives
            assert refused.status == 503
            assert refused.error_code() == "SERVICE_UNAVAILABLE"
            assert refused.headers["connection"] == "close"
        finally:
            writer.close()
            await writer.wait_closed()
        await asyncio.sleep(0.05)  # the server sees the first connection go
        assert (await ask(host, port, HEALTHZ)).status == 200


async def test_a_malformed_request_is_answered_400_in_json(sims: Simulators) -> None:
    async with edge(sims) as (client, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(b"HELLO THERE\r\n\r\n")
            answer = await asyncio.wait_for(read_answer(reader), WAIT_S)
            assert answer.status == 400
            assert answer.error_code() == "BAD_REQUEST"
            assert await asyncio.wait_for(closed(reader), WAIT_S)
        finally:
            writer.close()
        await still_serves(client)


async def test_the_last_request_a_connection_may_make_is_answered_connection_close(
    sims: Simulators,
) -> None:
    async with edge(sims, max_requests_per_connection=3) as (client, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for _ in range(2):
                writer.write(HEALTHZ)
                answer = await asyncio.wait_for(read_answer(reader), WAIT_S)
                assert answer.status == 200
                assert "close" not in answer.headers.get("connection", "")
            writer.write(HEALTHZ)
            last = await asyncio.wait_for(read_answer(reader), WAIT_S)
            assert last.status == 200
            assert last.headers["connection"] == "close"
            assert await asyncio.wait_for(closed(reader), WAIT_S)
        finally:
            writer.close()
        await still_serves(client)


async def test_a_search_still_works_while_attackers_are_cut(sims: Simulators) -> None:
    async with edge(sims) as (client, host, port):
        silent = await asyncio.open_connection(host, port)
        slow = await asyncio.open_connection(host, port)
        big = await asyncio.open_connection(host, port)
        drip = asyncio.ensure_future(send_slowly(slow[1], HEALTHZ[:-2] + b"X: " * 20, 0.2))
        flood = asyncio.ensure_future(
            send_flood(big[1], b"GET / HTTP/1.1\r\nX: ", 4 * 1024 * 1024, 65536)
        )
        try:
            status, body = await client.post(TRIP_QUERY, trip_variables())
            assert status == 200
            assert "errors" not in body
            assert body["data"]["flights"]["offers"]["totalCount"] > 0
            answers = await asyncio.wait_for(
                asyncio.gather(*(read_answer(reader) for reader, _ in (silent, slow, big))),
                WAIT_S,
            )
            assert [answer.status for answer in answers] == [408, 408, 431]
        finally:
            drip.cancel()
            flood.cancel()
            for _, writer in (silent, slow, big):
                writer.close()
        await still_serves(client)


def live_protocol_timers() -> list[asyncio.TimerHandle]:
    """Timers still scheduled for a connection's protocol (asyncio's own loop, private fields:
    the tests' server runs on it, in this loop)."""
    scheduled: list[asyncio.TimerHandle] = asyncio.get_running_loop()._scheduled  # type: ignore[attr-defined]
    return [
        handle
        for handle in scheduled
        if not handle.cancelled()
        and isinstance(getattr(handle._callback, "__self__", None), HttpToolsProtocol)  # type: ignore[attr-defined]
    ]


async def test_connections_that_go_leave_no_timer_behind(sims: Simulators) -> None:
    long = {"header_timeout_s": 30.0, "body_timeout_s": 30.0, "keepalive_timeout_s": 30}
    post = (
        b"POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        b"Content-Length: 50\r\n\r\n{"
    )
    async with edge(sims, **long) as (_, host, port):
        names = ("silent", "mid_head", "mid_body", "idle", "refused")
        connections = {name: await asyncio.open_connection(host, port) for name in names}
        connections["mid_head"][1].write(HEALTHZ[:20])
        connections["mid_body"][1].write(post)
        connections["idle"][1].write(HEALTHZ)
        connections["refused"][1].write(b"HELLO THERE\r\n\r\n")
        for name, status in (("idle", 200), ("refused", 400)):
            answer = await asyncio.wait_for(read_answer(connections[name][0]), WAIT_S)
            assert answer.status == status
        assert len(live_protocol_timers()) == 5  # 2 header, 1 body, 1 keep-alive, 1 lingering
        for _, writer in connections.values():  # gone abruptly: a reset, not a clean close
            writer.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            writer.close()
        await asyncio.sleep(0.1)
        assert live_protocol_timers() == []


async def test_the_served_command_with_workers_has_the_limits() -> None:
    """`travel-gateway serve --workers 2`: uvicorn spawns the workers and pickles the config for
    them; the limits must arrive with it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_PREFIXES)}
    env.update(GATEWAY_FX_URL="", GATEWAY_MAX_HEADERS="5", GATEWAY_HEADER_TIMEOUT_S="1")
    command = [sys.executable, "-m", "gateway", "serve", "--port", str(port), "--workers", "2"]
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if (await ask("127.0.0.1", port, HEALTHZ)).status == 200:
                    break
            except OSError:
                assert time.monotonic() < deadline, "serve --workers 2 did not start"
                await asyncio.sleep(0.1)
        many = HEALTHZ[:-2] + b"".join(b"X-%d: v\r\n" % i for i in range(5)) + b"\r\n"
        refused = await ask("127.0.0.1", port, many)
        assert refused.status == 431
        assert refused.error_code() == "REQUEST_HEADER_FIELDS_TOO_LARGE"
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            assert (await asyncio.wait_for(read_answer(reader), WAIT_S)).status == 408
        finally:
            writer.close()
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 15)


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def test_unfinished_huge_headers_do_not_grow_the_process(sims: Simulators) -> None:
    attempted = 4 * 1024 * 1024
    async with edge(sims) as (client, host, port):
        await still_serves(client)
        before = resident_bytes()
        connections = [await asyncio.open_connection(host, port) for _ in range(20)]
        try:
            head = b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Big: "
            await asyncio.wait_for(
                asyncio.gather(
                    *(send_flood(writer, head, attempted, 65536) for _, writer in connections)
                ),
                WAIT_S,
            )
            grown = resident_bytes() - before
        finally:
            for _, writer in connections:
                writer.close()
        print(f"RSS grew {grown / 2**20:.1f} MiB for 20 x {attempted / 2**20:.0f} MiB attempted")
        assert grown < 16 * 2**20
        await still_serves(client)
