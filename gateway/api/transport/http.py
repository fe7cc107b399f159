"""GraphQL over HTTP: POST JSON and GET queries, the explorer for browsers, errors as GraphQL JSON.

Kept small and explicit rather than Strawberry's generic view. A request passes the stages of
`GraphQLEndpoint.stages` in order, each cheap and bounded; each either answers (a response ends
the request) or notes on the request's `Exchange` what the next needs. Nothing reaches a
resolver before the last:

1. `accept`: the method (GET or POST; HEAD and the rest are refused), the explorer for a
   browser, the media type to answer in;
2. `admit_client`: the API key when keys are required, the client's requests per minute
   (`api/admission/clients.py`);
3. `read`: CSRF prevention, then the body, read against its size limit while it arrives;
4. `revalidate`: a GET of a persisted document whose `If-None-Match` names the tag this process
   gave its answer, still fresh, is answered 304 here (`api/transport/http_cache.py`);
5. `prepare`: the document: its text, or the trusted or persisted document it names by id
   (`api/admission/persisted.py`); then its size, tokens, shape and validity
   (`api/admission/documents.py`), cached by its text; the operation, a query;
6. `admit_operation`: its variables, coerced against their types; the search budget
   (`api/admission/budget.py`) priced with those variables, and the client's searches per
   minute; an operation whose `@defer` applies is refused here if the client cannot take its
   parts;
7. `execute`: cancelled with every upstream call under it if the client leaves
   (`api/transport/disconnect.py`); one JSON answer, or for `@defer` the parts as they are
   ready (`api/transport/incremental.py`); a GET of a persisted document that searched only
   pages that hold is tagged for HTTP caches.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import ExperimentalIncrementalExecutionResults, OperationType
from graphql.pyutils import AbortController
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.types import ExecutionResult

from gateway import tracing
from gateway.api.admission import disclosure
from gateway.api.admission.budget import SearchBudget, assess
from gateway.api.admission.clients import (
    Client,
    ClientLimits,
    ClientPolicy,
    RateLimited,
    Unauthenticated,
)
from gateway.api.admission.documents import DocumentRejected, PreparedDocument
from gateway.api.admission.measure import MeasuredOperation
from gateway.api.admission.persisted import PersistedQueries, PersistedQueryError, requested
from gateway.api.admission.variables import coerce_variables
from gateway.api.schema.build import GatewaySchema
from gateway.api.schema.context import Context
from gateway.api.transport import csrf, explorer, incremental, payloads
from gateway.api.transport.disconnect import ClientLeft, unless_client_leaves
from gateway.api.transport.errors import format_error, request_error
from gateway.api.transport.http_cache import HttpCache, RequestKey, asked_tags, request_key
from gateway.api.transport.media import (
    EVENT_STREAM,
    GRAPHQL_RESPONSE,
    JSON,
    Responder,
    Streaming,
    negotiate,
    negotiate_streaming,
)
from gateway.compat import strawberry as compat_strawberry
from gateway.errors import GatewayError, OperationTooExpensive
from gateway.observe.events import NO_EVENTS, ClientRefused, Events, RequestDone, RequestTally
from gateway.request_id import current_request_id
from gateway.search.service import SearchService

log = logging.getLogger(__name__)

CLIENT_CLOSED_REQUEST = 499
"""The status nginx logs for a client that left first; nobody receives it."""


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    max_body_bytes: int = 256 * 1024
    budget: SearchBudget = field(default_factory=SearchBudget)
    csrf_headers: tuple[str, ...] | None = csrf.REQUIRED_HEADERS
    """A request without a non-simple content type must carry one of these; None: no check."""
    explorer: bool = True
    clients: ClientPolicy = field(default_factory=ClientPolicy)
    net_prices: str = "keyed"
    """Who sees what the seller pays (`api/admission/disclosure.py`)."""
    http_cache_with_keys: bool = False
    """Whether keyed requests' answers carry HTTP caching headers, private
    (`api/transport/http_cache.py`)."""


class RequestError(Exception):
    def __init__(self, status: int, message: str, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def _refused(error: GatewayError, respond: Responder) -> Response:
    """Nothing ran: who is asking, how often, or what they ask for is at fault. The one place
    such refusals get their HTTP status (`api/transport/media.py` for GraphQL request errors)."""
    formatted: dict[str, object] = {"message": error.message, "extensions": error.extensions()}
    if isinstance(error, RateLimited):
        headers = {"Retry-After": str(error.retry_after_s)}
        return respond.http_error({"errors": [formatted]}, 429, headers)
    if isinstance(error, Unauthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
        return respond.http_error({"errors": [formatted]}, 401, headers)
    if isinstance(error, incremental.IncrementalNotAccepted):
        return respond.http_error({"errors": [formatted]}, 406)
    return respond.request_error([formatted])


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "query" not in request.query_params


def _check_csrf(request: Request, required: tuple[str, ...] | None) -> None:
    if required is not None and not csrf.preflighted(request.headers, required):
        raise RequestError(400, csrf.refusal(required), "CSRF_PREVENTED")


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    too_large = RequestError(
        413, f"Request body is larger than {limit} bytes.", "PAYLOAD_TOO_LARGE"
    )
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _from_get(request: Request) -> dict[str, Any]:
    params = request.query_params
    payload: dict[str, Any] = {
        "query": params.get("query"),
        "operationName": params.get("operationName"),
        "documentId": params.get("documentId"),
    }
    for name in ("variables", "extensions"):
        if (value := params.get(name)) is not None:
            try:
                payload[name] = orjson.loads(value)
            except orjson.JSONDecodeError:
                raise RequestError(400, f"The `{name}` parameter is not valid JSON.") from None
    return payload


async def _from_post(request: Request, limit: int) -> dict[str, Any]:
    if csrf.media_type(request.headers) not in (JSON, GRAPHQL_RESPONSE):
        raise RequestError(415, "Send the request as application/json.", "UNSUPPORTED_MEDIA_TYPE")
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


def _check_payload(payload: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    query = payload.get("query")
    if query is not None and (not isinstance(query, str) or not query.strip()):
        raise RequestError(400, "The `query` must be a non-empty string.")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "The `variables` must be a JSON object.")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "The `operationName` must be a string.")
    return variables, operation_name


_OPERATION_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}\Z")
"""What of a client's operation name is reported: a GraphQL name of 100 characters at most."""
_ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,39}\Z")


