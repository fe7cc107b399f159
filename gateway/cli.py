"""The `travel-gateway` command: serve the gateway, run a simulator, print the schema."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from gateway import env_names, listen
from gateway.config import ConfigError, Settings
from gateway.observe import logs
from gateway.providers import registry

log = logging.getLogger("gateway")

STARTUP_FAILURE = 3
"""Exit status when the server did not start, as `uvicorn.run` exits."""


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.http_edge import server_config

    try:
        settings = Settings.from_env()
        where = listen.resolve(os.environ, host=args.host, port=args.port, workers=args.workers)
        level = settings.log_level
        if args.log_level is not None:
            level = logs.checked_level(args.log_level, "--log-level")
        if settings.trusted_documents:
            from gateway.api.schema.build import build_schema
            from gateway.app import check_trusted_documents
            from gateway.app import document_settings as documents_of

            check_trusted_documents(build_schema(documents_of(settings)), settings)
    except ConfigError as exc:
        print(f"travel-gateway: configuration error: {exc}", file=sys.stderr)
        return 2
    trace_ids = settings.tracing.enabled
    logs.configure(level, settings.log_format, trace_ids=trace_ids)
    env_names.warn_unknown(os.environ)
    url = f"http://{where.shown_host}:{where.port}/graphql"
    if settings.demo:
        log.info(
            "Demo mode: no provider credentials set, so built-in simulators of %s answer. "
            "GraphiQL: %s",
            ", ".join(name for name in registry.names() if name in SimulatedProviders()),
            url,
        )
    else:
        log.info("Serving %s. GraphiQL: %s", " + ".join(settings.providers), url)
    config = server_config(
        settings,
        host=where.host,
        port=where.port,
        workers=where.workers,
        access_log=args.access_log,
        log_config=logs.dict_config(level, settings.log_format, trace_ids=trace_ids),
    )
    # What uvicorn.run does with a Config, which it cannot be given: the edge limits ride on it.
    server = uvicorn.Server(config)
    try:
        if config.workers > 1:
            _serve_workers(config, metrics=settings.metrics_token is not None)
            return 0
        server.run()
    except KeyboardInterrupt:
        pass
    return 0 if server.started else STARTUP_FAILURE


def _serve_workers(config: Any, *, metrics: bool) -> None:
    """`--workers N`: uvicorn's supervisor; with metrics, the workers share a fresh
    prometheus-client multiprocess directory, dead workers are marked so, and it is removed
    at the end."""
    from gateway.compat.uvicorn import Multiprocess

    if not metrics:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    from gateway.observe import metrics as observed

    directory = observed.multiprocess_directory()
    os.environ[observed.MULTIPROC_ENV] = directory  # the workers (spawned) inherit it
    log.info("metrics of %d workers in %s", config.workers, directory)
    try:
        _marking_dead_workers()(config, sockets=[config.bind_socket()]).run()
    finally:
        observed.remove_directory(directory)


def _marking_dead_workers() -> type[Any]:
    from gateway.compat.uvicorn import Multiprocess
    from gateway.observe import metrics as observed

    class MarkingDeadWorkers(Multiprocess):
        """uvicorn's supervisor, telling prometheus-client of each worker that ended."""

        def _replacing(self, replace: Any) -> None:
            before = {process.pid for process in self.processes}
            replace()
            for pid in before - {process.pid for process in self.processes}:
                if pid is not None:
                    observed.mark_dead(pid)

        def keep_subprocess_alive(self) -> None:
            self._replacing(super().keep_subprocess_alive)

        def restart_all(self) -> None:
            self._replacing(super().restart_all)

    return MarkingDeadWorkers


class SimulatedProviders:
    """`simulate --provider`'s choices: the providers that have a simulator
    (`simulators/registry.py`), looked up only when the option is parsed or shown, so that
    building the parser (every command does) loads no simulator."""

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    @staticmethod
    def _names() -> tuple[str, ...]:
        from simulators import registry as simulators

        return simulators.names()


