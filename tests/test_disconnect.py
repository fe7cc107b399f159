"""The one watcher that stops work when its client leaves (plain answers and streamed parts),
and the request path as the list of stages its module describes."""

from __future__ import annotations

import asyncio
import re

import pytest
from graphql.pyutils import AbortController
from starlette.types import Message

from gateway.api.schema.build import build_schema
from gateway.api.transport import http
from gateway.api.transport.disconnect import ClientLeft, unless_client_leaves

pytestmark = pytest.mark.unit


class Connection:
    """A connection's `receive`: nothing until `leave()` (then `http.disconnect`), or broken."""

    def __init__(self, *, broken: bool = False) -> None:
        self._left = asyncio.Event()
        self._broken = broken

    def leave(self) -> None:
        self._left.set()

    async def receive(self) -> Message:
        if self._broken:
            raise RuntimeError("receive failed")
        await self._left.wait()
        return {"type": "http.disconnect"}


async def test_the_work_s_result_when_it_ends_first() -> None:
    async def work() -> str:
        return "answer"

    assert await unless_client_leaves(Connection().receive, work()) == "answer"


async def test_a_client_that_leaves_aborts_the_operation_then_cancels_the_work() -> None:
    connection = Connection()
    controller = AbortController()
    started, cancelled = asyncio.Event(), asyncio.Event()
    seen_aborted: list[bool] = []

    async def work() -> None:
        started.set()
        try:
            await asyncio.Event().wait()  # never ends on its own
        except asyncio.CancelledError:
            seen_aborted.append(controller.signal.aborted)
            cancelled.set()
            raise

    async def leave_once_started() -> None:
        await started.wait()
        connection.leave()

    leaving = asyncio.ensure_future(leave_once_started())
    with pytest.raises(ClientLeft):
        await unless_client_leaves(connection.receive, work(), controller)
    await leaving
    assert cancelled.is_set()
    assert seen_aborted == [True]  # aborted before it was cancelled


async def test_an_aborted_operation_that_winds_down_is_not_cancelled() -> None:
    """graphql-core ends an aborted stream on its own; it is given the time to."""
    connection = Connection()
    controller = AbortController()
    ended_cleanly = asyncio.Event()

    async def work() -> None:
        connection.leave()
        await controller.signal.wait()
        ended_cleanly.set()

    with pytest.raises(ClientLeft):
        await unless_client_leaves(connection.receive, work(), controller)
    assert ended_cleanly.is_set()


async def test_a_broken_watcher_lets_the_work_finish() -> None:
    finish = asyncio.Event()

    async def work() -> str:
        await finish.wait()
        return "answer"

    async def finish_soon() -> None:
        for _ in range(5):
            await asyncio.sleep(0)
        finish.set()

    finishing = asyncio.ensure_future(finish_soon())
    assert await unless_client_leaves(Connection(broken=True).receive, work()) == "answer"
    await finishing


def test_the_request_path_is_the_stages_the_module_lists_in_order() -> None:
    endpoint = http.GraphQLEndpoint(build_schema())
    documented = re.findall(r"^\d+\. `(\w+)`", http.__doc__ or "", re.MULTILINE)
    assert [stage.__name__ for stage in endpoint.stages] == documented
    assert documented[-1] == "execute"
