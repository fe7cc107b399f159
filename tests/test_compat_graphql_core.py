"""Contract of gateway/compat/graphql_core.py: each hook still fits the installed graphql-core.

A failure names the hook and graphql-core's version: the hook (and whatever uses it) needs
adapting to that version before the pin in pyproject.toml moves.
"""

from __future__ import annotations

import inspect
from typing import Any

import graphql
import pytest
import strawberry
from graphql import (
    ASTValidationRule,
    GraphQLBoolean,
    GraphQLError,
    GraphQLID,
    GraphQLInt,
    GraphQLString,
    GraphQLSyntaxError,
    build_schema,
    parse,
)
from graphql.execution.collect_fields import FieldDetails

from gateway.compat import graphql_core as hooks
from gateway.compat import strawberry as strawberry_hooks

pytestmark = pytest.mark.unit

SDL = """
input Trip { origin: String!, adults: Int! }
type Query { trips(trip: Trip!): [String!] }
"""


def broken(hook: str, why: str) -> str:
    return f"gateway.compat.graphql_core.{hook} no longer fits graphql-core {hooks.VERSION}: {why}"


def parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_variable_and_argument_values() -> None:
    assert parameters(hooks.get_variable_values)[:5] == [
        "schema",
        "var_def_nodes",
        "inputs",
        "max_errors",
        "hide_suggestions",
    ], broken("get_variable_values", "its parameters changed")
    assert parameters(hooks.get_argument_values)[:3] == [
        "type_def",
        "node",
        "variable_values",
    ], broken("get_argument_values", "its parameters changed")
    schema = build_schema(SDL)
    operation = parse("query($t: Trip!) { trips(trip: $t) }").definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    values = hooks.get_variable_values(
        schema, operation.variable_definitions or (), {"t": {"origin": "LHR", "adults": 1}}
    )
    assert isinstance(values, hooks.VariableValues), broken("VariableValues", "not returned")
    assert values.coerced == {"t": {"origin": "LHR", "adults": 1}}, broken(
        "VariableValues", "no `coerced` mapping of the values"
    )
    query = schema.query_type
    assert query is not None
    field_node = operation.selection_set.selections[0]
    assert isinstance(field_node, graphql.FieldNode)
    arguments = hooks.get_argument_values(query.fields["trips"], field_node, values)
    assert arguments == {"trip": {"origin": "LHR", "adults": 1}}, broken(
        "get_argument_values", f"returned {arguments!r}"
    )
    # What the gateway calls: the wrappers, with 3.3's keywords.
    wrapped = hooks.variable_values(
        schema,
        operation.variable_definitions or (),
        {"t": {"origin": "LHR", "adults": 1}},
        max_errors=5,
        hide_suggestions=True,
    )
    assert isinstance(wrapped, hooks.VariableValues), broken("variable_values", "not coerced")
    assert hooks.field_arguments(query.fields["trips"], field_node, wrapped) == arguments
    refused = hooks.variable_values(
        schema, operation.variable_definitions or (), {}, max_errors=5, hide_suggestions=True
    )
    assert isinstance(refused, list), broken("variable_values", "no errors for a missing value")
    assert refused, broken("variable_values", "no errors for a missing value")


def test_validate_input_value_reports_path_and_error() -> None:
    assert parameters(hooks.validate_input_value)[:4] == [
        "input_value",
        "type_",
        "on_error",
        "hide_suggestions",
    ], broken("validate_input_value", "its parameters changed")
    trip = build_schema(SDL).get_type("Trip")
    assert isinstance(trip, graphql.GraphQLInputObjectType)
    found: list[tuple[list[str | int], GraphQLError]] = []
    hooks.validate_input_value(
        {"adults": 1}, trip, lambda error, path: found.append((path, error)), False
    )
    assert [path for path, _ in found] == [[]], broken(
        "validate_input_value", f"reported {found!r}"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"adults": 1}, ("origin", "is required")),
        ({"origin": "LHR", "adults": 1, "child": 2}, ("child", "is not a field of this input")),
        ({"origin": None, "adults": 1}, (None, "must not be null")),
    ],
)
def test_coercion_wording(value: dict[str, Any], expected: tuple[str | None, str]) -> None:
    trip = build_schema(SDL).get_type("Trip")
    assert isinstance(trip, graphql.GraphQLInputObjectType)
    errors: list[GraphQLError] = []
    hooks.validate_input_value(value, trip, lambda error, _: errors.append(error), False)
    assert errors, broken("input_problem", f"no error for {value!r}")
    assert hooks.input_problem(errors[0].message) == expected, broken(
        "input_problem", f"graphql-core now words it {errors[0].message!r}"
    )


def test_found_value_wording() -> None:
    trip = build_schema(SDL).get_type("Trip")
    assert isinstance(trip, graphql.GraphQLInputObjectType)
    errors: list[GraphQLError] = []
    hooks.validate_input_value("LHR-JFK", trip, lambda e, _: errors.append(e), False)
    assert errors, broken("without_value", "no error for a string given as an input object")
    message = errors[0].message
    assert hooks.input_problem(message) is None, broken("input_problem", f"read {message!r}")
    assert "LHR-JFK" in message, broken("without_value", f"no value quoted in {message!r}")
    assert "LHR-JFK" not in hooks.without_value(message), broken(
        "without_value", f"the quoted value is not cut from {message!r}"
    )


