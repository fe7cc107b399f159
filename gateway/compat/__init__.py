"""Every use the gateway makes of its dependencies' internals, one module per dependency.

Private names, non-public modules, methods overridden on their classes, the wording of their
messages: each is imported, named or read here, and the rest of gateway/ uses it through this
package. A contract test per module (tests/test_compat_<dependency>.py) checks each hook against
the installed version and fails naming the hook and the version, so an upgrade that breaks one
says which, instead of failing somewhere in the suite.

Inventory (where the use is; → the hook; public fallback, if any):

graphql-core (`graphql_core/`)
- api/admission/variables.py `graphql.execution.values.get_variable_values`, `VariableValues`;
  api/admission/budget.py `get_argument_values`, `VariableValues`; api/transport/incremental.py
  `VariableValues` → `get_variable_values`, `get_argument_values`, `VariableValues`, imported
  from graphql's top level (its public exports). No fallback needed.
- api/admission/variables.py `graphql.utilities.validate_input_value.validate_input_value` →
  `validate_input_value` (exported at the top level too): the field-by-field problem walk.
- api/transport/payloads.py `graphql.execution.types.PendingResult` (not exported from `graphql`) →
  `PendingResult`: typing of the incremental payloads' `pending` entries (`id`, `path`,
  `label`). Fallback: `Any`.
- compat/graphql_core/execution.py `graphql.type.scalars.serialize_{string,id,boolean,int}`
  (not exported) → the same names: the lean path recognises the built-in scalars' serialisers by
  identity to inline their checks. Fallback: call the serialiser (what it does for every other
  scalar).
- compat/graphql_core/execution.py override of the executor's `collect_and_execute_subfields`, call
  of `collect_subfields`, reads of the executor's `abort_signal`, `context_value`, `operation`,
  `fragment_definitions`, `variable_values.coerced` and of `FieldDetails.node`, `.defer_usage`,
  `.fragment_variable_values` → named in `OVERRIDDEN_EXECUTOR_METHODS`,
  `CALLED_EXECUTOR_METHODS`, `EXECUTOR_ATTRIBUTES`, `FIELD_DETAILS_ATTRIBUTES` (the class is
  compat/graphql_core/execution.py's `LeanExecutionContext`). Fallback: `LEAN_EXECUTION =
  False`, graphql-core's own completion (Strawberry's execution context unchanged);
  tests/test_execution.py and tests/test_incremental_execution.py run both paths and compare them
  result by result.
- api/admission/variables.py the wording of graphql-core's coercion errors ("to include required
  field", "not to include unknown field", "not to be None", "; found: …") → `input_problem`,
  `without_value`. Fallback: graphql-core's message as it is (what `_problem` does for
  wording it does not know).
- api/admission/documents.py the wording of the parser's own limits ("Parsing aborted", "nested
  too deeply") → `parsing_aborted`. Fallback: the syntax error as graphql-core words it.
- api/admission/documents.py `graphql.validation.NoSchemaIntrospectionCustomRule` (public, exported
  at the top level) → `NoSchemaIntrospectionCustomRule`.

Strawberry (`strawberry.py`)
- compat/graphql_core/execution.py, api/schema/build.py `strawberry.schema.schema
  .StrawberryGraphQLCoreExecutionContext` → `ExecutionContext`: the lean path's base and the
  plain path's class. Fallback: graphql-core's executor (Strawberry's adds its own handling).
- compat/graphql_core/execution.py `strawberry.types.field.StrawberryField` and the graphql-core
  field extension "strawberry-definition" → `StrawberryField`, `field_definition`. Fallback: no
  plan (graphql-core's path) for fields whose definition is not found.
- api/schema/build.py override of the private `Schema._get_custom_context_kwargs` (early
  execution of `@defer`) → `ExecutorOptionsSchema.executor_options`. Fallback: none public;
  without it deferred fragments start after the initial payload (same results, later).
- api/schema/build.py, api/transport/http.py `schema._schema` → `graphql_schema(schema)`.
- api/schema/query.py `info._raw_info` → `graphql_info(info)`: the argument nodes, to tell which
  values came from variables. Fallback: none public (Strawberry's `Info` has no field nodes'
  arguments; `selected_fields` carries converted values only).
- api/admission/documents.py Strawberry's internal rule list (`MaybeNullValidationRule`,
  `OneOfInputValidationRule`, added in `strawberry/schema/schema.py`'s `validate_document`)
  → `VALIDATION_RULES`. Fallback: none; dropping one would accept what Strawberry refuses.
- api/schema/inputs.py `strawberry.types.base.get_object_definition`,
  `strawberry.utils.str_converters.to_camel_case`; api/schema/scalars.py
  `strawberry.types.scalar.ScalarDefinition` → the same names (deep modules).

uvicorn (`uvicorn/`)
- compat/uvicorn/edge.py `uvicorn._types` (private), `uvicorn.protocols.http.httptools_impl`
  (`HttpToolsProtocol`, `RequestResponseCycle`, `STATUS_LINE`),
  `uvicorn.protocols.http.flow_control.service_unavailable`, `uvicorn.server.ServerState` →
  the same names.
- compat/uvicorn/edge.py: override of the private `_start_asgi_task`;
  `_unset_keepalive_if_required`, `_should_upgrade`, `_unsupported_upgrade_warning`
  called; the other overridden methods and the protocol's and cycle's attributes read or set →
  named in `PROTOCOL_OVERRIDES`, `PROTOCOL_CALLS`, `PROTOCOL_ATTRIBUTES`, `CYCLE_ATTRIBUTES` (the
  class is compat/uvicorn/edge.py's `EdgeProtocol`). Fallback: `EDGE_PROTOCOL = False`, uvicorn's
  own httptools protocol (no edge limits, plain-text answers). No differential test runs the gateway
  on it.
- cli.py `uvicorn.supervisors.Multiprocess`, its `keep_subprocess_alive` and
  `restart_all` wrapped and `processes` read → `Multiprocess`, `SUPERVISOR_OVERRIDES`,
  `SUPERVISOR_ATTRIBUTES`. Fallback: the plain supervisor (dead workers' metrics not marked).

Starlette, prometheus-client, aiohttp, OpenTelemetry: only their public APIs are used, so they
have no module here. `uvicorn.middleware.proxy_headers.ProxyHeadersMiddleware` (app.py) is
documented by uvicorn and stays where it is.
"""
