"""Duffel adapter: flights through offer requests that return their offers inline; hotels
through Stays searches by coordinates, with each result's rates fetched when it comes without,
and a rate checked before booking by quoting it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import aiohttp
import msgspec

from gateway import domain
from gateway.providers.client import UpstreamClient
from gateway.providers.concurrent import all_or_first_error
from gateway.providers.deadline import remaining_s
from gateway.providers.duffel import mapping, wire
from gateway.providers.duffel.ratelimit import RateWindow
from gateway.providers.errors import Unsupported
from gateway.providers.http import UpstreamResponse, decode, encode, status_error

T = TypeVar("T")

BASE_URL = "https://api.duffel.com"
API_VERSION = "v2"
SUPPLIER_TIMEOUT_MS = (2_000, 60_000)
"""The range Duffel accepts for `supplier_timeout`."""
SUPPLIER_MARGIN_S = 1.0
"""Left of our deadline after Duffel's own: its answer still has to travel and be read."""
MAX_RATE_FETCHES = 10
"""Stays results without rooms whose rates are fetched, at most, per search: each is a call."""


OFFER_ID = re.compile(r"^off_[A-Za-z0-9]{1,60}\Z")
"""What of a provider's offer id may go into a URL path: Duffel's ids are `off_` and letters
and digits; anything else is not asked for (it came from an answer, so it is untrusted)."""
OFFER_GONE_CODES = frozenset({"offer_no_longer_available", "offer_expired"})
"""Duffel's error codes for an offer it no longer sells (beside a 404 for an unknown id)."""
RATE_ID = re.compile(r"^rat_[A-Za-z0-9]{1,60}\Z")
"""What of a Stays rate id is sent to be quoted: `rat_` and letters and digits (it came from an
answer, so it is untrusted, even in a body)."""
RATE_GONE_CODES = frozenset({"rate_unavailable"})
"""Duffel's error code for a rate it no longer sells, when quoted. Duffel publishes no list of
Stays error codes. Its Test Hotels guide (duffel.com/docs/guides/test-hotels) has a rate that
"will fail with a 'Rate Unavailable' error"; its errors carry a snake-case `code` beside their
`title` (its published codes: `offer_no_longer_available` for "Offer no longer available"), so
the code is read as `rate_unavailable`, and the title is matched too (`RATE_GONE_TITLES`). Any
other error (`rate_expired`, `quote_expired`: named by no Duffel source found) fails the check
rather than calling the rate gone."""
RATE_GONE_TITLES = frozenset({"rate unavailable"})
"""The title of that error, compared without case (the guide's words)."""


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
    children_by_age = True
    """Duffel v2 takes a traveller under 18 only by age: the deprecated counts are refused."""

    def __init__(self, session: aiohttp.ClientSession, config: DuffelConfig) -> None:
        self.http = UpstreamClient(session, self.name, rate_limit=config.rate_limit or None)
        self.window = RateWindow()
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
        """Flights: one offer request (its offers come inline). Hotels: the Stays search, and
        the rates of results that come without, `MAX_RATE_FETCHES` at most."""
        return 1 + MAX_RATE_FETCHES if field == "hotels" else 1

    def supplier_timeout_ms(self) -> int:
        """How long Duffel may wait for airlines: the configured time, but never past our own
        deadline (less the margin its answer needs), within the range Duffel accepts."""
        wanted = self._config.supplier_timeout_ms
        left = remaining_s()
        if left is not None:
            wanted = min(wanted, int((left - SUPPLIER_MARGIN_S) * 1000))
        low, high = SUPPLIER_TIMEOUT_MS
        return min(max(wanted, low), high)

    async def search_flights(self, query: domain.FlightQuery) -> list[domain.FlightOffer]:
        if query.counted_only:
            # The search layer refuses counts before any provider is asked: this is a guard.
            raise Unsupported("duffel takes children by age only")
        # Creating an offer request is a write: only retried where Duffel cannot have acted.
        answer = await self._post(
            "/air/offer_requests",
            {"data": offer_request(query)},
            wire.OfferRequestResponse,
            idempotent=False,
            params={"return_offers": "true", "supplier_timeout": str(self.supplier_timeout_ms())},
        )
        return mapping.flight_offers(answer)

    def repriceable(self, source: domain.FareSource) -> bool:
        return source.provider == self.name and OFFER_ID.match(source.offer_id) is not None

    async def current_price(self, source: domain.FareSource) -> domain.Money | None:
        """`GET /air/offers/{id}`: the offer as Duffel sells it now; a 404, or an error saying
        the offer is no longer available or expired, means it is gone."""
        if OFFER_ID.match(source.offer_id) is None:
            raise ValueError("not a Duffel offer id")
        self.window.check()
        response = await self.http.request(
            "GET",
            f"{self._base_url}/air/offers/{source.offer_id}",
            idempotent=True,
            headers=self._headers,
        )
        self.window.observe(response.status, response.headers)
        if response.status == 404:
            return None
        if not response.ok:
            if _error_codes(response.body) & OFFER_GONE_CODES:
                return None
            raise status_error(
                self.name, response.status, response.body, wire.ErrorResponse, _error_label
            )
        offer = decode(response.body, wire.OfferResponse, provider=self.name).data
        return domain.Money(offer.total_amount, offer.total_currency)

    async def search_hotels(self, query: domain.HotelQuery) -> list[domain.HotelOffer]:
        """Stays search by coordinates: the search layer sets the city's centre on the query."""
        if query.centre is None:
            return []
        # A search creates nothing: safe to retry like a read.
        answer = await self._post(
            "/stays/search",
            {"data": stays_search(query, self._config.stays_radius_km)},
            wire.StaySearchResponse,
            idempotent=True,
        )
        results = await self._with_rates(answer.data.results)
        return mapping.hotel_offers(results, query)

    def checkable(self, room: domain.RoomOffer) -> bool:
        return room.provider == self.name and RATE_ID.match(room.offer_id) is not None

    async def current_rate(self, room: domain.RoomOffer) -> domain.CheckedRate | None:
        """`POST /stays/quotes` (the SDK's `Quotes.create`): the rate as Duffel sells it now.
        A quote is created (a write), so it is retried only where Duffel cannot have acted.
        Gone: a 404 `not_found` (Duffel knows no such rate: "The requested resource doesn't
        exist", its errors page) or the rate-unavailable error (`RATE_GONE_CODES`)."""
        if not self.checkable(room):
            raise ValueError("not a Duffel rate id")
        self.window.check()
        response = await self.http.request(
            "POST",
            f"{self._base_url}/stays/quotes",
            idempotent=False,
            headers=self._headers,
            body=encode({"data": {"rate_id": room.offer_id}}),
        )
        self.window.observe(response.status, response.headers)
        if not response.ok:
            if rate_gone(response.status, response.body):
                return None
            raise status_error(
                self.name, response.status, response.body, wire.ErrorResponse, _error_label
            )
        quote = decode(response.body, wire.QuoteResponse, provider=self.name).data
        return mapping.checked_rate(quote, room.offer_id)

    async def _with_rates(
        self, results: list[wire.StaySearchResult]
    ) -> list[wire.StaySearchResult]:
        """Search results may come without rooms: fetch those results' rates (Duffel's
        `fetch_all_rates`), the first `MAX_RATE_FETCHES` of them, at once. Any fetch failing
        fails the search, rather than answering OK with hotels silently missing."""
        lacking = [r for r in results if not r.accommodation.rooms][:MAX_RATE_FETCHES]
        if not lacking:
            return results
        answers = await all_or_first_error(
            self._post(
                f"/stays/search_results/{result.id}/actions/fetch_all_rates",
                None,
                wire.SearchResultResponse,
                idempotent=True,
            )
            for result in lacking
        )
        fetched = {answer.data.id: answer.data for answer in answers}
        return [fetched.get(result.id, result) for result in results]

    async def _post(
        self,
        path: str,
        payload: object,
        wire_type: type[T],
        *,
        idempotent: bool,
        params: dict[str, str] | None = None,
    ) -> T:
        """One call, unless Duffel's rate window is spent; the answer's window is kept."""
        self.window.check()
        response: UpstreamResponse = await self.http.request(
            "POST",
            self._base_url + path,
            idempotent=idempotent,
            params=params,
            headers=self._headers,
            body=encode(payload) if payload is not None else None,
        )
        self.window.observe(response.status, response.headers)
        if not response.ok:
            raise status_error(
                self.name, response.status, response.body, wire.ErrorResponse, _error_label
            )
        return decode(response.body, wire_type, provider=self.name)