def _simulate(args: argparse.Namespace) -> int:
    from aiohttp import web

    from simulators import runner
    from simulators.common.faults import FAULTS, FaultConfig

    try:
        logs.configure(logs.checked_level(args.log_level or "INFO", "--log-level"))
        rates: dict[str, Any] = {}
        for spec in args.fault:
            name, _, rate = spec.partition("=")
            if name not in FAULTS:
                raise ValueError(f"unknown fault {name!r}; choose from {', '.join(FAULTS)}")
            rates[f"{name}_rate"] = float(rate)
        faults = replace(
            FaultConfig(
                latency_ms=args.latency_ms,
                jitter_ms=args.jitter_ms,
                seed=args.seed,
                retry_after_s=args.retry_after_s,
                price_factor=args.price_factor,
                offers_gone=args.offers_gone,
            ),
            **rates,
        ).validated()
    except ValueError as exc:  # ConfigError included
        print(f"travel-gateway simulate: {exc}", file=sys.stderr)
        return 2
    app = runner.create_app(args.provider, faults)
    log.info(
        "%s simulator on http://%s:%s (latency %g±%g ms; faults at /__sim/faults)",
        args.provider,
        args.host,
        args.port,
        args.latency_ms,
        args.jitter_ms,
    )
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        print=None,
        access_log=None,
        handler_cancellation=True,
        shutdown_timeout=2.0,
    )
    return 0


def _new_key(args: argparse.Namespace) -> int:
    from gateway.api.admission.clients import KEY_NAME, digest, new_key

    if not KEY_NAME.match(args.name):
        print("travel-gateway keys new: the name must be 1-64 letters, digits, space . _ -",
              file=sys.stderr)  # fmt: skip
        return 2
    key = new_key()
    print(f"# API key for {args.name}: give it to the client, keep it nowhere else.")
    print(f"# {key}")
    print("# Add this to the file GATEWAY_API_KEYS_FILE names:")
    print("[[keys]]")
    print(f'name = "{args.name}"')
    print(f'sha256 = "{digest(key)}"')
    print("# requests_per_minute = 600")
    print("# searches_per_minute = 120")
    return 0


def _schema(_: argparse.Namespace) -> int:
    from gateway.api.schema.build import schema_sdl

    sys.stdout.write(schema_sdl())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="travel-gateway", description="GraphQL travel search gateway."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the gateway (demo simulators by default)")
    serve.add_argument(
        "--host", help=f"interface to listen on (default GATEWAY_HOST, else {listen.DEFAULT_HOST})"
    )
    serve.add_argument(
        "--port",
        help=f"port to listen on (default GATEWAY_PORT, else PORT, else {listen.DEFAULT_PORT})",
    )
    serve.add_argument(
        "--workers",
        help=f"worker processes, 1-{listen.MAX_WORKERS} (default GATEWAY_WORKERS, else 1)",
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument(
        "--log-level", help=f"{', '.join(logs.LEVELS)} (default GATEWAY_LOG_LEVEL, else INFO)"
    )
    serve.set_defaults(run=_serve)

    simulate = commands.add_parser("simulate", help="run one provider simulator standalone")
    provider = simulate.add_argument(
        "--provider", required=True, choices=SimulatedProviders(), metavar="PROVIDER"
    )
    # argparse formats an argument's metavar once as it is added (a check), which would read
    # the choices, and so import the simulators, in every command; without a metavar the help
    # and errors show the choices, as `{amadeus,duffel,…}`, read only then.
    provider.metavar = None
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, default=9000)
    simulate.add_argument("--latency-ms", type=float, default=0.0)
    simulate.add_argument("--jitter-ms", type=float, default=0.0)
    simulate.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME=RATE",
        help="inject a fault in a share of calls, e.g. error=0.1 (repeatable): "
        "error, unavailable, rate_limited, unauthorized, hang, malformed, wrong_shape, "
        "truncated, oversized, slow_body",
    )
    simulate.add_argument("--retry-after-s", type=int, default=1, help="Retry-After of 429/503")
    simulate.add_argument("--seed", type=int, default=None, help="seed of the fault dice")
    simulate.add_argument(
        "--price-factor",
        type=float,
        default=1.0,
        help="re-pricing answers each offer's price times this (1.1: a tenth more)",
    )
    simulate.add_argument(
        "--offers-gone",
        action="store_true",
        help="re-pricing answers that every offer is no longer on sale",
    )
    simulate.add_argument("--log-level")
    simulate.set_defaults(run=_simulate)

    keys = commands.add_parser("keys", help="API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    new = key_commands.add_parser("new", help="make a key and print its entry for the key file")
    new.add_argument("name", help="who the key is for (shown in logs, never the key)")
    new.set_defaults(run=_new_key)

    schema = commands.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema.set_defaults(run=_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130
