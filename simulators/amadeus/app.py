"""An aiohttp app speaking the Amadeus Self-Service wire format over the shared inventory.

Endpoints: the OAuth2 token, Flight Offers Search v2, Flight Offers Price v1, hotel list by city,
Hotel Search v3 (the search, and one offer by its id). Errors use Amadeus's `{"errors": [...]}`
body and codes; bodies are `application/vnd.amadeus+json`. Every answer holds only what
Amadeus's own definitions declare (tests/test_contract_amadeus.py holds it to them).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from aiohttp import web

from gateway import reference
from simulators.amadeus import hotel_search
from simulators.common import faults, inventory
from simulators.common.inventory import Journey
from simulators.common.responses import json_response, memoize

CONTENT_TYPE = "application/vnd.amadeus+json"
OFFER_PATH = "/v3/shopping/hotel-offers/"
TOKEN_LIFETIME_S = 1799

_CODE = re.compile(r"^[A-Z]{3}$")
_OFFER_ID = re.compile(r"^[A-Z0-9]{2,100}$")
"""Hotel Search v3's `offerId`: 2 to 100 capitals and digits (its spec)."""
_CABINS = ("ECONOMY", "PREMIUM_ECONOMY", "BUSINESS", "FIRST")


@dataclass(frozen=True, slots=True)
class AmadeusSimConfig:
    client_id: str | None = None
    """When set, only this client id (and secret) gets a token; otherwise any non-empty pair."""
    client_secret: str | None = None
    token_lifetime_s: int = TOKEN_LIFETIME_S


CONFIG_KEY = web.AppKey("amadeus_config", AmadeusSimConfig)
TOKENS_KEY: web.AppKey[dict[str, float]] = web.AppKey("amadeus_tokens")


class BadRequest(Exception):
    def __init__(self, parameter: str, title: str, detail: str, code: int = 477) -> None:
        super().__init__(detail)
        self.parameter, self.title, self.detail, self.code = parameter, title, detail, code


_ERRORS_BY_STATUS = {
    401: (38190, "Invalid access token"),
    429: (38194, "Too many requests"),
    500: (141, "SYSTEM ERROR HAS OCCURRED"),
    503: (141, "SERVICE UNAVAILABLE"),
}


def error_body(
    status: int, code: int | None = None, title: str | None = None, **more: object
) -> dict[str, object]:
    known_code, known_title = _ERRORS_BY_STATUS.get(status, (141, "SYSTEM ERROR HAS OCCURRED"))
    return {
        "errors": [
            {"status": status, "code": code or known_code, "title": title or known_title, **more}
        ]
    }


def _answer(payload: object, status: int = 200) -> web.Response:
    return json_response(payload, status=status, content_type=CONTENT_TYPE)


async def token(request: web.Request) -> web.Response:
    form = await request.post()
    config = request.app[CONFIG_KEY]
    client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
    if form.get("grant_type") != "client_credentials":
        return json_response(
            {
                "error": "unsupported_grant_type",
                "code": 38187,
                "title": "Invalid parameters",
                "error_description": "Only client_credentials is supported",
            },
            status=400,
        )
    valid = bool(client_id and secret)
    if config.client_id is not None:
        valid = client_id == config.client_id and secret == config.client_secret
    if not valid:
        return json_response(
            {
                "error": "invalid_client",
                "code": 38187,
                "title": "Invalid parameters",
                "error_description": "Client credentials are invalid",
            },
            status=401,
        )
    value = secrets.token_urlsafe(24)
    request.app[TOKENS_KEY][value] = time.monotonic() + config.token_lifetime_s
    return json_response(
        {
            "type": "amadeusOAuth2Token",
            "username": "simulator",
            "application_name": "travel-gateway",
            "client_id": client_id,
            "token_type": "Bearer",
            "access_token": value,
            "expires_in": config.token_lifetime_s,
            "state": "approved",
            "scope": "",
        }
    )


