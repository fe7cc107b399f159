"""Incremental delivery over HTTP: an operation with `@defer` answered in parts as they are ready.

A client that names `multipart/mixed` or `text/event-stream` in `Accept`
(`api/transport/media.py`) and sends an operation whose `@defer` applies gets its payloads
(`api/transport/payloads.py`) as they come: each one is written and flushed before the next is
pulled, so a slow client holds back the operation rather than making the gateway buffer it.
graphql-core starts deferred fragments together with the rest of the operation (early
execution, `api/schema/build.py`), so a deferred `hotels` searches while `flights` does and
arrives when its providers answer.

A client that does not accept either type and sends such an operation is refused with 406
before anything runs, as Apollo Server, Apollo Router and Mercurius do: Apollo Client and urql
name `multipart/mixed` whenever they send `@defer`, so only clients that cannot read parts get
it, with a message saying what to accept.

When the client leaves, the stream stops as a plain answer's execution does
(`api/transport/disconnect.py`): the operation's abort signal is set, so every resolver still
running and every deferred fragment under way is cancelled with its upstream calls.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing

import orjson
from graphql import BooleanValueNode, VariableNode
from graphql.pyutils import AbortController
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from gateway.api.admission.measure import MeasuredOperation
from gateway.api.transport.disconnect import ClientLeft, unless_client_leaves
from gateway.api.transport.errors import INTERNAL_MESSAGE
from gateway.api.transport.media import (
    BOUNDARY,
    EVENT_STREAM,
    EVENT_STREAM_END,
    MULTIPART,
    MULTIPART_END,
    MULTIPART_START,
    Streaming,
    event,
    multipart_part,
)
from gateway.api.transport.payloads import Payload
from gateway.compat.graphql_core import VariableValues
from gateway.errors import GatewayError

log = logging.getLogger(__name__)


class IncrementalNotAccepted(GatewayError):
    """The operation would be answered in parts, and the client accepts neither type."""

    code = "NOT_ACCEPTABLE"

    def __init__(self) -> None:
        super().__init__(
            "The operation uses @defer, which is answered in several parts: accept "
            f"{MULTIPART} (Apollo Client and urql do with such operations; Apollo Client "
            f"sends '{MULTIPART};deferSpec=20220824') or {EVENT_STREAM}."
        )


def defers(operation: MeasuredOperation, variables: VariableValues) -> bool:
    """Whether some `@defer` of the operation applies with these variables: its `if` is
    absent (true by default), true, or a variable that is not false. Skipped fragments are not
    looked into: an operation that defers only there is answered as one part of a stream."""
    for directive in operation.deferrals:
        condition = next((a.value for a in directive.arguments or () if a.name.value == "if"), None)
        if isinstance(condition, BooleanValueNode) and not condition.value:
            continue
        if (
            isinstance(condition, VariableNode)
            and variables.coerced.get(condition.name.value, True) is False
        ):
            continue
        return True
    return False


def response(
    payloads: AsyncGenerator[Payload, None],
    streaming: Streaming,
    request_id: str,
    operation: AbortController | None = None,
) -> IncrementalResponse:
    """The streamed answer of `payloads`; `operation` stops it when the client leaves."""
    if streaming.media_type == EVENT_STREAM:
        frame, start, end = event, b"", EVENT_STREAM_END
        media_type = EVENT_STREAM
    else:
        frame, start, end = multipart_part, MULTIPART_START, MULTIPART_END
        media_type = f'{MULTIPART}; boundary="{BOUNDARY}"; {streaming.payloads.value}'
    chunks = _framed(payloads, request_id, frame, start, end, operation)
    return IncrementalResponse(chunks, media_type=media_type, operation=operation)


async def _framed(
    payloads: AsyncGenerator[Payload, None],
    request_id: str,
    frame: Callable[[bytes], bytes],
    start: bytes,
    end: bytes,
    operation: AbortController | None,
) -> AsyncGenerator[bytes, None]:
    """The body, one chunk per payload (the first with the stream's start); an unexpected
    failure ends it with one masked error, logged once."""
    before = start
    try:
        async with aclosing(payloads) as pulled:
            async for payload in pulled:
                yield before + frame(orjson.dumps(payload))
                before = b""
    except Exception:
        if operation is not None and operation.signal.aborted:
            return  # the client left: graphql-core ended the stream with the abort's reason
        log.exception("incremental delivery failed [request %s]", request_id)
        error = {
            "message": INTERNAL_MESSAGE,
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        }
        yield before + frame(orjson.dumps({"errors": [error], "hasNext": False}))
    yield end


class IncrementalResponse(StreamingResponse):
    """Streams its chunks as they come, each flushed on its own; when the client leaves, aborts
    the operation and ends the stream, and logs it in one line."""

    def __init__(
        self,
        chunks: AsyncGenerator[bytes, None],
        media_type: str,
        operation: AbortController | None = None,
    ) -> None:
        super().__init__(
            chunks,
            media_type=media_type,
            headers={
                "Vary": "Accept",
                "Cache-Control": "no-cache",
                # nginx buffers what it proxies unless told not to: parts would wait for the end.
                "X-Accel-Buffering": "no",
            },
        )
        self._chunks = chunks
        self._operation = operation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        try:
            await unless_client_leaves(receive, self._stream(send), self._operation)
        except ClientLeft:
            log.info("client went away mid-stream; its searches were cancelled")

    async def _stream(self, send: Send) -> None:
        try:
            async for chunk in self._chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await self._chunks.aclose()
