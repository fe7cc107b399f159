"""GraphQL over HTTP's response media types, and the status code each gives a response.

`application/graphql-response+json` (the spec's own) when the client accepts it; then a GraphQL
request error — the document, the operation or the variables at fault, so execution never
started and the body has no `data` — is a 400. `application/json` (the legacy type, for clients
that accept only it, accept anything or say nothing) answers every well-formed GraphQL request
with 200, request errors included, as the spec requires: Apollo Client and others read the body
of a 200 but drop it from a 400. Failures of HTTP itself (method, body, media types, key, rate)
have their own status in either type.

Incremental delivery (`@defer`, `api/transport/incremental.py`) streams `multipart/mixed` or
`text/event-stream`, only to a client that names one in `Accept` (`*/*` does not count: Apollo
Client and urql name `multipart/mixed` when they mean it). A client that accepts only
`text/event-stream` gets request errors as an event stream too (GraphQL over SSE: an answer in
another type would fail an `EventSource`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import orjson
from starlette.responses import Response

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
MULTIPART = "multipart/mixed"
EVENT_STREAM = "text/event-stream"
MAX_ACCEPT_PARTS = 32
"""Media ranges of an `Accept` header looked at: the header is the client's."""


class PayloadFormat(Enum):
    """How incremental payloads are shaped (`api/transport/payloads.py`)."""

    DEFER_20220824 = "deferSpec=20220824"
    """Apollo's `deferSpec=20220824` (its incremental v0.1): later payloads carry `incremental`
    entries with their own `path`. What Apollo Client 3, Apollo Client 4's
    `Defer20220824Handler` and urql parse; the default."""
    DRAFT = "incrementalSpec=v0.2"
    """The current draft (graphql-core 3.3's own, Apollo's incremental v0.2): `pending`,
    `incremental` by `id`, `completed`. Only on request: urql merges it since 4.1 and Apollo
    Client 4 only with its `GraphQL17Alpha9Handler`."""


_FORMATS = {
    ("deferspec", "20220824"): PayloadFormat.DEFER_20220824,
    ("incrementalspec", "v0.1"): PayloadFormat.DEFER_20220824,
    ("incrementalspec", "v0.2"): PayloadFormat.DRAFT,
}
"""`Accept` parameters naming a payload format (names compared in lower case)."""


@dataclass(frozen=True, slots=True)
class Streaming:
    """How an incremental response travels (`MULTIPART` or `EVENT_STREAM`) and is shaped."""

    media_type: str
    payloads: PayloadFormat


def _ranges(accept: str) -> list[tuple[str, dict[str, str], float]]:
    """The media ranges of an `Accept` header: type, parameters (names in lower case), quality."""
    ranges = []
    for part in accept.split(",")[:MAX_ACCEPT_PARTS]:
        kind, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        named: dict[str, str] = {}
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
            else:
                named[name] = value
        ranges.append((kind.lower(), named, quality))
    return ranges


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, from an `Accept` header; None: neither is acceptable."""
    if accept is None or not accept.strip():
        return JSON
    weights: dict[str, float] = {}
    for kind, _, quality in _ranges(accept):
        weights[kind] = max(weights.get(kind, 0.0), quality)
    graphql = weights.get(GRAPHQL_RESPONSE, 0.0)
    json = max(weights.get(JSON, 0.0), weights.get("application/*", 0.0), weights.get("*/*", 0.0))
    if graphql > 0 and graphql >= json:
        return GRAPHQL_RESPONSE
    if json > 0:
        return JSON
    return None


def negotiate_streaming(accept: str | None) -> Streaming | None:
    """How to deliver an incremental response, from an `Accept` header; None: not at all.

    The range with the highest quality wins; of equals, one naming its format beats one that
    does not, then `multipart/mixed` (the incremental delivery RFC's) beats `text/event-stream`
    (urql names both, the event stream first; the order of ranges means nothing in HTTP). A
    format we do not speak (`deferSpec=` another date) makes its range unacceptable; none named
    means `PayloadFormat.DEFER_20220824`, which every client that names these types parses.
    """
    if accept is None:
        return None
    best: Streaming | None = None
    best_rank = (0.0, False, False)
    for kind, parameters, quality in _ranges(accept):
        if kind not in (MULTIPART, EVENT_STREAM) or quality <= 0:
            continue
        named = [
            (name, value.lower())
            for name, value in parameters.items()
            if name in ("deferspec", "incrementalspec")
        ]
        payloads = _FORMATS.get(named[0]) if named else PayloadFormat.DEFER_20220824
        rank = (quality, bool(named), kind == MULTIPART)
        if payloads is not None and rank > best_rank:  # else a format we do not speak
            best, best_rank = Streaming(kind, payloads), rank
    return best


BOUNDARY = "graphql"
"""Between the parts of a `multipart/mixed` answer (Apollo Router's; JSON never holds a line
starting with `--`)."""
PART_HEAD = b"\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
MULTIPART_START = b"\r\n--" + BOUNDARY.encode()
MULTIPART_END = b"--\r\n"
"""After the last part's delimiter: makes it the closing one."""
EVENT_STREAM_END = b"event: complete\ndata:\n\n"
"""The last event of every event stream: `complete`, with the empty `data` that `EventSource`
needs to dispatch it."""


def multipart_part(payload: bytes) -> bytes:
    """One part, followed by its delimiter: Apollo Client and urql read a part once the next
    delimiter arrives, so each part carries it rather than waiting for the next one."""
    return PART_HEAD + payload + MULTIPART_START


def event(payload: bytes) -> bytes:
    """A GraphQL-over-SSE `next` event ("distinct connections" mode): JSON holds no newline."""
    return b"event: next\ndata: " + payload + b"\n\n"


@dataclass(frozen=True, slots=True)
class Responder:
    """Builds the responses of one request, in the media type it negotiated."""

    media_type: str = JSON

    def _response(
        self, payload: object, status: int, headers: dict[str, str] | None = None
    ) -> Response:
        # An event-stream client gets HTTP's own failures as JSON: they have their own status.
        media_type = JSON if self.media_type == EVENT_STREAM else self.media_type
        response = Response(
            orjson.dumps(payload),
            status_code=status,
            media_type=f"{media_type}; charset=utf-8",
            headers=headers,
        )
        response.headers["Vary"] = "Accept"  # the media type follows it (compression adds its own)
        return response

    def executed(self, payload: object) -> Response:
        """Execution ran (the body has `data`, perhaps null): 200 in either type."""
        return self._response(payload, 200)

    def request_error(
        self, errors: list[dict[str, object]] | tuple[dict[str, object], ...]
    ) -> Response:
        """Execution never started: no `data`; 400, or 200 for `application/json` and for an
        event stream (its one `next` event holds the errors)."""
        if self.media_type == EVENT_STREAM:
            response = Response(
                event(orjson.dumps({"errors": list(errors)})) + EVENT_STREAM_END,
                media_type=EVENT_STREAM,  # Starlette adds the charset to text types
                headers={"Vary": "Accept", "Cache-Control": "no-cache"},
            )
            return response
        status = 400 if self.media_type == GRAPHQL_RESPONSE else 200
        return self._response({"errors": list(errors)}, status)

    def http_error(
        self, payload: object, status: int, headers: dict[str, str] | None = None
    ) -> Response:
        """HTTP itself failed (method, body, media type, key, rate): its own status."""
        return self._response(payload, status, headers)
