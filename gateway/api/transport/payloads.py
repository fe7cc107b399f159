"""Incremental payloads in the format the client reads, every error formatted on the way.

graphql-core 3.3 delivers `@defer` as the current draft has it: an initial result announcing
`pending` fragments by id and path, then results whose `incremental` entries refer to those ids
(with a `subPath`), whose `completed` entries close them (with the errors of a fragment that
failed as a whole), and `hasNext`. That is `PayloadFormat.DRAFT`. What Apollo Client and urql
parse by default is older (`PayloadFormat.DEFER_20220824`): no `pending` nor `completed`, each
`incremental` entry with its full `path` and `label`, and a failed fragment as an entry with
`data: null` and its errors. Both are written here from graphql-core's results.

Every error goes through `api/transport/errors.py`'s `format_error`, as in a single response: a
deferred fragment's unexpected error is logged once and reaches the client masked, with the request
id. Payloads that would tell an older client nothing (only new `pending` fragments, or fragments
completed without errors) are left out, except the last, which says `hasNext: false`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import Any

from graphql import (
    ExperimentalIncrementalExecutionResults,
    GraphQLError,
    IncrementalDeferResult,
    InitialIncrementalExecutionResult,
    SubsequentIncrementalExecutionResult,
)

from gateway.api.transport.errors import format_error
from gateway.api.transport.media import PayloadFormat
from gateway.compat.graphql_core import PendingResult

Payload = dict[str, Any]


async def single(
    data: dict[str, Any] | None, errors: list[dict[str, object]] | None = None
) -> AsyncGenerator[Payload, None]:
    """The one payload of an operation that was not delivered incrementally (errors already
    formatted): the shape of a JSON response, without `hasNext` (the draft: "must not be present
    for single-payload responses")."""
    payload: Payload = {"errors": errors} if errors else {}
    payload["data"] = data
    yield payload


async def incremental(
    results: ExperimentalIncrementalExecutionResults, shape: PayloadFormat, request_id: str
) -> AsyncGenerator[Payload, None]:
    """The payloads of an incremental operation, the initial one first; pulled one at a time, so
    nothing is produced ahead of what the client has taken."""
    draft = shape is PayloadFormat.DRAFT
    initial = results.initial_result
    pending = {announced.id: announced for announced in initial.pending}
    yield _initial(initial, request_id, draft)
    async with aclosing(results.subsequent_results) as subsequent:
        async for result in subsequent:
            if draft:
                yield _draft(result, request_id)
                continue
            payload = _defer_20220824(result, pending, request_id)
            if payload is not None:
                yield payload


def _errors(errors: Sequence[GraphQLError] | None, request_id: str) -> list[Payload]:
    return [format_error(error, request_id) for error in errors or ()]


def _initial(initial: InitialIncrementalExecutionResult, request_id: str, draft: bool) -> Payload:
    payload: Payload = {}
    if errors := _errors(initial.errors, request_id):
        payload["errors"] = errors
    payload["data"] = initial.data
    if draft:
        payload["pending"] = [_pending(announced) for announced in initial.pending]
    payload["hasNext"] = initial.has_next
    return payload


def _pending(announced: PendingResult) -> Payload:
    entry: Payload = {"id": announced.id, "path": announced.path}
    if announced.label is not None:
        entry["label"] = announced.label
    return entry


def _draft(result: SubsequentIncrementalExecutionResult, request_id: str) -> Payload:
    """graphql-core's own shape (its `formatted`), with our error formatting."""
    payload: Payload = {}
    if result.pending:
        payload["pending"] = [_pending(announced) for announced in result.pending]
    if result.incremental:
        entries = []
        for delivered in result.incremental:
            entry: Payload = {}
            if errors := _errors(delivered.errors, request_id):
                entry["errors"] = errors
            entry["data"] = _data(delivered)
            entry["id"] = delivered.id
            if delivered.sub_path:
                entry["subPath"] = delivered.sub_path
            entries.append(entry)
        payload["incremental"] = entries
    if result.completed:
        completed = []
        for done in result.completed:
            closed: Payload = {"id": done.id}
            if errors := _errors(done.errors, request_id):
                closed["errors"] = errors
            completed.append(closed)
        payload["completed"] = completed
    payload["hasNext"] = result.has_next
    return payload


def _defer_20220824(
    result: SubsequentIncrementalExecutionResult,
    pending: dict[str, PendingResult],
    request_id: str,
) -> Payload | None:
    """Apollo's format: ids resolved to paths and labels, failed fragments as `data: null`."""
    for announced in result.pending or ():
        pending[announced.id] = announced
    entries = []
    for delivered in result.incremental or ():
        where = pending[delivered.id]
        entry = _located(where, [*where.path, *(delivered.sub_path or ())])
        if errors := _errors(delivered.errors, request_id):
            entry["errors"] = errors
        entry["data"] = _data(delivered)
        entries.append(entry)
    for done in result.completed or ():
        where = pending.pop(done.id)
        if errors := _errors(done.errors, request_id):
            entry = _located(where, where.path)
            entry["errors"] = errors
            entry["data"] = None
            entries.append(entry)
    if not entries and result.has_next:
        return None
    payload: Payload = {"incremental": entries} if entries else {}
    payload["hasNext"] = result.has_next
    return payload


def _located(where: PendingResult, path: list[str | int]) -> Payload:
    entry: Payload = {"path": path}
    if where.label is not None:
        entry["label"] = where.label
    return entry


def _data(delivered: object) -> dict[str, Any]:
    if not isinstance(delivered, IncrementalDeferResult):
        # `@stream` is not in the schema (`api/schema/build.py`), so nothing else is delivered.
        raise TypeError(f"unexpected incremental result: {type(delivered).__name__}")
    return delivered.data
