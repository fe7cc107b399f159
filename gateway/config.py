"""Settings from the environment, read once at start-up and checked there.

Provider variables use the names their users already know (AMADEUS_CLIENT_ID, DUFFEL_ACCESS_TOKEN);
the gateway's own use the GATEWAY_ prefix. With no provider credentials the gateway runs in demo
mode on its built-in simulators.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from gateway.api.admission import disclosure
from gateway.api.admission.clients import ApiKey, KeyFileError, load_keys
from gateway.api.admission.documents import DocumentSettings
from gateway.api.admission.persisted import SHARED_BYTES as SHARED_APQ_BYTES
from gateway.api.admission.persisted import ManifestError, load_manifest
from gateway.api.transport.csrf import REQUIRED_HEADERS as CSRF_HEADERS
from gateway.api.transport.http import EndpointSettings
from gateway.currency.feed import ECB_DAILY_URL
from gateway.currency.rates import bundled_rates
from gateway.drain import DRAIN_S, MAX_DRAIN_S
from gateway.env import ConfigError as ConfigError
from gateway.env import flag, get, http_url, integer, number, optional_number
from gateway.fleet.offers import SHARED_BYTES as SHARED_OFFER_BYTES
from gateway.observe import logs
from gateway.outage import LIMIT_MODES, QUOTA_MODES
from gateway.providers import registry
from gateway.search.refreshes import MAX_REUSE_S as MAX_REFRESH_REUSE_S
from gateway.search.refreshes import REUSE_S as REFRESH_REUSE_S
from gateway.search.selling import MAX_MARKUP_PERCENT
from gateway.tracing import TracingSettings

CORS_HEADERS = (
    "content-type",
    "accept",
    "authorization",
    "x-api-key",
    "x-request-id",
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "traceparent",
    "tracestate",
    "baggage",
    "sentry-trace",
)
"""What common clients send: Apollo's client awareness and CSRF headers, W3C trace context,
Sentry's; a preflight naming any other is refused."""
_HEADER_NAME = re.compile(r"^[a-z0-9!#$%&'*+.^_`|~-]+\Z")

VARIABLES: tuple[str, ...] = (
    "GATEWAY_SEARCH_DEADLINE_S",
    "GATEWAY_PROVIDER_TIMEOUT_S",
    "GATEWAY_CURRENCY",
    "GATEWAY_FX_URL",
    "GATEWAY_FX_REFRESH_S",
    "GATEWAY_RESULTS_TTL_S",
    "GATEWAY_RESULTS_MAX_SETS",
    "GATEWAY_RESULTS_MAX_MIB",
    "GATEWAY_CACHE_MEMORY_MIB",
    "GATEWAY_DOCUMENT_CACHE_MIB",
    "GATEWAY_APQ_MEMORY_MIB",
    "GATEWAY_CACHE_URL",
    "GATEWAY_CACHE_TTL_FLIGHTS_S",
    "GATEWAY_CACHE_TTL_HOTELS_S",
    "GATEWAY_CACHE_SIGNING_KEY",
    "GATEWAY_BREAKER_FAILURES",
    "GATEWAY_BREAKER_RESET_S",
    "GATEWAY_REFRESH_REUSE_S",
    "GATEWAY_DRAIN_S",
    "GATEWAY_OFFERS_SHARED_MIB",
    "GATEWAY_NET_PRICES",
    "GATEWAY_HOTEL_MARKUP_PERCENT",
    "GATEWAY_CORS_ORIGINS",
    "GATEWAY_CORS_HEADERS",
    "GATEWAY_MAX_BODY_BYTES",
    "GATEWAY_MAX_HEADER_BYTES",
    "GATEWAY_MAX_HEADERS",
    "GATEWAY_HEADER_TIMEOUT_S",
    "GATEWAY_BODY_TIMEOUT_S",
    "GATEWAY_KEEPALIVE_TIMEOUT_S",
    "GATEWAY_MAX_REQUESTS_PER_CONNECTION",
    "GATEWAY_MAX_CONNECTIONS",
    "GATEWAY_MAX_DOCUMENT_BYTES",
    "GATEWAY_MAX_TOKENS",
    "GATEWAY_MAX_QUERY_DEPTH",
    "GATEWAY_MAX_ALIASES",
    "GATEWAY_MAX_FIELDS",
    "GATEWAY_MAX_FLIGHT_SEARCHES",
    "GATEWAY_MAX_HOTEL_SEARCHES",
    "GATEWAY_MAX_COST",
    "GATEWAY_API_KEYS_FILE",
    "GATEWAY_RATE_LIMIT_REQUESTS",
    "GATEWAY_RATE_LIMIT_SEARCHES",
    "GATEWAY_QUOTA_WITHOUT_REDIS",
    "GATEWAY_PROVIDER_LIMITS_WITHOUT_REDIS",
    "GATEWAY_CLIENT_LIMITS_WITHOUT_REDIS",
    "GATEWAY_REDIS_REQUIRED",
    "GATEWAY_TRUSTED_PROXIES",
    "GATEWAY_CSRF_PREVENTION",
    "GATEWAY_CSRF_HEADERS",
    "GATEWAY_INTROSPECTION",
    "GATEWAY_EXPLORER",
    "GATEWAY_APQ",
    "GATEWAY_HTTP_CACHE_WITH_KEYS",
    "GATEWAY_APQ_SHARED_BYTES",
    "GATEWAY_TRUSTED_DOCUMENTS",
    "GATEWAY_DEMO_LATENCY_MS",
    "GATEWAY_DEMO_JITTER_MS",
    "GATEWAY_LOG_LEVEL",
    "GATEWAY_LOG_FORMAT",
    "GATEWAY_METRICS_TOKEN",
    "GATEWAY_TRACE_INCOMING",
)
"""Every variable `Settings.from_env` reads itself (`GATEWAY_TRACE_INCOMING` through
`TracingSettings`); providers declare theirs in their spec. `gateway/env_names.py` gathers
them to tell an operator of a variable that is no setting; a test fails when one is read but
not listed here."""


