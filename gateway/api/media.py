"""GraphQL over HTTP's two response media types, and the status code each gives a response.

`application/graphql-response+json` (the spec's own) when the client accepts it; then a GraphQL
request error — the document, the operation or the variables at fault, so execution never
started and the body has no `data` — is a 400. `application/json` (the legacy type, for clients
that accept only it, accept anything or say nothing) answers every well-formed GraphQL request
with 200, request errors included, as the spec requires: Apollo Client and others read the body
of a 200 but drop it from a 400. Failures of HTTP itself (method, body, media types, key, rate)
have their own status in either type.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from starlette.responses import Response

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, from an `Accept` header; None: neither is acceptable."""
    if accept is None or not accept.strip():
        return JSON
    weights: dict[str, float] = {}
    for part in accept.split(",")[:32]:  # bounded: the header is the client's
        kind, *parameters = (piece.strip().lower() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weights[kind] = max(weights.get(kind, 0.0), quality)
    graphql = weights.get(GRAPHQL_RESPONSE, 0.0)
    json = max(weights.get(JSON, 0.0), weights.get("application/*", 0.0), weights.get("*/*", 0.0))
    if graphql > 0 and graphql >= json:
        return GRAPHQL_RESPONSE
    if json > 0:
        return JSON
    return None


@dataclass(frozen=True, slots=True)
class Responder:
    """Builds the responses of one request, in the media type it negotiated."""

    media_type: str = JSON

    def _response(
        self, payload: object, status: int, headers: dict[str, str] | None = None
    ) -> Response:
        response = Response(
            orjson.dumps(payload),
            status_code=status,
            media_type=f"{self.media_type}; charset=utf-8",
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
        """Execution never started: no `data`; 400, or 200 for `application/json`."""
        status = 400 if self.media_type == GRAPHQL_RESPONSE else 200
        return self._response({"errors": list(errors)}, status)

    def http_error(
        self, payload: object, status: int, headers: dict[str, str] | None = None
    ) -> Response:
        """HTTP itself failed (method, body, media type, key, rate): its own status."""
        return self._response(payload, status, headers)
