"""One provider's view of the shared HTTP session: its rate limit, retries and body cap.

Every upstream request of a provider goes through its `UpstreamClient`, so bursts queue behind
the provider's published rate limit instead of collecting 429s, and transient failures are
retried within the deadline. Each request sent, a retry included, first waits for its turn
under the rate limit (the fleet's, `providers/fleet.py`, when the registry shares one; else this
process's), then passes the checks of `before_send` (Hotelbeds' daily quota, counted fleet-wide).
A retry those limits will not let out (no turn before the deadline) is not made: the call ends as
its last attempt did, a failure of a call that was sent (its circuit judges it), not "not
called".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import aiohttp
from aiolimiter import AsyncLimiter

from gateway.observe.events import NO_EVENTS, Events, UpstreamRetried
from gateway.providers.errors import ProviderError, UpstreamUnavailable
from gateway.providers.fleet import FleetRateLimit
from gateway.providers.http import DEFAULT_MAX_BODY_BYTES, UpstreamResponse, send
from gateway.providers.retry import RetryPolicy, fits_before_deadline, retry_after_s

log = logging.getLogger(__name__)


class UpstreamClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        provider: str,
        *,
        rate_limit: float | None = None,
        retry: RetryPolicy | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.session = session
        self.provider = provider
        self.rate_limit = rate_limit
        # One request per 1/rate seconds, no bursts: how providers state their limits.
        self._limiter = AsyncLimiter(1, 1 / rate_limit) if rate_limit else None
        self._fleet_limit: FleetRateLimit | None = None
        self.before_send: list[Callable[[], Awaitable[None]]] = []
        """Checks awaited before each request is sent, after its turn: one raising (a
        `ProviderError` with `sent = False`) keeps the request from being sent."""
        self._retry = retry or RetryPolicy()
        self._max_body_bytes = max_body_bytes
        self.requests_sent = 0
        self.events: Events = NO_EVENTS
        """Told of each retry; set by `registry.build_providers` for every adapter."""

    @property
    def limiter(self) -> AsyncLimiter | None:
        """This process's own pace, when there is a rate limit."""
        return self._limiter

    def share_rate_limit(self, limit: FleetRateLimit) -> None:
        """Pace requests with the fleet (`providers/fleet.py`) rather than this process alone."""
        self._fleet_limit = limit

    async def _admit(self) -> None:
        """Wait for the request's turn, then run the checks before sending."""
        if self._fleet_limit is not None:
            await self._fleet_limit.acquire()
        elif self._limiter is not None:
            await self._limiter.acquire()
        for check in self.before_send:
            await check()

    async def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        form: Mapping[str, str] | None = None,
    ) -> UpstreamResponse:
        """The provider's answer, after retries where they are safe and time allows."""
        policy = self._retry
        # The last attempt's outcome, once one was sent: the call ends with it when a retry is
        # not let out (its turn would come after the deadline, say).
        answered: UpstreamResponse | None = None
        failed: UpstreamUnavailable | None = None
        for attempt in range(1, policy.attempts + 1):
            last = attempt == policy.attempts
            try:
                await self._admit()
            except ProviderError as refused:
                ours = refused.limit is not None or not refused.sent
                if not ours or (answered is None and failed is None):
                    raise
                log.info("%s: retry %d not made: %s", self.provider, attempt - 1, refused)
                if answered is not None:
                    return answered
                assert failed is not None
                raise failed from refused
            self.requests_sent += 1
            try:
                response = await send(
                    self.session,
                    method,
                    url,
                    provider=self.provider,
                    params=params,
                    headers=headers,
                    body=body,
                    form=form,
                    max_body_bytes=self._max_body_bytes,
                )
            except UpstreamUnavailable as exc:
                delay = policy.backoff_s(attempt)
                safe = idempotent or not exc.request_sent
                if last or not safe or not fits_before_deadline(delay):
                    raise
                log.info("%s: %s; retry %d in %.2f s", self.provider, exc, attempt, delay)
                if self.events:
                    self.events.emit(UpstreamRetried(self.provider, "connection"))
                answered, failed = None, exc
                await asyncio.sleep(delay)
                continue
            if last or not policy.should_retry_status(response.status, idempotent=idempotent):
                return response
            asked = retry_after_s(response.headers)
            if asked is not None and asked > policy.max_retry_after_s:
                return response
            delay = max(asked or 0.0, policy.backoff_s(attempt))
            if not fits_before_deadline(delay):
                return response
            log.info(
                "%s answered HTTP %d; retry %d in %.2f s",
                self.provider, response.status, attempt, delay,
            )  # fmt: skip
            if self.events:
                self.events.emit(UpstreamRetried(self.provider, f"http_{response.status}"))
            answered, failed = response, None
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover
