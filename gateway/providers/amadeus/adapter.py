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
import msgspec

from gateway import domain
from gateway.providers.amadeus import mapping, wire
from gateway.providers.amadeus.auth import TokenManager
from gateway.providers.client import UpstreamClient
from gateway.providers.concurrent import all_or_first_error
from gateway.providers.errors import MalformedResponse
from gateway.providers.http import decode, status_error

T = TypeVar("T")

MAX_QUOTE_BYTES = 16 * 1024
"""Largest offer JSON kept for re-pricing (the simulator's are ~2 KB, a long round trip with
many travellers ~8 KB); a larger one is not kept, and its offer cannot be re-priced."""
OFFER_GONE_CODES = frozenset({"34651"})
"""Flight Offers Price's error codes for an offer no longer on sale: 34651 SEGMENT SELL FAILURE
(the seats are gone; Amadeus's developer FAQ). Any other error is a failure, not "gone"."""
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
        body = await self._call("GET", "/v2/shopping/flight-offers", params)
        answer = decode(body, wire.FlightOffersResponse, provider=self.name)
        raw = decode(body, wire.RawFlightOffers, provider=self.name)
        quotes = [bytes(offer) if len(offer) <= MAX_QUOTE_BYTES else None for offer in raw.data]
        return mapping.flight_offers(answer, quotes)

    def repriceable(self, source: domain.FareSource) -> bool:
        return source.provider == self.name and source.quote is not None

    async def current_price(self, source: domain.FareSource) -> domain.Money | None:
        """Flight Offers Price on the offer exactly as the search returned it (the quote)."""
        if source.quote is None:
            raise ValueError("an Amadeus offer is re-priced from its quote")
        payload = (
            b'{"data":{"type":"flight-offers-pricing","flightOffers":[' + source.quote + b"]}}"
        )
        try:
            body = await self._call(
                "POST",
                "/v1/shopping/flight-offers/pricing",
                {},
                body=payload,
                extra_headers={"X-HTTP-Method-Override": "GET", "Content-Type": _ACCEPT},
                gone_codes=OFFER_GONE_CODES,
            )
        except _OfferGone:
            return None
        answer = decode(body, wire.FlightOffersPricingResponse, provider=self.name)
        if not answer.data.flightOffers:
            raise MalformedResponse("amadeus pricing answer holds no offer")
        price = answer.data.flightOffers[0].price
        return domain.Money(price.grandTotal or price.total, price.currency)

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
        return decode(await self._call("GET", path, params), wire_type, provider=self.name)

    async def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        *,
        body: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
        gone_codes: frozenset[str] = frozenset(),
    ) -> bytes:
        """The body of a successful answer, with a bearer token; on a 401 the token is
        refreshed and the call tried once more. Every call here only reads (pricing too, under
        its method override), so each may be retried. An error whose code is in `gone_codes`
        raises `_OfferGone`."""
        url = self._base_url + path
        for attempt in (1, 2):
            token = await self.tokens.token()
            response = await self.http.request(
                method,
                url,
                idempotent=True,
                params=params,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Accept": _ACCEPT,
                    **(extra_headers or {}),
                },
                body=body,
            )
            if response.status == 401 and attempt == 1:
                self.tokens.invalidate(token)
                continue
            if not response.ok:
                if gone_codes and _error_codes(response.body) & gone_codes:
                    raise _OfferGone
                raise status_error(
                    self.name, response.status, response.body, wire.ErrorResponse, _error_label
                )
            return response.body
        raise AssertionError("unreachable")  # pragma: no cover


class _OfferGone(Exception):
    """Amadeus says the offer is no longer on sale: an answer, not a failure."""


def _error_codes(body: bytes) -> frozenset[str]:
    """The codes of an error answer (numbers or strings on the wire), as strings."""
    try:
        answer = msgspec.json.decode(body, type=wire.ErrorResponse)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return frozenset()
    return frozenset(str(error.code) for error in answer.errors if error.code is not None)


def _error_label(answer: wire.ErrorResponse) -> str:
    """Title and code of the first error; never its `detail`, which may echo internals."""
    first = answer.errors[0]
    code = f" (code {first.code})" if first.code is not None else ""
    return f"{first.title or ''}{code}"
