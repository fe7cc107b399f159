"""CPU to accept or refuse a document: the families of hostile documents we know of, every size.

Each document is prepared (size, parse, measure, validate: `gateway/api/admission/documents.py`) by
a fresh document store, so nothing is cached, and the worst of `REPEATS` runs of CPU time is kept.
Sizes go up to the request body limit (256 KiB): a body can carry no larger document. The goal:
every document accepted or refused in under 50 ms of CPU.

    .venv/bin/python -m bench.documents [--repeats 3]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable

import orjson
from graphql import get_introspection_query
from graphql.execution.values import VariableValues, get_variable_values

from bench.run import GATEWAY_QUERY, gateway_body, searches
from gateway import gc_tuning
from gateway.api.admission.budget import SearchBudget, assess
from gateway.api.admission.documents import DocumentRejected, DocumentSettings, DocumentStore
from gateway.api.schema.build import build_schema, cost_model

BODY_LIMIT = 256 * 1024
SIZES = (1_024, 8 * 1_024, 32 * 1_024, BODY_LIMIT)
GOAL_MS = 50.0
SCHEMA = build_schema()


def fill(
    size: int, unit: Callable[[int], str], wrap: Callable[[str], str] = "{{ {} }}".format
) -> str:
    """`unit(0) unit(1) …` inside `wrap`, as many as fit in `size` characters."""
    parts: list[str] = []
    length = len(wrap(""))
    index = 0
    while True:
        part = unit(index)
        if length + len(part) + 1 > size:
            break
        parts.append(part)
        length += len(part) + 1
        index += 1
    return wrap(" ".join(parts))


def exponential_fragments(size: int) -> str:
    head = "query { ...F0 } "
    fragments: list[str] = []
    n = 0
    while len(head) + sum(map(len, fragments)) + 60 < size:
        fragments.append(f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }} ")
        n += 1
    return head + "".join(fragments) + f"fragment F{n} on Query {{ __typename }}"


def fragment_chain(size: int) -> str:
    fragments = fill(size - 40, lambda i: f"fragment F{i} on Query {{ ...F{i + 1} }}", str)
    return "query { ...F0 } " + fragments


def quadratic_spreads(size: int) -> str:
    """Every fragment spreads every earlier one: n²/2 spreads."""
    parts = ["query { ...F0 }", "fragment F0 on Query { __typename }"]
    n = 1
    while sum(map(len, parts)) < size:
        spreads = " ".join(f"...F{k}" for k in range(n))
        parts.append(f"fragment F{n} on Query {{ {spreads} }}")
        n += 1
    return " ".join(parts[:-1])


def deep(size: int) -> str:
    levels = size // 12
    return "{ " + "providers { " * levels + "name" + " }" * (levels + 1)


def nested_lists(size: int) -> str:
    levels = size // 2 - 40
    return "{ providers(x: " + "[" * levels + "]" * levels + ") { name } }"


FAMILIES: dict[str, Callable[[int], str]] = {
    "exponential fragments": exponential_fragments,
    "fragment chain": fragment_chain,
    "fragments spreading all earlier": quadratic_spreads,
    "deep nesting": deep,
    "nested list values": nested_lists,
    "aliases": lambda size: fill(size, lambda i: f"a{i}: __typename"),
    "one field repeated": lambda size: fill(size, lambda i: "__typename"),
    "one object field repeated": lambda size: fill(size, lambda i: "providers { name }"),
    "distinct unknown fields": lambda size: fill(size, lambda i: f"f{i}"),
    "spreads in one selection": lambda size: fill(
        size,
        lambda i: f"fragment F{i} on Query {{ __typename }}",
        lambda body: (
            "query { " + " ".join(f"...F{i}" for i in range(body.count("fragment"))) + " } " + body
        ),
    ),
    "unused variables": lambda size: fill(
        size, lambda i: f"$v{i}: Int", "query({}) {{ __typename }}".format
    ),
    "directives": lambda size: fill(
        size, lambda i: "@skip(if: false)", "{{ __typename {} }}".format
    ),
    "operations": lambda size: fill(size, lambda i: f"query Q{i} {{ __typename }}", str),
    "comments": lambda size: fill(size, lambda i: "#\n", "{{ __typename {} }}".format),
    "long string": lambda size: '{ providers(x: "' + "x" * (size - 40) + '") { name } }',
    "arguments": lambda size: fill(
        size, lambda i: f"a{i}: 1", "{{ providers({}) {{ name }} }}".format
    ),
    "introspection in introspection": lambda size: (
        "{ __schema { types { "
        + "fields { type { " * min(size // 40, 100)
        + "name"
        + " } }" * min(size // 40, 100)
        + " } } }"
    ),
}
NORMAL = {
    "the benchmark's trip query": GATEWAY_QUERY,
    "the standard introspection query": get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    ),
}


def measure(text: str, repeats: int) -> tuple[str, float]:
    """The outcome of preparing `text`, and the worst CPU time of `repeats` fresh runs, in ms.

    Each run gets a new store (nothing cached) on the schema built once, with the collector
    set as in a served process (`gateway.gc_tuning`: start-up objects frozen)."""
    worst = 0.0
    outcome = ""
    for _ in range(repeats):
        store = DocumentStore(SCHEMA._schema, cost_model(SCHEMA._schema), DocumentSettings())
        gc.collect()
        started = time.process_time()
        try:
            store.prepare(text)
            outcome = "accepted"
        except DocumentRejected as rejected:
            extensions = rejected.errors[0].get("extensions", {})
            assert isinstance(extensions, dict)
            outcome = f"refused: {extensions.get('code')}"
            if extensions.get("limit"):
                outcome += f" ({extensions['limit']})"
        worst = max(worst, (time.process_time() - started) * 1000)
    return outcome, worst


def per_request_us(rounds: int = 2_000) -> float:
    """CPU, in µs, of what every request of the benchmark's trip query runs before execution
    once its document is cached: the cache lookup, the operation, variable coercion, the
    search budget."""
    store = SCHEMA.documents
    variables = orjson.loads(gateway_body(searches(1)[0]))["variables"]
    budget = SearchBudget()
    started = time.process_time()
    for _ in range(rounds):
        prepared = store.prepare(GATEWAY_QUERY)
        operation = prepared.operation(None)
        coerced = get_variable_values(
            SCHEMA._schema, operation.node.variable_definitions or (), variables
        )
        assert isinstance(coerced, VariableValues)
        assess(operation, coerced, budget, lambda field: 5)
    return (time.process_time() - started) / rounds * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    gc_tuning.tune_for_serving()
    slowest = 0.0
    print(f"| family | bytes | outcome | worst CPU ms of {args.repeats} |")
    print("|---|---:|---|---:|")
    for name, family in FAMILIES.items():
        for size in SIZES:
            text = family(size)
            outcome, ms = measure(text, args.repeats)
            slowest = max(slowest, ms)
            print(f"| {name} | {len(text.encode()):,} | {outcome} | {ms:.1f} |")
    for name, text in NORMAL.items():
        outcome, ms = measure(text, args.repeats)
        slowest = max(slowest, ms)
        print(f"| {name} | {len(text.encode()):,} | {outcome} | {ms:.1f} |")
    print(
        f"\nper request, once the document is cached (lookup, operation, variables, budget): "
        f"{per_request_us():.0f} µs of CPU"
    )
    verdict = "met" if slowest < GOAL_MS else "MISSED"
    print(f"\nslowest: {slowest:.1f} ms of CPU (goal: under {GOAL_MS:.0f} ms): {verdict}")
    return 0 if slowest < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