_DOCUMENTS = DocumentSettings()
_ENDPOINT = EndpointSettings()
"""The API layer's own defaults: the settings that reach it default to them, so each is written
once, where it is used (docstrings there say why each is what it is)."""


@dataclass(frozen=True, slots=True)
class Settings:
    providers: Mapping[str, Any] = field(default_factory=dict)
    """Each configured provider's configuration, by name (`gateway/providers/registry.py`)."""
    search_deadline_s: float = 8.0
    """Time a field (flights, hotels) may take in all, retries included."""
    provider_timeout_s: float | None = None
    """Each provider's own limit inside the deadline; None: the deadline."""
    default_currency: str = "EUR"
    fx_url: str | None = None
    """Where reference rates are read (the ECB feed); None: the bundled snapshot only."""
    fx_refresh_s: float = 6 * 3600
    results_ttl_s: float = 600.0
    results_max_sets: int = 500
    """Result sets kept for paging, at most."""
    results_max_bytes: int = 64 * 1024**2
    """Result sets' bytes kept at most, by their encodings (`search/results.py`)."""
    cache_memory_bytes: int = 64 * 1024**2
    """Provider answers the `mem://` cache keeps at most (Redis has its own `maxmemory`)."""
    document_cache_bytes: int = _DOCUMENTS.cache_bytes
    """Parsed and validated documents kept at most, by their estimated size."""
    apq_memory_bytes: int = 16 * 1024**2
    """APQ texts kept in each process at most."""
    cache_url: str = "mem://"
    """Search cache backend: `mem://` (per process) or `redis://host:port/db` (shared)."""
    cache_ttl_flights_s: float = 120.0
    cache_ttl_hotels_s: float = 300.0
    cache_signing_key: str | None = field(default=None, repr=False)
    """Secret for the HMAC on every cached value (search/entries.py); None: values unsigned.
    Kept out of repr, so it can never be logged with the settings."""
    breaker_failures: int = 5
    breaker_reset_s: float = 30.0
    refresh_reuse_s: float = REFRESH_REUSE_S
    """A refresh of an offer younger than this is answered from the earlier one, fleet-wide
    (`search/refreshes.py`); 0: only refreshes in flight at once are shared."""
    drain_s: float = DRAIN_S
    """After SIGTERM, how long `/readyz` answers 503 before the server stops (`drain.py`)."""
    offers_shared_bytes: int = SHARED_OFFER_BYTES
    """Bytes of served offers the fleet writes to Redis per results TTL (`fleet/offers.py`);
    0: none, each process finds the offers it served."""
    net_prices: str | None = None
    """Who sees what the seller pays (`api/admission/disclosure.py`): all, keyed or none; None: all
    in demo mode (simulated prices), keyed otherwise."""
    hotel_markup_percent: Decimal = Decimal(0)
    """Added to the net price of hotel rates whose provider sets no selling price (Hotelbeds'),
    never below the provider's minimum (`gateway/search/selling.py`)."""
    cors_origins: tuple[str, ...] | None = None
    cors_headers: tuple[str, ...] = CORS_HEADERS
    """Request headers browsers may send cross-origin (the CSRF headers are always added)."""
    """None: open (`*`) in demo mode, closed otherwise."""
    demo_latency_ms: float = 120.0
    demo_jitter_ms: float = 40.0
    max_body_bytes: int = _ENDPOINT.max_body_bytes
    max_document_bytes: int = _DOCUMENTS.max_bytes
    max_tokens: int = _DOCUMENTS.max_tokens
    max_query_depth: int = _DOCUMENTS.limits.max_depth
    max_aliases: int = _DOCUMENTS.limits.max_aliases
    max_fields: int = _DOCUMENTS.limits.max_fields
    max_flight_searches: int = _ENDPOINT.budget.max_searches["flights"]
    max_hotel_searches: int = _ENDPOINT.budget.max_searches["hotels"]
    max_cost: int = _ENDPOINT.budget.max_cost
    """Estimated cost of one operation, at most (docs/security.md, the cost model)."""
    csrf_headers: tuple[str, ...] | None = _ENDPOINT.csrf_headers
    """A GET (or simple-content-type) request must carry one of these; None: no CSRF check."""
    introspection: bool = _DOCUMENTS.introspection
    explorer: bool = _ENDPOINT.explorer
    api_keys: Mapping[str, ApiKey] | None = None
    """Keys by SHA-256 (`GATEWAY_API_KEYS_FILE`); None: no key is required."""
    rate_limit_requests: int | None = None
    """Requests per client per minute (a key may set its own); None: not limited."""
    rate_limit_searches: int | None = None
    """Searches per client per minute (a key may set its own); None: not limited."""
    quota_without_redis: str = QUOTA_MODES[0]
    """What Hotelbeds' daily quota does while Redis is down (`providers/hotelbeds/quota.py`)."""
    provider_limits_without_redis: str = LIMIT_MODES[0]
    """What provider rate limits do while Redis is down (`providers/fleet.py`)."""
    client_limits_without_redis: str = LIMIT_MODES[0]
    """What client rate limits do while Redis is down (`api/admission/clients.py`)."""
    redis_required: bool = False
    """Whether `/readyz` answers 503 while Redis does not answer (else 200 `degraded`)."""
    apq: bool = True
    http_cache_with_keys: bool = False
    """Whether answers to requests with an API key may be cached (privately) by HTTP caches
    (`api/transport/http_cache.py`)."""
    """Automatic persisted queries (Apollo's protocol)."""
    apq_shared_bytes: int = SHARED_APQ_BYTES
    """APQ texts the fleet shares in Redis per day (`api/admission/persisted.py`); 0: each process
    keeps its own."""
    trusted_documents: Mapping[str, str] | None = None
    """Manifest texts by SHA-256 (`GATEWAY_TRUSTED_DOCUMENTS`); set: only these run."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks whose X-Forwarded-For names the client; empty: none."""
    log_level: str = "INFO"
    log_format: str = "text"
    """`text`, or `json`: a JSON object a line, and a line per request (gateway/observe/logs.py)."""
    metrics_token: str | None = field(default=None, repr=False)
    """The bearer token `/metrics` asks for; None: no metrics (the route is absent)."""
    # The HTTP edge (gateway/http_edge.py): what one client may cost before the app sees a request.
    max_header_bytes: int = 16 * 1024
    """Request line and headers of one request, at most; more is refused with 431 unbuffered."""
    max_headers: int = 100
    """Header fields of one request, at most (431 above it)."""
    header_timeout_s: float = 10.0
    """Time to receive a request's headers, from its first byte (the first: from connecting)."""
    body_timeout_s: float = 30.0
    """Time to receive a request's whole body once its headers are in."""
    keepalive_timeout_s: int = 5
    """Idle time allowed between requests on one connection (whole seconds: uvicorn's setting)."""
    max_requests_per_connection: int = 1000
    """Requests served on one connection; the last is answered with `Connection: close`."""
    max_connections: int = 1000
    """Open connections served at once; a request on one more is answered 503."""
    simulated: frozenset[str] = field(default_factory=frozenset)
    """Providers pointed at built-in simulators (demo mode)."""
    tracing: TracingSettings = field(default_factory=TracingSettings)
    """OpenTelemetry tracing (`OTEL_*`, `GATEWAY_TRACE_INCOMING`); off unless an exporter is
    named and the `otel` extra is installed (gateway/tracing/)."""

    @property
    def demo(self) -> bool:
        """No provider has credentials: serve the built-in simulators."""
        return not self.providers

    @property
    def net_price_policy(self) -> str:
        if self.net_prices is not None:
            return self.net_prices
        return "all" if self.demo or self.simulated else "keyed"

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        if self.cors_origins is not None:
            return self.cors_origins
        return ("*",) if self.demo or self.simulated else ()

    def with_simulators(self, configs: Mapping[str, Any]) -> Settings:
        """Point providers at simulators: `configs` by provider name, each already pointed at
        its simulator (demo credentials; mode `simulated`): `simulators.registry.configs`."""
        return replace(
            self,
            providers={**self.providers, **configs},
            cors_origins=self.allowed_origins,
            simulated=frozenset(configs),
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        d = _DEFAULTS  # each default is written once: the field's, above
        return cls(
            providers=registry.configured(env),
            search_deadline_s=number(
                env, "GATEWAY_SEARCH_DEADLINE_S", d.search_deadline_s, low=0.1, high=120
            ),
            provider_timeout_s=optional_number(
                env, "GATEWAY_PROVIDER_TIMEOUT_S", low=0.1, high=120
            ),
            default_currency=_default_currency(env),
            fx_url=_fx_url(env),
            fx_refresh_s=number(
                env, "GATEWAY_FX_REFRESH_S", d.fx_refresh_s, low=60, high=7 * 86400
            ),
            results_ttl_s=number(env, "GATEWAY_RESULTS_TTL_S", d.results_ttl_s, low=5, high=86400),
            results_max_sets=integer(
                env, "GATEWAY_RESULTS_MAX_SETS", d.results_max_sets, low=10, high=1_000_000
            ),
            results_max_bytes=_mib(env, "GATEWAY_RESULTS_MAX_MIB", d.results_max_bytes),
            cache_memory_bytes=_mib(env, "GATEWAY_CACHE_MEMORY_MIB", d.cache_memory_bytes),
            document_cache_bytes=_mib(env, "GATEWAY_DOCUMENT_CACHE_MIB", d.document_cache_bytes),
            apq_memory_bytes=_mib(env, "GATEWAY_APQ_MEMORY_MIB", d.apq_memory_bytes),
            cache_url=_cache_url(env),
            cache_ttl_flights_s=number(
                env, "GATEWAY_CACHE_TTL_FLIGHTS_S", d.cache_ttl_flights_s, low=0, high=86400
            ),
            cache_ttl_hotels_s=number(
                env, "GATEWAY_CACHE_TTL_HOTELS_S", d.cache_ttl_hotels_s, low=0, high=86400
            ),
            cache_signing_key=_signing_key(env),
            breaker_failures=integer(
                env, "GATEWAY_BREAKER_FAILURES", d.breaker_failures, low=1, high=1000
            ),
            breaker_reset_s=number(
                env, "GATEWAY_BREAKER_RESET_S", d.breaker_reset_s, low=0.1, high=3600
            ),
            refresh_reuse_s=number(
                env, "GATEWAY_REFRESH_REUSE_S", d.refresh_reuse_s, low=0, high=MAX_REFRESH_REUSE_S
            ),
            drain_s=number(env, "GATEWAY_DRAIN_S", d.drain_s, low=0, high=MAX_DRAIN_S),
            offers_shared_bytes=int(
                number(
                    env,
                    "GATEWAY_OFFERS_SHARED_MIB",
                    d.offers_shared_bytes // 1024**2,
                    low=0,
                    high=64 * 1024,
                )
                * 1024**2
            ),
            hotel_markup_percent=_markup_percent(env),
            net_prices=_net_prices(env),
            cors_origins=_origins(env),
            cors_headers=_header_names(env, "GATEWAY_CORS_HEADERS", d.cors_headers),
            demo_latency_ms=number(
                env, "GATEWAY_DEMO_LATENCY_MS", d.demo_latency_ms, low=0, high=60_000
            ),
            demo_jitter_ms=number(
                env, "GATEWAY_DEMO_JITTER_MS", d.demo_jitter_ms, low=0, high=60_000
            ),
            max_body_bytes=integer(
                env, "GATEWAY_MAX_BODY_BYTES", d.max_body_bytes, low=1024, high=64 * 1024**2
            ),
            max_document_bytes=integer(
                env, "GATEWAY_MAX_DOCUMENT_BYTES", d.max_document_bytes, low=256, high=1024**2
            ),
            max_tokens=integer(env, "GATEWAY_MAX_TOKENS", d.max_tokens, low=50, high=100_000),
            max_query_depth=integer(
                env, "GATEWAY_MAX_QUERY_DEPTH", d.max_query_depth, low=2, high=100
            ),
            max_aliases=integer(env, "GATEWAY_MAX_ALIASES", d.max_aliases, low=0, high=1000),
            max_fields=integer(env, "GATEWAY_MAX_FIELDS", d.max_fields, low=10, high=100_000),
            max_flight_searches=integer(
                env, "GATEWAY_MAX_FLIGHT_SEARCHES", d.max_flight_searches, low=0, high=100
            ),
            max_hotel_searches=integer(
                env, "GATEWAY_MAX_HOTEL_SEARCHES", d.max_hotel_searches, low=0, high=100
            ),
            max_cost=integer(env, "GATEWAY_MAX_COST", d.max_cost, low=1, high=10**9),
            csrf_headers=_csrf_headers(env),
            introspection=flag(env, "GATEWAY_INTROSPECTION", d.introspection),
            explorer=flag(env, "GATEWAY_EXPLORER", d.explorer),
            api_keys=_api_keys(env),
            rate_limit_requests=_per_minute(env, "GATEWAY_RATE_LIMIT_REQUESTS"),
            rate_limit_searches=_per_minute(env, "GATEWAY_RATE_LIMIT_SEARCHES"),
            quota_without_redis=_mode(env, "GATEWAY_QUOTA_WITHOUT_REDIS", QUOTA_MODES),
            provider_limits_without_redis=_mode(
                env, "GATEWAY_PROVIDER_LIMITS_WITHOUT_REDIS", LIMIT_MODES
            ),
            client_limits_without_redis=_mode(
                env, "GATEWAY_CLIENT_LIMITS_WITHOUT_REDIS", LIMIT_MODES
            ),
            redis_required=flag(env, "GATEWAY_REDIS_REQUIRED", d.redis_required),
            trusted_proxies=_trusted_proxies(env),
            apq=flag(env, "GATEWAY_APQ", d.apq),
            http_cache_with_keys=flag(env, "GATEWAY_HTTP_CACHE_WITH_KEYS", d.http_cache_with_keys),
            apq_shared_bytes=integer(
                env, "GATEWAY_APQ_SHARED_BYTES", d.apq_shared_bytes, low=0, high=1024**3
            ),
            trusted_documents=_trusted_documents(env),
            log_level=logs.checked_level(
                get(env, "GATEWAY_LOG_LEVEL") or d.log_level, "GATEWAY_LOG_LEVEL"
            ),
            log_format=_log_format(env),
            metrics_token=_metrics_token(env),
            max_header_bytes=integer(
                env, "GATEWAY_MAX_HEADER_BYTES", d.max_header_bytes, low=1024, high=1024**2
            ),
            max_headers=integer(env, "GATEWAY_MAX_HEADERS", d.max_headers, low=1, high=10_000),
            header_timeout_s=number(
                env, "GATEWAY_HEADER_TIMEOUT_S", d.header_timeout_s, low=0.1, high=600
            ),
            body_timeout_s=number(
                env, "GATEWAY_BODY_TIMEOUT_S", d.body_timeout_s, low=0.1, high=3600
            ),
            keepalive_timeout_s=integer(
                env, "GATEWAY_KEEPALIVE_TIMEOUT_S", d.keepalive_timeout_s, low=1, high=3600
            ),
            max_requests_per_connection=integer(
                env,
                "GATEWAY_MAX_REQUESTS_PER_CONNECTION",
                d.max_requests_per_connection,
                low=1,
                high=10**6,
            ),
            max_connections=integer(
                env, "GATEWAY_MAX_CONNECTIONS", d.max_connections, low=1, high=10**6
            ),
            tracing=TracingSettings.from_env(env),
        )


_DEFAULTS = Settings()
"""What an unset variable means: `from_env` reads each default from here, never a second copy
(`Settings()` in code and tests means the same as an empty environment, but for the ECB feed,
which an empty environment reads and `Settings()` does not)."""


def _mib(env: Mapping[str, str], name: str, default_bytes: int) -> int:
    """A memory bound in MiB (1 to 64 GiB), as bytes."""
    return int(number(env, name, default_bytes / 1024**2, low=1, high=64 * 1024) * 1024**2)


def _net_prices(env: Mapping[str, str]) -> str | None:
    value = get(env, "GATEWAY_NET_PRICES")
    if value is None:
        return None
    if value.lower() not in disclosure.POLICIES:
        raise ConfigError(f"GATEWAY_NET_PRICES must be one of {', '.join(disclosure.POLICIES)}")
    return value.lower()


def _markup_percent(env: Mapping[str, str]) -> Decimal:
    """`GATEWAY_HOTEL_MARKUP_PERCENT`: exact (a Decimal, as money is), 0 to the maximum."""
    name = "GATEWAY_HOTEL_MARKUP_PERCENT"
    raw = get(env, name)
    if raw is None:
        return Decimal(0)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConfigError(f"{name} must be a number of percent, got {raw[:20]!r}") from None
    if not value.is_finite() or not 0 <= value <= MAX_MARKUP_PERCENT:
        raise ConfigError(f"{name} must be from 0 to {MAX_MARKUP_PERCENT}")
    return value


def _csrf_headers(env: Mapping[str, str]) -> tuple[str, ...] | None:
    if not flag(env, "GATEWAY_CSRF_PREVENTION", True):
        return None
    return _header_names(env, "GATEWAY_CSRF_HEADERS", CSRF_HEADERS)


def _header_names(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = get(env, name)
    if raw is None:
        return default
    headers = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if not headers or not all(_HEADER_NAME.match(header) for header in headers):
        raise ConfigError(f"{name} must be a comma-separated list of header names")
    return headers


def _api_keys(env: Mapping[str, str]) -> dict[str, ApiKey] | None:
    path = get(env, "GATEWAY_API_KEYS_FILE")
    if path is None:
        return None
    try:
        return load_keys(path)
    except KeyFileError as exc:
        raise ConfigError(f"GATEWAY_API_KEYS_FILE: {exc}") from None


def _trusted_documents(env: Mapping[str, str]) -> dict[str, str] | None:
    path = get(env, "GATEWAY_TRUSTED_DOCUMENTS")
    if path is None:
        return None
    try:
        return load_manifest(path)
    except ManifestError as exc:
        raise ConfigError(f"GATEWAY_TRUSTED_DOCUMENTS: {exc}") from None


def _mode(env: Mapping[str, str], name: str, modes: tuple[str, ...]) -> str:
    """A guard's failure mode without Redis (`gateway/outage.py`); unset: the first of `modes`."""
    value = (get(env, name) or modes[0]).lower()
    if value not in modes:
        raise ConfigError(f"{name} must be one of {', '.join(modes)}")
    return value


def _per_minute(env: Mapping[str, str], name: str) -> int | None:
    """A per-minute limit; unset or 0: no limit."""
    return integer(env, name, 0, low=0, high=10**6) or None


def _trusted_proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = get(env, "GATEWAY_TRUSTED_PROXIES")
    if raw is None:
        return ()
    proxies = tuple(part.strip() for part in raw.split(",") if part.strip())
    for proxy in proxies:
        if proxy == "*":
            continue
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"GATEWAY_TRUSTED_PROXIES: {proxy!r} is not an IP address or network"
            ) from None
    return proxies


def _cache_url(env: Mapping[str, str]) -> str:
    url = get(env, "GATEWAY_CACHE_URL") or "mem://"
    if url == "mem://":
        return url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a port that is no number or out of range)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("redis", "rediss")
        or not parts.hostname
        or not _REDIS_DB.match(parts.path)
    ):
        # The message never shows the value: a Redis URL may carry its password.
        raise ConfigError(
            "GATEWAY_CACHE_URL must be mem:// or redis://[:password@]host[:port][/db] "
            "(rediss:// for TLS)"
        )
    return url


