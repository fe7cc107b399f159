"""A client's document, checked, parsed, measured and validated once, then kept by its text.

Every step bounds the next, cheapest first, so no document up to the body limit costs more than a
few milliseconds of CPU (`bench/documents.py` measures the worst we know of):

1. its size in bytes, before anything else;
2. parsing, stopped by graphql-core after `max_tokens` tokens (comments included);
3. measuring (`gateway.api.admission.measure`): depth, aliases, fields through fragments, and the
   breadth of each selection set, in time linear in the document;
4. graphql-core's validation (the specified rules, Strawberry's, and no introspection when it is
   switched off), stopped after `MAX_ERRORS` errors, without "Did you mean" suggestions when
   introspection is off (they would describe the schema).

Outcomes are cached by the document's text in one LRU bounded in bytes: a parsed document is
about 100 times its text in memory (tokens and locations included) and carries the plans its
operations were executed with (`gateway.compat.graphql_core.execution`), so each entry is charged
for both, and documents larger than `max_cached_bytes` are prepared for their request only. A
refused document is cached as its error messages alone.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    parse,
    specified_rules,
    validate,
)

from gateway.api.admission.measure import CostModel, DocumentLimits, MeasuredOperation, measure
from gateway.api.transport.errors import format_error
from gateway.compat.graphql_core import NoSchemaIntrospectionCustomRule, parsing_aborted
from gateway.compat.graphql_core.execution import PLAN_SETS_PER_OPERATION, DocumentPlans
from gateway.compat.strawberry import VALIDATION_RULES
from gateway.errors import GatewayError, OperationTooComplex

MAX_ERRORS = 20
"""Validation stops after this many errors: a broken document is answered, not catalogued."""
PARSED_BYTES_PER_CHAR = 100
"""Memory of a parsed document (AST, tokens, locations) per character of its text: measured
86–98 with tracemalloc on this project's queries."""
PLAN_BYTES_PER_CHAR = 40
"""Memory of one set of execution plans per character of the document (measured ~30 on the
trip query, whose every object is planned)."""


@dataclass(frozen=True, slots=True)
class DocumentSettings:
    """Limits on documents (settings `GATEWAY_MAX_DOCUMENT_BYTES`, `GATEWAY_MAX_TOKENS`, …)."""

    limits: DocumentLimits = field(default_factory=DocumentLimits)
    max_bytes: int = 32 * 1024
    """Largest document text, in UTF-8 bytes."""
    max_tokens: int = 1_000
    """Lexical tokens and comments; the parser stops at the next one. Our largest queries
    have ~200 (the trip query 158, the standard introspection query 183); graphql-core parses
    ~70 tokens a millisecond here, so this keeps parsing alone near 15 ms."""
    introspection: bool = True
    cache_bytes: int = 64 * 1024**2
    """Memory the document cache may hold, by the estimates above."""
    max_cached_bytes: int = 16 * 1024
    """Documents larger than this are not cached."""
    max_cached_documents: int = 2_048


class DocumentRejected(Exception):
    """The document cannot run; `errors` are what the client is told (already formatted)."""

    def __init__(self, errors: Sequence[dict[str, object]]) -> None:
        super().__init__(errors[0]["message"] if errors else "rejected")
        self.errors = tuple(errors)

    @classmethod
    def of(cls, error: GatewayError) -> DocumentRejected:
        return cls([{"message": error.message, "extensions": error.extensions()}])


class PreparedDocument:
    """A valid document, its operations measured, and their execution plans."""

    __slots__ = ("document", "operations", "plans")

    def __init__(self, document: DocumentNode, operations: tuple[MeasuredOperation, ...]):
        self.document = document
        self.operations = operations
        self.plans = DocumentPlans()

    def operation(self, name: str | None) -> MeasuredOperation:
        """The operation to run; `DocumentRejected` when the name does not pick exactly one."""
        if name is None:
            if len(self.operations) == 1:
                return self.operations[0]
            return _reject("Must provide operation name if query contains multiple operations.")
        for operation in self.operations:
            if operation.node.name is not None and operation.node.name.value == name:
                return operation
        return _reject(f"Unknown operation named '{_short(name)}'.")


