"""graphql-core internals the gateway relies on (contract: tests/test_compat_graphql_core.py).

Public-but-deep imports (`graphql.execution.types`, `graphql.type.scalars`), the executor methods
the lean path overrides or calls, the field-details attributes it reads, and the wording of the
messages the gateway rewrites. `LEAN_EXECUTION` switches the lean path off: graphql-core (through
Strawberry's execution context) then completes every object itself.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from typing import Any

from graphql import (
    NoSchemaIntrospectionCustomRule,
    VariableValues,
    get_argument_values,
    get_variable_values,
    validate_input_value,
)
from graphql.execution.types import PendingResult
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_int, serialize_string

__all__ = [
    "LEAN_EXECUTION",
    "NoSchemaIntrospectionCustomRule",
    "PendingResult",
    "VariableValues",
    "field_arguments",
    "get_argument_values",
    "get_variable_values",
    "input_problem",
    "parsing_aborted",
    "serialize_boolean",
    "serialize_id",
    "serialize_int",
    "serialize_string",
    "validate_input_value",
    "variable_values",
    "without_value",
]

VERSION = version("graphql-core")

LEAN_EXECUTION = True
"""Whether `gateway.api.schema.build.build_schema` executes with the lean path
(`gateway.compat.graphql_core.execution.LeanExecutionContext`) by default; False: graphql-core's own
completion, the public fallback (what the differential tests in tests/test_execution.py compare
against)."""

OVERRIDDEN_EXECUTOR_METHODS = ("collect_and_execute_subfields",)
"""Executor methods the lean path overrides, with graphql-core's signature."""
CALLED_EXECUTOR_METHODS = ("collect_subfields",)
"""Executor methods the lean path calls: returns (grouped fields, new defer usages, _)."""
EXECUTOR_ATTRIBUTES = ("abort_signal", "context_value", "operation", "fragment_definitions")
"""Executor attributes the lean path reads (and `abort_signal`, sets); `variable_values` too,
whose `.coerced` keys the plans."""
FIELD_DETAILS_ATTRIBUTES = ("node", "defer_usage", "fragment_variable_values")
"""Attributes of `graphql.execution.collect_fields.FieldDetails` the lean path reads."""


def variable_values(
    schema: Any,
    definitions: Any,
    inputs: dict[str, Any],
    *,
    max_errors: int,
    hide_suggestions: bool,
) -> Any:
    """The coerced variables (`VariableValues`), or graphql-core's errors: its
    `get_variable_values` with 3.3's `max_errors` and `hide_suggestions`, called here only."""
    return get_variable_values(
        schema, definitions, inputs, max_errors=max_errors, hide_suggestions=hide_suggestions
    )


def field_arguments(definition: Any, node: Any, variables: Any) -> dict[str, Any]:
    """A field's coerced arguments given coerced `variables` (3.3's `VariableValues`): its
    `get_argument_values`, called here only; `GraphQLError` when they do not coerce."""
    return get_argument_values(definition, node, variables)


# The wording of graphql-core's variable coercion errors (graphql/utilities/coerce_input_value.py).
_REQUIRED = re.compile(r"to include required field '(\w+)'")
_UNKNOWN = re.compile(r"not to include unknown field '(\w+)'")
_NOT_NULL = "not to be None"
_FOUND = re.compile(r"[;,] found: .*$", re.S)


def input_problem(message: str) -> tuple[str | None, str] | None:
    """What one of graphql-core's input coercion errors says, read from its wording: the field
    below the error's path the problem is in (a required or unknown field) or None, and what is
    wrong; None when the wording is none of those."""
    if (required := _REQUIRED.search(message)) is not None:
        return required.group(1), "is required"
    if (unknown := _UNKNOWN.search(message)) is not None:
        return unknown.group(1), "is not a field of this input"
    if _NOT_NULL in message:
        return None, "must not be null"
    return None


def without_value(message: str) -> str:
    """A coercion error's message without the value graphql-core quotes back (`; found: …`)."""
    return _FOUND.sub("", message)


def parsing_aborted(message: str) -> str | None:
    """Which of the parser's own limits a syntax error's message says was hit: "depth",
    "tokens", or None when it is an ordinary syntax error (graphql/language/parser.py)."""
    if "Parsing aborted" not in message:
        return None
    return "depth" if "nested too deeply" in message else "tokens"
