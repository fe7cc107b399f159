"""The HTTP edge's protocol: uvicorn's httptools protocol (a non-public module, subclassed here
and only here) with the limits uvicorn has no setting for (`gateway/edge_limits.py`), checked as
bytes arrive, and every answer the server gives on its own a GraphQL-style JSON error. Which
methods and attributes of uvicorn's it relies on is listed in `gateway/compat/uvicorn/__init__.py`
and checked by tests/test_compat_uvicorn.py.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httptools
import orjson
import uvicorn

from gateway.api.transport.errors import request_error
from gateway.compat.uvicorn import (
    STATUS_LINE,
    ASGI3Application,
    ASGIReceiveCallable,
    ASGISendCallable,
    HttpToolsProtocol,
    RequestResponseCycle,
    Scope,
    ServerState,
    service_unavailable,
)
from gateway.edge_limits import DEFAULT_LIMITS, LINGER_S, EdgeConfig

log = logging.getLogger(__name__)


_HEAD = 0
"""Phase: waiting for a request's line and headers (from its first byte, or from connecting)."""
_BODY = 1
"""Phase: headers in, the body (if any) still to come."""
_IDLE = 2
"""Phase: a request received whole, the next not begun: keep-alive, uvicorn's timer."""


class _Refused(Exception):
    """Raised in a parser callback to stop the parser once the request has been refused."""


def _error_body(message: str, code: str) -> bytes:
    return orjson.dumps(request_error(message, code))


def _json_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]


OVER_CAPACITY = _error_body(
    "The server is at its connection limit; try again shortly.", "SERVICE_UNAVAILABLE"
)
"""The body of uvicorn's answer over `limit_concurrency`."""
INTERNAL_ERROR = _error_body("Internal server error.", "INTERNAL_SERVER_ERROR")
"""The body of uvicorn's answer when the app fails before its response starts."""


async def _service_unavailable(
    scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
) -> None:
    """uvicorn's `service_unavailable` app, in JSON."""
    headers = _json_headers(OVER_CAPACITY)
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": OVER_CAPACITY, "more_body": False})


async def _send_internal_error(cycle: RequestResponseCycle) -> None:
    headers = _json_headers(INTERNAL_ERROR)
    await cycle.send({"type": "http.response.start", "status": 500, "headers": headers})
    await cycle.send({"type": "http.response.body", "body": INTERNAL_ERROR, "more_body": False})


