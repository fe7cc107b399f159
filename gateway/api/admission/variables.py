"""An operation's variables, coerced against their types, with every problem in one error.

graphql-core reports each bad variable as its own error whose message spells the path inside
the value (`Variable '$s' has invalid value at .checkIn: …`) and quotes the value back. A form
wants what semantic validation gives (`gateway.errors.BadUserInput`): one error, and in
`extensions.problems` a `{field, message}` per problem, the field being the path the client
wrote — here the variable's (`$s.checkIn`), as the resolvers report problems in values that
came from variables (`gateway.api.schema.query`). So on failure, the value of each variable is
validated again, field by field, to collect those problems (no cost on the way to success).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    Undefined,
    VariableDefinitionNode,
    is_input_type,
    is_non_null_type,
    type_from_ast,
)

from gateway.compat.graphql_core import (
    VariableValues,
    input_problem,
    validate_input_value,
    variable_values,
    without_value,
)
from gateway.errors import BadUserInput, InputProblem

MAX_PROBLEMS = 20


def coerce_variables(
    schema: GraphQLSchema,
    definitions: Collection[VariableDefinitionNode],
    inputs: Mapping[str, Any],
    *,
    hide_suggestions: bool,
) -> VariableValues:
    """The coerced variables; `BadUserInput` listing every problem when they do not fit."""
    coerced = variable_values(
        schema,
        definitions,
        dict(inputs),
        max_errors=MAX_PROBLEMS,
        hide_suggestions=hide_suggestions,
    )
    if isinstance(coerced, VariableValues):
        return coerced
    found = _problems(schema, definitions, inputs, hide_suggestions)
    if not found:  # a case the walk below does not know: graphql-core's own words
        found = [InputProblem("variables", error.message) for error in coerced]
    raise BadUserInput(found[:MAX_PROBLEMS])


def _problems(
    schema: GraphQLSchema,
    definitions: Collection[VariableDefinitionNode],
    inputs: Mapping[str, Any],
    hide_suggestions: bool,
) -> list[InputProblem]:
    found: list[InputProblem] = []
    for definition in definitions:
        name = "$" + definition.variable.name.value
        variable_type = type_from_ast(schema, definition.type)
        if variable_type is None or not is_input_type(variable_type):
            continue  # validation refuses such a document before variables are read
        value = inputs.get(definition.variable.name.value, Undefined)
        if value is Undefined:
            if is_non_null_type(variable_type) and definition.default_value is None:
                found.append(InputProblem(name, "is required"))
            continue

        def report(error: GraphQLError, path: list[str | int], name: str = name) -> None:
            found.append(_problem(name, path, error))

        validate_input_value(value, variable_type, report, hide_suggestions)
        if len(found) >= MAX_PROBLEMS:
            break
    return found


def _problem(variable: str, path: list[str | int], error: GraphQLError) -> InputProblem:
    field = variable + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in path
    )
    read = input_problem(error.message)
    if read is not None:
        sub_field, problem = read
        return InputProblem(field if sub_field is None else f"{field}.{sub_field}", problem)
    if isinstance(error.original_error, ValueError | TypeError):
        return InputProblem(field, str(error.original_error))  # our scalars' own words
    return InputProblem(field, without_value(error.message))
