"""Every use the gateway makes of its dependencies' internals, one module per dependency.

Private names, non-public modules, methods overridden on their classes, the wording of their
messages: each is imported, named or read here, and the rest of gateway/ uses it through this
package. A contract test per module (tests/test_compat_<dependency>.py) checks each hook against
the installed version and fails naming the hook and the version, so an upgrade that breaks one
says which, instead of failing somewhere in the suite.

Inventory (before: where the use was; after: the hook; public fallback, if any):

graphql-core (`graphql_core.py`)
- api/variables.py:27 `graphql.execution.values.get_variable_values`, `VariableValues`;
  api/budget.py:24 `get_argument_values`, `VariableValues`; api/incremental.py:31
  `VariableValues` → `get_variable_values`, `get_argument_values`, `VariableValues`, imported
  from graphql's top level (its public exports). No fallback needed.
- api/variables.py:28 `graphql.utilities.validate_input_value.validate_input_value` →
  `validate_input_value` (exported at the top level too): the field-by-field problem walk.
- api/payloads.py:30 `graphql.execution.types.PendingResult` (not exported from `graphql`) →
  `PendingResult`: typing of the incremental payloads' `pending` entries (`id`, `path`,
  `label`). Fallback: `Any`.
- api/execution.py:54 `graphql.type.scalars.serialize_{string,id,boolean,int}` (not exported) →
  the same names: the lean path recognises the built-in scalars' serialisers by identity to
  inline their checks. Fallback: call the serialiser (what it does for every other scalar).
- api/execution.py:215,231 override of the executor's `collect_and_execute_subfields`, :263 call
  of `collect_subfields`, reads of the executor's `abort_signal`, `context_value`, `operation`,
  `fragment_definitions`, `variable_values.coerced` and of `FieldDetails.node`, `.defer_usage`,
  `.fragment_variable_values` → named in `OVERRIDDEN_EXECUTOR_METHODS`,
  `CALLED_EXECUTOR_METHODS`, `EXECUTOR_ATTRIBUTES`, `FIELD_DETAILS_ATTRIBUTES` (the class stays
  in api/execution.py). Fallback: `LEAN_EXECUTION = False`, graphql-core's own completion
  (Strawberry's execution context unchanged); tests/test_execution.py and
  tests/test_incremental_execution.py run both paths and compare them result by result.
- api/variables.py:33-35,97 the wording of graphql-core's coercion errors ("to include required
  field", "not to include unknown field", "not to be None", "; found: …") → `input_problem`,
  `without_value`. Fallback: graphql-core's message as it is (what `_problem` does for
  wording it does not know).
- api/documents.py:199-200 the wording of the parser's own limits ("Parsing aborted", "nested
  too deeply") → `parsing_aborted`. Fallback: the syntax error as graphql-core words it.
- api/documents.py:37 `graphql.validation.NoSchemaIntrospectionCustomRule` (public, exported at
  the top level) → `NoSchemaIntrospectionCustomRule`.

Strawberry (`strawberry.py`)
- api/execution.py:55, api/schema.py:22 `strawberry.schema.schema
  .StrawberryGraphQLCoreExecutionContext` → `ExecutionContext`: the lean path's base and the
  plain path's class. Fallback: graphql-core's executor (Strawberry's adds its own handling).
- api/execution.py:56,279 `strawberry.types.field.StrawberryField` and the graphql-core field
  extension "strawberry-definition" → `StrawberryField`, `field_definition`. Fallback: no plan
  (graphql-core's path) for fields whose definition is not found.
- api/schema.py:88-94 override of the private `Schema._get_custom_context_kwargs` (early
  execution of `@defer`) → `ExecutorOptionsSchema.executor_options`. Fallback: none public;
  without it deferred fragments start after the initial payload (same results, later).
- api/schema.py:200,207, api/http.py:303 `schema._schema` → `graphql_schema(schema)`.
- api/query.py:205 `info._raw_info` → `graphql_info(info)`: the argument nodes, to tell which
  values came from variables. Fallback: none public (Strawberry's `Info` has no field nodes'
  arguments; `selected_fields` carries converted values only).
- api/documents.py:38-39 Strawberry's internal rule list (`MaybeNullValidationRule`,
  `OneOfInputValidationRule`, added in `strawberry/schema/schema.py`'s `validate_document`)
  → `VALIDATION_RULES`. Fallback: none; dropping one would accept what Strawberry refuses.
- api/inputs.py:11-12 `strawberry.types.base.get_object_definition`,
  `strawberry.utils.str_converters.to_camel_case`; api/scalars.py:11
  `strawberry.types.scalar.ScalarDefinition` → the same names (deep modules).

uvicorn (`uvicorn.py`)
- http_edge.py:21-28 `uvicorn._types` (private), `uvicorn.protocols.http.httptools_impl`
  (`HttpToolsProtocol`, `RequestResponseCycle`, `STATUS_LINE`),
  `uvicorn.protocols.http.flow_control.service_unavailable`, `uvicorn.server.ServerState` →
  the same names.
- http_edge.py:289,294 override of the private `_start_asgi_task`; :214,225
  `_unset_keepalive_if_required`, :253 `_should_upgrade`, :256 `_unsupported_upgrade_warning`
  called; the other overridden methods and the protocol's and cycle's attributes read or set →
  named in `PROTOCOL_OVERRIDES`, `PROTOCOL_CALLS`, `PROTOCOL_ATTRIBUTES`, `CYCLE_ATTRIBUTES` (the
  class stays in http_edge.py). Fallback: `EDGE_PROTOCOL = False`, uvicorn's own httptools
  protocol (no edge limits, plain-text answers). No differential test runs the gateway on it.
- cli.py:81,98,112,115 `uvicorn.supervisors.Multiprocess`, its `keep_subprocess_alive` and
  `restart_all` wrapped and `processes` read → `Multiprocess`, `SUPERVISOR_OVERRIDES`,
  `SUPERVISOR_ATTRIBUTES`. Fallback: the plain supervisor (dead workers' metrics not marked).

Starlette, prometheus-client, aiohttp, OpenTelemetry: only their public APIs are used, so they
have no module here. `uvicorn.middleware.proxy_headers.ProxyHeadersMiddleware` (app.py) is
documented by uvicorn and stays where it is.
"""
