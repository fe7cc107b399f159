"""How large an operation is, measured in time linear in its document, before it is validated.

Depth, aliases, fields and cost are counted as if every fragment spread were written out in
place, so a fragment spread twice counts twice. But each fragment is measured once and its
figures are reused wherever it is spread: a document whose fragments each spread the next one
twice (2^n paths in a few hundred bytes) is measured in n steps and refused for its 2^n fields,
instead of being walked path by path as Strawberry's depth and alias limiters do.

It runs on a parsed document that is not validated yet (so that graphql-core's validation only
ever sees documents of bounded shape): unknown fields count as leaves, spreads of unknown
fragments and spreads that close a cycle add nothing, and validation reports them afterwards.

The cost is an estimate of the work and the size of the answer, in the manner of Apollo's demand
control: every object in the answer costs 1 (leaves cost nothing), a list multiplies its items'
cost by its size (`CostModel.list_sizes`: a fixed estimate, the search's `first` for the pages
of offers, or the field's own `first` for a list that has one, such as `locations`), and every
search costs its upstream calls besides (added per request, once per distinct search: see
`gateway.api.admission.budget`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    get_named_type,
)

from gateway.errors import OperationTooComplex

PAGE = -2
"""List size meaning "the `first` argument of the search this list belongs to". Outside a search
it has no such argument, and counts as the largest page. Negative, like `OWN_FIRST`, so that no
real length (0 included: a schema without interfaces) is taken for it."""
OWN_FIRST = -1
"""List size meaning "this field's own `first` argument": its value when written in the
document, its default when left out, and the largest page when it is a variable (a document is
measured once, for every value its variables may take)."""
_MAX_DIGITS = 9
"""An integer literal longer than this is priced as the largest page, not converted."""
SATURATED = 10**12
"""Counts stop growing here: enough to refuse, small enough to stay cheap integers."""
MAX_SAME_RESPONSE_NAME = 10
"""Fields with one response name in one selection set (inline fragments included), at most.
graphql-core checks every pair of them can merge: a selection set of 600 `providers { name }`
took 1.2 s to validate. Composed fragments repeat a field a few times; more is an attack."""
MAX_OPERATIONS = 10
"""Operations in one document, at most: a request runs one, and graphql-core's validation
spends ~0.2 ms on each (400 one-field operations took 70-130 ms)."""
MAX_SPREADS_PER_SELECTION = 32
"""Distinct fragments spread into one selection set, at most: graphql-core compares them in
pairs, so their number must stay small for validation to stay fast."""


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """The shape an operation may have; each is checked before validation, through fragments."""

    max_depth: int = 15
    """Fields on the longest path from the root. Our deepest field is 8 deep; the standard
    introspection query is 15 (its TypeRef fragment nests `ofType` nine times)."""
    max_aliases: int = 20
    max_fields: int = 500
    """Fields selected, every fragment spread counted as written out."""


@dataclass(frozen=True, slots=True)
class CostModel:
    """What lists and searches cost; see the module docstring."""

    search_fields: frozenset[str]
    """Root fields that are searches: each is one search, priced per request."""
    list_sizes: Mapping[tuple[str, str], int]
    """Assumed length of each list field, by (type name, field name); `PAGE` for `first`."""
    default_list_size: int = 10
    """For a list field missing above (a test keeps the schema's lists all listed)."""
    max_page: int = 100
    """Largest `first`: what a page inside a page, or a `first` not known before the variables
    are, would be assumed to hold."""


@dataclass(frozen=True, slots=True, eq=False)
class SearchUse:
    """One search field of an operation, as written (a fragment spread twice gives two)."""

    node: FieldNode
    definition: GraphQLField
    fixed_cost: int
    """Cost of the field's answer outside its pages."""
    cost_per_item: int
    """Cost of one item of its pages: multiplied by `first`."""


@dataclass(frozen=True, slots=True, eq=False)
class MeasuredOperation:
    """An operation and its size. Compared by identity: graphql-core hashes nodes deeply."""

    node: OperationDefinitionNode
    depth: int
    aliases: int
    fields: int
    fixed_cost: int
    """Cost of everything outside the searches."""
    searches: tuple[SearchUse, ...]
    deferrals: tuple[DirectiveNode, ...] = ()
    """Its `@defer` directives, in the fragments it spreads too: whether it is delivered
    incrementally depends on their `if` (`gateway.api.transport.incremental`). Deferred fragments
    are measured and priced like any others."""


@dataclass(slots=True)
class _Size:
    fields: int = 0
    aliases: int = 0
    cost: int = 0
    cost_per_item: int = 0
    searches: list[SearchUse] = field(default_factory=list)

    def add(self, other: _Size, cap: int) -> None:
        self.fields = min(self.fields + other.fields, SATURATED)
        self.aliases = min(self.aliases + other.aliases, SATURATED)
        self.cost = min(self.cost + other.cost, SATURATED)
        self.cost_per_item = min(self.cost_per_item + other.cost_per_item, SATURATED)
        room = cap - len(self.searches)
        if room > 0:
            self.searches.extend(other.searches[:room])


_NOTHING = _Size()


def measure(
    document: DocumentNode, schema: GraphQLSchema, limits: DocumentLimits, costs: CostModel
) -> tuple[MeasuredOperation, ...]:
    """Every operation's size; `OperationTooComplex` for the first limit a definition breaks."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: list[OperationDefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
    if len(operations) > MAX_OPERATIONS:
        raise OperationTooComplex(
            f"The document holds {len(operations)} operations; at most {MAX_OPERATIONS} are "
            "allowed (a request runs one).",
            limit="operations",
            measured=len(operations),
            allowed=MAX_OPERATIONS,
        )
    nesting = {name: _nesting(fragment.selection_set) for name, fragment in fragments.items()}
    for name, (depth, _) in nesting.items():
        _check("depth", depth, limits.max_depth, f"Fragment '{name}' is")
    depths = _fragment_depths(nesting)
    sizer = _Sizer(schema, fragments, costs, cap=limits.max_fields + 1)
    sizes: list[MeasuredOperation] = []
    for operation in operations:
        own_depth, spreads = _nesting(operation.selection_set)
        depth = max([own_depth, *(base + depths.get(name, 0) for name, base in spreads)])
        what = f"Operation '{operation.name.value}' is" if operation.name else "The operation is"
        _check("depth", depth, limits.max_depth, what)
        for name in _reachable(spreads, nesting):
            sizer.size_fragment(name)
        size = sizer.size(operation.selection_set, schema.query_type)
        _check("fields", size.fields, limits.max_fields, what)
        _check("aliases", size.aliases, limits.max_aliases, what)
        # Pages outside any search (none in this schema) have no `first` to price them with.
        outside = min(size.cost + size.cost_per_item * costs.max_page, SATURATED)
        sizes.append(
            MeasuredOperation(
                node=operation,
                depth=depth,
                aliases=size.aliases,
                fields=size.fields,
                fixed_cost=outside,
                searches=tuple(size.searches),
                deferrals=_deferrals(operation, fragments),
            )
        )
    return tuple(sizes)


def _deferrals(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> tuple[DirectiveNode, ...]:
    """The `@defer` directives of an operation and of the fragments it reaches, each fragment
    visited once. Iterative; the depth limit has already been checked."""
    found: list[DirectiveNode] = []
    visited: set[str] = set()
    stack = [operation.selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set is not None:
                    stack.append(selection.selection_set)
                continue
            found.extend(d for d in selection.directives or () if d.name.value == "defer")
            if isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in visited and name in fragments:
                    visited.add(name)
                    stack.append(fragments[name].selection_set)
    return tuple(found)


_LIMIT_WORDS = {
    "depth": ("{what} {measured} fields deep; at most {allowed} are allowed."),
    "fields": ("{what} selecting {measured} fields (fragments counted where they are spread); "
               "at most {allowed} are allowed."),
    "aliases": ("{what} using {measured} aliases (fragments counted where they are spread); "
                "at most {allowed} are allowed."),
}  # fmt: skip


def _check(limit: str, measured: int, allowed: int, what: str) -> None:
    if measured > allowed:
        shown = f"more than {SATURATED:,}" if measured >= SATURATED else f"{measured:,}"
        message = _LIMIT_WORDS[limit].format(what=what, measured=shown, allowed=allowed)
        raise OperationTooComplex(message, limit=limit, measured=measured, allowed=allowed)


def _nesting(selection_set: SelectionSetNode) -> tuple[int, list[tuple[str, int]]]:
    """A definition's own depth, and its spreads with the depth they sit at; checks the
    selection sets' breadth on the way. Iterative: nesting is the parser's to bound, not ours."""
    depth = 0
    spreads: list[tuple[str, int]] = []
    stack = [(selection_set, 1)]
    while stack:
        current, level = stack.pop()
        names: Counter[str] = Counter()
        spread_names: set[str] = set()
        flat = [current]  # an inline fragment's fields belong to the selection set it is in
        while flat:
            for selection in flat.pop().selections:
                if isinstance(selection, FieldNode):
                    depth = max(depth, level)
                    names[(selection.alias or selection.name).value] += 1
                    if selection.selection_set is not None:
                        stack.append((selection.selection_set, level + 1))
                elif isinstance(selection, InlineFragmentNode):
                    flat.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    spreads.append((selection.name.value, level - 1))
                    spread_names.add(selection.name.value)
        if names and (repeated := names.most_common(1)[0])[1] > MAX_SAME_RESPONSE_NAME:
            raise OperationTooComplex(
                f"'{repeated[0]}' is selected {repeated[1]} times in one selection set; "
                f"at most {MAX_SAME_RESPONSE_NAME} are allowed.",
                limit="sameField",
                measured=repeated[1],
                allowed=MAX_SAME_RESPONSE_NAME,
            )
        if len(spread_names) > MAX_SPREADS_PER_SELECTION:
            raise OperationTooComplex(
                f"{len(spread_names)} fragments are spread into one selection set; "
                f"at most {MAX_SPREADS_PER_SELECTION} are allowed.",
                limit="spreads",
                measured=len(spread_names),
                allowed=MAX_SPREADS_PER_SELECTION,
            )
    return depth, spreads


def _fragment_depths(nesting: Mapping[str, tuple[int, list[tuple[str, int]]]]) -> dict[str, int]:
    """Each fragment's depth through the fragments it spreads: each computed once, without
    recursion, in the order of a depth-first walk (a spread closing a cycle adds nothing)."""
    depths: dict[str, int] = {}
    for name in _post_order(nesting, nesting):
        own, spreads = nesting[name]
        depths[name] = max([own, *(base + depths.get(spread, 0) for spread, base in spreads)])
    return depths


def _reachable(
    spreads: Sequence[tuple[str, int]], nesting: Mapping[str, tuple[int, list[tuple[str, int]]]]
) -> list[str]:
    """The fragments an operation reaches, each after every fragment it spreads."""
    return _post_order([name for name, _ in spreads], nesting)


def _post_order(
    roots: Mapping[str, object] | Sequence[str],
    nesting: Mapping[str, tuple[int, list[tuple[str, int]]]],
) -> list[str]:
    order: list[str] = []
    done: set[str] = set()
    for root in roots:
        if root in done or root not in nesting:
            continue
        path = [(root, iter(nesting[root][1]))]
        on_path = {root}
        while path:
            name, spreads = path[-1]
            for spread, _ in spreads:
                if spread in nesting and spread not in done and spread not in on_path:
                    path.append((spread, iter(nesting[spread][1])))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                done.add(name)
                order.append(name)
    return order


class _Sizer:
    """Fields, aliases, cost and searches of selection sets; each fragment sized once.

    Recursion follows the nesting of one definition only, which `measure` has already held to
    the depth limit; fragments are sized beforehand, in an order where every fragment comes
    after those it spreads.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        costs: CostModel,
        *,
        cap: int,
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._costs = costs
        self._cap = cap
        self._sized: dict[str, _Size] = {}

    def size_fragment(self, name: str) -> None:
        if name not in self._sized:
            fragment = self._fragments[name]
            parent = self._schema.get_type(fragment.type_condition.name.value)
            self._sized[name] = self.size(fragment.selection_set, parent)

    def size(self, selection_set: SelectionSetNode, parent: object) -> _Size:
        total = _Size()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total.add(self._field(selection, parent), self._cap)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = parent if condition is None else self._schema.get_type(condition.name.value)
                total.add(self.size(selection.selection_set, inner), self._cap)
            elif isinstance(selection, FragmentSpreadNode):
                total.add(self._sized.get(selection.name.value, _NOTHING), self._cap)
        return total

    def _field(self, node: FieldNode, parent: object) -> _Size:
        definition = self._definition(parent, node.name.value)
        child = None if definition is None else get_named_type(definition.type)
        composite = isinstance(child, GraphQLObjectType | GraphQLInterfaceType)
        inner = (
            self.size(node.selection_set, child)
            if composite and node.selection_set is not None
            else _NOTHING
        )
        size = _Size(
            fields=min(1 + inner.fields, SATURATED),
            aliases=min((node.alias is not None) + inner.aliases, SATURATED),
            cost=(1 + inner.cost) if composite else 0,
            cost_per_item=inner.cost_per_item,
            searches=inner.searches,
        )
        if definition is not None and _is_list(definition):
            length = self._costs.list_sizes.get(
                (getattr(parent, "name", ""), node.name.value), self._costs.default_list_size
            )
            if length == PAGE:
                size.cost, size.cost_per_item = (
                    0,
                    size.cost + size.cost_per_item * self._costs.max_page,
                )
            else:
                if length == OWN_FIRST:
                    length = self._own_first(node, definition)
                size.cost, size.cost_per_item = size.cost * length, size.cost_per_item * length
            size.cost = min(size.cost, SATURATED)
            size.cost_per_item = min(size.cost_per_item, SATURATED)
        if (
            definition is not None
            and parent is self._schema.query_type
            and node.name.value in self._costs.search_fields
        ):
            search = SearchUse(node, definition, size.cost, size.cost_per_item)
            size.cost, size.cost_per_item, size.searches = 0, 0, [search]
        return size

    def _own_first(self, node: FieldNode, definition: GraphQLField) -> int:
        """The field's `first`, as `OWN_FIRST` says; never below 0 nor above the largest page."""
        largest = self._costs.max_page
        arguments = node.arguments or ()
        written = next((a.value for a in arguments if a.name.value == "first"), None)
        if written is None:
            declared = definition.args.get("first")
            first = None if declared is None else _default_int(declared)
        else:  # a variable, or a value validation will refuse, is None
            first = _literal_int(written)
        return largest if first is None else min(max(first, 0), largest)

    def _definition(self, parent: object, name: str) -> GraphQLField | None:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return None
        if parent is self._schema.query_type:
            if name == "__schema":
                return SchemaMetaFieldDef
            if name == "__type":
                return TypeMetaFieldDef
        found: GraphQLField | None = parent.fields.get(name)
        return found


def _literal_int(value: object) -> int | None:
    """An integer literal's value, when it is one short enough to convert."""
    if isinstance(value, IntValueNode) and len(value.value) <= _MAX_DIGITS:
        return int(value.value)
    return None


def _default_int(argument: GraphQLArgument) -> int | None:
    """An argument's integer default: Strawberry's schemas give it as a value, schemas built
    from SDL as a literal."""
    if isinstance(argument.default_value, int):
        return argument.default_value
    default = argument.default
    if default is None:
        return None
    return default.value if isinstance(default.value, int) else _literal_int(default.literal)


def _is_list(definition: GraphQLField) -> bool:
    kind = definition.type
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)
