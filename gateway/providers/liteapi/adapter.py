"""LiteAPI adapter: hotel rates searched by coordinates around the city's centre, and an offer
checked before booking with a prebook.

One call per search (`POST /hotels/rates` with `includeHotelData`, whose `hotels[]` carries each
hotel's name, coordinates and stars), and a second one (`GET /data/hotels?hotelIds=…`, the static
list) only when that data lacks a name or coordinates for some hotel with offers: at most two.
A rate check is one `POST /rates/prebook` on LiteAPI's booking host.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import aiohttp
import msgspec

from gateway import domain
from gateway.providers.client import UpstreamClient
from gateway.providers.deadline import remaining_s
from gateway.providers.errors import MalformedResponse
from gateway.providers.http import UpstreamResponse, decode, encode, status_error
from gateway.providers.liteapi import mapping, prices, wire

BASE_URL = "https://api.liteapi.travel/v3.0"
"""Sandbox and production share this host: the key decides the environment."""
BOOK_BASE_URL = "https://book.liteapi.travel/v3.0"
"""LiteAPI's booking host (`servers` of its booking.json): prebook, book, bookings."""
SANDBOX_KEY_PREFIX = "sand_"
SANDBOX_RATE_LIMIT = 5.0
"""Requests per second LiteAPI allows a sandbox key (its Rate Limiting page)."""
PRODUCTION_RATE_LIMIT = 250.0
"""Requests per second for a production key: the Rate Limiting page's figure (another page says
500 per customer; the lower one is kept)."""
DEFAULT_GUEST_NATIONALITY = "US"
"""The nationality LiteAPI's own examples send; rates may depend on it, so it is a setting."""
CURRENCY_WHEN_UNSET = "EUR"
"""LiteAPI requires a currency; the search layer always sets one (`GATEWAY_CURRENCY`, EUR)."""
NO_AVAILABILITY = 2001
"""LiteAPI's error code for a search nothing matched: an empty answer, whatever the status."""
MIN_TIMEOUT_S = 1
MAX_TIMEOUT_S = 12
"""LiteAPI's `timeout` is whole seconds; it recommends 6 to 12 and publishes no hard range."""
TIMEOUT_MARGIN_S = 1.5
"""Deadline kept out of LiteAPI's own `timeout`: the answer's transfer, and a hotel-data call."""
PREBOOK_MAX_TIMEOUT_S = 30
"""The prebook's own `timeout` (seconds) at most: the value LiteAPI's booking.json shows."""
OFFER_GONE_CODES = frozenset({2001, 4040})
"""LiteAPI's error codes for an offer a prebook finds no longer on sale, matched on the code
whatever the HTTP status ("Match on error.code, not HTTP status. Status codes can vary for the
same error", docs.liteapi.travel/reference/api-errors-for-hotel-booking-workflow):
- 4040 "outdated offerId" / "this offer is marked as not valid, please refetch rates for this
  hotel", LiteAPI's own example of `POST /rates/prebook` (booking.json, under HTTP 408);
- 2001, LiteAPI's "no availability found" (search.json); integrators report prebooks of stale
  offers answered HTTP 400 with code 2001, "no prebook availability" (public code, not LiteAPI's
  documents).
Any other error (4002 "invalid offerId", 4016 "prebook timeout exceeded", 5xx…) says the rate
could not be checked, not that it is gone: the check FAILED."""


@dataclass(frozen=True, slots=True)
class LiteApiConfig:
    api_key: str
    base_url: str = BASE_URL
    book_base_url: str = BOOK_BASE_URL
    """Where prebooks go (a simulator serves both hosts' paths at one base URL)."""
    guest_nationality: str = DEFAULT_GUEST_NATIONALITY
    """ISO 3166-1 alpha-2, required by every rates search."""
    radius_m: int = 10_000
    """How far from the city centre to search, as Duffel Stays does (LiteAPI takes metres)."""
    max_hotels: int = 100
    """LiteAPI's `limit` (default 200): hotels searched around the point."""
    max_rates_per_hotel: int = 5
    """LiteAPI's `maxRatesPerHotel`, cheapest first: bounds the answer (offers carry long ids)."""
    max_timeout_s: int = MAX_TIMEOUT_S
    mode: str | None = None
    """Overrides the mode derived from the key (the demo says `simulated`)."""
    rate_limit: float | None = None
    """Requests per second; `from_env` defaults it from the key (sandbox 5, production 250)."""


