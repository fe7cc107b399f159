"""Who is calling, and how much they may: optional API keys and per-client rate limits.

A client is its API key's name when keys are configured (a request without a valid key is
refused), else its address — the peer's, or the one a trusted proxy forwards (uvicorn's
`ProxyHeadersMiddleware`, wired in `app.py`).

Keys live in a TOML file of hashes (`travel-gateway keys new NAME` makes one): the gateway never
holds a key itself, only its SHA-256, and keys never reach a log (only their names do). Keys are
random tokens of 256 bits, so a plain SHA-256 is the right hash: there is nothing to brute-force,
and checking one costs a microsecond, not the tens of milliseconds of a password hash.

Rate limits count requests and searches per client per minute, with `limits`' sliding-window
counter, in memory, or in Redis when the search cache is Redis (so every instance shares the
count). When Redis fails, the limits are off for `DOWN_FOR_S` (then tried again) and each
request is decided by the failure mode (`GATEWAY_CLIENT_LIMITS_WITHOUT_REDIS`, `gateway/outage.py`):
`open` (the default) lets it pass uncounted, since refusing every user during a Redis outage is
worse than a client briefly unlimited (the providers' own rate limits still hold); `closed`
refuses it (`RATE_LIMITED`, retry in `DOWN_FOR_S`), for deployments whose limits are a contract.
Either way it is a fallback (metric `gateway_guard_fallbacks_total{guard="client_rate_limit"}`),
logged in one WARNING a minute at most.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
import secrets
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from gateway.errors import GatewayError
from gateway.observe.events import NO_EVENTS, ClientRefused, Events
from gateway.outage import CLIENT_RATE_LIMIT, CLOSED, LIMIT_MODES, OPEN, Fallbacks

log = logging.getLogger(__name__)

KEY_PREFIX = "tgw_"
OP_TIMEOUT_S = 0.5
"""Longest a limiter call may take; then the store counts as down."""
DOWN_FOR_S = 5.0
"""After a failure the store is left alone this long (a hung Redis must not cost every request
`OP_TIMEOUT_S`), then tried again."""
_DIGEST = re.compile(r"^[0-9a-f]{64}\Z")
KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}\Z")


class KeyFileError(ValueError):
    """The key file is missing or malformed; the message says where."""


class Unauthenticated(GatewayError):
    code = "UNAUTHENTICATED"


class RateLimited(GatewayError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, limit: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.limit, self.retry_after_s = limit, retry_after_s

    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "limit": self.limit, "retryAfterS": self.retry_after_s}


@dataclass(frozen=True, slots=True)
class ApiKey:
    name: str
    sha256: str
    requests_per_minute: int | None = None
    """This key's own limits; None: the gateway's defaults."""
    searches_per_minute: int | None = None
    net_prices: bool = False
    """May see what the seller pays (`netPrice`) under `GATEWAY_NET_PRICES=keyed`."""


@dataclass(frozen=True, slots=True)
class Client:
    id: str
    """The key's name, or the address: what limits count and logs name."""
    key: ApiKey | None = None


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def load_keys(path: str | Path) -> dict[str, ApiKey]:
    """The keys of a TOML file, by digest:

    [[keys]]
    name = "web-frontend"
    sha256 = "<64 hex digits>"
    requests_per_minute = 600   # optional
    searches_per_minute = 120   # optional
    net_prices = true           # optional: may see netPrice (GATEWAY_NET_PRICES=keyed)
    """
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, UnicodeError, tomllib.TOMLDecodeError) as exc:
        raise KeyFileError(f"cannot read {path}: {exc}") from None
    entries = data.get("keys")
    if not isinstance(entries, list) or not entries:
        raise KeyFileError(f"{path}: expected one or more [[keys]] tables")
    keys: dict[str, ApiKey] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: key {number}"
        if not isinstance(entry, dict):
            raise KeyFileError(f"{where}: not a table")
        unknown = set(entry) - {
            "name",
            "sha256",
            "requests_per_minute",
            "searches_per_minute",
            "net_prices",
        }
        if unknown:
            raise KeyFileError(f"{where}: unknown setting {', '.join(sorted(unknown))}")
        name, sha = entry.get("name"), entry.get("sha256")
        if not isinstance(name, str) or not KEY_NAME.match(name):
            raise KeyFileError(f"{where}: name must be 1-64 letters, digits, space . _ -")
        if not isinstance(sha, str) or not _DIGEST.match(sha):
            raise KeyFileError(f"{where} ({name}): sha256 must be 64 lower-case hex digits")
        limits = {}
        for setting in ("requests_per_minute", "searches_per_minute"):
            value = entry.get(setting)
            if value is not None and (not isinstance(value, int) or not 1 <= value <= 10**6):
                raise KeyFileError(f"{where} ({name}): {setting} must be 1 to 1000000")
            limits[setting] = value
        net_prices = entry.get("net_prices", False)
        if not isinstance(net_prices, bool):
            raise KeyFileError(f"{where} ({name}): net_prices must be true or false")
        if sha in keys:
            raise KeyFileError(f"{where} ({name}): the same key as {keys[sha].name}")
        keys[sha] = ApiKey(name, sha, **limits, net_prices=net_prices)
    return keys


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request carries: `X-API-Key: …` or `Authorization: Bearer …`."""
    if (key := headers.get("x-api-key")) is not None:
        return key.strip()
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


@dataclass(frozen=True, slots=True)
class ClientPolicy:
    """Settings: keys (None: not required), default limits per client (None: off)."""

    keys: Mapping[str, ApiKey] | None = None
    requests_per_minute: int | None = None
    searches_per_minute: int | None = None

    def identify(self, headers: Mapping[str, str], address: str | None) -> Client:
        """The client of a request; `Unauthenticated` when keys are required and it has none."""
        if self.keys is None:
            return Client(address or "unknown")
        presented = presented_key(headers)
        if presented is None:
            raise Unauthenticated(
                "An API key is required: send it as `X-API-Key: <key>` or "
                "`Authorization: Bearer <key>`."
            )
        key = self.keys.get(digest(presented))
        if key is None:
            raise Unauthenticated("This API key is not valid.")
        return Client(key.name, key)

    @property
    def limited(self) -> bool:
        keys = self.keys.values() if self.keys is not None else ()
        return (
            self.requests_per_minute is not None
            or self.searches_per_minute is not None
            or any(k.requests_per_minute or k.searches_per_minute for k in keys)
        )


class ClientLimits:
    """Requests and searches per client per minute (see the module docstring)."""

    def __init__(
        self,
        policy: ClientPolicy,
        storage: Storage | None = None,
        events: Events = NO_EVENTS,
        *,
        without_redis: str = OPEN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if without_redis not in LIMIT_MODES:
            raise ValueError(f"without_redis must be one of {', '.join(LIMIT_MODES)}")
        self.policy = policy
        self._events = events
        self._storage = storage if storage is not None else MemoryStorage()
        self._limiter = SlidingWindowCounterRateLimiter(self._storage)
        self._items: dict[int, RateLimitItem] = {}
        self._closed = without_redis == CLOSED
        self._fallbacks = Fallbacks(CLIENT_RATE_LIMIT, events, logger=log, clock=clock)
        self._clock = clock
        self._down_until = -math.inf

    @classmethod
    def for_store(
        cls,
        policy: ClientPolicy,
        cache_url: str,
        events: Events = NO_EVENTS,
        *,
        without_redis: str = OPEN,
    ) -> ClientLimits:
        """Counted in memory, or in the Redis the search cache uses."""
        if cache_url.startswith(("redis://", "rediss://")):
            storage: Storage = RedisStorage(
                "async+" + cache_url,
                implementation="redispy",
                key_prefix="travel-gateway-limits",
                socket_timeout=OP_TIMEOUT_S,
                socket_connect_timeout=OP_TIMEOUT_S,
            )
            return cls(policy, storage, events, without_redis=without_redis)
        return cls(policy, events=events, without_redis=without_redis)

    async def admit_request(self, client: Client) -> None:
        """Count one request; `RateLimited` when the client is over its limit."""
        per_minute = self._per_minute(client, "requests")
        if per_minute is not None:
            await self._hit(client, "requests", per_minute, 1)

    async def charge_searches(self, client: Client, searches: int) -> None:
        """Count an operation's searches; `RateLimited` (and nothing counted) when over."""
        per_minute = self._per_minute(client, "searches")
        if per_minute is not None and searches > 0:
            await self._hit(client, "searches", per_minute, searches)

    def _per_minute(self, client: Client, what: str) -> int | None:
        if client.key is not None:
            own: int | None = getattr(client.key, f"{what}_per_minute")
            if own is not None:
                return own
        default: int | None = getattr(self.policy, f"{what}_per_minute")
        return default

    async def _hit(self, client: Client, what: str, per_minute: int, cost: int) -> None:
        item = self._items.get(per_minute)
        if item is None:
            item = self._items[per_minute] = RateLimitItemPerMinute(per_minute)
        if self._clock() < self._down_until:
            self._without_store(what, "down since a recent failure")
            return
        try:
            async with asyncio.timeout(OP_TIMEOUT_S):
                if await self._limiter.hit(item, what, client.id, cost=cost):
                    return
                stats = await self._limiter.get_window_stats(item, what, client.id)
        except Exception as exc:  # the store's errors are many (redis, sockets, timeouts)
            self._down_until = self._clock() + DOWN_FOR_S
            self._without_store(what, str(exc) or type(exc).__name__)
            return
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        if self._events:
            key = client.key.name if client.key is not None else None
            self._events.emit(ClientRefused(what, key))
        noun = "requests" if what == "requests" else "searches"
        raise RateLimited(
            f"Too many {noun}: at most {per_minute} a minute for this client. "
            f"Try again in {retry_after} s.",
            limit=what,
            retry_after_s=retry_after,
        )

    def _without_store(self, what: str, why: str) -> None:
        """The count cannot be had: pass (open) or refuse (closed), and say so."""
        self._fallbacks.decided(
            "client rate limits unavailable (%s); %s until the store recovers",
            why,
            "requests are refused (closed)" if self._closed else "requests pass uncounted (open)",
        )
        if self._closed:
            retry_after = math.ceil(DOWN_FOR_S)
            raise RateLimited(
                f"Rate limits cannot be checked now. Try again in {retry_after} s.",
                limit=what,
                retry_after_s=retry_after,
            )

    async def close(self) -> None:
        bridge = getattr(self._storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()