def _answering_500_in_json(app: ASGI3Application, cycle: RequestResponseCycle) -> ASGI3Application:
    """`app`, with the 500 uvicorn's cycle would send in plain text (the app failed or returned
    before its response started) sent first, in JSON; uvicorn then logs as it always does."""

    async def guarded(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        try:
            await app(scope, receive, send)
        except BaseException:
            if not cycle.response_started and not cycle.disconnected:
                await _send_internal_error(cycle)
            raise
        if not cycle.response_started and not cycle.disconnected:
            cycle.logger.error("ASGI callable returned without starting response.")
            await _send_internal_error(cycle)

    return guarded


class EdgeProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the edge limits, checked before more is buffered.

    A request's line and headers are fed to the parser in slices no longer than what is left of
    `max_header_bytes`, so no more than that is ever held (twice that for a pipelined request
    starting inside a slice); one timer per connection holds the phase's deadline. A refused
    request is answered in JSON and the connection closed: no more is parsed.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = config.limits if isinstance(config, EdgeConfig) else DEFAULT_LIMITS
        self._phase = _HEAD
        self._head_bytes = 0
        self._requests = 0
        self._refused = False
        self._timer: asyncio.TimerHandle | None = None
        """The header or body deadline, or once refused the end of lingering."""

    # Connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._timer = self.loop.call_later(self.limits.header_timeout_s, self._deadline_passed)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        super().connection_lost(exc)
        self._unset_keepalive_if_required()  # uvicorn cancels it on a clean close only

    def shutdown(self) -> None:
        if self._refused:
            self.transport.close()  # no need to linger while the server stops
        else:
            super().shutdown()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # lingering: what still arrives is dropped
        self._unset_keepalive_if_required()
        if self._phase is _IDLE:
            self._phase = _HEAD  # the next request's first byte: its deadline starts
        rest = memoryview(data)
        cap = self.limits.max_header_bytes
        while rest:
            room = cap - self._head_bytes  # in the body, _head_bytes is 0: slices of `cap`
            piece, rest = rest[:room], rest[room:]
            if self._phase is not _BODY:
                self._head_bytes += len(piece)
            if not self._feed(piece):
                return
            if self._phase is not _BODY and self._head_bytes >= cap:
                message = f"The request line and headers are larger than {cap} bytes."
                self._refuse(431, "REQUEST_HEADER_FIELDS_TOO_LARGE", message)
                return
        self._arm_deadline()

    def _feed(self, piece: memoryview) -> bool:
        """uvicorn's data_received for one slice; False once the connection takes no more."""
        try:
            self.parser.feed_data(piece)
        except httptools.HttpParserError as exc:
            if not self._refused:  # else a callback refused the request and answered it
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response(f"Invalid HTTP request: {exc}.")
            return False
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
                return False
            self._unsupported_upgrade_warning()
        return not self._refused

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._phase = _HEAD

    def on_headers_complete(self) -> None:
        # Counted here rather than per header (a Python call each): the byte cap bounds them.
        if len(self.headers) > self.limits.max_headers:
            message = f"The request has more than {self.limits.max_headers} header fields."
            self._refuse(431, "REQUEST_HEADER_FIELDS_TOO_LARGE", message)
            raise _Refused  # stops the parser: the request never reaches the app
        self._cancel_timer()
        self._phase = _BODY
        self._head_bytes = 0
        self._requests += 1
        super().on_headers_complete()
        if self._requests >= self.limits.max_requests_per_connection:
            self.cycle.keep_alive = False  # its response says `connection: close`, then closes

    def on_message_complete(self) -> None:
        self._cancel_timer()
        self._phase = _IDLE
        super().on_message_complete()

    # Answers uvicorn gives on its own

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "BAD_REQUEST", msg)

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        # uvicorn picks its plain-text 503 app and builds the cycle (with its plain-text 500)
        # inline in on_headers_complete; every request, pipelined or not, starts here.
        if app is service_unavailable:
            app = _service_unavailable
        super()._start_asgi_task(cycle, _answering_500_in_json(app, cycle))

    # Deadlines and refusals

    def _arm_deadline(self) -> None:
        if self._timer is not None:
            return
        if self._phase is _HEAD:
            self._timer = self.loop.call_later(self.limits.header_timeout_s, self._deadline_passed)
        elif self._phase is _BODY:
            self._timer = self.loop.call_later(self.limits.body_timeout_s, self._deadline_passed)
        elif (
            self.cycle is not None
            and self.cycle.response_complete
            and self.timeout_keep_alive_task is None
            and not self.transport.is_closing()
        ):
            # Answered before its body was in (413): uvicorn armed keep-alive at the answer and
            # the body's arrival disarmed it, so without this the connection would idle forever.
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _deadline_passed(self) -> None:
        self._timer = None
        if self._phase is _BODY:
            waited, what = self.limits.body_timeout_s, "body"
        else:
            waited, what = self.limits.header_timeout_s, "line and headers"
        self._refuse(408, "REQUEST_TIMEOUT", f"The request {what} took longer than {waited:g} s.")

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer `status` in JSON if it can be the next response on the connection, then close."""
        if self._refused:
            return
        self._refused = True
        self._cancel_timer()
        client = ":".join(map(str, self.client)) if self.client else "-"
        log.info("%s refused with %d: %s", client, status, message)
        cycle: RequestResponseCycle | None = self.cycle
        if cycle is not None and not cycle.response_complete:
            if self._phase is not _BODY or self.pipeline or cycle.response_started:
                # An earlier request is still being answered, or this one's answer has begun:
                # an error cannot come next in order. The client sees the connection close.
                self.transport.close()
                return
            cycle.disconnected = True  # the app hears http.disconnect; what it sends is dropped
            cycle.message_event.set()
        elif cycle is not None and self._phase is _BODY:
            self.transport.close()  # answered already (413), the rest of its body never came
            return
        self.transport.write(self._error_response(status, code, message))
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self.flow.resume_reading()
        self._timer = self.loop.call_later(LINGER_S, self._close)

    def _close(self) -> None:
        self._timer = None
        self.transport.close()

    def _error_response(self, status: int, code: str, message: str) -> bytes:
        body = _error_body(message, code)
        head = [STATUS_LINE[status]]
        for name, value in [*self.server_state.default_headers, *_json_headers(body)]:
            head += [name, b": ", value, b"\r\n"]
        head.append(b"\r\n")
        return b"".join(head) + body
