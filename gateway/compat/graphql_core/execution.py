"""A lean execution path for plain fields: plan each selection once, then complete it directly.

graphql-core completes every field of every object the same general way: build a path, call
the field's resolver, check for awaitables, dispatch on the return type, catch errors. For our
output types nearly every field is a plain attribute, so most of that work is the same each
time. Here, the first time an operation completes an object type for a given selection, the
selection is compiled into a plan: one generated Python function that reads each attribute,
checks nulls and calls the field type's serialiser inline (nested objects and lists call their
own plans), and returns the result as one dict display. Later objects of that selection — this
request's other list items and every later request with the same cached document — are
completed by calling the plan.

What it covers: object types whose selected fields are all plain (no resolver, no arguments,
no permission classes or field extensions), scalars, enums, lists and non-null wrappers, aliases,
fragments and `@skip`/`@include` (resolved through graphql-core's own field collection, so with
the same semantics), and `@defer`: a selection whose fields all belong to one delivery (the
initial payload, or one deferred fragment) with no `@defer` opening inside it is completed at
once by graphql-core too, so a plan may do it. Anything else — resolvers, abstract types,
`is_type_of`, fragment arguments, selections where a `@defer` opens or whose fields are split
between deliveries (graphql-core schedules those) — has no plan and goes through graphql-core
unchanged. And when a planned value is not what the plan expects (a null in a non-null field,
a serialiser refusing a value, a list that is not a list), the plan gives up on that object and
graphql-core completes it from scratch, so errors, their messages and null propagation are
graphql-core's own.
Differential tests compare both paths result by result (tests/test_execution.py), incremental
payloads included (tests/test_incremental_execution.py).
"""

from __future__ import annotations

import keyword
import operator
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    DirectiveNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    OperationDefinitionNode,
    Undefined,
    VariableNode,
    Visitor,
    visit,
)

from gateway.compat.graphql_core import (
    serialize_boolean,
    serialize_id,
    serialize_int,
    serialize_string,
)
from gateway.compat.strawberry import ExecutionContext, StrawberryField, field_definition

Completer = Callable[[Any], Any]
Plan = Callable[[Any], dict[str, Any]]
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")

PLAN_SETS_PER_OPERATION = 8
"""Sets of plans kept per operation, one per combination of `@skip`/`@include`/`@defer` variable
values (least recently used dropped): a client cannot grow them by sending new combinations."""
KEYED_DIRECTIVES = ("skip", "include", "defer")
"""Directives whose variables change which fields a selection collects and which of them are
deferred, so that plans built for one value must not serve another."""


class _GiveUp(Exception):
    """The value does not fit the plan: let graphql-core complete this object."""


_GIVE_UP = _GiveUp()


class _OperationPlans:
    """Plans of one operation, per combination of the values of the variables that
    `@skip`/`@include`/`@defer` use (usually none: one set)."""

    __slots__ = ("directive_variables", "operation", "plans")

    def __init__(
        self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
    ) -> None:
        self.operation = operation
        self.directive_variables = _directive_variables(operation, fragments)
        self.plans: OrderedDict[tuple[Any, ...], dict[tuple[Any, ...], Plan | None]] = OrderedDict()

    def for_variables(self, values: dict[str, Any]) -> dict[tuple[Any, ...], Plan | None]:
        key = tuple(repr(values.get(name)) for name in self.directive_variables)
        plans = self.plans.get(key)
        if plans is None:
            plans = self.plans[key] = {}
            while len(self.plans) > PLAN_SETS_PER_OPERATION:
                self.plans.popitem(last=False)
        else:
            self.plans.move_to_end(key)
        return plans


class DocumentPlans:
    """The plans of one document's operations. A prepared document holds them, so they live
    exactly as long as the document stays in the document cache (`gateway.api.admission.documents`),
    and node ids in plan keys cannot be reused while they do."""

    __slots__ = ("_operations",)

    def __init__(self) -> None:
        self._operations: dict[int, _OperationPlans] = {}

    def __len__(self) -> int:
        """Sets of plans held, all operations together."""
        return sum(len(entry.plans) for entry in self._operations.values())

    def for_operation(
        self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
    ) -> _OperationPlans:
        entry = self._operations.get(id(operation))
        if entry is None or entry.operation is not operation:
            entry = self._operations[id(operation)] = _OperationPlans(operation, fragments)
        return entry


