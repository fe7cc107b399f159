"""What the gateway reports as it works, and the one way to report it: `Events.emit`.

The search service, the provider HTTP client, the search cache, the circuit breakers, the client
limits and the HTTP endpoint each hold the `Events` given to them at construction (`create_app`
wires them, like httpx's `event_hooks`), and report plain immutable records. Observers (metrics,
logs) listen there, so neither is sprinkled through the code that works. Traces are not an
observer: a span needs a start and a current context around the call, and these events report
what has ended (`gateway/tracing/`).

Reporting must cost nothing when nobody listens and little when someone does: an `Events` with
no observer is false, and every emitting site checks it before building a record
(`if self._events: self._events.emit(Record(...))`); emitting is a plain synchronous call. An
observer that raises is logged once and keeps being called: it can never break or slow a request.

A request's own tally (`RequestTally`: its provider outcomes, cache use and client) is gathered
from the same events while the request runs: the endpoint opens it (`Events.request`) and the
events emitted under it, in the request's tasks, are counted into it too.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

import msgspec

from gateway.domain import ProviderOutcome

log = logging.getLogger(__name__)


class Event(msgspec.Struct, frozen=True, gc=False):
    """Something that happened; observers tell the kinds apart by type."""


class ProviderCalled(Event, frozen=True, gc=False):
    """One provider search (or re-pricing) ended, however: its outcome status and time taken.
    Not reported when the provider was not called (open circuit, cache hit)."""

    provider: str
    field: str
    """`flights`, `hotels`, or `flightOffer` / `hotelOffer` for a re-pricing or rate check."""
    status: str
    """The outcome: OK, TIMEOUT, ERROR, UNAVAILABLE… (`ProviderStatus`)."""
    latency_s: float


class UpstreamRetried(Event, frozen=True, gc=False):
    """The provider HTTP client sends a request again (a transient failure, within the deadline)."""

    provider: str
    reason: str
    """`http_<status>` (429, 5xx) or `connection`."""


class ProviderLimited(Event, frozen=True, gc=False):
    """A limit of ours kept a provider call from being sent: `daily_quota` (Hotelbeds'), or
    `rate_limit` (no turn under the provider's rate limit before the deadline, or, failing
    closed, none could be had without Redis)."""

    provider: str
    field: str
    limit: str


class GuardFellBack(Event, frozen=True, gc=False):
    """A guard that counts in the fleet's shared state (Redis) decided without it, by its
    failure mode (`gateway/outage.py`): `daily_quota`, `provider_rate_limit` or
    `client_rate_limit`."""

    guard: str


class CacheUsed(Event, frozen=True, gc=False):
    """The search cache answered a provider search: `hit` (stored answer), `coalesced` (the
    answer of an identical search in flight, here or in another process) or `miss` (called)."""

    field: str
    provider: str
    use: str


class BreakerChanged(Event, frozen=True, gc=False):
    """A provider's circuit changed state: `open`, `half-open` (one probe goes) or `closed`."""

    provider: str
    field: str
    state: str


class ClientRefused(Event, frozen=True, gc=False):
    """A request was refused for a client limit: `requests` or `searches` per minute, or
    `cost` (the operation's search budget)."""

    limit: str
    client: str | None
    """The API key's name; None without keys (an address is never a label or a log field)."""


class FieldSearched(Event, frozen=True, gc=False):
    """A search field was answered: each provider's outcome (`cached` when from the cache)."""

    field: str
    outcomes: tuple[ProviderOutcome, ...]


class RequestDone(Event, frozen=True, gc=False):
    """A GraphQL request was answered (or refused, or its client left)."""

    request_id: str
    operation: str | None
    """The operation's name as the client wrote it (a GraphQL name, bounded), or None."""
    outcome: str
    """ok, partial (data and errors), rejected (nothing ran), refused (key or rate limit),
    error (5xx) or client_closed."""
    status: int
    duration_s: float
    error_codes: tuple[str, ...]
    providers: tuple[ProviderOutcome, ...]
    cache_hits: int
    cache_misses: int
    coalesced: int
    client: str | None


class Observer(Protocol):
    """Anything told about events; called synchronously, so it must be quick and not block."""

    def observe(self, event: Event) -> None: ...


class RequestTally:
    """What one request did, gathered from the events emitted while it ran."""

    __slots__ = (
        "cache_hits",
        "cache_misses",
        "client",
        "coalesced",
        "error_codes",
        "executed",
        "operation",
        "outcomes",
    )

    def __init__(self) -> None:
        self.operation: str | None = None
        self.executed = False
        self.error_codes: tuple[str, ...] = ()
        """Of an executed operation's errors (the endpoint reads other answers' own)."""
        self.outcomes: list[ProviderOutcome] = []
        self.cache_hits = 0
        self.cache_misses = 0
        self.coalesced = 0
        self.client: str | None = None

    def observe(self, event: Event) -> None:
        if isinstance(event, FieldSearched):
            self.outcomes.extend(event.outcomes)
        elif isinstance(event, CacheUsed):
            if event.use == "hit":
                self.cache_hits += 1
            elif event.use == "coalesced":
                self.coalesced += 1
            else:
                self.cache_misses += 1


_tally: contextvars.ContextVar[RequestTally | None] = contextvars.ContextVar(
    "request_tally", default=None
)


class Events:
    """The observers of one gateway. False when there are none: check before building events."""

    __slots__ = ("_failed", "_observers")

    def __init__(self, observers: Sequence[Observer] = ()) -> None:
        self._observers = tuple(observers)
        self._failed: set[int] = set()

    def __bool__(self) -> bool:
        return bool(self._observers)

    @property
    def observers(self) -> tuple[Observer, ...]:
        return self._observers

    def emit(self, event: Event) -> None:
        """Tell every observer, and the tally of the request this runs under."""
        for observer in self._observers:
            try:
                observer.observe(event)
            except Exception:
                # Never the request's problem. Logged once per observer, not per event: a
                # broken observer must not flood the log either.
                if id(observer) not in self._failed:
                    self._failed.add(id(observer))
                    log.exception(
                        "observer %s failed on %s; it keeps being called, and further "
                        "failures are not logged",
                        type(observer).__name__,
                        type(event).__name__,
                    )
        tally = _tally.get()
        if tally is not None:
            tally.observe(event)

    @contextmanager
    def request(self, tally: RequestTally | None = None) -> Iterator[RequestTally]:
        """A tally for the request running in this context (and the tasks it starts); `tally`
        to go on counting into one (a streamed answer's later parts)."""
        tally = tally if tally is not None else RequestTally()
        token = _tally.set(tally)
        try:
            yield tally
        finally:
            _tally.reset(token)


NO_EVENTS = Events()
"""Nobody listens: the default of every component, so each works (and is tested) alone."""
