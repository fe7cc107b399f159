"""Provider contracts: JSON Schemas derived from the providers' own definitions, and a loader.

Each `<provider>/<operation>.schema.json` here describes one exchange as an object whose
properties are its *parts* (`headers`, `path`, `query`, `body`, `response`, `error`); each part
is `{"$ref": "#/$defs/op.<part>"}`. scripts/derive-contracts writes them; README.md beside this
file says where each came from and lists the known defects of the definitions themselves.

    problems("amadeus", "flight_offers_search", "response", body)        # [] when it conforms
    problems("duffel", "offer_get", "response", body, strict=True)       # undefined fields too
    query_problems("amadeus", "flight_offers_search", {"adults": "1", ...})
    header_problems("duffel", "offer_get", {"duffel-version": "v2", ...})

A problem reads "<JSON pointer>: <message>" ("/" is the whole instance). `allow` tolerates the
problems at the listed paths (a definition's known defect): a path is a JSON pointer whose `*`
segments match any one segment (an array index) and whose `**` matches any number of them.
"""

from __future__ import annotations

import ast
import copy
import functools
import json
import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

__all__ = [
    "PARTS",
    "ContractError",
    "document",
    "header_problems",
    "operations",
    "part_schema",
    "parts",
    "problems",
    "query_problems",
    "source",
]

HERE = Path(__file__).resolve().parent
DIALECT = "https://json-schema.org/draft/2020-12/schema"
PARTS = ("headers", "path", "query", "body", "response", "error")
"""Every part name a contract may have, in the order of an exchange."""
PARAMETER_PARTS = frozenset({"headers", "path", "query"})
MESSAGE_LIMIT = 240
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_VALUES = ("items", "additionalProperties", "not", "contains", "if", "then", "else")
IN_PLACE = ("allOf", "anyOf", "oneOf", "$ref")

Json = Any


class ContractError(LookupError):
    """No such provider, operation or part."""


def operations() -> list[tuple[str, str]]:
    """Every (provider, operation) with a schema file here."""
    return sorted((p.parent.name, p.name.split(".")[0]) for p in HERE.glob("*/*.schema.json"))


@functools.cache
def _document(provider: str, operation: str) -> Json:
    path = HERE / provider / f"{operation}.schema.json"
    if not path.is_file():
        raise ContractError(f"no contract {provider}/{operation} (have {operations()})")
    return json.loads(path.read_text())


def document(provider: str, operation: str) -> Json:
    """The whole schema document (a copy)."""
    return copy.deepcopy(_document(provider, operation))


def source(provider: str, operation: str) -> Json:
    """The document's provenance (`x-source`): repository, commit, files, operation, parts."""
    return copy.deepcopy(_document(provider, operation)["x-source"])


def parts(provider: str, operation: str) -> tuple[str, ...]:
    """The parts this contract defines, in exchange order."""
    declared = _document(provider, operation)["properties"]
    return tuple(part for part in PARTS if part in declared)


def _check_part(provider: str, operation: str, part: str) -> None:
    if part not in parts(provider, operation):
        raise ContractError(
            f"{provider}/{operation} has no part {part!r} (it has {parts(provider, operation)})"
        )


def _deref(defs: Mapping[str, Json], schema: Json) -> Json:
    seen: set[str] = set()
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        name = schema["$ref"].removeprefix("#/$defs/")
        if name in seen or name not in defs:
            break
        seen.add(name)
        schema = defs[name]
    return schema


def part_schema(provider: str, operation: str, part: str) -> Json:
    """The part's schema with its top-level $ref chain followed (a copy)."""
    _check_part(provider, operation, part)
    doc = _document(provider, operation)
    return copy.deepcopy(_deref(doc["$defs"], doc["properties"][part]))


