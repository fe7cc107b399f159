"""Strawberry internals the gateway relies on (contract: tests/test_compat_strawberry.py).

Its executor class and validation rules live in non-public modules; the graphql-core schema
(`schema._schema`) and resolve info (`info._raw_info`) it wraps are private attributes; the hook
that passes options to graphql-core's executor (`Schema._get_custom_context_kwargs`) is a private
method; the field definition hangs off each graphql-core field under an extensions key.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLResolveInfo, GraphQLSchema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.base import get_object_definition
from strawberry.types.field import StrawberryField
from strawberry.types.scalar import ScalarDefinition
from strawberry.utils.str_converters import to_camel_case

__all__ = [
    "VALIDATION_RULES",
    "ExecutionContext",
    "ExecutorOptionsSchema",
    "ScalarDefinition",
    "StrawberryField",
    "field_definition",
    "get_object_definition",
    "graphql_info",
    "graphql_schema",
    "to_camel_case",
]

VERSION = version("strawberry-graphql")

ExecutionContext = StrawberryGraphQLCoreExecutionContext
"""The graphql-core executor class Strawberry executes with (the lean path's base)."""

VALIDATION_RULES = (MaybeNullValidationRule, OneOfInputValidationRule)
"""The rules Strawberry adds to graphql-core's `specified_rules` in its own validation (which the
gateway's document store replaces): `strawberry/schema/schema.py`, `validate_document`."""

DEFINITION_KEY = "strawberry-definition"
"""The key of a graphql-core field's `extensions` holding its Strawberry field definition."""

PRIVATE_CONTEXT_KWARGS_HOOK = "_get_custom_context_kwargs"
"""strawberry.Schema's method whose dict becomes graphql-core's executor keyword arguments."""


def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema a Strawberry schema built (`schema._schema`)."""
    return schema._schema


def graphql_info(info: strawberry.Info[Any, Any]) -> GraphQLResolveInfo[Any]:
    """graphql-core's resolve info behind Strawberry's (`info._raw_info`)."""
    return info._raw_info


def field_definition(field: GraphQLField) -> StrawberryField | None:
    """The Strawberry definition of a graphql-core field built from one, else None."""
    definition = field.extensions.get(DEFINITION_KEY)
    return definition if isinstance(definition, StrawberryField) else None


class ExecutorOptionsSchema(strawberry.Schema):
    """strawberry.Schema whose subclasses give graphql-core's executor extra keyword arguments
    through `executor_options` rather than by overriding Strawberry's private hook."""

    def executor_options(self) -> dict[str, Any]:
        """Keyword arguments added to those Strawberry passes to graphql-core's executor."""
        return {}

    def _get_custom_context_kwargs(
        self, operation_extensions: dict[str, Any] | None = None, *, sync: bool = False
    ) -> dict[str, Any]:
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)
        kwargs.update(self.executor_options())
        return kwargs