def default_rate_limit(api_key: str) -> float:
    """LiteAPI's published limit for this kind of key."""
    return SANDBOX_RATE_LIMIT if api_key.startswith(SANDBOX_KEY_PREFIX) else PRODUCTION_RATE_LIMIT


class LiteApiProvider:
    name = "liteapi"

    def __init__(self, session: aiohttp.ClientSession, config: LiteApiConfig) -> None:
        self.http = UpstreamClient(session, self.name, rate_limit=config.rate_limit or None)
        self._config = config
        self._base_url = config.base_url.rstrip("/")
        self._book_base_url = config.book_base_url.rstrip("/")
        self._read_headers = {"X-API-Key": config.api_key, "Accept": "application/json"}
        self._headers = {**self._read_headers, "Content-Type": "application/json"}

    def info(self) -> domain.ProviderInfo:
        mode = self._config.mode
        if mode is None:
            mode = "test" if self._config.api_key.startswith(SANDBOX_KEY_PREFIX) else "live"
        return domain.ProviderInfo(name=self.name, serves=("hotels",), mode=mode)

    def upstream_calls(self, field: str) -> int:
        """Hotels: the rates search, and at most one hotel-data call when it lacks details."""
        return 2 if field == "hotels" else 0

    async def search_hotels(self, query: domain.HotelQuery) -> list[domain.HotelOffer]:
        """Rates around the city's centre, which the search layer sets on the query."""
        if query.centre is None:
            return []
        timeout_s = rates_timeout_s(remaining_s(), self._config.max_timeout_s)
        # A search books nothing: safe to retry like a read.
        response = await self.http.request(
            "POST",
            f"{self._base_url}/hotels/rates",
            idempotent=True,
            headers=self._headers,
            body=encode(rates_request(query, self._config, timeout_s)),
        )
        answer = self._rates(response)
        if answer is None:
            return []
        rated = mapping.rated_hotels(answer)
        hotels = mapping.hotel_data(answer)
        missing = mapping.lacking_details(rated, hotels)
        if missing:
            hotels.update({hotel.id: hotel for hotel in await self._hotel_details(missing)})
        return mapping.hotel_offers(rated, hotels, query)

    def checkable(self, room: domain.RoomOffer) -> bool:
        """A rate of ours with an offer id of LiteAPI's form: the prebook's one argument."""
        return room.provider == self.name and mapping.OFFER_ID.fullmatch(room.offer_id) is not None

    async def current_rate(self, room: domain.RoomOffer) -> domain.CheckedRate | None:
        """`POST /rates/prebook`: the offer as LiteAPI sells it now, priced as a search prices it
        (`prices.checked_rate`); None when LiteAPI says it is no longer on sale
        (`OFFER_GONE_CODES`) or has put another rate in its place."""
        if not self.checkable(room):
            raise ValueError("not a LiteAPI offer")
        timeout_s = rates_timeout_s(remaining_s(), PREBOOK_MAX_TIMEOUT_S)
        # A prebook creates a checkout session at LiteAPI (it books and charges nothing): a
        # write, so retried only where LiteAPI cannot have acted on it.
        response = await self.http.request(
            "POST",
            f"{self._book_base_url}/rates/prebook",
            idempotent=False,
            params={"timeout": str(timeout_s)},
            headers=self._headers,
            body=encode(prebook_request(room.offer_id)),
        )
        if _error_code(response.body) in OFFER_GONE_CODES:
            return None
        if not response.ok:
            raise status_error(
                self.name, response.status, response.body, wire.ErrorResponse, _error_label
            )
        answer = decode(response.body, wire.PrebookResponse, provider=self.name)
        if answer.error is not None:
            raise MalformedResponse(
                f"{self.name} answered an error with HTTP {response.status}",
                detail=_error_label(wire.ErrorResponse(answer.error)),
            )
        if answer.data is None:
            raise MalformedResponse(
                f"{self.name} response has an unexpected shape", detail="no `data`, no `error`"
            )
        return prices.checked_rate(answer.data)

    def _rates(self, response: UpstreamResponse) -> wire.RatesResponse | None:
        """The rates answer; None when LiteAPI found no availability (a normal, empty result)."""
        if response.status == 204:
            return None  # where the spec declares "no availability" (a 204 carries no body)
        if not response.ok:
            if _error_code(response.body) == NO_AVAILABILITY:
                return None
            raise status_error(
                self.name, response.status, response.body, wire.ErrorResponse, _error_label
            )
        answer = decode(response.body, wire.RatesResponse, provider=self.name)
        if answer.error is not None:
            if _code(answer.error) == NO_AVAILABILITY:
                return None
            raise MalformedResponse(
                f"{self.name} answered an error with HTTP {response.status}",
                detail=_error_label(wire.ErrorResponse(answer.error)),
            )
        if answer.data is msgspec.UNSET:
            raise MalformedResponse(
                f"{self.name} response has an unexpected shape", detail="no `data`, no `error`"
            )
        return answer

    async def _hotel_details(self, hotel_ids: list[str]) -> list[wire.HotelData]:
        """Names, coordinates and stars from the static hotel list, for the hotels given."""
        response = await self.http.request(
            "GET",
            f"{self._base_url}/data/hotels",
            idempotent=True,
            params={"hotelIds": ",".join(hotel_ids), "limit": str(len(hotel_ids))},
            headers=self._read_headers,
        )
        if not response.ok:
            raise status_error(
                self.name, response.status, response.body, wire.ErrorResponse, _error_label
            )
        return decode(response.body, wire.HotelsResponse, provider=self.name).data


