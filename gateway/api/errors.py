"""The one place errors become what a client sees: message plus `extensions.code`.

Errors the gateway raised on purpose (`GatewayError`) keep their message and code. Errors in the
client's document or variables are BAD_USER_INPUT. Anything else is logged in full once, with the
request id, and the client gets a generic message carrying that id.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError

from gateway.errors import BadUserInput, GatewayError

log = logging.getLogger("gateway.errors")

INTERNAL_MESSAGE = "Internal server error. Quote the requestId when reporting it."


def format_error(error: GraphQLError, request_id: str) -> dict[str, object]:
    original = error.original_error
    formatted: dict[str, object] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    if error.path is not None:
        formatted["path"] = error.path
    if error.path is None:
        # Raised before execution: syntax, validation or variable coercion, i.e. the client's input.
        formatted["extensions"] = {"code": BadUserInput.code}
    elif isinstance(original, GatewayError):
        formatted["message"] = original.message
        formatted["extensions"] = original.extensions()
    else:
        log.error(
            "unexpected error at %s [request %s]: %s",
            ".".join(map(str, error.path)),
            request_id,
            error.message,
            exc_info=original,
        )
        formatted["message"] = INTERNAL_MESSAGE
        formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    return formatted


def request_error(message: str, code: str = BadUserInput.code) -> dict[str, object]:
    """An error about the HTTP request itself (body, method), before any GraphQL ran."""
    return {"errors": [{"message": message, "extensions": {"code": code}}]}
