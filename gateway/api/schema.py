"""The Strawberry schema, with parse and validation caches and operation limits built once."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import AddValidationRules, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.api.execution import LeanExecutionContext
from gateway.api.query import Query
from gateway.api.scalars import SCALAR_MAP


class GatewaySchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors are logged once, with the request id, where they are formatted."""


CACHE_SIZE = 1024
"""Distinct documents kept parsed and validated (the caches are shared per process)."""


def build_schema(
    *,
    max_depth: int = 12,
    max_aliases: int = 20,
    execution_context_class: type[StrawberryGraphQLCoreExecutionContext] = LeanExecutionContext,
) -> strawberry.Schema:
    """The schema, with extensions passed as factories (one instance per request).

    The limit rules are classes created once, here: the validation cache keys on the rule
    classes, so rules made per request (the limiters' own factories) would never hit it.
    """
    rules: list[type[ASTValidationRule]] = [
        max_depth_rule(max_depth, None),
        max_aliases_rule(max_aliases),
    ]
    return GatewaySchema(
        query=Query,
        config=StrawberryConfig(scalar_map=dict(SCALAR_MAP)),
        execution_context_class=execution_context_class,
        extensions=[
            lambda: ParserCache(maxsize=CACHE_SIZE),
            lambda: AddValidationRules(rules),
            lambda: ValidationCache(maxsize=CACHE_SIZE),
        ],
    )


def schema_sdl() -> str:
    """The printed schema, as kept in `schema.graphql`."""
    return build_schema().as_str() + "\n"