def _authorized(request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return False
    expires = request.app[TOKENS_KEY].get(header.removeprefix("Bearer "))
    return expires is not None and expires > time.monotonic()


def _unauthorized() -> web.Response:
    return _answer(
        error_body(
            401,
            38190,
            "Invalid access token",
            detail="The access token provided in the Authorization header is invalid",
        ),
        status=401,
    )


def _param(request: web.Request, name: str, *, required: bool = True) -> str | None:
    value = request.query.get(name)
    if required and not value:
        raise BadRequest(name, "MANDATORY DATA MISSING", f"{name} is required", code=32171)
    return value


def _location(request: web.Request, name: str) -> str:
    value = _param(request, name) or ""
    if not _CODE.match(value) or not reference.is_location(value):
        raise BadRequest(name, "INVALID FORMAT", f"{name} must be a known 3-letter IATA code")
    return value


def _optional_date(request: web.Request, name: str) -> date | None:
    value = request.query.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(name, "INVALID DATE", f"{name} must be YYYY-MM-DD", code=425) from None


def _date(request: web.Request, name: str) -> date:
    value = _optional_date(request, name)
    if value is None:
        raise BadRequest(name, "MANDATORY DATA MISSING", f"{name} is required", code=32171)
    return value


def _int(request: web.Request, name: str, low: int, high: int, default: int | None = None) -> int:
    value = request.query.get(name)
    if value is None and default is not None:
        return default
    if value is None or not value.isdigit() or not low <= int(value) <= high:
        raise BadRequest(name, "INVALID FORMAT", f"{name} must be an integer from {low} to {high}")
    return int(value)


def _bad_request(exc: BadRequest) -> web.Response:
    return _answer(
        error_body(
            400, exc.code, exc.title, detail=exc.detail, source={"parameter": exc.parameter}
        ),
        status=400,
    )


def _currency(request: web.Request, name: str) -> str:
    currency = request.query.get(name) or "EUR"
    if currency not in inventory.SIMULATOR_EUR_RATES:
        raise BadRequest(name, "INVALID FORMAT", f"{name} is not a supported currency")
    return currency


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"PT{hours}H{rest}M" if rest else f"PT{hours}H"


async def flight_offers(request: web.Request) -> web.Response:
    if not _authorized(request):
        return _unauthorized()
    try:
        origin = _location(request, "originLocationCode")
        destination = _location(request, "destinationLocationCode")
        departure = _date(request, "departureDate")
        returning = _optional_date(request, "returnDate")
        adults = _int(request, "adults", 1, 9)
        children = _int(request, "children", 0, 9, default=0)
        infants = _int(request, "infants", 0, 9, default=0)
        limit = _int(request, "max", 1, 250, default=250)
        cabin = request.query.get("travelClass", "ECONOMY")
        if cabin not in _CABINS:
            raise BadRequest("travelClass", "INVALID FORMAT", "travelClass is not a cabin class")
        if adults + children > 9:
            raise BadRequest("adults", "INVALID FORMAT", "at most 9 seated travelers")
        if infants > adults:
            raise BadRequest("infants", "INVALID FORMAT", "infants must not outnumber adults")
        if returning is not None and returning < departure:
            raise BadRequest(
                "returnDate", "INVALID DATE", "returnDate is before departureDate", code=425
            )
        currency = _currency(request, "currencyCode")
        max_price = request.query.get("maxPrice")
        if max_price is not None and not max_price.isdigit():
            raise BadRequest("maxPrice", "INVALID FORMAT", "maxPrice must be a positive integer")
    except BadRequest as exc:
        return _bad_request(exc)
    non_stop = request.query.get("nonStop", "false") == "true"

    outbound = inventory.journeys(origin, destination, departure)
    if non_stop:
        outbound = [journey for journey in outbound if len(journey.legs) == 1]
    combos: list[tuple[Journey, ...]]
    if returning is not None:
        inbound = inventory.journeys(destination, origin, returning)
        if non_stop:
            inbound = [journey for journey in inbound if len(journey.legs) == 1]
        combos = list(inventory.round_trips(outbound, inbound))
    else:
        combos = [(journey,) for journey in outbound]

    offers: list[dict[str, object]] = []
    carriers: dict[str, str] = {}
    aircraft: dict[str, str] = {}
    party = Party(adults, children, infants)
    for combo, brand, _ in inventory.priced(combos, cabin, adults, children, infants):
        each = _per_traveller(combo, brand, cabin, party, currency)
        total = sum((each[kind] for kind in party.travellers()), Decimal(0))
        if max_price is not None and total > Decimal(max_price):
            continue
        offer_id = str(len(offers) + 1)
        offers.append(_flight_offer(offer_id, combo, brand, each, currency, cabin, party))
        for journey in combo:
            for leg in journey.legs:
                # Amadeus's dictionaries name carriers and aircraft in capitals.
                carriers[leg.airline.code] = leg.airline.name.upper()
                aircraft[leg.aircraft] = inventory.AIRCRAFT[leg.aircraft].upper()
        if len(offers) >= limit:
            break
    return _answer(
        {
            "meta": {"count": len(offers)},
            "data": offers,
            "dictionaries": {
                "carriers": carriers,
                "aircraft": aircraft,
                "currencies": {currency: currency},
            },
        }
    )


@dataclass(frozen=True, slots=True)
class Party:
    adults: int
    children: int
    infants: int

    def travellers(self) -> list[str]:
        """Amadeus's traveller types, one per traveller, adults first: adults from 12, children
        2 to 11, infants under 2 on a lap (the bands of `inventory.flight_party`)."""
        return ["ADULT"] * self.adults + ["CHILD"] * self.children + ["HELD_INFANT"] * self.infants


def _per_traveller(
    combo: tuple[Journey, ...],
    brand: inventory.FareBrand,
    cabin: str,
    party: Party,
    currency: str,
) -> dict[str, Decimal]:
    """What one traveller of each type pays; the offer's total is their sum, so the split adds
    up to the cent."""
    return {
        kind: inventory.convert_eur(inventory.fare(combo, cabin, *counts, brand=brand), currency)
        for kind, counts in (("ADULT", (1, 0, 0)), ("CHILD", (0, 1, 0)), ("HELD_INFANT", (0, 0, 1)))
    }


def _flight_offer(
    offer_id: str,
    combo: tuple[Journey, ...],
    brand: inventory.FareBrand,
    each: dict[str, Decimal],
    currency: str,
    cabin: str,
    party: Party,
) -> dict[str, object]:
    """One offer: the journeys in one fare brand (each brand of the same flights is its own
    offer, as Amadeus answers)."""
    segment_ids: list[str] = []
    itineraries = []
    for journey in combo:
        segments = []
        for leg in journey.legs:
            segment_ids.append(str(len(segment_ids) + 1))
            segments.append(
                {
                    "id": segment_ids[-1],
                    "departure": {
                        "iataCode": leg.origin.code,
                        "at": leg.departs.isoformat(),
                        **({"terminal": leg.origin_terminal} if leg.origin_terminal else {}),
                    },
                    "arrival": {
                        "iataCode": leg.destination.code,
                        "at": leg.arrives.isoformat(),
                        **(
                            {"terminal": leg.destination_terminal}
                            if leg.destination_terminal
                            else {}
                        ),
                    },
                    "carrierCode": leg.airline.code,
                    "number": leg.number,
                    "aircraft": {"code": leg.aircraft},
                    "operating": {"carrierCode": leg.airline.code},
                    "duration": _duration(leg.minutes),
                    "numberOfStops": 0,
                    "blacklistedInEU": False,
                }
            )
        itineraries.append({"duration": _duration(journey.minutes), "segments": segments})
    travelers = party.travellers()
    total = sum((each[kind] for kind in travelers), Decimal(0))
    base = sum((_base(each[kind]) for kind in travelers), Decimal(0))
    first_leg = combo[0].legs[0]
    booking_class = inventory.booking_class(cabin, brand)
    return {
        "type": "flight-offer",
        "id": offer_id,
        "source": "GDS",
        "instantTicketingRequired": False,
        "nonHomogeneous": False,
        "oneWay": False,
        "lastTicketingDate": first_leg.departs.date().isoformat(),
        "numberOfBookableSeats": inventory.seats(combo, brand),
        "itineraries": itineraries,
        "price": {
            "currency": currency,
            "total": str(total),
            "base": str(base),
            "grandTotal": str(total),
        },
        "pricingOptions": {"fareType": ["PUBLISHED"], "includedCheckedBagsOnly": False},
        "validatingAirlineCodes": [first_leg.airline.code],
        "travelerPricings": [
            {
                "travelerId": str(index + 1),
                "fareOption": "STANDARD",
                "travelerType": kind,
                # Each infant on the lap of an adult of its own (adults are listed first).
                **(
                    {"associatedAdultId": str(index - party.adults - party.children + 1)}
                    if kind == "HELD_INFANT"
                    else {}
                ),
                "price": {
                    "currency": currency,
                    "total": str(each[kind]),
                    "base": str(_base(each[kind])),
                },
                "fareDetailsBySegment": [
                    {
                        "segmentId": sid,
                        "cabin": cabin,
                        "fareBasis": inventory.fare_basis(combo, cabin, brand),
                        "brandedFare": brand.code,
                        "class": booking_class,
                        "includedCheckedBags": {"quantity": brand.checked_bags},
                    }
                    for sid in segment_ids
                ],
            }
            for index, kind in enumerate(travelers)
        ],
    }


async def flight_offers_pricing(request: web.Request) -> web.Response:
    """Flight Offers Price: the offers sent, as the search returned them, priced again (at the
    same price unless `price_factor` says otherwise); SEGMENT SELL FAILURE when `offers_gone`."""
    if not _authorized(request):
        return _unauthorized()
    if request.headers.get("X-HTTP-Method-Override") != "GET":
        return _bad_request(
            BadRequest("X-HTTP-Method-Override", "MANDATORY DATA MISSING", "GET expected", 32171)
        )
    try:
        payload = json.loads(await request.read())
        offers = payload["data"]["flightOffers"]
        if payload["data"]["type"] != "flight-offers-pricing" or not 1 <= len(offers) <= 6:
            raise ValueError("one to six flight offers")
        if not all("total" in offer["price"] for offer in offers):
            raise ValueError("an offer without its price")
    except (ValueError, KeyError, TypeError):
        return _bad_request(BadRequest("data", "INVALID FORMAT", "invalid pricing request"))
    if faults.offers_gone(request):
        return _answer(
            error_body(400, 34651, "SEGMENT SELL FAILURE", detail="Could not sell segment 1"),
            status=400,
        )
    for offer in offers:
        price = offer["price"]
        for field in ("total", "base", "grandTotal"):
            if field in price:
                price[field] = faults.repriced(request, price[field])
        for traveller in offer.get("travelerPricings", []):
            for field in ("total", "base"):
                if field in traveller.get("price", {}):
                    traveller["price"][field] = faults.repriced(request, traveller["price"][field])
    return _answer({"data": {"type": "flight-offers-pricing", "flightOffers": offers}})


def _base(total: Decimal) -> Decimal:
    """The fare before taxes: 80 % of a traveller's total, in the total's precision."""
    return (total * Decimal("0.8")).quantize(total)


async def hotels_by_city(request: web.Request) -> web.Response:
    if not _authorized(request):
        return _unauthorized()
    city_code = request.query.get("cityCode", "")
    if not _CODE.match(city_code):
        return _bad_request(BadRequest("cityCode", "INVALID FORMAT", "cityCode must be 3 letters"))
    hotels = inventory.hotels(city_code)
    city = reference.city(city_code)
    if not hotels or city is None:
        return _answer(error_body(400, 895, "NOTHING FOUND FOR REQUESTED CITY"), status=400)
    return _answer(
        {
            "data": [
                {
                    "chainCode": hotel.chain_code or "XX",
                    "iataCode": hotel.city_code,
                    "name": hotel.name.upper(),
                    "hotelId": hotel.id,
                    "geoCode": {"latitude": hotel.latitude, "longitude": hotel.longitude},
                    "address": {"countryCode": hotel.country},
                    "timeZoneName": hotel.timezone,
                    # `KM` as the spec's examples and the service say (its enum: KILOMETERS).
                    "distance": {"value": hotel.distance_km, "unit": "KM"},
                }
                for hotel in hotels
            ],
            "meta": {"count": len(hotels)},
        }
    )


MAX_STAY_NIGHTS = 30
"""Longer stays are refused (code 377 MAX STAY DURATION IS EXCEEDED, in Hotel Search v3's table)."""


async def hotel_offers(request: web.Request) -> web.Response:
    """Hotel Search v3: `adults` per room, the same in each of `roomQuantity` rooms (it has no
    parameter for children). `data` is an array, as the service answers (its spec says one
    object)."""
    if not _authorized(request):
        return _unauthorized()
    try:
        ids = [hotel_id for hotel_id in (_param(request, "hotelIds") or "").split(",") if hotel_id]
        if len(ids) > 20:
            raise BadRequest("hotelIds", "INVALID FORMAT", "at most 20 hotelIds per request")
        check_in = _date(request, "checkInDate")
        check_out = _date(request, "checkOutDate")
        adults = _int(request, "adults", 1, 9, default=1)
        room_count = _int(request, "roomQuantity", 1, 9, default=1)
        currency = _currency(request, "currency")
        if check_out <= check_in:
            raise BadRequest(
                "checkOutDate",
                "CHECK_OUT DATE MUST BE FURTHER IN THE FUTURE THAN CHECK-IN DATE",
                "checkOutDate must be after checkInDate",
                code=404,
            )
        if (check_out - check_in).days > MAX_STAY_NIGHTS:
            raise BadRequest(
                "checkOutDate", "MAX STAY DURATION IS EXCEEDED", "stay too long", code=377
            )
    except BadRequest as exc:
        return _bad_request(exc)
    nights = (check_out - check_in).days
    data = []
    for hotel_id in ids:
        hotel = hotel_search.find_hotel(hotel_id)
        if hotel is None:
            continue
        key = hotel_search.OfferKey(hotel.id, check_in, nights, adults, room_count, 0, currency)
        offers = [
            hotel_search.offer(hotel, room, replace(key, index=index))
            for index, room in enumerate(hotel_search.rooms(hotel, key))
        ]
        if offers:
            data.append(hotel_search.hotel_offers(hotel, offers))
    return _answer({"data": data})


async def hotel_offer(request: web.Request) -> web.Response:
    """`GET /v3/shopping/hotel-offers/{offerId}`: the offer priced now (its amounts ×
    `price_factor`). Gone when `offers_gone`, or when the stay has no room at that place any
    more: 400 code 3664 NO ROOMS AVAILABLE AT REQUESTED PROPERTY, as Amadeus's hotel guide
    shows it for an offer no longer available. An id it never issued: 404 (the spec's "Hotel or
    offer not found"), code 38420 OFFER NOT FOUND (Amadeus documents no code for that 404; this
    one is Hotel Booking v2's for an offer id that "does not exist or has expired")."""
    if not _authorized(request):
        return _unauthorized()
    offer_id = request.match_info["offerId"]
    if not _OFFER_ID.match(offer_id):
        return _bad_request(
            BadRequest("offerId", "INVALID FORMAT", "offerId must be 2 to 100 capitals or digits")
        )
    key = hotel_search.OfferKey.decode(offer_id)
    hotel = hotel_search.find_hotel(key.hotel_id) if key is not None else None
    if key is None or hotel is None or key.currency not in inventory.SIMULATOR_EUR_RATES:
        return _answer(
            error_body(404, 38420, "OFFER NOT FOUND", detail="No offer with this id"), status=404
        )
    rooms = hotel_search.rooms(hotel, key)
    if faults.offers_gone(request) or key.index >= len(rooms):
        return _answer(error_body(400, 3664, "NO ROOMS AVAILABLE AT REQUESTED PROPERTY"), 400)
    offer = hotel_search.offer(hotel, rooms[key.index], key)
    offer["price"] = hotel_search.repriced(
        offer["price"], lambda amount: faults.repriced(request, amount)
    )
    return _answer({"data": hotel_search.hotel_offers(hotel, [offer])})


def create_app(
    config: AmadeusSimConfig | None = None, fault_config: faults.FaultConfig | None = None
) -> web.Application:
    app = web.Application()
    app[CONFIG_KEY] = config or AmadeusSimConfig()
    app[TOKENS_KEY] = {}
    faults.install(app, fault_config or faults.FaultConfig(), error_body)
    # An offer checked by its id answers as `price_factor` / `offers_gone` say now: not replayed.
    app.middlewares.append(
        memoize(
            lambda request: (
                request.method == "GET"
                and not request.path.startswith(OFFER_PATH)
                and _authorized(request)
            )
        )
    )
    app.router.add_post("/v1/security/oauth2/token", token)
    app.router.add_get("/v2/shopping/flight-offers", flight_offers)
    app.router.add_post("/v1/shopping/flight-offers/pricing", flight_offers_pricing)
    app.router.add_get("/v1/reference-data/locations/hotels/by-city", hotels_by_city)
    app.router.add_get("/v3/shopping/hotel-offers", hotel_offers)
    app.router.add_get(OFFER_PATH + "{offerId}", hotel_offer)
    return app
