"""Amadeus adapter: flight offers, and hotels as by-city list then batched offers.

Amadeus closed its Self-Service APIs in July 2026 (test.api.amadeus.com is gone); this speaks the
same REST wire format, which Amadeus Enterprise customers keep, on the host they are given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import aiohttp

from gateway import domain
from gateway.providers.amadeus import mapping, wire
from gateway.providers.amadeus.auth import TokenManager
from gateway.providers.client import UpstreamClient
from gateway.providers.concurrent import all_or_first_error
from gateway.providers.http import decode, status_error

T = TypeVar("T")

HOTEL_BATCH_SIZE = 20
"""Amadeus takes at most 20 hotel ids per hotel-offers call."""

_ACCEPT = "application/vnd.amadeus+json, application/json"


@dataclass(frozen=True, slots=True)
class AmadeusConfig:
    client_id: str
    client_secret: str
    base_url: str
    """The customer's own Amadeus Enterprise host: there is no public default any more."""
    max_flight_offers: int = 100
    max_hotels: int = 60
    mode: str | None = None
    """Overrides the mode derived from the host (the demo says `simulated`)."""
    rate_limit: float | None = None
    """Requests per second, the contract's; None or 0: no limit of ours."""


class AmadeusProvider:
    name = "amadeus"

    def __init__(self, session: aiohttp.ClientSession, config: AmadeusConfig) -> None:
        self._config = config
        self._base_url = config.base_url.rstrip("/")
        self.http = UpstreamClient(session, self.name, rate_limit=config.rate_limit or None)
        self.tokens = TokenManager(
            self.http, self._base_url, config.client_id, config.client_secret
        )

    def info(self) -> domain.ProviderInfo:
        mode = self._config.mode
        if mode is None:
            # Enterprise hosts name their test environment so (test.travel.api.amadeus.com).
            host = urlsplit(self._base_url).hostname or ""
            mode = "test" if host.startswith("test.") or ".test." in host else "live"
        return domain.ProviderInfo(name=self.name, serves=("flights", "hotels"), mode=mode)

    def upstream_calls(self, field: str) -> int:
        """Flights: one call. Hotels: the list, then the offers in batches."""
        if field == "hotels":
            return 1 + math.ceil(self._config.max_hotels / HOTEL_BATCH_SIZE)
        return 1

    async def search_flights(self, query: domain.FlightQuery) -> list[domain.FlightOffer]:
        params = {
            "originLocationCode": query.origin,
            "destinationLocationCode": query.destination,
            "departureDate": query.departure_date.isoformat(),
            "adults": str(query.adults),
            "travelClass": query.cabin.value,
            "nonStop": "true" if query.non_stop else "false",
            "max": str(self._config.max_flight_offers),
        }
        if query.return_date is not None:
            params["returnDate"] = query.return_date.isoformat()
        if query.children:
            params["children"] = str(query.children)
        if query.infants:
            params["infants"] = str(query.infants)
        if query.currency:
            params["currencyCode"] = query.currency
        if query.max_price is not None:
            # Amadeus takes whole units; the search layer filters the exact bound.
            params["maxPrice"] = str(math.ceil(query.max_price))
        answer = await self._get("/v2/shopping/flight-offers", params, wire.FlightOffersResponse)
        return mapping.flight_offers(answer)

    async def search_hotels(self, query: domain.HotelQuery) -> list[domain.HotelOffer]:
        listing = await self._get(
            "/v1/reference-data/locations/hotels/by-city",
            {"cityCode": query.city_code},
            wire.HotelListResponse,
        )
        hotels = {item.hotelId: item for item in listing.data[: self._config.max_hotels]}
        ids = list(hotels)
        if not ids:
            return []
        batches = [ids[i : i + HOTEL_BATCH_SIZE] for i in range(0, len(ids), HOTEL_BATCH_SIZE)]
        batched = await all_or_first_error(self._hotel_offers(batch, query) for batch in batches)
        answers = [answer for batch in batched for answer in batch]
        return mapping.hotel_offers(hotels, answers)

    async def _hotel_offers(
        self, hotel_ids: list[str], query: domain.HotelQuery
    ) -> list[wire.HotelOffers]:
        params = {
            "hotelIds": ",".join(hotel_ids),
            "checkInDate": query.check_in.isoformat(),
            "checkOutDate": query.check_out.isoformat(),
            "adults": str(query.adults),
            "roomQuantity": str(query.rooms),
            "bestRateOnly": "false",
        }
        if query.currency:
            params["currency"] = query.currency
        answer = await self._get("/v3/shopping/hotel-offers", params, wire.HotelOffersResponse)
        return answer.data

    async def _get(self, path: str, params: Mapping[str, str], wire_type: type[T]) -> T:
        """GET with a bearer token; on a 401 the token is refreshed and the call tried once more."""
        url = self._base_url + path
        for attempt in (1, 2):
            token = await self.tokens.token()
            response = await self.http.request(
                "GET",
                url,
                idempotent=True,
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": _ACCEPT},
            )
            if response.status == 401 and attempt == 1:
                self.tokens.invalidate(token)
                continue
            if not response.ok:
                raise status_error(
                    self.name, response.status, response.body, wire.ErrorResponse, _error_label
                )
            return decode(response.body, wire_type, provider=self.name)
        raise AssertionError("unreachable")  # pragma: no cover


def _error_label(answer: wire.ErrorResponse) -> str:
    """Title and code of the first error; never its `detail`, which may echo internals."""
    first = answer.errors[0]
    code = f" (code {first.code})" if first.code is not None else ""
    return f"{first.title or ''}{code}"