class DocumentStore:
    """Prepares documents and keeps the outcomes (see the module docstring)."""

    def __init__(self, schema: GraphQLSchema, costs: CostModel, settings: DocumentSettings) -> None:
        self._schema = schema
        self._costs = costs
        self.settings = settings
        rules: list[type[ASTValidationRule]] = [
            *specified_rules,
            *VALIDATION_RULES,
        ]
        if not settings.introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self._rules = tuple(rules)
        self._entries: OrderedDict[str, tuple[PreparedDocument | DocumentRejected, int]] = (
            OrderedDict()
        )
        self.bytes = 0
        """Estimated memory of the cached entries."""

    def __len__(self) -> int:
        return len(self._entries)

    def prepare(self, source: str) -> PreparedDocument:
        """The prepared document for `source`; `DocumentRejected` when it cannot run."""
        entry = self._entries.get(source)
        if entry is not None:
            self._entries.move_to_end(source)
            outcome = entry[0]
        else:
            outcome = self._prepare(source)
            self._keep(source, outcome)
        if isinstance(outcome, DocumentRejected):
            raise outcome
        return outcome

    def _prepare(self, source: str) -> PreparedDocument | DocumentRejected:
        settings = self.settings
        size = len(source.encode())
        if size > settings.max_bytes:
            return DocumentRejected.of(
                OperationTooComplex(
                    f"The document is {size:,} bytes; at most {settings.max_bytes:,} are allowed.",
                    limit="documentBytes",
                    measured=size,
                    allowed=settings.max_bytes,
                )
            )
        try:
            document = parse(source, max_tokens=settings.max_tokens)
        except GraphQLSyntaxError as error:
            return DocumentRejected(_syntax_errors(error, settings.max_tokens))
        try:
            operations = measure(document, self._schema, settings.limits, self._costs)
        except OperationTooComplex as error:
            return DocumentRejected.of(error)
        errors = validate(
            self._schema,
            document,
            self._rules,
            max_errors=MAX_ERRORS,
            hide_suggestions=not settings.introspection,
        )
        if errors:
            return DocumentRejected([format_error(error) for error in errors])
        return PreparedDocument(document, operations)

    def _keep(self, source: str, outcome: PreparedDocument | DocumentRejected) -> None:
        settings = self.settings
        if len(source) > settings.max_cached_bytes:
            return
        if isinstance(outcome, PreparedDocument):
            charge = len(source) * (
                PARSED_BYTES_PER_CHAR + PLAN_SETS_PER_OPERATION * PLAN_BYTES_PER_CHAR
            )
        else:
            charge = len(source) + sum(len(str(error)) for error in outcome.errors)
        self._entries[source] = (outcome, charge)
        self.bytes += charge
        while self._entries and (
            self.bytes > settings.cache_bytes or len(self._entries) > settings.max_cached_documents
        ):
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped


def _syntax_errors(error: GraphQLSyntaxError, max_tokens: int) -> list[dict[str, object]]:
    """Syntax errors as the client sees them; the parser's own limits as OPERATION_TOO_COMPLEX."""
    limit = parsing_aborted(error.message)
    if limit is not None:
        allowed = max_tokens if limit == "tokens" else 0
        words = (
            f"The document has more than {max_tokens:,} tokens (comments included)."
            if limit == "tokens"
            else "The document is nested too deeply."
        )
        return [
            {
                "message": words,
                "extensions": {
                    "code": OperationTooComplex.code,
                    "limit": limit,
                    "measured": None,
                    "allowed": allowed or None,
                },
            }
        ]
    return [format_error(error)]


def _short(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[:length] + "…"


def _reject(message: str) -> MeasuredOperation:
    raise DocumentRejected([format_error(GraphQLError(message))])
