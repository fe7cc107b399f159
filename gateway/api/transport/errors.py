"""The one place errors become what a client sees: message plus `extensions.code`.

Errors the gateway raised on purpose (`GatewayError`) keep their message and code. Errors in the
client's document or variables are BAD_USER_INPUT. Anything else is logged in full once, with the
request id, and the client gets a generic message carrying that id. No message is longer than
`gateway.errors.MAX_MESSAGE_CHARS`, and long runs in it (the client's own values, echoed by
graphql-core) are cut to an excerpt: a refused 200 KB string must not come back.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError

from gateway.errors import BadUserInput, GatewayError, bounded

log = logging.getLogger("gateway.errors")

INTERNAL_MESSAGE = "Internal server error. Quote the requestId when reporting it."
_CLIENT_INPUT = (GraphQLError, ValueError, TypeError, ArithmeticError)
"""Causes of pre-execution errors that describe the client's input: graphql-core's own, and
what the scalars' parsers raise. Anything else (a RecursionError, say) is an internal error."""


def format_error(error: GraphQLError, request_id: str = "-") -> dict[str, object]:
    original = error.original_error
    formatted: dict[str, object] = {"message": bounded(error.message)}
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations[:10]
        ]
    if error.path is not None:
        formatted["path"] = error.path
    if isinstance(original, GatewayError):
        formatted["message"] = bounded(original.message)
        formatted["extensions"] = original.extensions()
    elif error.path is None and (original is None or isinstance(original, _CLIENT_INPUT)):
        # Raised before execution: syntax, validation or variable coercion, i.e. the client's input.
        formatted["extensions"] = {"code": BadUserInput.code}
    else:
        log.error(
            "unexpected error at %s [request %s]: %s",
            ".".join(map(str, error.path or ())) or "(before execution)",
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
