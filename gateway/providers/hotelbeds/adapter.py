"""Hotelbeds adapter: hotel availability by geolocation around the city centre, one call a search;
and the rate check before booking, one call a rate (`POST /checkrates`).

Every request is signed afresh (`auth.py`), counted against the day's quota before it is sent
(`quota.py`), and its error answers told apart by who sent them (`errors.py`). With a daily quota
of ours nothing is retried: on an evaluation key's 50 requests a day a retry spends one of the
few, and without retries each search or check is exactly one request, so the count is exact.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp

from gateway import domain
from gateway.providers.client import UpstreamClient
from gateway.providers.errors import MalformedResponse, ProviderError
from gateway.providers.hotelbeds import errors, mapping, occupancy, ratecheck, wire
from gateway.providers.hotelbeds.auth import SignedHeaders
from gateway.providers.hotelbeds.quota import DailyQuota
from gateway.providers.http import UpstreamResponse, decode, encode
from gateway.providers.retry import RetryPolicy

TEST_BASE_URL = "https://api.test.hotelbeds.com"
"""The evaluation environment: the only host evaluation keys reach."""
LIVE_BASE_URL = "https://api.hotelbeds.com"
AVAILABILITY_PATH = "/hotel-api/1.0/hotels"
CHECK_RATES_PATH = "/hotel-api/1.0/checkrates"
EVALUATION_DAILY_QUOTA = 50
"""Requests a day an evaluation key allows on the test host (Hotelbeds' getting-started page)."""


@dataclass(frozen=True, slots=True)
class HotelbedsConfig:
    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    base_url: str = TEST_BASE_URL
    """The host, without `/hotel-api` (a trailing `/hotel-api` is tolerated)."""
    radius_km: float = 10.0
    """How far from the city centre availability is searched, as Duffel Stays does."""
    max_hotels: int = 100
    """Hotels one answer may hold (`filter.maxHotels`): keeps a big city's answer well inside
    the 8 MiB body cap."""
    daily_quota: int | None = None
    """Requests a day: the fleet's with Redis (`quota.py`), else this process's; None: no limit
    of ours."""
    rate_limit: float | None = None
    """Requests per second; Hotelbeds publishes none (contracts set it), so none unless set."""
    mode: str | None = None
    """Overrides the mode derived from the host (the demo says `simulated`)."""


def is_test_host(base_url: str) -> bool:
    """Hotelbeds names its evaluation hosts so: `api.test.hotelbeds.com`."""
    host = urlsplit(base_url).hostname or ""
    return host.endswith(".hotelbeds.com") and ".test." in f".{host}"


class HotelbedsProvider:
    name = "hotelbeds"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        config: HotelbedsConfig,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = UpstreamClient(
            session,
            self.name,
            rate_limit=config.rate_limit or None,
            retry=RetryPolicy(attempts=1) if config.daily_quota is not None else None,
        )
        self._config = config
        self._clock = clock
        self.quota = DailyQuota(config.daily_quota, provider=self.name, clock=clock)
        base = config.base_url.rstrip("/").removesuffix("/hotel-api")
        self._url = base + AVAILABILITY_PATH
        self._check_url = base + CHECK_RATES_PATH
        self._headers = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
            "Content-Type": "application/json",
        }

    def info(self) -> domain.ProviderInfo:
        mode = self._config.mode
        if mode is None:
            mode = "test" if is_test_host(self._config.base_url) else "live"
        return domain.ProviderInfo(name=self.name, serves=("hotels",), mode=mode)

    def upstream_calls(self, field: str) -> int:
        """One availability call per search: it answers hotels with their rates."""
        return 1

    async def search_hotels(self, query: domain.HotelQuery) -> list[domain.HotelOffer]:
        """Availability by geolocation: the search layer sets the city's centre on the query."""
        if query.centre is None:
            return []
        asked = occupancy.occupancies(query.parties())
        # A search books nothing: safe to retry like a read (where retries are on).
        response = await self._post(
            self._url, availability_request(query, asked, self._config), idempotent=True
        )
        if not response.ok:
            raise self._refusal(response)
        answer = decode(response.body, wire.AvailabilityResponse, provider=self.name)
        if answer.hotels is None:
            label = errors.error_label(wire.ErrorResponse(answer.error))
            raise MalformedResponse(
                f"{self.name} response has an unexpected shape",
                detail=f"no `hotels` in the answer; {label}" if label else "no `hotels`",
            )
        now = datetime.fromtimestamp(self._clock(), UTC)
        return mapping.hotel_offers(answer, query, asked, now)

    def checkable(self, room: domain.RoomOffer) -> bool:
        """Ours, with an offer id made of Hotelbeds rate keys (`ratecheck.rate_keys`). Under a
        daily quota of ours (an evaluation key's 50 requests), only rates Hotelbeds requires
        checked (`RECHECK`): a `BOOKABLE` rate is booked at its price while its key lives, and
        checking six of them would spend an eighth of the day on a question with one answer."""
        if room.provider != self.name or ratecheck.rate_keys(room.offer_id) is None:
            return False
        return room.rate_check_required or self.quota.limit is None

    async def current_rate(self, room: domain.RoomOffer) -> domain.CheckedRate | None:
        """`POST /checkrates` for the offer's rate keys: the rate as Hotelbeds sells it now;
        None when Hotelbeds says it no longer does (`errors.RATE_GONE`).

        A 503 is not retried here: Hotelbeds answers a rate sold out since the search with a
        503 (`errors.RATE_GONE`), so asking again spends a request for the same answer."""
        keys = ratecheck.rate_keys(room.offer_id)
        if keys is None:
            raise ValueError("not a Hotelbeds rate key")
        response = await self._post(self._check_url, ratecheck.request(keys), idempotent=False)
        if not response.ok:
            if errors.rate_gone(response.headers, response.body):
                return None
            raise self._refusal(response)
        answer = decode(response.body, wire.CheckRateResponse, provider=self.name)
        return ratecheck.checked_rate(answer, keys)

    async def _post(self, url: str, payload: object, *, idempotent: bool) -> UpstreamResponse:
        """One signed request, counted against the day's quota before it is sent (a spent
        quota costs no call)."""
        headers = SignedHeaders(
            self._headers,
            api_key=self._config.api_key,
            secret=self._config.secret,
            clock=self._clock,
        )
        body = encode(payload)
        self.quota.take()
        return await self.http.request(
            "POST", url, idempotent=idempotent, headers=headers, body=body
        )

    def _refusal(self, response: UpstreamResponse) -> ProviderError:
        if errors.gateway_code(response.headers) == errors.OVER_RATE:
            return self.quota.refused(detail=errors.gateway_detail(response.headers))
        return errors.refusal(response.status, response.headers, response.body)


def availability_request(
    query: domain.HotelQuery,
    asked: tuple[occupancy.Occupancy, ...],
    config: HotelbedsConfig,
) -> dict[str, object]:
    """The availability request for `query` (which must carry the city's centre).

    Prices come in the account's currency: the request has no currency to ask for.
    """
    assert query.centre is not None
    return {
        "stay": {"checkIn": query.check_in.isoformat(), "checkOut": query.check_out.isoformat()},
        "occupancies": [occupancy.request(each) for each in asked],
        "geolocation": {
            "latitude": query.centre.latitude,
            "longitude": query.centre.longitude,
            "radius": config.radius_km,
            "unit": "km",
        },
        "filter": {"maxHotels": config.max_hotels},
    }