def _reported_name(name: object) -> str | None:
    if name is None:
        return None
    return name if isinstance(name, str) and _OPERATION_NAME.match(name) else "(invalid)"


def _error_codes(errors: list[dict[str, Any]]) -> tuple[str, ...]:
    codes = []
    for error in errors:
        extensions = error.get("extensions")
        code = extensions.get("code") if isinstance(extensions, dict) else None
        codes.append(code if isinstance(code, str) and _ERROR_CODE.match(code) else "OTHER")
    return tuple(codes)


def _answered_codes(response: Response) -> tuple[str, ...]:
    """The error codes of an answer given before execution (small bodies: read back)."""
    body = getattr(response, "body", None)
    if not isinstance(body, bytes) or not body.startswith(b'{"errors"'):
        return ()
    try:
        errors = orjson.loads(body)["errors"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return ()
    return _error_codes(errors) if isinstance(errors, list) else ()


def _request_done(tally: RequestTally, response: Response | None, took_s: float) -> RequestDone:
    status = response.status_code if response is not None else 500
    if tally.executed:
        codes = tally.error_codes
        outcome = "partial" if codes else "ok"
    else:
        codes = _answered_codes(response) if response is not None else ("INTERNAL_SERVER_ERROR",)
        if status == CLIENT_CLOSED_REQUEST:
            outcome = "client_closed"
        elif status >= 500:
            outcome = "error"
        elif status in (401, 429):
            outcome = "refused"
        else:
            outcome = "rejected" if codes or status >= 400 else "ok"
    return RequestDone(
        request_id=current_request_id(),
        operation=tally.operation,
        outcome=outcome,
        status=status,
        duration_s=took_s,
        error_codes=codes,
        providers=tuple(tally.outcomes),
        cache_hits=tally.cache_hits,
        cache_misses=tally.cache_misses,
        coalesced=tally.coalesced,
        client=tally.client,
    )


class _ReportedStream:
    """An answer in parts, reported when its last part is sent (or its client left): its later
    parts' provider calls and cache use count into the same tally, and its duration is the
    whole stream's. (Errors in later parts are not in `error_codes`.)"""

    def __init__(
        self,
        response: incremental.IncrementalResponse,
        events: Events,
        tally: RequestTally,
        started: float,
    ) -> None:
        self._response = response
        self._events = events
        self._tally = tally
        self._started = started

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with self._events.request(self._tally):
            try:
                await self._response(scope, receive, send)
            finally:
                took_s = time.perf_counter() - self._started
                self._events.emit(_request_done(self._tally, self._response, took_s))


@dataclass(slots=True)
class Exchange:
    """One request on its way through the stages: what each found, for the next."""

    request: Request
    tally: RequestTally | None
    """Where the request's outcome is counted; None when nothing listens (`Events`)."""
    respond: Responder = field(default_factory=Responder)
    media_type: str | None = None
    """The JSON media type to answer in; None: only a stream is acceptable."""
    streaming: Streaming | None = None
    """How parts would travel; None: the client takes no incremental answer."""
    client: Client | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    query: str = ""
    prepared: PreparedDocument | None = None
    measured: MeasuredOperation | None = None
    deferred: bool = False
    """Some `@defer` of the operation applies: its answer comes in parts."""
    cache_key: RequestKey | None = None
    """What a GET of a persisted document is tagged under (`api/transport/http_cache.py`)."""


Stage = Callable[[Exchange], Awaitable[Response | None]]


class GraphQLEndpoint:
    """The /graphql endpoint; each request reported to `events` (`RequestDone`) when it is
    answered, and refusals for cost (`ClientRefused`)."""

    def __init__(
        self,
        schema: GatewaySchema,
        settings: EndpointSettings | None = None,
        events: Events = NO_EVENTS,
    ) -> None:
        self._schema = schema
        self._settings = settings or EndpointSettings()
        self._events = events
        self._documents = schema.documents
        self._graphql_schema = compat_strawberry.graphql_schema(schema)
        self._hide_suggestions = not self._documents.settings.introspection
        self._http_cache = HttpCache()
        self.stages: tuple[Stage, ...] = (
            self.accept,
            self.admit_client,
            self.read,
            self.revalidate,
            self.prepare,
            self.admit_operation,
            self.execute,
        )

    async def handle(self, request: Request) -> Response | _ReportedStream:
        """The request's answer, reported when it is given (a stream: when it ends)."""
        events = self._events
        if not events:
            return await self.answer(request, None)
        started = time.perf_counter()
        response: Response | None = None
        with events.request() as tally:
            try:
                response = await self.answer(request, tally)
            except asyncio.CancelledError:  # the server stops, or the client left mid-way
                response = Response(status_code=CLIENT_CLOSED_REQUEST)  # reported only
                raise
            finally:
                if not isinstance(response, incremental.IncrementalResponse):
                    events.emit(_request_done(tally, response, time.perf_counter() - started))
        if isinstance(response, incremental.IncrementalResponse):
            return _ReportedStream(response, events, tally, started)
        return response

    async def answer(self, request: Request, tally: RequestTally | None) -> Response:
        exchange = Exchange(request, tally)
        for stage in self.stages:
            if (response := await stage(exchange)) is not None:
                return response
        raise AssertionError("the last stage always answers")

    async def accept(self, exchange: Exchange) -> Response | None:
        request = exchange.request
        if request.method not in ("GET", "POST"):
            return Responder().http_error(
                request_error(f"{request.method} is not supported; use GET or POST.",
                              "METHOD_NOT_ALLOWED"),
                405,
                headers={"Allow": "GET, POST"},
            )  # fmt: skip
        if request.method == "GET" and _wants_html(request):
            if self._settings.explorer:
                return explorer.page()
            message = request_error("The explorer is switched off.", "NOT_FOUND")
            return Responder().http_error(message, 404)
        accept = request.headers.get("accept")
        exchange.media_type = negotiate(accept)
        exchange.streaming = streaming = negotiate_streaming(accept)
        if exchange.media_type is None and streaming is None:
            return Responder().http_error(
                request_error(f"Accept {JSON} or {GRAPHQL_RESPONSE}.", "NOT_ACCEPTABLE"), 406
            )
        if exchange.media_type is None:  # only a stream is acceptable: every answer is one
            assert streaming is not None
            media_type = EVENT_STREAM if streaming.media_type == EVENT_STREAM else JSON
            exchange.respond = Responder(media_type)
        else:
            exchange.respond = Responder(exchange.media_type)
        return None

    async def admit_client(self, exchange: Exchange) -> Response | None:
        request, tally = exchange.request, exchange.tally
        limits: ClientLimits = request.state.clients
        try:
            client = self._settings.clients.identify(
                request.headers, request.client.host if request.client else None
            )
            if tally is not None and client.key is not None:
                tally.client = client.key.name
            await limits.admit_request(client)
        except (Unauthenticated, RateLimited) as refused:
            return _refused(refused, exchange.respond)
        exchange.client = client
        return None

    async def read(self, exchange: Exchange) -> Response | None:
        request = exchange.request
        try:
            if request.method == "GET":
                # A POST must be application/json, which no browser sends cross-site unasked.
                _check_csrf(request, self._settings.csrf_headers)
                payload = _from_get(request)
            else:
                payload = await _from_post(request, self._settings.max_body_bytes)
            if exchange.tally is not None:
                exchange.tally.operation = _reported_name(payload.get("operationName"))
            exchange.variables, exchange.operation_name = _check_payload(payload)
        except RequestError as exc:
            return exchange.respond.http_error(request_error(exc.message, exc.code), exc.status)
        except ClientDisconnect:
            log.info("client went away while sending its request")
            return Response(status_code=CLIENT_CLOSED_REQUEST)
        exchange.payload = payload
        return None

    async def revalidate(self, exchange: Exchange) -> Response | None:
        request, client = exchange.request, exchange.client
        assert client is not None
        if request.method != "GET" or (
            client.key is not None and not self._settings.http_cache_with_keys
        ):
            return None
        try:
            named = requested(exchange.payload).sha256
        except PersistedQueryError:
            return None  # `prepare` says what is wrong
        exchange.cache_key = request_key(
            named,
            exchange.operation_name,
            request.query_params.get("variables"),
            exchange.respond.media_type,
            client.key.name if client.key is not None else None,
        )
        asked = asked_tags(request.headers)
        if exchange.cache_key is None or not asked:
            return None
        return self._http_cache.not_modified(exchange.cache_key, asked)

    async def prepare(self, exchange: Exchange) -> Response | None:
        persisted: PersistedQueries = exchange.request.state.persisted
        try:
            asked = requested(exchange.payload)
            query = await persisted.lookup(asked)
            prepared = self._documents.prepare(query)
            measured = prepared.operation(exchange.operation_name)
        except PersistedQueryError as refused:
            return _refused(refused, exchange.respond)
        except DocumentRejected as rejected:
            return exchange.respond.request_error(rejected.errors)
        await persisted.register(asked, query)
        operation = measured.node
        name = operation.name.value if operation.name else None
        tracing.name_operation(operation.operation.value, name)
        if exchange.tally is not None:
            exchange.tally.operation = _reported_name(name)
        if operation.operation is not OperationType.QUERY:
            return exchange.respond.http_error(
                request_error("Only queries are supported.", "METHOD_NOT_ALLOWED"), 405
            )
        exchange.query, exchange.prepared, exchange.measured = query, prepared, measured
        return None

    async def admit_operation(self, exchange: Exchange) -> Response | None:
        measured, client, tally = exchange.measured, exchange.client, exchange.tally
        assert measured is not None
        assert client is not None
        search: SearchService = exchange.request.state.search
        limits: ClientLimits = exchange.request.state.clients
        try:
            coerced = coerce_variables(
                self._graphql_schema,
                measured.node.variable_definitions or (),
                exchange.variables or {},
                hide_suggestions=self._hide_suggestions,
            )
            cost = assess(measured, coerced, self._settings.budget, search.upstream_calls)
            exchange.deferred = incremental.defers(measured, coerced)
            if exchange.deferred and exchange.streaming is None:
                raise incremental.IncrementalNotAccepted
            await limits.charge_searches(client, sum(cost.searches.values()))
        except GatewayError as refused:
            if tally is not None and isinstance(refused, OperationTooExpensive):
                self._events.emit(ClientRefused("cost", tally.client))
            return _refused(refused, exchange.respond)
        return None

    async def execute(self, exchange: Exchange) -> Response:
        tally, streaming, client = exchange.tally, exchange.streaming, exchange.client
        assert client is not None
        request_id = current_request_id()
        # Only an incremental operation has an abort signal; every other runs as it always has.
        controller = AbortController() if exchange.deferred else None
        context = Context(
            search=exchange.request.state.search,
            request_id=request_id,
            prepared=exchange.prepared,
            net_prices=disclosure.allowed(self._settings.net_prices, client),
            abort_signal=None if controller is None else controller.signal,
        )
        execution = self._schema.execute(
            exchange.query,
            variable_values=exchange.variables,
            context_value=context,
            operation_name=exchange.operation_name,
        )
        try:
            result: (
                ExecutionResult | ExperimentalIncrementalExecutionResults
            ) = await unless_client_leaves(exchange.request.receive, execution, controller)
        except ClientLeft:
            log.info("client went away; its searches were cancelled")
            return Response(status_code=CLIENT_CLOSED_REQUEST)

        if tally is not None:
            tally.executed = True
        if isinstance(result, ExperimentalIncrementalExecutionResults):
            assert streaming is not None  # the operation defers, so the client accepts parts
            parts = payloads.incremental(result, streaming.payloads, request_id)
            return incremental.response(parts, streaming, request_id, controller)
        raised = result.errors or []
        errors = [format_error(error, request_id) for error in raised]
        if tally is not None and errors:
            tally.error_codes = _error_codes(errors)
        if result.data is None and raised and all(error.path is None for error in raised):
            return exchange.respond.request_error(errors)  # refused before running anything
        if streaming is not None and (exchange.deferred or exchange.media_type is None):
            # A stream was asked for (`@defer` that graphql-core did not need, or no JSON type
            # acceptable): the answer is its one part.
            return incremental.response(payloads.single(result.data, errors), streaming, request_id)
        body: dict[str, Any] = {"errors": errors} if errors else {}
        body["data"] = result.data
        response = exchange.respond.executed(body)
        until = context.freshness.holds_until()
        if exchange.cache_key is not None and not errors and until is not None:
            tagged = self._http_cache.tag(exchange.cache_key, bytes(response.body), until)
            if tagged is not None:
                response.headers.update(tagged)
        return response


def graphql_endpoint(
    schema: GatewaySchema,
    settings: EndpointSettings | None = None,
    events: Events = NO_EVENTS,
) -> Callable[[Request], Awaitable[Response | _ReportedStream]]:
    """The /graphql endpoint as Starlette's request-response function."""
    return GraphQLEndpoint(schema, settings, events).handle
