"""GraphQL over HTTP: POST JSON and GET queries, GraphiQL for browsers, errors as GraphQL JSON.

Kept small and explicit rather than Strawberry's generic view: every malformed request gets a
GraphQL error body with a code (never a bare text 400 or a 500), the body size is capped while it
is read, and the hot path is one parse, one execute and one orjson dump.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import orjson
import strawberry
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from strawberry.exceptions import MissingQueryError
from strawberry.http.ides import get_graphql_ide_html
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from gateway.api.context import Context
from gateway.api.errors import format_error, request_error
from gateway.request_id import current_request_id
from gateway.search.service import SearchService

log = logging.getLogger(__name__)

T = TypeVar("T")

JSON = "application/json"
CLIENT_CLOSED_REQUEST = 499
"""The status nginx logs for a client that left first; nobody receives it."""
_QUERY_ONLY = (OperationType.QUERY,)
_ONLY_QUERIES = "Only queries are supported."


class RequestError(Exception):
    def __init__(self, status: int, message: str, code: str = "BAD_USER_INPUT") -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def _json(payload: object, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type=JSON)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "query" not in request.query_params


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"Request body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestError(413, f"Request body is larger than {limit} bytes.")
            chunks.append(chunk)
    except ClientDisconnect:
        raise ClientLeft from None  # gone, or cut by the server at the body deadline
    return b"".join(chunks)


def _from_get(request: Request) -> dict[str, Any]:
    params = request.query_params
    payload: dict[str, Any] = {
        "query": params.get("query"),
        "operationName": params.get("operationName"),
    }
    if (variables := params.get("variables")) is not None:
        try:
            payload["variables"] = orjson.loads(variables)
        except orjson.JSONDecodeError:
            raise RequestError(400, "The `variables` parameter is not valid JSON.") from None
    return payload


async def _from_post(request: Request, limit: int) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in (JSON, "application/graphql-response+json"):
        raise RequestError(415, "Send the request as application/json.")
    body = await _read_body(request, limit)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestError(400, f"Malformed JSON body: {exc.msg} at position {exc.pos}.") from None
    if isinstance(payload, list):
        raise RequestError(400, "Batched requests are not supported; send one operation.")
    if not isinstance(payload, dict):
        raise RequestError(400, "The JSON body must be an object with a `query`.")
    return payload


def _check_payload(payload: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str | None]:
    query = payload.get("query")
    if not isinstance(query, str) or not query.strip():
        raise RequestError(400, "The `query` must be a non-empty string.")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "The `variables` must be a JSON object.")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "The `operationName` must be a string.")
    return query, variables, operation_name


class ClientLeft(Exception):
    pass


async def _unless_client_leaves(request: Request, work: Coroutine[Any, Any, T]) -> T:
    """Run `work`, cancelling it (and every upstream call under it) if the client disconnects."""
    task = asyncio.ensure_future(work)

    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait((task, watcher), return_when=asyncio.FIRST_COMPLETED)
        if not task.done() and watcher.exception() is None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise ClientLeft
        return await task
    finally:
        watcher.cancel()
        task.cancel()  # a no-op once it is done; stops it if we are cancelled ourselves


def graphql_endpoint(schema: strawberry.Schema, *, max_body_bytes: int) -> Callable[[Request], Any]:
    ide_html = get_graphql_ide_html()

    async def endpoint(request: Request) -> Response:
        if request.method == "GET" and _wants_html(request):
            return HTMLResponse(ide_html)
        try:
            if request.method == "GET":
                payload = _from_get(request)
            else:
                payload = await _from_post(request, max_body_bytes)
            query, variables, operation_name = _check_payload(payload)
        except RequestError as exc:
            return _json(request_error(exc.message, exc.code), exc.status)
        except ClientLeft:
            log.info("client went away while sending its request")
            return Response(status_code=CLIENT_CLOSED_REQUEST)

        request_id = current_request_id()
        search: SearchService = request.state.search
        execution = schema.execute(
            query,
            variable_values=variables,
            context_value=Context(search=search, request_id=request_id),
            operation_name=operation_name,
            allowed_operation_types=_QUERY_ONLY,
        )
        try:
            result = await _unless_client_leaves(request, execution)
        except ClientLeft:
            log.info("client went away; its searches were cancelled")
            return Response(status_code=CLIENT_CLOSED_REQUEST)
        except CannotGetOperationTypeError as exc:
            return _json(request_error(exc.as_http_error_reason()), 400)
        except InvalidOperationTypeError:
            return _json(request_error(_ONLY_QUERIES), 400)
        except MissingQueryError:
            return _json(request_error("The `query` must be a non-empty string."), 400)

        body: dict[str, Any] = {}
        status = 200
        if result.errors:
            body["errors"] = [format_error(error, request_id) for error in result.errors]
            if result.data is None and all(error.path is None for error in result.errors):
                status = 400  # nothing ran: the document or the variables are at fault
        body["data"] = result.data
        return _json(body, status)

    return endpoint
