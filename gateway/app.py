"""The app factory: every piece of the gateway is wired here, explicitly, and nowhere else.

Request path: RequestIdMiddleware → CORS → /graphql (api/transport/http.py) → Query
(api/schema/query.py) → SearchService (search/) → provider adapters (providers/) on one shared
aiohttp session.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TypedDict

import aiohttp
from brotli_asgi import BrotliMiddleware
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gateway import __version__, gc_tuning, readiness, reference, tracing
from gateway.api.admission.budget import MAX_REPRICINGS, REPRICING_FIELDS, SearchBudget
from gateway.api.admission.clients import ClientLimits, ClientPolicy
from gateway.api.admission.documents import DocumentRejected, DocumentSettings
from gateway.api.admission.measure import DocumentLimits
from gateway.api.admission.persisted import PersistedQueries
from gateway.api.schema.build import GatewaySchema, build_schema
from gateway.api.transport import explorer
from gateway.api.transport.errors import INTERNAL_MESSAGE, request_error
from gateway.api.transport.http import EndpointSettings, graphql_endpoint
from gateway.config import ConfigError, Settings
from gateway.currency.feed import RatesFeed
from gateway.drain import Drain
from gateway.fleet.sealed import Sealer
from gateway.fleet.shared import Shared
from gateway.observe.events import Events, Observer
from gateway.observe.logs import LogObserver
from gateway.observe.metrics import MetricsObserver, OperationLabels, metrics_endpoint
from gateway.providers import registry
from gateway.providers.fleet import Fleet
from gateway.request_id import RequestIdMiddleware, current_request_id
from gateway.search import locations
from gateway.search.cache import SearchCache
from gateway.search.results import ResultStore
from gateway.search.service import SearchService

log = logging.getLogger(__name__)


class State(TypedDict):
    search: SearchService
    settings: Settings
    clients: ClientLimits
    persisted: PersistedQueries
    shared: Shared | None
    """The fleet's shared state (Redis), or None with `mem://`: one process, nothing to share."""


COMPRESS_MIN_BYTES = 1024
"""Smaller answers go as they are: compressing them saves less than its cost and headers."""
UPSTREAM_CONNECTIONS = 2000
"""Pooled upstream connections at most. High on purpose: a search makes up to 7 calls and
each waits ~100 ms+ on the provider, so 200 concurrent searches need ~1,000 connections to stay
latency-bound; rate limits, not the pool, protect providers."""


def create_session(tracer: tracing.Tracing | None = None) -> aiohttp.ClientSession:
    """The one upstream HTTP client of the process: pooled keep-alive connections; with
    tracing on, a span and a `traceparent` header on every upstream request."""
    connector = aiohttp.TCPConnector(
        limit=UPSTREAM_CONNECTIONS, limit_per_host=UPSTREAM_CONNECTIONS // 2, ttl_dns_cache=300
    )
    return aiohttp.ClientSession(
        connector=connector,
        # Deadlines come from the search layer; only connecting has its own bound.
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=5),
        headers={"User-Agent": f"travel-gateway/{__version__}"},
        raise_for_status=False,
        # One client serves every user: a cookie a provider sets must not ride along on other
        # users' searches. (Keeping no jar also saves its bookkeeping on every call.)
        cookie_jar=aiohttp.DummyCookieJar(),
        trace_configs=tracer.trace_configs() if tracer is not None else None,
    )


async def _start_demo(settings: Settings, stack: AsyncExitStack) -> Settings:
    """Demo mode: each provider's simulator on loopback (stopped with `stack`), and the
    providers pointed at them. The simulators (`simulators/`, beside the gateway) are imported
    here and in `travel-gateway simulate` only: a gateway with credentials never loads them. A
    provider without a simulator is left out of the demo, with a log line."""
    from simulators import registry as simulators
    from simulators import runner
    from simulators.common.faults import FaultConfig

    faults = FaultConfig(latency_ms=settings.demo_latency_ms, jitter_ms=settings.demo_jitter_ms)
    base_urls = {}
    for provider in registry.names():
        if not simulators.has(provider):
            log.info("demo: %s has no simulator, so the demo runs without it", provider)
            continue
        simulator = await runner.start(provider, fault_config=faults)
        stack.push_async_callback(simulator.stop)
        base_urls[provider] = simulator.base_url
    log.info(
        "demo simulators listening: %s",
        ", ".join(f"{name} at {url}" for name, url in base_urls.items()),
    )
    return settings.with_simulators(simulators.configs(base_urls))