def test_parser_limit_wording() -> None:
    with pytest.raises(GraphQLSyntaxError) as tokens:
        parse("{ a b c d e f }", max_tokens=3)
    assert hooks.parsing_aborted(tokens.value.message) == "tokens", broken(
        "parsing_aborted", f"the token limit is now worded {tokens.value.message!r}"
    )
    with pytest.raises(GraphQLSyntaxError) as depth:
        parse("{ a " + "{ a " * 20_000 + "}" * 20_001)
    assert hooks.parsing_aborted(depth.value.message) == "depth", broken(
        "parsing_aborted", f"the depth limit is now worded {depth.value.message!r}"
    )
    with pytest.raises(GraphQLSyntaxError) as plain:
        parse("{ a ")
    assert hooks.parsing_aborted(plain.value.message) is None, broken(
        "parsing_aborted", f"an ordinary syntax error read as a limit: {plain.value.message!r}"
    )


def test_builtin_scalar_serialisers() -> None:
    for scalar, serialiser in (
        (GraphQLString, hooks.serialize_string),
        (GraphQLID, hooks.serialize_id),
        (GraphQLBoolean, hooks.serialize_boolean),
        (GraphQLInt, hooks.serialize_int),
    ):
        assert scalar.serialize is serialiser, broken(
            serialiser.__name__, f"{scalar.name} serialises with {scalar.serialize!r}"
        )


def test_pending_result_fields() -> None:
    fields = set(inspect.signature(hooks.PendingResult).parameters)
    assert {"id", "path", "label"} <= fields, broken("PendingResult", f"fields are {fields}")


def test_no_introspection_rule() -> None:
    assert issubclass(hooks.NoSchemaIntrospectionCustomRule, ASTValidationRule), broken(
        "NoSchemaIntrospectionCustomRule", "not a validation rule"
    )


def test_executor_methods_the_lean_path_overrides_and_calls() -> None:
    executor = strawberry_hooks.ExecutionContext
    expected = {
        "collect_and_execute_subfields": [
            "self",
            "return_type",
            "field_details_list",
            "path",
            "result",
            "position_context",
        ],
        "collect_subfields": ["self", "return_type", "field_details_list"],
    }
    assert set(expected) == {
        *hooks.OVERRIDDEN_EXECUTOR_METHODS,
        *hooks.CALLED_EXECUTOR_METHODS,
    }
    for name, names in expected.items():
        method = getattr(executor, name, None)
        assert callable(method), broken("OVERRIDDEN_EXECUTOR_METHODS", f"no {name}")
        assert parameters(method) == names, broken(
            "OVERRIDDEN_EXECUTOR_METHODS", f"{name}{inspect.signature(method)}"
        )
    base = next(c for c in executor.__mro__ if c.__module__ == "graphql.execution.executor")
    init = parameters(base)
    for attribute in (*hooks.EXECUTOR_ATTRIBUTES, "variable_values"):
        assert attribute in init, broken("EXECUTOR_ATTRIBUTES", f"no {attribute} in {init}")
    fields = set(inspect.signature(FieldDetails).parameters)
    assert set(hooks.FIELD_DETAILS_ATTRIBUTES) <= fields, broken(
        "FIELD_DETAILS_ATTRIBUTES", f"FieldDetails has {fields}"
    )


@strawberry.type
class Leg:
    origin: str
    adults: int


@strawberry.type
class Trip:
    name: str
    legs: list[Leg]


@strawberry.type
class Query:
    @strawberry.field
    def trip(self) -> Trip:
        return Trip(name="out", legs=[Leg(origin="LHR", adults=1), Leg(origin="JFK", adults=2)])


QUERY = "{ trip { name legs { origin adults } } }"


def test_lean_path_plans_through_collect_subfields() -> None:
    """The lean path on a small schema: its plans are built from collect_subfields' answer."""
    from gateway.compat.graphql_core.execution import LeanExecutionContext

    seen: list[Any] = []

    class Spying(LeanExecutionContext):
        def collect_subfields(self, *args: Any) -> Any:
            collected = super().collect_subfields(*args)
            seen.append(collected)
            return collected

    lean = strawberry.Schema(query=Query, execution_context_class=Spying)
    plain = strawberry.Schema(
        query=Query, execution_context_class=strawberry_hooks.ExecutionContext
    )
    result = lean.execute_sync(QUERY)
    assert result.errors is None, broken("CALLED_EXECUTOR_METHODS", f"{result.errors}")
    assert result.data == plain.execute_sync(QUERY).data
    assert seen, broken("CALLED_EXECUTOR_METHODS", "collect_subfields was not called")
    for collected in seen:
        assert len(collected) == 3, broken("CALLED_EXECUTOR_METHODS", f"it returned {collected}")
        grouped, _, _ = collected
        assert all(isinstance(d, FieldDetails) for ds in grouped.values() for d in ds), broken(
            "FIELD_DETAILS_ATTRIBUTES", f"grouped fields are {grouped!r}"
        )


def test_lean_switch_falls_back_to_graphql_core(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.api.schema.build import build_schema as gateway_schema
    from gateway.compat.graphql_core.execution import LeanExecutionContext

    assert gateway_schema().execution_context_class is LeanExecutionContext
    monkeypatch.setattr(hooks, "LEAN_EXECUTION", False)
    plain = gateway_schema()
    assert plain.execution_context_class is strawberry_hooks.ExecutionContext
    lean = gateway_schema(execution_context_class=LeanExecutionContext)
    assert lean.execution_context_class is LeanExecutionContext


def test_every_override_is_declared() -> None:
    from gateway.compat.graphql_core.execution import LeanExecutionContext

    overridden = {
        name
        for name, value in vars(LeanExecutionContext).items()
        if callable(value)
        and name != "__init__"
        and hasattr(strawberry_hooks.ExecutionContext, name)
    }
    differing = overridden ^ set(hooks.OVERRIDDEN_EXECUTOR_METHODS)
    assert not differing, (
        "gateway/compat/graphql_core/execution.py overrides executor methods "
        "gateway.compat.graphql_core does "
        f"not declare, or no longer overrides declared ones: {differing}"
    )