def stays_search(query: domain.HotelQuery, radius_km: float) -> dict[str, object]:
    """The `data` of a Stays search for `query` (which must carry the city's centre)."""
    assert query.centre is not None
    return {
        "check_in_date": query.check_in.isoformat(),
        "check_out_date": query.check_out.isoformat(),
        "rooms": query.rooms,
        "guests": guests(query),
        "location": {
            "radius": radius_km,
            "geographic_coordinates": {
                "latitude": query.centre.latitude,
                "longitude": query.centre.longitude,
            },
        },
    }


def guests(query: domain.HotelQuery) -> list[dict[str, object]]:
    """Stays' `guests` (the SDK's `Guest`): `{"type": "adult"}` per adult, `{"type": "child",
    "age": n}` per child, room by room as the rooms are shared (`HotelQuery.parties`); Stays
    takes one list for all `rooms`."""
    listed: list[dict[str, object]] = []
    for party in query.parties():
        listed += [{"type": "adult"} for _ in range(party.adults)]
        listed += [{"type": "child", "age": age} for age in party.children_ages]
    return listed


def _slice(origin: str, destination: str, day: date) -> dict[str, object]:
    """One slice: the SDK's `CreateOfferRequestSlice` types both time ranges as required and
    nullable (its own mock request sends them null): no time is asked for."""
    return {
        "origin": origin,
        "destination": destination,
        "departure_date": day.isoformat(),
        "departure_time": None,
        "arrival_time": None,
    }