def _strict(node: Json) -> Json:
    """Every object schema that declares `properties` and states no `additionalProperties`
    gets `additionalProperties: false` (`unevaluatedProperties: false` where allOf/anyOf/oneOf/
    $ref sit beside it, so their properties still count). A schema without `properties`
    (a free-form object) stays open."""
    if isinstance(node, bool) or not isinstance(node, dict):
        return node
    out = dict(node)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _strict(v) for k, v in out["properties"].items()}
    for key in SUBSCHEMA_VALUES:
        if key in out:
            out[key] = _strict(out[key])
    for key in SUBSCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_strict(sub) for sub in out[key]]
    if isinstance(out.get("$defs"), dict):
        out["$defs"] = {k: _strict(v) for k, v in out["$defs"].items()}
    stated = "additionalProperties" in out or "unevaluatedProperties" in out
    if "properties" in out and not stated:
        in_place = any(key in out for key in IN_PLACE)
        out["unevaluatedProperties" if in_place else "additionalProperties"] = False
    return out


@functools.cache
def _validator(
    provider: str, operation: str, part: str, strict: bool, formats: bool
) -> Draft202012Validator:
    _check_part(provider, operation, part)
    doc = _document(provider, operation)
    defs = copy.deepcopy(doc["$defs"])
    if strict:
        defs = {name: _strict(schema) for name, schema in defs.items()}
    root = {"$schema": DIALECT, "$defs": defs, "$ref": f"#/$defs/op.{part}"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # see problems()
        Draft202012Validator.check_schema(root)
    checker = FormatChecker() if formats else None
    return Draft202012Validator(root, format_checker=checker)


def _escape(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _pointer(tokens: Iterable[object]) -> str:
    return "/" + "/".join(_escape(t) for t in tokens) if tokens else "/"


def _short(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names_in(message: str) -> list[str]:
    """The quoted property names of jsonschema's "('a', 'b' were unexpected)"."""
    match = re.search(r"\((.*) (?:was|were) unexpected\)", message)
    if not match:
        return []
    try:
        found = ast.literal_eval(f"[{match.group(1)}]")
    except (ValueError, SyntaxError):
        return []
    return [str(name) for name in found]


def _render(error: ValidationError, part: str) -> list[tuple[str, str]]:
    """(pointer, message) pairs for one jsonschema error; an unexpected or missing property is
    reported at its own path."""
    tokens = list(error.absolute_path)
    pointer = _pointer(tokens)
    unknown = "unknown parameter" if part in PARAMETER_PARTS else "property not in the definition"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        declared = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extras = [k for k in error.instance if k not in declared] or _names_in(error.message)
        return [(_pointer([*tokens, k]), unknown) for k in extras]
    if error.validator == "unevaluatedProperties":
        extras = _names_in(error.message)
        if extras:
            return [(_pointer([*tokens, k]), unknown) for k in extras]
    if error.validator == "required":
        match = re.fullmatch(r"(.*) is a required property", error.message)
        if match:
            try:
                name = ast.literal_eval(match.group(1))
            except (ValueError, SyntaxError):
                name = match.group(1)
            what = (
                "required parameter missing"
                if part in PARAMETER_PARTS
                else "required property missing"
            )
            return [(_pointer([*tokens, name]), what)]
    if error.validator == "not" and error.validator_value == {}:
        return [(pointer, "not allowed here (the definition forbids this property)")]
    if error.validator in ("anyOf", "oneOf") and error.context:
        count = len(error.validator_value)
        branches: dict[object, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        every = {
            branch: tuple(sorted({r for sub in subs for r in _render(sub, part)}))
            for branch, subs in branches.items()
        }
        if len(set(every.values())) == 1 and len(every) == count:
            return list(next(iter(every.values())))  # every alternative fails the same way
        why = [
            f"[{branch}] "
            + "; ".join(f"{p}: {m}" for p, m in _render(best_match(branches[branch]), part))
            for branch in sorted(branches, key=str)
        ]
        word = "none" if error.validator == "anyOf" else "not exactly one"
        text = f"matches {word} of the {count} alternatives: " + " | ".join(why)
        return [(pointer, _short(text, 3 * MESSAGE_LIMIT))]
    return [(pointer, _short(error.message))]


def _compile_allow(pattern: str) -> re.Pattern[str]:
    if pattern in ("", "/"):
        return re.compile(r"/")
    pieces = []
    for segment in pattern.strip("/").split("/"):
        if segment == "**":
            pieces.append(r"(?:/[^/]*)*")
        elif segment == "*":
            pieces.append(r"/[^/]*")
        else:
            pieces.append("/" + re.escape(segment))
    return re.compile("".join(pieces))


def _allowed(pointer: str, allow: Sequence[re.Pattern[str]]) -> bool:
    return any(pattern.fullmatch(pointer) for pattern in allow)


def problems(
    provider: str,
    operation: str,
    part: str,
    instance: object,
    *,
    strict: bool = False,
    allow: Iterable[str] = (),
    formats: bool = False,
) -> list[str]:
    """Every way `instance` departs from the part's schema, as "pointer: message", sorted.

    strict: also report properties the definition does not declare (see `_strict`).
    allow: pointers (with `*` / `**`) whose problems are tolerated: listed spec defects.
    formats: also assert `format` (date, date-time, …) where jsonschema can check it.
    """
    validator = _validator(provider, operation, part, strict, formats)
    patterns = [_compile_allow(p) for p in allow]
    found: set[str] = set()
    with warnings.catch_warnings():
        # Amadeus writes "[[A-Z0-9]{1,18}"; Python warns of a future nested set.
        warnings.simplefilter("ignore", FutureWarning)
        errors = list(validator.iter_errors(instance))
    for error in errors:
        for pointer, message in _render(error, part):
            if not _allowed(pointer, patterns):
                found.add(f"{pointer}: {message}")
    return sorted(found)


def _types(schema: Json) -> list[str]:
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    if isinstance(schema, dict) and "const" in schema:
        return [{bool: "boolean", int: "integer", float: "number"}.get(type(schema["const"]), "")]
    return []


def _scalar(text: str, schema: Json) -> object:
    kinds = [k for k in _types(schema) if k != "null"]
    kind = kinds[0] if kinds else None
    if kind == "integer" and re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if kind == "number" and re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        number = float(text)
        if math.isfinite(number):
            return int(text) if re.fullmatch(r"[+-]?\d+", text) else number
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


SEPARATORS = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|"}


def _coerce(value: str | Sequence[str], schema: Json, defs: Mapping[str, Json]) -> object:
    schema = _deref(defs, schema)
    if "array" in _types(schema):
        items = _deref(defs, schema.get("items", {}))
        style = schema.get("x-collection-format", "csv")
        if isinstance(value, str):
            texts = [value] if style == "multi" else value.split(SEPARATORS.get(style, ","))
        else:
            texts = list(value)
        return [_scalar(text, items) for text in texts]
    if isinstance(value, str):
        return _scalar(value, schema)
    return list(value)


def query_problems(
    provider: str,
    operation: str,
    params: Mapping[str, str | Sequence[str]],
    *,
    part: str = "query",
    strict: bool = False,
    allow: Iterable[str] = (),
    formats: bool = False,
) -> list[str]:
    """Problems of query (or, with part="path", path) parameters as sent: each string value is
    read as its declared type first (integer, number, boolean "true"/"false"; an array from its
    collection format, comma-separated by default, or from a list of repeated values).
    A parameter the definition does not declare is a problem."""
    if part not in ("query", "path"):
        raise ContractError("query_problems checks the query or the path")
    doc = _document(provider, operation)
    declared = part_schema(provider, operation, part).get("properties", {})
    coerced = {
        name: _coerce(value, declared[name], doc["$defs"]) if name in declared else value
        for name, value in params.items()
    }
    return problems(provider, operation, part, coerced, strict=strict, allow=allow, formats=formats)


def header_problems(
    provider: str,
    operation: str,
    headers: Mapping[str, str],
    *,
    allow: Iterable[str] = (),
) -> list[str]:
    """Problems of a request's headers against those the definition declares (names compared
    case-insensitively; headers it does not declare are not problems)."""
    declared = part_schema(provider, operation, "headers").get("properties", {})
    by_lower = {name.lower(): name for name in declared}
    named = {by_lower.get(name.lower(), name): value for name, value in headers.items()}
    return problems(provider, operation, "headers", named, allow=allow)
