"""Work that ends when its client leaves: one watcher for plain answers and streamed parts.

A plain answer's execution and an incremental answer's stream run the same way: the work and a
watcher of the connection's `receive` side by side; when the client disconnects first, the
operation's abort signal is set (graphql-core then cancels its resolvers and the deferred work
it started on its own, which cancelling the task would not reach), the work gets
`ABORT_GRACE_S` to wind down, and is then cancelled with every upstream call under it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

from graphql.pyutils import AbortController
from starlette.types import Receive

T = TypeVar("T")

ABORT_GRACE_S = 1.0
"""Once an operation is aborted, how long graphql-core has to wind it down (it cancels its
resolvers and deferred work at once) before its task is cancelled outright."""


class ClientLeft(Exception):
    """The client disconnected before the work ended; the work was stopped."""


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def unless_client_leaves(
    receive: Receive,
    work: Coroutine[Any, Any, T],
    operation: AbortController | None = None,
) -> T:
    """`work`'s result, or `ClientLeft` once the client disconnects (`work` stopped, aborting
    `operation` first). A watcher that fails (the server's receive broke) stops watching:
    the work goes on to its end."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait((task, watcher), return_when=asyncio.FIRST_COMPLETED)
        if not task.done() and watcher.exception() is None:
            if operation is not None:
                # graphql-core cancels what still runs and ends on its own, cleanly; cancelling
                # it in the middle of that would leave some of its tasks behind.
                operation.abort()
                await asyncio.wait((task,), timeout=ABORT_GRACE_S)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise ClientLeft
        return await task
    finally:
        watcher.cancel()
        task.cancel()  # a no-op once it is done; stops it if we are cancelled ourselves
