"""OAuth2 client-credentials tokens for Amadeus, shared by every search in the process.

A token is reused until shortly before it expires; however many searches need a new one at
once, one request fetches it (the others wait on the lock and find it fresh).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.providers.amadeus.wire import TokenResponse
from gateway.providers.client import UpstreamClient
from gateway.providers.errors import UpstreamStatusError
from gateway.providers.http import decode

log = logging.getLogger(__name__)

TOKEN_PATH = "/v1/security/oauth2/token"
REFRESH_MARGIN_S = 30.0
"""Refresh this long before expiry, so a token never expires on the way to Amadeus."""


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    expires_at: float


class TokenManager:
    def __init__(
        self,
        client: UpstreamClient,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + TOKEN_PATH
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._token: Token | None = None
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    def _fresh(self, token: Token | None) -> bool:
        return token is not None and token.expires_at - REFRESH_MARGIN_S > self._clock()

    async def token(self) -> str:
        """A valid access token, fetching a new one only when needed."""
        token = self._token
        if token is not None and self._fresh(token):
            return token.value
        async with self._lock:
            token = self._token
            if token is not None and self._fresh(token):
                return token.value
            self._token = token = await self._fetch()
            return token.value

    def invalidate(self, rejected: str) -> None:
        """Forget `rejected` after a 401, unless another search already replaced it."""
        if self._token is not None and self._token.value == rejected:
            self._token = None

    async def _fetch(self) -> Token:
        self.fetch_count += 1
        response = await self._client.request(
            "POST",
            self._url,
            idempotent=True,
            form={
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
        )
        if not response.ok:
            log.warning("amadeus token request failed with HTTP %s", response.status)
            raise UpstreamStatusError("amadeus", response.status, detail="token request")
        answer = decode(response.body, TokenResponse, provider="amadeus")
        log.info("amadeus access token obtained, valid for %s s", answer.expires_in)
        return Token(answer.access_token, self._clock() + answer.expires_in)