def passengers(query: domain.FlightQuery) -> list[dict[str, object]]:
    """Duffel v2's passengers: `{"type": "adult"}` per adult and `{"age": n}` per traveller
    under 18 (on the last flight's date), never both on one passenger."""
    adults: list[dict[str, object]] = [{"type": "adult"} for _ in range(query.adults)]
    return adults + [{"age": age} for age in query.children_ages]


def offer_request(query: domain.FlightQuery) -> dict[str, object]:
    """The `data` of an offer request for `query` (travellers given by age: no counts)."""
    slices = [_slice(query.origin, query.destination, query.departure_date)]
    if query.return_date is not None:
        slices.append(_slice(query.destination, query.origin, query.return_date))
    return {
        "slices": slices,
        "passengers": passengers(query),
        "cabin_class": query.cabin.value.lower(),
        "max_connections": 0 if query.non_stop else 1,
    }


def _error_label(answer: wire.ErrorResponse) -> str:
    """Type and title of the first error; never its `message`, which may echo internals."""
    first = answer.errors[0]
    return " ".join(part for part in (first.type, first.title) if part)


def _errors(body: bytes) -> list[wire.ErrorItem]:
    try:
        return msgspec.json.decode(body, type=wire.ErrorResponse).errors
    except (msgspec.ValidationError, msgspec.DecodeError):
        return []


def _error_codes(body: bytes) -> frozenset[str]:
    return frozenset(error.code for error in _errors(body) if error.code is not None)


def rate_gone(status: int, body: bytes) -> bool:
    """Whether a failed quote says the rate is no longer sold (see `current_rate`); any other
    failure, a 404 without Duffel's error document included, is a failure."""
    errors = _errors(body)
    if status == 404:
        return any(error.code == "not_found" for error in errors)
    return 400 <= status < 500 and any(
        error.code in RATE_GONE_CODES
        or " ".join((error.title or "").split()).casefold() in RATE_GONE_TITLES
        for error in errors
    )