def rates_request(
    query: domain.HotelQuery, config: LiteApiConfig, timeout_s: int
) -> dict[str, object]:
    """The body of `POST /hotels/rates` for `query` (which must carry the city's centre)."""
    assert query.centre is not None
    return {
        "occupancies": occupancies(query),
        "currency": query.currency or CURRENCY_WHEN_UNSET,
        "guestNationality": config.guest_nationality,
        "checkin": query.check_in.isoformat(),
        "checkout": query.check_out.isoformat(),
        "latitude": query.centre.latitude,
        "longitude": query.centre.longitude,
        "radius": config.radius_m,
        "limit": config.max_hotels,
        "maxRatesPerHotel": config.max_rates_per_hotel,
        "includeHotelData": True,
        "timeout": timeout_s,
    }


def occupancies(query: domain.HotelQuery) -> list[dict[str, object]]:
    """One occupancy per room, as LiteAPI counts rooms: its adults and its children's ages
    (`HotelQuery.parties`). `children` is left out of a room without any, as LiteAPI's own
    example does (its schema requires only `adults`)."""
    return [
        {"adults": party.adults, "children": list(party.children_ages)}
        if party.children_ages
        else {"adults": party.adults}
        for party in query.parties()
    ]


def prebook_request(offer_id: str) -> dict[str, object]:
    """The body of `POST /rates/prebook`: the offer, and `usePaymentSdk`, which LiteAPI's
    booking.json requires (false: no payment fields are wanted, nothing is paid)."""
    return {"offerId": offer_id, "usePaymentSdk": False}


def rates_timeout_s(remaining: float | None, most: int = MAX_TIMEOUT_S) -> int:
    """LiteAPI's own `timeout` (a search's, a prebook's): whole seconds inside what is left of
    our deadline, with a margin, between `MIN_TIMEOUT_S` and `most`."""
    if remaining is None:
        return most
    return max(MIN_TIMEOUT_S, min(most, math.floor(remaining - TIMEOUT_MARGIN_S)))


def _code(error: wire.ErrorDetail) -> int | None:
    code = error.code
    if isinstance(code, str):
        return int(code) if code.strip().isdigit() else None
    return code


def _error_code(body: bytes) -> int | None:
    try:
        answer = msgspec.json.decode(body, type=wire.ErrorResponse)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    return _code(answer.error) if answer.error is not None else None


def _error_label(answer: wire.ErrorResponse) -> str:
    """LiteAPI's code, message and description, for the log (redacted there)."""
    error = answer.error
    if error is None:
        return ""
    parts = (error.code, error.message, error.description)
    return " ".join(str(part) for part in parts if part not in (None, ""))