_REDIS_DB = re.compile(r"^(/[0-9]{0,5})?\Z")


def _log_format(env: Mapping[str, str]) -> str:
    log_format = (get(env, "GATEWAY_LOG_FORMAT") or "text").lower()
    if log_format not in logs.FORMATS:
        raise ConfigError(f"GATEWAY_LOG_FORMAT must be one of {', '.join(logs.FORMATS)}")
    return log_format


MIN_METRICS_TOKEN_CHARS = 32
"""A shorter metrics token is refused: /metrics is on the public port."""
_TOKEN = re.compile(r"^[\x21-\x7e]+\Z")


def _metrics_token(env: Mapping[str, str]) -> str | None:
    token = get(env, "GATEWAY_METRICS_TOKEN")
    if token is None:
        return None
    if len(token) < MIN_METRICS_TOKEN_CHARS or not _TOKEN.match(token):
        # The message names the variable, never the value.
        raise ConfigError(
            f"GATEWAY_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_CHARS} printable "
            "ASCII characters without spaces"
        )
    return token


MIN_SIGNING_KEY_CHARS = 32
"""A shorter cache signing key is refused: it could be guessed or brute-forced offline from one
signed value."""


def _signing_key(env: Mapping[str, str]) -> str | None:
    key = get(env, "GATEWAY_CACHE_SIGNING_KEY")
    if key is not None and len(key) < MIN_SIGNING_KEY_CHARS:
        # The message names the variable, never the value.
        raise ConfigError(
            f"GATEWAY_CACHE_SIGNING_KEY must be at least {MIN_SIGNING_KEY_CHARS} characters"
        )
    return key