@asynccontextmanager
async def _services(
    settings: Settings,
    events: Events,
    metrics: MetricsObserver | None,
    tracer: tracing.Tracing | None,
) -> AsyncIterator[State]:
    reference.preload()
    locations.preload()
    async with AsyncExitStack() as stack:
        if tracer is not None:
            stack.push_async_callback(tracer.shutdown)  # last: after every span has ended
        if settings.demo:
            settings = await _start_demo(settings, stack)
        session = await stack.enter_async_context(create_session(tracer))
        feed = RatesFeed(session, settings.fx_url, interval_s=settings.fx_refresh_s)
        feed.start()
        stack.push_async_callback(feed.stop)
        cache = await SearchCache.open(
            settings.cache_url,
            ttl_s={"flights": settings.cache_ttl_flights_s, "hotels": settings.cache_ttl_hotels_s},
            max_wait_s=settings.search_deadline_s,
            signing_key=settings.cache_signing_key,
            memory_bytes=settings.cache_memory_bytes,
            events=events,
        )
        stack.push_async_callback(cache.close)
        shared = Shared(cache.store, Sealer(settings.cache_signing_key)) if cache.shared else None
        fleet = None
        if shared is not None:
            fleet = Fleet(
                shared,
                quota=settings.quota_without_redis,
                rate_limits=settings.provider_limits_without_redis,
            )
        providers = registry.build_providers(session, settings.providers, events, fleet)
        log.info(
            "providers: %s",
            ", ".join(f"{info.name} ({info.mode})" for info in (p.info() for p in providers.all)),
        )
        search = SearchService(
            providers,
            rates=lambda: feed.rates,
            default_currency=settings.default_currency,
            deadline_s=settings.search_deadline_s,
            provider_timeout_s=settings.provider_timeout_s,
            results=ResultStore(
                ttl_s=settings.results_ttl_s,
                max_sets=settings.results_max_sets,
                max_bytes=settings.results_max_bytes,
            ),
            cache=cache,
            breaker_failures=settings.breaker_failures,
            breaker_reset_s=settings.breaker_reset_s,
            hotel_markup_percent=settings.hotel_markup_percent,
            events=events,
            shared=shared,
            refresh_reuse_s=settings.refresh_reuse_s,
            shared_offer_bytes=settings.offers_shared_bytes,
        )
        stack.push_async_callback(search.flush)  # before the cache's store closes
        if metrics is not None:
            results = search.results
            metrics.watch(search.breakers, lambda: len(results))
        clients = ClientLimits.for_store(
            client_policy(settings),
            settings.cache_url,
            events,
            without_redis=settings.client_limits_without_redis,
        )
        stack.push_async_callback(clients.close)
        persisted = PersistedQueries(
            enabled=settings.apq,
            trusted=settings.trusted_documents,
            shared=shared,
            max_bytes=settings.max_document_bytes,
            shared_bytes=settings.apq_shared_bytes,
            memory_bytes=settings.apq_memory_bytes,
        )
        yield State(
            search=search, settings=settings, clients=clients, persisted=persisted, shared=shared
        )


async def healthz(request: Request) -> Response:
    """Liveness: the process answers (see `gateway.readiness` for readiness)."""
    return JSONResponse({"status": "ok", "version": __version__})


async def readyz(request: Request) -> Response:
    """Readiness: 200 when this instance can serve searches (`degraded`, with the reasons, when
    it serves without Redis), else 503 with the reasons."""
    settings = request.state.settings
    drain: Drain | None = request.app.state.drain
    found = await readiness.check(
        request.state.search,
        redis_required=settings.redis_required,
        draining=drain is not None and drain.draining,
    )
    return JSONResponse(found.body(), status_code=200 if found.ready else 503)


def document_settings(settings: Settings) -> DocumentSettings:
    return DocumentSettings(
        limits=DocumentLimits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_fields=settings.max_fields,
        ),
        max_bytes=settings.max_document_bytes,
        cache_bytes=settings.document_cache_bytes,
        max_tokens=settings.max_tokens,
        introspection=settings.introspection,
    )


def client_policy(settings: Settings) -> ClientPolicy:
    return ClientPolicy(
        keys=settings.api_keys,
        requests_per_minute=settings.rate_limit_requests,
        searches_per_minute=settings.rate_limit_searches,
    )


def endpoint_settings(settings: Settings) -> EndpointSettings:
    return EndpointSettings(
        max_body_bytes=settings.max_body_bytes,
        budget=SearchBudget(
            max_searches={
                "flights": settings.max_flight_searches,
                "hotels": settings.max_hotel_searches,
                **dict.fromkeys(REPRICING_FIELDS, MAX_REPRICINGS),
            },
            max_cost=settings.max_cost,
            default_currency=settings.default_currency,
        ),
        csrf_headers=settings.csrf_headers,
        explorer=settings.explorer,
        clients=client_policy(settings),
        net_prices=settings.net_price_policy,
        http_cache_with_keys=settings.http_cache_with_keys,
    )


