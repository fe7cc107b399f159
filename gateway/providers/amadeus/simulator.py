"""An aiohttp app speaking the Amadeus Self-Service wire format over the shared inventory.

Endpoints: the OAuth2 token, Flight Offers Search v2, hotel list by city, Hotel Search v3.
Errors use Amadeus's `{"errors": [...]}` body and codes; bodies are `application/vnd.amadeus+json`.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from aiohttp import web

from gateway import reference
from gateway.simulator import faults, inventory
from gateway.simulator.inventory import Journey
from gateway.simulator.responses import json_response, memoize

CONTENT_TYPE = "application/vnd.amadeus+json"
TOKEN_LIFETIME_S = 1799

_CODE = re.compile(r"^[A-Z]{3}$")
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
        children = _int(request, "children", 0, 8, default=0)
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
        """Amadeus's traveller types, one per traveller, adults first."""
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
                        "brandedFareLabel": brand.name.upper(),
                        "class": booking_class,
                        "includedCheckedBags": {"quantity": brand.checked_bags},
                        "includedCabinBags": {"quantity": brand.cabin_bags},
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
                    "dupeId": 700000000 + i,
                    "name": hotel.name.upper(),
                    "hotelId": hotel.id,
                    "rating": hotel.rating,
                    "geoCode": {"latitude": hotel.latitude, "longitude": hotel.longitude},
                    "address": {"countryCode": hotel.country},
                    "timeZoneName": hotel.timezone,
                    "distance": {"value": hotel.distance_km, "unit": "KM"},
                }
                for i, hotel in enumerate(hotels)
            ],
            "meta": {"count": len(hotels)},
        }
    )


async def hotel_offers(request: web.Request) -> web.Response:
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
                "checkOutDate", "INVALID DATE", "checkOutDate must be after checkInDate", code=425
            )
    except BadRequest as exc:
        return _bad_request(exc)
    data = []
    for hotel_id in ids:
        hotel = next((h for h in inventory.hotels(hotel_id[2:5]) if h.id == hotel_id), None)
        if hotel is None:
            continue
        rooms = inventory.rooms(hotel, check_in, check_out, adults, room_count)
        if not rooms:
            continue
        data.append(
            {
                "type": "hotel-offers",
                "hotel": {
                    "type": "hotel",
                    "hotelId": hotel.id,
                    "chainCode": hotel.chain_code or "XX",
                    "name": hotel.name.upper(),
                    "cityCode": hotel.city_code,
                    "latitude": hotel.latitude,
                    "longitude": hotel.longitude,
                },
                "available": True,
                "offers": [
                    {
                        "id": room.id,
                        "checkInDate": check_in.isoformat(),
                        "checkOutDate": check_out.isoformat(),
                        "rateCode": "RAC",
                        "boardType": room.board_type,
                        "room": {
                            "type": room.category[:3],
                            "typeEstimated": {
                                "category": room.category,
                                "beds": 1,
                                "bedType": "DOUBLE",
                            },
                            "description": {"text": room.description, "lang": "EN"},
                        },
                        "guests": {"adults": adults},
                        "price": _room_price(room, currency, check_out - check_in),
                        "policies": _policies(hotel, room, currency),
                    }
                    for room in rooms
                ],
            }
        )
    return _answer({"data": data})


def _room_price(room: inventory.SimRoom, currency: str, stay: timedelta) -> dict[str, object]:
    """Hotel Search v3's price: total = base + the taxes it includes; the city tax is listed
    as not included (paid at the hotel); the average night under `variations`."""
    total = inventory.convert_eur(room.total_eur, currency)
    vat = inventory.convert_eur(room.included_tax_eur, currency)
    nights = max(stay.days, 1)
    return {
        "currency": currency,
        "base": str(total - vat),
        "total": str(total),
        "taxes": [
            {"amount": str(vat), "currency": currency, "code": "VAT", "included": True,
             "pricingFrequency": "PER_STAY", "pricingMode": "PER_PRODUCT"},
            {"amount": str(inventory.convert_eur(room.city_tax_eur, currency)),
             "currency": currency, "code": "CITY_TAX", "included": False,
             "pricingFrequency": "PER_STAY", "pricingMode": "PER_OCCUPANT"},
        ],
        "variations": {
            "average": {"base": str(((total - vat) / nights).quantize(inventory.CENT))}
        },
    }  # fmt: skip


def _policies(
    hotel: inventory.SimHotel, room: inventory.SimRoom, currency: str
) -> dict[str, object]:
    """A flexible rate: free until its deadline (the hotel's local time, with its offset, as
    the spec says), then the first night; a non-refundable one: the full stay at once."""
    if room.free_cancellation_until is None:
        cancellations: list[dict[str, object]] = [
            {"type": "FULL_STAY", "amount": str(inventory.convert_eur(room.total_eur, currency))}
        ]
        refund = "NON_REFUNDABLE"
    else:
        deadline = inventory.hotel_time(hotel, room.free_cancellation_until)
        cancellations = [
            {
                "deadline": deadline.isoformat(timespec="seconds"),
                "amount": str(inventory.convert_eur(room.penalty_eur, currency)),
            }
        ]
        refund = "REFUNDABLE_UP_TO_DEADLINE"
    return {
        "paymentType": "guarantee",
        "cancellations": cancellations,
        "refundable": {"cancellationRefund": refund},
    }


def create_app(
    config: AmadeusSimConfig | None = None, fault_config: faults.FaultConfig | None = None
) -> web.Application:
    app = web.Application()
    app[CONFIG_KEY] = config or AmadeusSimConfig()
    app[TOKENS_KEY] = {}
    faults.install(app, fault_config or faults.FaultConfig(), error_body)
    app.middlewares.append(
        memoize(lambda request: request.method == "GET" and _authorized(request))
    )
    app.router.add_post("/v1/security/oauth2/token", token)
    app.router.add_get("/v2/shopping/flight-offers", flight_offers)
    app.router.add_post("/v1/shopping/flight-offers/pricing", flight_offers_pricing)
    app.router.add_get("/v1/reference-data/locations/hotels/by-city", hotels_by_city)
    app.router.add_get("/v3/shopping/hotel-offers", hotel_offers)
    return app