def _default_currency(env: Mapping[str, str]) -> str:
    currency = (get(env, "GATEWAY_CURRENCY") or "EUR").upper()
    if not bundled_rates().has(currency):
        raise ConfigError(f"GATEWAY_CURRENCY {currency!r} has no reference rate")
    return currency


MAX_CORS_ORIGINS = 100
"""More origins than a deployment has front ends: a list pasted by mistake."""
_ORIGIN = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#\s]+\Z")


def _origins(env: Mapping[str, str]) -> tuple[str, ...] | None:
    """`*`, or origins exactly as browsers send them (`https://app.example:8443`: no path, no
    trailing slash, which would never match); set but empty: no origin."""
    name = "GATEWAY_CORS_ORIGINS"
    value = env.get(name)
    if value is None:
        return None
    origins = tuple(dict.fromkeys(o.strip() for o in value.split(",") if o.strip()))
    if len(origins) > MAX_CORS_ORIGINS:
        raise ConfigError(f"{name} names more than {MAX_CORS_ORIGINS} origins")
    if "*" in origins and len(origins) > 1:
        raise ConfigError(f"{name} is either * (every origin) or a list of origins, not both")
    for origin in origins:
        if origin != "*" and not _ORIGIN.match(origin.lower()):
            raise ConfigError(
                f"{name}: {origin[:100]!r} is not an origin (scheme://host[:port], no path "
                "and no trailing slash, e.g. https://app.example.com)"
            )
    return origins


def _fx_url(env: Mapping[str, str]) -> str | None:
    """The rates feed's URL; the ECB's when unset; set and empty: none (bundled rates only)."""
    name = "GATEWAY_FX_URL"
    if name not in env:
        return ECB_DAILY_URL
    value = get(env, name)
    return None if value is None else http_url(name, value)