async def not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse(request_error("Not found.", "NOT_FOUND"), status_code=404)


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    headers = getattr(exc, "headers", None)
    return JSONResponse(
        request_error(f"{request.method} is not supported here.", "METHOD_NOT_ALLOWED"),
        status_code=405,
        headers=headers,
    )


async def internal_error(request: Request, exc: Exception) -> Response:
    """The last resort (the error is logged by the server): still GraphQL JSON, with the id."""
    request_id = current_request_id()
    payload = request_error(INTERNAL_MESSAGE, "INTERNAL_SERVER_ERROR")
    payload["errors"][0]["extensions"]["requestId"] = request_id  # type: ignore[index]
    return JSONResponse(payload, status_code=500)


def check_trusted_documents(schema: GatewaySchema, settings: Settings) -> None:
    """Every trusted document must pass today's limits: a `ConfigError` at start-up, not a
    refusal for every user of that operation later."""
    for ident, text in (settings.trusted_documents or {}).items():
        try:
            schema.documents.prepare(text)
        except DocumentRejected as rejected:
            raise ConfigError(
                f"GATEWAY_TRUSTED_DOCUMENTS: operation {ident[:12]}… is refused: {rejected}"
            ) from None


def observers(settings: Settings) -> tuple[list[Observer], MetricsObserver | None]:
    """Who listens to the gateway's events (gateway/observe/): the log lines always, metrics
    when a token lets someone read them."""
    listening: list[Observer] = [LogObserver(requests=settings.log_format == "json")]
    metrics = None
    if settings.metrics_token is not None:
        metrics = MetricsObserver(OperationLabels.for_documents(settings.trusted_documents))
        listening.append(metrics)
    return listening, metrics


def create_app(
    settings: Settings | None = None,
    *,
    tune_gc: bool = False,
    tracer: tracing.Tracing | None = None,
    extra_observers: Sequence[Observer] = (),
    drain: Drain | None = None,
) -> Starlette:
    """The gateway as an ASGI app; `tune_gc` and `drain` (SIGTERM's handler) only where the app
    owns its process (see below). Tracing is what `settings` ask for unless a `tracer` is given
    (tests give their own); `extra_observers` are told every event too (tests, embedding
    servers)."""
    settings = settings or Settings.from_env()
    tracer = tracer if tracer is not None else tracing.start(settings.tracing)
    schema = build_schema(document_settings(settings))
    check_trusted_documents(schema, settings)
    listening, metrics = observers(settings)
    events = Events([*listening, *extra_observers])

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        async with _services(settings, events, metrics, tracer) as state:
            if tune_gc:
                gc_tuning.tune_for_serving()
            if drain is not None:
                drain.install()
            try:
                yield state
            finally:
                if drain is not None:
                    drain.uninstall()

    origins = list(settings.allowed_origins)
    app = Starlette(
        routes=[
            # Every method reaches the endpoint, which refuses what it does not serve (HEAD
            # included: Starlette would otherwise answer it by running the GET).
            Route(
                "/graphql",
                graphql_endpoint(schema, endpoint_settings(settings), events),
                methods=["GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"],
            ),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            *(
                [Route("/metrics", metrics_endpoint(metrics, settings.metrics_token))]
                if metrics is not None and settings.metrics_token is not None
                else []
            ),
            *(explorer.routes() if settings.explorer else []),
        ],
        middleware=[
            *(
                [Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))]
                if settings.trusted_proxies
                else []
            ),
            # Outermost but for the proxy headers: the request span covers compression too.
            *([tracer.middleware()] if tracer is not None else []),
            # Outside in: gzip for clients that take only gzip, brotli for the others; a body
            # brotli encoded is passed through by gzip (it is already encoded).
            Middleware(GZipMiddleware, minimum_size=COMPRESS_MIN_BYTES, compresslevel=5),
            Middleware(
                BrotliMiddleware,
                minimum_size=COMPRESS_MIN_BYTES,
                quality=4,
                gzip_fallback=False,
            ),
            Middleware(RequestIdMiddleware),
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST"],
                allow_headers=list(
                    dict.fromkeys([*settings.cors_headers, *(settings.csrf_headers or ())])
                ),
                expose_headers=["x-request-id", "retry-after"],
                max_age=600,
            ),
        ],
        exception_handlers={404: not_found, 405: method_not_allowed, 500: internal_error},
        lifespan=lifespan,
    )
    app.state.schema = schema  # for operators' and tests' inspection; requests use the endpoint's
    app.state.drain = drain
    return app


def create_served_app() -> Starlette:
    """The app `travel-gateway serve` runs, one per worker process: it tunes the process's
    garbage collector after start-up (gateway/gc_tuning.py), which an app embedded in someone
    else's process (tests, another server) must not do, and drains on SIGTERM
    (gateway/drain.py), for which such a process must not have its signals taken."""
    settings = Settings.from_env()
    return create_app(settings, tune_gc=True, drain=Drain(settings.drain_s))
