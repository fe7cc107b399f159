"""Duffel adapter: flights through offer requests that return their offers inline."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from gateway import domain
from gateway.providers.client import UpstreamClient
from gateway.providers.duffel import mapping, wire
from gateway.providers.http import decode, encode, status_error

BASE_URL = "https://api.duffel.com"
API_VERSION = "v2"


@dataclass(frozen=True, slots=True)
class DuffelConfig:
    access_token: str
    base_url: str = BASE_URL
    supplier_timeout_ms: int = 7_000
    """How long Duffel may wait for airlines (2–60 s); kept inside the gateway's own deadline."""
    stays_radius_km: float = 10.0
    """How far from the city centre Stays searches."""
    mode: str | None = None
    rate_limit: float | None = None
    """Requests per second; Duffel publishes no fixed limit, so none unless configured."""


class DuffelProvider:
    name = "duffel"

    def __init__(self, session: aiohttp.ClientSession, config: DuffelConfig) -> None:
        self.http = UpstreamClient(session, self.name, rate_limit=config.rate_limit or None)
        self._config = config
        self._base_url = config.base_url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {config.access_token}",
            "Duffel-Version": API_VERSION,
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Accept-Encoding": "gzip",
        }

    def info(self) -> domain.ProviderInfo:
        mode = self._config.mode
        if mode is None:
            mode = "live" if self._config.access_token.startswith("duffel_live_") else "test"
        return domain.ProviderInfo(name=self.name, serves=("flights", "hotels"), mode=mode)

    def upstream_calls(self, field: str) -> int:
        """One call per search: offer requests return their offers, Stays searches their rates."""
        return 1

    async def search_flights(self, query: domain.FlightQuery) -> list[domain.FlightOffer]:
        timeout_ms = min(max(self._config.supplier_timeout_ms, 2_000), 60_000)
        # Creating an offer request is a write: only retried where Duffel cannot have acted.
        response = await self.http.request(
            "POST",
            f"{self._base_url}/air/offer_requests",
            idempotent=False,
            params={"return_offers": "true", "supplier_timeout": str(timeout_ms)},
            headers=self._headers,
            body=encode({"data": offer_request(query)}),
        )
        if not response.ok:
            raise status_error(
                self.name, response.status, response.body, wire.ErrorResponse, _error_label
            )
        answer = decode(response.body, wire.OfferRequestResponse, provider=self.name)
        return mapping.flight_offers(answer)

    async def search_hotels(self, query: domain.HotelQuery) -> list[domain.HotelOffer]:
        """Stays search by coordinates: the search layer sets the city's centre on the query."""
        if query.centre is None:
            return []
        # A search creates nothing: safe to retry like a read.
        response = await self.http.request(
            "POST",
            f"{self._base_url}/stays/search",
            idempotent=True,
            headers=self._headers,
            body=encode({"data": stays_search(query, self._config.stays_radius_km)}),
        )
        if not response.ok:
            raise status_error(
                self.name, response.status, response.body, wire.ErrorResponse, _error_label
            )
        answer = decode(response.body, wire.StaySearchResponse, provider=self.name)
        return mapping.hotel_offers(answer, query)


def stays_search(query: domain.HotelQuery, radius_km: float) -> dict[str, object]:
    """The `data` of a Stays search for `query` (which must carry the city's centre)."""
    assert query.centre is not None
    return {
        "check_in_date": query.check_in.isoformat(),
        "check_out_date": query.check_out.isoformat(),
        "rooms": query.rooms,
        "guests": [{"type": "adult"}] * query.adults,
        "location": {
            "radius": radius_km,
            "geographic_coordinates": {
                "latitude": query.centre.latitude,
                "longitude": query.centre.longitude,
            },
        },
    }


def offer_request(query: domain.FlightQuery) -> dict[str, object]:
    """The `data` of an offer request for `query`."""
    slices = [
        {
            "origin": query.origin,
            "destination": query.destination,
            "departure_date": query.departure_date.isoformat(),
        }
    ]
    if query.return_date is not None:
        slices.append(
            {
                "origin": query.destination,
                "destination": query.origin,
                "departure_date": query.return_date.isoformat(),
            }
        )
    passengers = (
        [{"type": "adult"}] * query.adults
        + [{"type": "child"}] * query.children
        + [{"type": "infant_without_seat"}] * query.infants
    )
    return {
        "slices": slices,
        "passengers": passengers,
        "cabin_class": query.cabin.value.lower(),
        "max_connections": 0 if query.non_stop else 1,
    }


def _error_label(answer: wire.ErrorResponse) -> str:
    """Type and title of the first error; never its `message`, which may echo internals."""
    first = answer.errors[0]
    return " ".join(part for part in (first.type, first.title) if part)
