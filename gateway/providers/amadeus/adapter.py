"""Amadeus adapter: flight offers, and hotels as by-city list then batched offers.

Amadeus closed its Self-Service APIs in July 2026 (test.api.amadeus.com is gone); this speaks the
same REST wire format, which Amadeus Enterprise customers keep, on the host they are given.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import aiohttp
import msgspec

from gateway import domain
from gateway.providers.amadeus import mapping, queries, wire
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
RATE_GONE_CODES = frozenset({"3664", "38420", "36803"})
"""Amadeus's error codes for a hotel offer it no longer sells. 3664 NO ROOMS AVAILABLE AT
REQUESTED PROPERTY: "The offer for the selected Hotel is no longer available. Please select a
new one" (Amadeus's hotel guide, amadeus4dev/developer-guides docs/resources/hotels.md, Common
Errors). 38420 OFFER NOT FOUND ("The Offer ID ... does not exist or has expired", Hotel Booking
v2's spec) and 36803 OFFERID HAS EXPIRED (Hotel Booking v1's): the same offer id refused at
booking. Hotel Search v3's spec lists no code of its own for it (only a 404, "Hotel or offer
not found"). Any other code is a failure, not "gone": unknown is not gone."""
RESOURCE_NOT_FOUND = "38196"
"""A 404 with this code is Amadeus saying the URL names no endpoint ("Resource not found",
its common-errors guide): a fault of ours, not an offer gone."""
OFFER_ID = re.compile(r"^[A-Z0-9]{2,100}\Z")
"""A Hotel Search v3 offer id, as its spec bounds `HotelOffer.id` (2–100 capitals and digits):
checked before it goes into a URL path."""
HOTEL_ID = re.compile(r"^[A-Z0-9]{8}\Z")
"""An Amadeus property code, as Hotel List and Hotel Search v3 define `hotelId`: a listed hotel
with any other is not asked about (its id would go into the next call's `hotelIds` list)."""
HOTEL_BATCH_SIZE = 20
"""Amadeus takes at most 20 hotel ids per hotel-offers call."""

_ACCEPT = "application/vnd.amadeus+json, application/json"
_CONTENT_TYPE = "application/vnd.amadeus+json"
"""What Flight Offers Price `consumes` (its spec): one media type."""

Gone = Callable[[int, bytes], bool]
"""Whether an error answer (status, body) says the thing asked about is no longer sold."""


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
        """Flight Offers Search, travellers counted as Amadeus's fares count them
        (`queries.flight_travellers`)."""
        params = queries.flight_search(query, self._config.max_flight_offers)
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
                # The method override is required by the spec (`getOverride`).
                extra_headers={"X-HTTP-Method-Override": "GET", "Content-Type": _CONTENT_TYPE},
                gone=_offer_gone,
            )
        except _OfferGone:
            return None
        answer = decode(body, wire.FlightOffersPricingResponse, provider=self.name)
        if not answer.data.flightOffers:
            raise MalformedResponse("amadeus pricing answer holds no offer")
        price = mapping.flight_price(answer.data.flightOffers[0].price)
        if price is None:
            raise MalformedResponse("amadeus pricing answer has no usable price")
        return price

    def checkable(self, room: domain.RoomOffer) -> bool:
        return room.provider == self.name and OFFER_ID.match(room.offer_id) is not None

    async def current_rate(self, room: domain.RoomOffer) -> domain.CheckedRate | None:
        """`GET /v3/shopping/hotel-offers/{offerId}` (Hotel Search v3): the offer priced now,
        "a validation step by searching by offerid" (Amadeus's hotel guide). Gone: an error
        whose code says so (`RATE_GONE_CODES`), a 404 with Amadeus's error body ("Hotel or
        offer not found", the spec) unless it is the unknown-URL one (`RESOURCE_NOT_FOUND`),
        or an answer without an available offer (`mapping.checked_rate`)."""
        if not self.checkable(room):
            raise ValueError("not an Amadeus hotel offer id")
        try:
            body = await self._call(
                "GET", f"/v3/shopping/hotel-offers/{room.offer_id}", {}, gone=rate_gone
            )
        except _OfferGone:
            return None
        answer = decode(body, wire.HotelOfferPricingResponse, provider=self.name)
        return mapping.checked_rate(answer, room.offer_id)

    async def search_hotels(self, query: domain.HotelQuery) -> list[domain.HotelOffer]:
        """The city's hotels (Hotel List), then their offers in batches (Hotel Search v3). A
        party with children is not asked at all (`queries.room_adults`)."""
        queries.room_adults(query)  # before any call: a search Amadeus cannot take is not sent
        listing = await self._get(
            "/v1/reference-data/locations/hotels/by-city",
            {"cityCode": query.city_code},
            wire.HotelListResponse,
        )
        listed = (item for item in listing.data if HOTEL_ID.match(item.hotelId))
        hotels = {item.hotelId: item for item in itertools.islice(listed, self._config.max_hotels)}
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
        params = queries.hotel_search(hotel_ids, query)
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
        gone: Gone | None = None,
    ) -> bytes:
        """The body of a successful answer, with a bearer token; on a 401 the token is
        refreshed and the call tried once more. Every call here only reads (pricing too, under
        its method override), so each may be retried. An error `gone` says is an offer no
        longer sold raises `_OfferGone`."""
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
                if gone is not None and gone(response.status, response.body):
                    raise _OfferGone
                raise status_error(
                    self.name, response.status, response.body, wire.ErrorResponse, _error_label
                )
            return response.body
        raise AssertionError("unreachable")  # pragma: no cover


class _OfferGone(Exception):
    """Amadeus says the offer is no longer on sale: an answer, not a failure."""


def _errors(body: bytes) -> list[wire.ErrorItem]:
    """The errors of an error answer; none when it is not Amadeus's error body."""
    try:
        return msgspec.json.decode(body, type=wire.ErrorResponse).errors
    except (msgspec.ValidationError, msgspec.DecodeError):
        return []


def _error_codes(body: bytes) -> frozenset[str]:
    """The codes of an error answer (numbers or strings on the wire), as strings."""
    return frozenset(str(error.code).strip() for error in _errors(body) if error.code is not None)


def _offer_gone(status: int, body: bytes) -> bool:
    """Flight Offers Price: the offer's seats are gone (`OFFER_GONE_CODES`)."""
    return bool(_error_codes(body) & OFFER_GONE_CODES)


def rate_gone(status: int, body: bytes) -> bool:
    """Whether a failed hotel offer check says the offer is no longer sold (see
    `AmadeusProvider.current_rate`); anything else, a 404 without Amadeus's error body
    included, is a failure."""
    codes = _error_codes(body)
    if codes & RATE_GONE_CODES:
        return True
    return status == 404 and bool(_errors(body)) and RESOURCE_NOT_FOUND not in codes


def _error_label(answer: wire.ErrorResponse) -> str:
    """Title and code of the first error; never its `detail`, which may echo internals."""
    first = answer.errors[0]
    code = f" (code {first.code})" if first.code is not None else ""
    return f"{first.title or ''}{code}"
