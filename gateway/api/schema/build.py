"""The Strawberry schema, with its document store (limits, caches) and cost model built once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLStreamDirective,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from gateway import domain
from gateway.api.admission.documents import DocumentSettings, DocumentStore
from gateway.api.admission.measure import OWN_FIRST, PAGE, CostModel
from gateway.api.schema.query import Query
from gateway.api.schema.scalars import SCALAR_MAP
from gateway.compat import graphql_core as compat_graphql_core
from gateway.compat.graphql_core.execution import LeanExecutionContext
from gateway.compat.strawberry import ExecutionContext, ExecutorOptionsSchema, graphql_schema
from gateway.providers import registry
from gateway.providers.spec import ProviderSpec
from gateway.search.paging import MAX_PAGE_SIZE

SEARCH_FIELDS = frozenset({"flights", "hotels", "flightOffer", "hotelOffer"})
"""Root fields that search providers: each is priced by the search budget (`flightOffer` and
`hotelOffer` only when they re-price: `gateway.api.admission.budget`)."""


def list_sizes(providers: Sequence[ProviderSpec[Any]]) -> dict[tuple[str, str], int]:
    """How long each list of the schema is assumed to be, for the cost model (a test checks
    every list field is here): `PAGE` is the search's `first`, `OWN_FIRST` the field's own.
    Lists that grow with the providers (their outcomes, an offer's sources) are sized from
    `providers`, the registry's specs, so a new provider is priced in. Introspection's lists
    are measured from the schema itself."""
    every = len(providers)
    flights = sum("flights" in spec.serves for spec in providers)
    hotels = sum("hotels" in spec.serves for spec in providers)
    return {
        ("FlightOfferConnection", "edges"): PAGE,
        ("FlightOfferConnection", "nodes"): PAGE,
        ("HotelOfferConnection", "edges"): PAGE,
        ("HotelOfferConnection", "nodes"): PAGE,
        ("FlightOffer", "itineraries"): 2,  # outbound and return
        ("Itinerary", "segments"): 4,
        # Every fare's: four per flight provider (each sells three brands in the demo).
        ("FlightOffer", "sources"): 4 * flights,
        ("FlightOffer", "fares"): 6,  # brands of one itinerary (3 in the demo), some sold apart
        ("Fare", "sources"): every,  # one per provider at most: a provider sells a fare once
        ("Fare", "segments"): 8,  # one per segment: itineraries x segments
        ("FareSource", "perTraveller"): 3,  # adult, child, infant (more only at several prices)
        ("HotelOffer", "sources"): hotels,
        ("HotelOffer", "rooms"): 20,
        ("Hotel", "amenities"): len(domain.Amenity),  # each at most once
        ("FlightSearch", "providers"): every,  # outcomes: priced as every provider's
        ("HotelSearch", "providers"): every,
        ("Query", "providers"): every,
        ("FlightOfferCheck", "sources"): 4 * flights,  # every fare's, as FlightOffer.sources
        ("FlightOfferCheck", "providers"): flights,  # the flight providers that re-price
        ("HotelOfferCheck", "sources"): 20,  # every rate, as HotelOffer.rooms
        ("HotelOfferCheck", "providers"): hotels,  # the hotel providers that check rates
        ("ProviderInfo", "serves"): 2,
        ("Query", "locations"): OWN_FIRST,
        ("Location", "airports"): 5,  # London's, the most of any city
    }


LIST_SIZES = list_sizes(registry.SPECS)
"""The list sizes for the registry's providers (every list field of the schema is a key)."""


class GatewaySchema(ExecutorOptionsSchema):
    documents: DocumentStore
    """Checks, parses, measures, validates and caches documents: every request's first step."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors are logged once, with the request id, where they are formatted."""

    def executor_options(self) -> dict[str, Any]:
        """graphql-core's early execution: a deferred fragment starts with the rest of the
        operation (its searches run concurrently with the initial payload's), not once the
        initial payload is out. Operations without `@defer` have nothing it applies to."""
        return {"enable_early_execution": True}


class PreparedDocuments(SchemaExtension):
    """Hands the executor the request's prepared document (`Context.prepared`), or prepares
    the query text through the schema's store for callers without one (tests, benchmarks), so
    Strawberry's own parse and validation never run."""

    def __init__(self, store: DocumentStore) -> None:
        super().__init__()
        self._store = store

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        prepared = getattr(context.context, "prepared", None)
        if prepared is None and context.query is not None:
            prepared = self._store.prepare(context.query)
        if prepared is not None:
            context.graphql_document = prepared.document
        yield

    def on_validate(self) -> Iterator[None]:
        self.execution_context.pre_execution_errors = []
        yield


def cost_model(
    schema: GraphQLSchema, providers: Sequence[ProviderSpec[Any]] | None = None
) -> CostModel:
    """The cost model of `schema`: our list sizes for `providers` (the registry's, as it is
    now, unless given), and introspection's measured from it."""
    sizes = list_sizes(registry.SPECS if providers is None else providers)
    types = list(schema.type_map.values())
    composite = [t for t in types if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)]

    def most(values: Iterator[int]) -> int:
        return max(values, default=0)

    introspection = {
        ("__Schema", "types"): len(types),
        ("__Schema", "directives"): len(schema.directives),
        # The average type's, not the largest's: the introspection query reads every type's
        # fields once, so types x the largest count (RoomOffer's 14) overstated it threefold
        # and priced the standard introspection query near the whole budget.
        ("__Type", "fields"): -(-sum(len(t.fields) for t in composite) // max(len(composite), 1)),
        ("__Type", "interfaces"): most(len(t.interfaces) for t in composite),
        ("__Type", "possibleTypes"): most(
            len(schema.get_possible_types(t)) for t in types if isinstance(t, GraphQLInterfaceType)
        ),
        ("__Type", "enumValues"): most(
            len(t.values) for t in types if isinstance(t, GraphQLEnumType)
        ),
        ("__Type", "inputFields"): most(
            len(t.fields) for t in types if isinstance(t, GraphQLInputObjectType)
        ),
        ("__Field", "args"): most(len(f.args) for t in composite for f in t.fields.values()),
        ("__Directive", "args"): most(len(d.args) for d in schema.directives),
        ("__Directive", "locations"): 20,
    }
    return CostModel(
        search_fields=SEARCH_FIELDS,
        list_sizes={**sizes, **introspection},
        max_page=MAX_PAGE_SIZE,
    )


def list_fields(schema: GraphQLSchema) -> list[tuple[str, str]]:
    """Every list field of `schema`'s own types, as (type name, field name)."""
    found = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            wrapped = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if isinstance(wrapped, GraphQLList):
                found.append((name, field_name))
    return found


def build_schema(
    documents: DocumentSettings | None = None,
    *,
    execution_context_class: type[ExecutionContext] | None = None,
    incremental: bool = True,
) -> GatewaySchema:
    """The schema and its document store.

    The store's extension is passed as a factory, one instance per request, as Strawberry
    expects; the store and its caches are built once, here. Incremental delivery is on:
    operations with `@defer` run through graphql-core's incremental executor, as does every
    other operation (graphql-core's `execute` is that executor refusing `@defer`), so the
    others run as before (`tests/test_incremental_execution.py`). `incremental=False` builds
    the schema without `@defer`, as it was, for the tests and benchmarks that compare the two.
    `execution_context_class` None: the lean path, or graphql-core's own completion when
    `gateway.compat.graphql_core.LEAN_EXECUTION` is off.
    """
    if execution_context_class is None:
        lean = compat_graphql_core.LEAN_EXECUTION
        execution_context_class = LeanExecutionContext if lean else ExecutionContext
    schema = GatewaySchema(
        query=Query,
        config=StrawberryConfig(
            scalar_map=dict(SCALAR_MAP), enable_experimental_incremental_execution=incremental
        ),
        execution_context_class=execution_context_class,
        extensions=[lambda: PreparedDocuments(schema.documents)],
    )
    # `@defer` only: every list of this schema is complete in memory when its parent is
    # (docs/architecture.md, Incremental delivery), so `@stream` would only split it up.
    core_schema = graphql_schema(schema)
    core_schema.directives = tuple(
        directive for directive in core_schema.directives if directive is not GraphQLStreamDirective
    )
    schema.documents = DocumentStore(
        core_schema, cost_model(core_schema), documents or DocumentSettings()
    )
    return schema


def schema_sdl() -> str:
    """The printed schema, as kept in `schema.graphql`."""
    return build_schema().as_str() + "\n"