def _directive_variables(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> tuple[str, ...]:
    """Names of the variables that `KEYED_DIRECTIVES` use, in the whole operation."""
    names: set[str] = set()

    class Finder(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            if node.name.value in KEYED_DIRECTIVES:
                for argument in node.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)

    for node in (operation, *fragments.values()):
        visit(node, Finder())
    return tuple(sorted(names))


@dataclass(frozen=True, slots=True)
class _Leaf:
    """A scalar or enum field: compiled inline into its object's plan (see `_compile`)."""

    serialize: Callable[[Any], Any]
    nullable: bool

    def completer(self) -> Completer:
        """The same as a function, for list items."""
        serialize, nullable = self.serialize, self.nullable

        def complete(value: Any) -> Any:
            if value is None:
                if nullable:
                    return None
                raise _GIVE_UP
            serialized = serialize(value)
            if serialized is None or serialized is Undefined:
                raise _GIVE_UP
            return serialized

        return complete


Step = Completer | _Leaf
"""How a field's value is completed: a function, or a leaf compiled into the plan."""

_UNCHANGED_BY_SERIALIZE: dict[Callable[[Any], Any], str] = {
    serialize_string: "{value}.__class__ is str",
    serialize_id: "{value}.__class__ is str",
    serialize_boolean: "{value} is True or {value} is False",
    serialize_int: "{value}.__class__ is int and -2147483648 <= {value} <= 2147483647",
}
"""graphql-core serialisers that return such values unchanged: a plan skips their call."""


def _non_null(inner: Completer) -> Completer:
    def complete(value: Any) -> Any:
        if value is None:
            raise _GIVE_UP
        return inner(value)

    return complete


def _nullable(inner: Completer) -> Completer:
    def complete(value: Any) -> Any:
        return None if value is None else inner(value)

    return complete


def _list(item: Completer) -> Completer:
    def complete(value: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise _GIVE_UP
        return [item(element) for element in value]

    return complete


class LeanExecutionContext(ExecutionContext):
    """Strawberry's execution context with planned completion of plain objects."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.abort_signal is None:
            # Strawberry passes no per-request arguments to the executor; the request's context
            # carries the signal that stops an incremental operation's deferred work when its
            # client leaves (`api/transport/incremental.py`). None otherwise: nothing changes.
            self.abort_signal = getattr(self.context_value, "abort_signal", None)

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        plan = self._plan(return_type, field_details_list)
        if plan is not None and _in_one_delivery(field_details_list):
            try:
                return plan(result)
            except _GiveUp:
                pass
            except Exception:  # an attribute read failed: graphql-core reports it its way
                pass
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

    # ---------------------------------------------------------------- planning

    def _plans(self) -> dict[tuple[Any, ...], Plan | None]:
        cached: dict[tuple[Any, ...], Plan | None] | None = getattr(self, "_operation_plans", None)
        if cached is None:
            # The prepared document's plans when the request brought one; else this run's own.
            prepared = getattr(self.context_value, "prepared", None)
            document_plans = prepared.plans if prepared is not None else DocumentPlans()
            entry = document_plans.for_operation(self.operation, self.fragment_definitions)
            cached = entry.for_variables(self.variable_values.coerced)
            self._operation_plans = cached
        return cached

    def _plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        plans = self._plans()
        key = (object_type.name, tuple(id(details.node) for details in field_details_list))
        if key in plans:
            return plans[key]
        plans[key] = None  # no plan while building (and if it cannot be built)
        plans[key] = plan = self._build_plan(object_type, field_details_list)
        return plan

    def _build_plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        if object_type.is_type_of is not None:
            return None
        if not _in_one_delivery(field_details_list):
            return None
        usage = field_details_list[0].defer_usage
        grouped, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages:
            return None
        steps: list[tuple[str, str | Callable[[Any], Any] | None, Step | str]] = []
        for response_name, sub_details in grouped.items():
            if any(d.defer_usage is not usage or d.fragment_variable_values for d in sub_details):
                return None
            field_name = sub_details[0].node.name.value
            if not _NAME.fullmatch(response_name):  # never, once validated: the plan is code
                return None
            if field_name == "__typename":
                steps.append((response_name, None, object_type.name))
                continue
            field_def = object_type.fields.get(field_name)
            if field_def is None or field_def.args:
                return None
            definition = field_definition(field_def)
            if definition is None or not _is_plain(definition):
                return None
            completer = self._completer(field_def.type, sub_details)
            if completer is None:
                return None
            steps.append((response_name, _reader(definition), completer))
        return _compile(steps)

    def _completer(self, return_type: GraphQLOutputType, details: Any) -> Step | None:
        if isinstance(return_type, GraphQLNonNull):
            if isinstance(return_type.of_type, GraphQLScalarType | GraphQLEnumType):
                return _Leaf(return_type.of_type.serialize, nullable=False)
            inner = self._completer(return_type.of_type, details)
            return None if inner is None else _non_null(_as_completer(inner))
        if isinstance(return_type, GraphQLScalarType | GraphQLEnumType):
            return _Leaf(return_type.serialize, nullable=True)
        inner = self._nullable_completer(return_type, details)
        return None if inner is None else _nullable(inner)

    def _nullable_completer(self, return_type: GraphQLOutputType, details: Any) -> Completer | None:
        if isinstance(return_type, GraphQLList):
            item = self._completer(return_type.of_type, details)
            return None if item is None else _list(_as_completer(item))
        if isinstance(return_type, GraphQLObjectType):
            # Planned now, not on first use: a plan outlives this request and must not hold it.
            return self._plan(return_type, details)
        return None  # interfaces and unions: graphql-core decides the concrete type


def _in_one_delivery(field_details_list: Any) -> bool:
    """Whether every field node of the selection belongs to the same delivery: the initial
    payload (no `@defer` around any) or one deferred fragment, and none has fragment arguments.
    graphql-core then completes the object with all its fields at once, like any other (its
    incremental executor defers a field only when its fragments differ from the running
    group's), so a plan may complete it, provided no `@defer` opens below (`_build_plan`)."""
    usage = field_details_list[0].defer_usage
    return all(
        d.defer_usage is usage and not d.fragment_variable_values for d in field_details_list
    )


def _is_plain(definition: StrawberryField) -> bool:
    return (
        definition.base_resolver is None
        and not definition.extensions
        and not definition.permission_classes
        and not definition.directives
    )


def _as_completer(step: Step) -> Completer:
    return step.completer() if isinstance(step, _Leaf) else step


def _reader(definition: StrawberryField) -> str | Callable[[Any], Any]:
    """The attribute to read (compiled as `source.name`), or a function for other resolvers."""
    default = definition.default_resolver
    name = definition.python_name
    if default is getattr and name.isidentifier() and not keyword.iskeyword(name):
        return name
    if default is getattr:
        return operator.attrgetter(name)
    return lambda source: default(source, name)


def _compile(steps: list[tuple[str, str | Callable[[Any], Any] | None, Step | str]]) -> Plan:
    """Generate the plan as one Python function: attribute reads, null checks and serialiser
    calls inline, the result one dict display, instead of a closure call or three per field.

    Only names reach the source: response names (checked GraphQL names) and attribute names
    (checked Python identifiers); every value is passed in the namespace.
    """
    namespace: dict[str, Any] = {"GIVE_UP": _GIVE_UP, "Undefined": Undefined}
    lines = ["def plan(source):"]
    entries = []
    for index, (response_name, read, complete) in enumerate(steps):
        value = f"v{index}"
        if read is None:  # __typename
            entries.append(f"{response_name!r}: {str(complete)!r}")
            continue
        if isinstance(read, str):
            lines.append(f"    {value} = source.{read}")
        else:
            namespace[f"read{index}"] = read
            lines.append(f"    {value} = read{index}(source)")
        if isinstance(complete, _Leaf):
            namespace[f"serialize{index}"] = complete.serialize
            lines.append(f"    if {value} is None:")
            lines.append("        pass" if complete.nullable else "        raise GIVE_UP")
            unchanged = _UNCHANGED_BY_SERIALIZE.get(complete.serialize)
            if unchanged is not None:
                lines.append(f"    elif not ({unchanged.format(value=value)}):")
            else:
                lines.append("    else:")
            lines.append(f"        {value} = serialize{index}({value})")
            lines.append(f"        if {value} is None or {value} is Undefined:")
            lines.append("            raise GIVE_UP")
        else:
            namespace[f"complete{index}"] = complete
            lines.append(f"    {value} = complete{index}({value})")
        entries.append(f"{response_name!r}: {value}")
    lines.append("    return {" + ", ".join(entries) + "}")
    exec("\n".join(lines), namespace)
    plan: Plan = namespace["plan"]
    return plan
