"""Contract of gateway/compat/strawberry.py: each hook still fits the installed Strawberry.

A failure names the hook and Strawberry's version: the hook (and whatever uses it) needs
adapting to that version before the pin in pyproject.toml moves.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import strawberry
from graphql import GraphQLSchema, specified_rules
from strawberry.schema import schema as strawberry_schema_module

from gateway.compat import strawberry as hooks

pytestmark = pytest.mark.unit


def broken(hook: str, why: str) -> str:
    return (
        f"gateway.compat.strawberry.{hook} no longer fits strawberry-graphql {hooks.VERSION}: {why}"
    )


seen: list[Any] = []


@strawberry.type
class Query:
    plain: str = "plain"

    @strawberry.field
    def resolved(self, info: strawberry.Info, first: int = 1) -> int:
        seen.append(hooks.graphql_info(info))
        return first


def test_graphql_schema() -> None:
    schema = strawberry.Schema(query=Query)
    core = hooks.graphql_schema(schema)
    assert isinstance(core, GraphQLSchema), broken("graphql_schema", f"got {core!r}")
    assert core.query_type is not None
    assert set(core.query_type.fields) == {"plain", "resolved"}, broken(
        "graphql_schema", "not the schema Strawberry built"
    )


def test_graphql_info() -> None:
    seen.clear()
    result = strawberry.Schema(query=Query).execute_sync("{ resolved(first: 3) }")
    assert result.errors is None
    assert result.data == {"resolved": 3}
    assert len(seen) == 1
    assert hasattr(seen[0], "field_nodes"), broken("graphql_info", f"got {seen[0]!r}")
    arguments = seen[0].field_nodes[0].arguments or ()
    assert [a.name.value for a in arguments] == ["first"], broken(
        "graphql_info", "its field nodes do not carry the arguments"
    )


def test_field_definition() -> None:
    core = hooks.graphql_schema(strawberry.Schema(query=Query))
    assert core.query_type is not None
    for name in ("plain", "resolved"):
        definition = hooks.field_definition(core.query_type.fields[name])
        assert isinstance(definition, hooks.StrawberryField), broken(
            "field_definition", f"no StrawberryField under {hooks.DEFINITION_KEY!r}"
        )
    plain = hooks.field_definition(core.query_type.fields["plain"])
    assert plain is not None
    read = ("base_resolver", "extensions", "permission_classes", "directives")
    for attribute in (*read, "default_resolver", "python_name", "graphql_name"):
        assert hasattr(plain, attribute), broken("StrawberryField", f"no {attribute}")
    assert plain.base_resolver is None, broken("StrawberryField", "a plain field has a resolver")
    assert plain.default_resolver is getattr, broken(
        "StrawberryField", f"default_resolver is {plain.default_resolver!r}"
    )


def test_executor_options_reach_graphql_core(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = getattr(strawberry.Schema, hooks.PRIVATE_CONTEXT_KWARGS_HOOK, None)
    assert callable(hook), broken("ExecutorOptionsSchema", "strawberry.Schema lost the hook")
    assert list(inspect.signature(hook).parameters) == [
        "self",
        "operation_extensions",
        "sync",
    ], broken("ExecutorOptionsSchema", f"the hook is now {inspect.signature(hook)}")
    received: list[dict[str, Any]] = []
    original = strawberry_schema_module.experimental_execute_incrementally  # type: ignore[attr-defined]

    def spying(*args: Any, **kwargs: Any) -> Any:
        received.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema_module, "experimental_execute_incrementally", spying)

    class WithOptions(hooks.ExecutorOptionsSchema):
        def executor_options(self) -> dict[str, Any]:
            return {"enable_early_execution": True}

    schema = WithOptions(
        query=Query,
        execution_context_class=hooks.ExecutionContext,
        config=strawberry.schema.config.StrawberryConfig(
            enable_experimental_incremental_execution=True
        ),
    )
    result = schema.execute_sync("{ plain }", root_value=Query())
    assert result.errors is None
    assert received, broken("ExecutorOptionsSchema", "graphql-core's incremental execute not used")
    assert received[-1].get("enable_early_execution") is True, broken(
        "ExecutorOptionsSchema", f"graphql-core's execute was given {received[-1]}"
    )


def test_validation_rules_are_strawberrys(monkeypatch: pytest.MonkeyPatch) -> None:
    seen_rules: list[Any] = []
    original = strawberry_schema_module.validate  # type: ignore[attr-defined]

    def spying(schema: Any, document: Any, rules: Any = None, *args: Any, **kwargs: Any) -> Any:
        seen_rules.extend(rules or ())
        return original(schema, document, rules, *args, **kwargs)

    monkeypatch.setattr(strawberry_schema_module, "validate", spying)
    strawberry.Schema(query=Query).execute_sync("{ plain }", root_value=Query())
    added = [rule for rule in seen_rules if rule not in specified_rules]
    assert set(added) == set(hooks.VALIDATION_RULES), broken(
        "VALIDATION_RULES", f"Strawberry now adds {[rule.__name__ for rule in added]}"
    )


def test_deep_imports() -> None:
    assert callable(hooks.get_object_definition)
    assert hooks.to_camel_case("check_in_date") == "checkInDate", broken(
        "to_camel_case", "converts differently"
    )
    wanted = {"name", "description", "specified_by_url", "serialize", "parse_value"}
    given = set(inspect.signature(hooks.ScalarDefinition).parameters)
    assert wanted <= given, broken("ScalarDefinition", f"its fields are {sorted(given)}")
    made = strawberry.scalar(name="Code", serialize=str, parse_value=str)
    assert isinstance(made, hooks.ScalarDefinition), broken(
        "ScalarDefinition", f"strawberry.scalar(name=...) makes {made!r}"
    )
