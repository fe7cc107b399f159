"""Keeps the reference rates fresh: the bundled snapshot at start, the ECB feed after that.

The feed is read in the background on start and then every `interval_s`; a failed read keeps
the rates already held and is logged, so searches never wait on it or fail because of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp

from gateway.currency.rates import FeedError, ReferenceRates, bundled_rates, parse_ecb

log = logging.getLogger(__name__)

ECB_DAILY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"


class RatesFeed:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str | None,
        *,
        interval_s: float = 6 * 3600,
        timeout_s: float = 10.0,
    ) -> None:
        self._session = session
        self._url = url
        self._interval_s = interval_s
        self._timeout_s = timeout_s
        self.rates: ReferenceRates = bundled_rates()
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> bool:
        """Read the feed once; True when the rates were replaced."""
        if not self._url:
            return False
        try:
            async with asyncio.timeout(self._timeout_s):
                async with self._session.get(self._url) as response:
                    if response.status != 200:
                        raise FeedError(f"HTTP {response.status}")
                    document = await response.content.read(64 * 1024 + 1)
            rates = parse_ecb(document, source=self._url)
        except (TimeoutError, aiohttp.ClientError, OSError, FeedError) as exc:
            log.warning(
                "reference rates not refreshed (%s); keeping those of %s from %s",
                exc or type(exc).__name__,
                self.rates.as_of,
                self.rates.source,
            )
            return False
        if rates.as_of < self.rates.as_of:
            log.warning("reference rates feed is older (%s) than those held; ignored", rates.as_of)
            return False
        self.rates = rates
        log.info("reference rates of %s loaded from %s", rates.as_of, rates.source)
        return True

    async def _run(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self._interval_s)

    def start(self) -> None:
        if self._url and self._task is None:
            self._task = asyncio.create_task(self._run(), name="reference-rates-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
