"""An aiohttp app speaking the Duffel API v2 wire format over the shared inventory.

Duffel sells most (not all) of the same flights as the Amadeus simulator, at slightly different
prices, so the gateway sees overlapping inventory as it would in production.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from gateway import reference
from gateway.simulator import faults, inventory
from gateway.simulator.inventory import Journey
from gateway.simulator.responses import json_response, memoize

_CODE = re.compile(r"^[A-Z]{3}$")
_CABINS = {
    "economy": "ECONOMY",
    "premium_economy": "PREMIUM_ECONOMY",
    "business": "BUSINESS",
    "first": "FIRST",
}
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    422: "validation_error",
    429: "rate_limit_error",
}


@dataclass(frozen=True, slots=True)
class DuffelSimConfig:
    access_token: str | None = None
    """When set, only this token is accepted; otherwise any non-empty bearer token."""
    currency: str = "GBP"
    """Duffel prices in the account's currency, whatever the market."""
    share_of_flights: float = 0.75
    """Share of the shared inventory's journeys Duffel sells."""
    share_of_hotels: float = 0.7
    """Share of the shared inventory's hotels Stays sells."""
    share_without_rates: float = 0.25
    """Share of search results that come without rooms (their rates must be fetched)."""
    rate_limit_per_minute: int | None = None
    """Requests Duffel accepts per minute before a 429; None: a generous window, announced."""


CONFIG_KEY = web.AppKey("duffel_config", DuffelSimConfig)
RESULTS_KEY = web.AppKey("duffel_results", OrderedDict)
"""Search results by id, whole (rooms included), for `fetch_all_rates`."""
WINDOW_KEY = web.AppKey("duffel_window", list)
"""[window start (loop time), requests counted in it]."""
RESULTS_KEPT = 50_000
"""Enough that a result outlives the time to its `fetch_all_rates` at any load we drive: 200
clients each with a search of ~40 results in flight is 8,000 (4,096 was too few: the
benchmark's gateway got 404s at 200 clients). Answers are memoised, so entries mostly share
their dicts; the bound only caps a long demo's growth."""
OFFERS_KEY = web.AppKey("duffel_offers", OrderedDict)
"""Flight offers by id, as first answered, for `GET /air/offers/{id}`."""
OFFERS_KEPT = 50_000
ANNOUNCED_LIMIT = 1_000_000
"""Announced per minute when no limit is configured: high enough that a client honouring the
headers (the gateway does) is never held back by a window that is not enforced — the
benchmark's hundreds of searches a second once spent a 6,000 window and silently left Duffel
out of the gateway's designs only."""


class Invalid(Exception):
    def response(self) -> web.Response:
        """Duffel's error body for this refusal."""
        return json_response(
            error_body(self.status, self.code, self.title, self.message, self.field),
            status=self.status,
        )

    def __init__(self, status: int, code: str, title: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.title, self.message, self.field = (
            status,
            code,
            title,
            message,
            field,
        )


_TITLES = {
    401: ("invalid_authorization_header", "Invalid authorization header"),
    429: ("rate_limit_exceeded", "Rate limit exceeded"),
    500: ("internal_server_error", "Internal server error"),
    503: ("service_unavailable", "Service unavailable"),
}


def error_body(
    status: int,
    code: str | None = None,
    title: str | None = None,
    message: str = "An error occurred",
    field: str | None = None,
) -> dict[str, object]:
    known_code, known_title = _TITLES.get(
        status, ("internal_server_error", "Internal server error")
    )
    code, title = code or known_code, title or known_title
    error: dict[str, object] = {
        "type": _ERROR_TYPES.get(status, "api_error"),
        "code": code,
        "title": title,
        "message": message,
        "documentation_url": "https://duffel.com/docs/api/overview/errors",
    }
    if field is not None:
        error["source"] = {"field": field, "pointer": f"/{field.replace('.', '/')}"}
    return {"meta": {"status": status, "request_id": uuid.uuid4().hex[:20]}, "errors": [error]}


def _check_headers(request: web.Request) -> None:
    config = request.app[CONFIG_KEY]
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
    if not token or (config.access_token is not None and token != config.access_token):
        raise Invalid(
            401,
            "invalid_authorization_header",
            "Invalid authorization header",
            "The Authorization header must be 'Bearer <your access token>'",
        )
    if request.headers.get("Duffel-Version") != "v2":
        raise Invalid(
            400,
            "unsupported_version",
            "Unsupported version",
            "The Duffel-Version header must be set to a supported version: v2",
        )


def _valid_headers(request: web.Request) -> bool:
    try:
        _check_headers(request)
    except Invalid:
        return False
    return True


def _parse_request(payload: object) -> tuple[list[dict[str, object]], list[str], str, int]:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise Invalid(422, "invalid_body", "Invalid body", 'The body must be {"data": {...}}')
    data = payload["data"]
    slices = data.get("slices")
    if not isinstance(slices, list) or not 1 <= len(slices) <= 2:
        raise Invalid(
            422,
            "validation_required",
            "Field is invalid",
            "slices must hold 1 or 2 slices",
            "data.slices",
        )
    for index, sl in enumerate(slices):
        if not isinstance(sl, dict):
            raise Invalid(
                422,
                "validation_format",
                "Field is invalid",
                "slice must be an object",
                f"data.slices.{index}",
            )
        for key in ("origin", "destination"):
            code = sl.get(key)
            if (
                not isinstance(code, str)
                or not _CODE.match(code)
                or not reference.is_location(code)
            ):
                raise Invalid(
                    422,
                    "airport_not_found",
                    "Field is invalid",
                    f"{key} must be a known IATA code",
                    f"data.slices.{index}.{key}",
                )
        try:
            date.fromisoformat(str(sl.get("departure_date")))
        except ValueError:
            raise Invalid(
                422,
                "validation_format",
                "Field is invalid",
                "departure_date must be a date",
                f"data.slices.{index}.departure_date",
            ) from None
    passengers = data.get("passengers")
    if not isinstance(passengers, list) or not passengers:
        raise Invalid(
            422,
            "validation_required",
            "Field is invalid",
            "passengers is required",
            "data.passengers",
        )
    kinds = []
    for passenger in passengers:
        kind = passenger.get("type") if isinstance(passenger, dict) else None
        age = passenger.get("age") if isinstance(passenger, dict) else None
        if kind is not None and age is not None:
            raise Invalid(
                422,
                "validation_format",
                "Field is invalid",
                "a passenger has a type or an age, not both",
                "data.passengers",
            )
        if isinstance(age, int):
            kind = "adult" if age >= 18 else "child" if age >= 2 else "infant_without_seat"
        if kind not in ("adult", "child", "infant_without_seat"):
            raise Invalid(
                422,
                "validation_format",
                "Field is invalid",
                "unknown passenger type",
                "data.passengers",
            )
        kinds.append(kind)
    cabin = data.get("cabin_class", "economy")
    if cabin not in _CABINS:
        raise Invalid(
            422, "validation_format", "Field is invalid", "unknown cabin_class", "data.cabin_class"
        )
    max_connections = data.get("max_connections", 1)
    if max_connections not in (0, 1, 2):
        raise Invalid(
            422,
            "validation_format",
            "Field is invalid",
            "max_connections must be 0 to 2",
            "data.max_connections",
        )
    return slices, kinds, _CABINS[cabin], max_connections


def _sells(journey: Journey, share: float) -> bool:
    return inventory.seeded("duffel-sells", journey.key).random() < share


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"PT{hours:02d}H{rest:02d}M"


def _offer_id(*parts: object) -> str:
    return "off_" + hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=11).hexdigest()


async def _read_request(request: web.Request) -> object:
    """The JSON body of an authorised, versioned request; `Invalid` otherwise."""
    _check_headers(request)
    try:
        return json.loads(await request.read())
    except ValueError:
        raise Invalid(400, "invalid_json", "Invalid JSON", "The body is not valid JSON") from None


async def offer_requests(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    try:
        payload = await _read_request(request)
        slices, passengers, cabin, max_connections = _parse_request(payload)
    except Invalid as exc:
        return exc.response()

    per_slice = []
    for sl in slices:
        found = inventory.journeys(
            str(sl["origin"]), str(sl["destination"]), date.fromisoformat(str(sl["departure_date"]))
        )
        per_slice.append(
            [
                j
                for j in found
                if len(j.legs) - 1 <= max_connections and _sells(j, config.share_of_flights)
            ]
        )
    combos: list[tuple[Journey, ...]]
    if len(per_slice) == 2:
        combos = list(inventory.round_trips(per_slice[0], per_slice[1]))
    else:
        combos = [(journey,) for journey in per_slice[0]]

    adults = passengers.count("adult")
    children = passengers.count("child")
    infants = passengers.count("infant_without_seat")
    request_id = "orq_" + uuid.uuid4().hex[:22]
    # Duffel's offers hold for about 30 minutes (its docs), from the search.
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    offers = []
    for combo, brand, fare_eur in inventory.priced(combos, cabin, adults, children, infants):
        key = "+".join(journey.key for journey in combo)
        markup = Decimal(str(inventory.seeded("duffel-price", key).uniform(0.95, 1.07)))
        total = inventory.convert_eur(fare_eur * markup, config.currency)
        offer_id = _offer_id(key, cabin, brand.code, passengers)
        sold = Sold(total, config.currency, cabin, passengers, expires)
        offers.append(_offer(offer_id, combo, brand, sold))
    kept = request.app[OFFERS_KEY]
    for offer in offers:
        kept[offer["id"]] = offer
        kept.move_to_end(offer["id"])
    while len(kept) > OFFERS_KEPT:
        kept.popitem(last=False)
    return json_response(
        {
            "data": {
                "id": request_id,
                "live_mode": False,
                "cabin_class": cabin.lower(),
                "slices": [
                    {
                        "origin_type": "airport",
                        "origin": {"iata_code": sl["origin"]},
                        "destination": {"iata_code": sl["destination"]},
                        "departure_date": sl["departure_date"],
                    }
                    for sl in slices
                ],
                "passengers": [
                    {"type": kind, "id": f"pas_{i}"} for i, kind in enumerate(passengers)
                ],
                "offers": offers,
            },
        },
        status=201,
    )


@dataclass(frozen=True, slots=True)
class Sold:
    """How an offer is sold: its total, to whom, in which cabin, until when."""

    total: Decimal
    currency: str
    cabin: str
    passengers: list[str]
    """Each passenger's type: adult, child, infant_without_seat."""
    expires: datetime


def _condition(allowed: bool, penalty: Decimal | None, currency: str) -> dict[str, object]:
    """Duffel's shape: a penalty only where allowed (0.00 when free)."""
    amount = (penalty if penalty is not None else Decimal("0.00")) if allowed else None
    return {
        "allowed": allowed,
        "penalty_amount": str(amount) if amount is not None else None,
        "penalty_currency": currency if amount is not None else None,
    }


def _offer(
    offer_id: str, combo: tuple[Journey, ...], brand: inventory.FareBrand, sold: Sold
) -> dict[str, object]:
    """One offer: the journeys in one fare brand (each brand of the same flights is its own
    offer, as Duffel answers), carriers and aircraft named in Duffel's mixed case."""
    total, currency, cabin = sold.total, sold.currency, sold.cabin
    tax = (total * Decimal("0.18")).quantize(total)
    owner = combo[0].legs[0].airline
    seated = sum(1 for kind in sold.passengers if kind != "infant_without_seat")
    change_fee = None
    if brand.change_fee_eur is not None:
        change_fee = inventory.convert_eur(brand.change_fee_eur * len(sold.passengers), currency)
    fare_basis = inventory.fare_basis(combo, cabin, brand)
    return {
        "id": offer_id,
        "total_amount": str(total),
        "total_currency": currency,
        "base_amount": str(total - tax),
        "base_currency": currency,
        "tax_amount": str(tax),
        "tax_currency": currency,
        "total_emissions_kg": str(inventory.co2_kg(combo, cabin, seated)),
        "expires_at": sold.expires.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "live_mode": False,
        "owner": {"iata_code": owner.code, "name": owner.name},
        "passengers": [
            {"id": f"pas_{i}", "type": kind, "age": None} for i, kind in enumerate(sold.passengers)
        ],
        "conditions": {
            "change_before_departure": _condition(brand.changeable, change_fee, currency),
            "refund_before_departure": _condition(brand.refundable, None, currency),
        },
        "slices": [
            {
                "id": f"sli_{offer_id[4:14]}{index}",
                "origin": {"iata_code": journey.legs[0].origin.code},
                "destination": {"iata_code": journey.legs[-1].destination.code},
                "duration": _duration(journey.minutes),
                "fare_brand_name": brand.name,
                "segments": [
                    {
                        "id": f"seg_{offer_id[4:14]}{index}{n}",
                        "origin": {"iata_code": leg.origin.code, "time_zone": leg.origin.timezone},
                        "destination": {
                            "iata_code": leg.destination.code,
                            "time_zone": leg.destination.timezone,
                        },
                        "origin_terminal": leg.origin_terminal,
                        "destination_terminal": leg.destination_terminal,
                        "departing_at": leg.departs.isoformat(),
                        "arriving_at": leg.arrives.isoformat(),
                        "duration": _duration(leg.minutes),
                        "marketing_carrier": {
                            "iata_code": leg.airline.code,
                            "name": leg.airline.name,
                        },
                        "marketing_carrier_flight_number": leg.number,
                        "operating_carrier": {
                            "iata_code": leg.airline.code,
                            "name": leg.airline.name,
                        },
                        "operating_carrier_flight_number": leg.number,
                        "aircraft": {
                            "iata_code": leg.aircraft,
                            "name": inventory.AIRCRAFT[leg.aircraft],
                        },
                        "passengers": [
                            {
                                "passenger_id": f"pas_{i}",
                                "cabin_class": cabin.lower(),
                                "cabin_class_marketing_name": f"{cabin.title()} {brand.name}",
                                "fare_basis_code": fare_basis,
                                "baggages": [
                                    {"type": "checked", "quantity": brand.checked_bags},
                                    {"type": "carry_on", "quantity": brand.cabin_bags},
                                ],
                            }
                            for i in range(len(sold.passengers))
                        ],
                    }
                    for n, leg in enumerate(journey.legs)
                ],
            }
            for index, journey in enumerate(combo)
        ],
    }


def _parse_stays(payload: object) -> tuple[date, date, int, int, float, float, float]:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise Invalid(422, "invalid_body", "Invalid body", 'The body must be {"data": {...}}')
    try:
        check_in = date.fromisoformat(str(data.get("check_in_date")))
        check_out = date.fromisoformat(str(data.get("check_out_date")))
    except ValueError:
        raise Invalid(
            422,
            "validation_format",
            "Field is invalid",
            "dates must be YYYY-MM-DD",
            "data.check_in_date",
        ) from None
    if check_out <= check_in:
        raise Invalid(
            422,
            "validation_format",
            "Field is invalid",
            "check_out_date must be after check_in_date",
            "data.check_out_date",
        )
    rooms = data.get("rooms", 1)
    guests = data.get("guests")
    if not isinstance(rooms, int) or not 1 <= rooms <= 9:
        raise Invalid(
            422, "validation_format", "Field is invalid", "rooms must be 1 to 9", "data.rooms"
        )
    if not isinstance(guests, list) or not guests:
        raise Invalid(
            422, "validation_required", "Field is invalid", "guests is required", "data.guests"
        )
    location = data.get("location")
    coordinates = location.get("geographic_coordinates") if isinstance(location, dict) else None
    missing = Invalid(
        422,
        "validation_required",
        "Field is invalid",
        "location.geographic_coordinates is required",
        "data.location",
    )
    if not isinstance(location, dict) or not isinstance(coordinates, dict):
        raise missing
    try:
        latitude = float(coordinates["latitude"])
        longitude = float(coordinates["longitude"])
        radius = float(location.get("radius", 5))
    except (KeyError, TypeError, ValueError):
        raise missing from None
    return check_in, check_out, rooms, len(guests), latitude, longitude, radius


def _jitter(hotel: inventory.SimHotel) -> tuple[float, float]:
    """Stays geocodes a little differently from Amadeus: up to ~60 m off."""
    rng = inventory.seeded("stays-geo", hotel.id)
    return (
        round(hotel.latitude + rng.uniform(-0.0004, 0.0004), 6),
        round(hotel.longitude + rng.uniform(-0.0004, 0.0004), 6),
    )


async def stays_search(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    try:
        payload = await _read_request(request)
        check_in, check_out, rooms, adults, latitude, longitude, radius = _parse_stays(payload)
    except Invalid as exc:
        return exc.response()
    city = reference.nearest_city(latitude, longitude)
    results: list[dict[str, Any]] = []
    for hotel in inventory.hotels(city.code) if city else ():
        if reference.distance_km(latitude, longitude, hotel.latitude, hotel.longitude) > radius:
            continue
        if inventory.seeded("stays-sells", hotel.id).random() >= config.share_of_hotels:
            continue
        offered = inventory.rooms(hotel, check_in, check_out, adults, rooms)
        if not offered:
            continue
        markup = Decimal(
            str(inventory.seeded("stays-price", hotel.id, check_in).uniform(0.93, 1.08))
        )
        prices = [
            inventory.convert_eur(room.total_eur * markup, config.currency) for room in offered
        ]
        lat, lon = _jitter(hotel)
        accommodation_id = "acc_" + hashlib.blake2b(hotel.id.encode(), digest_size=10).hexdigest()
        result_id = (
            "srr_"
            + hashlib.blake2b(
                f"{hotel.id}{check_in}{check_out}{rooms}{adults}{config.currency}".encode(),
                digest_size=10,
            ).hexdigest()
        )
        results.append(
            {
                "id": result_id,
                "check_in_date": check_in.isoformat(),
                "check_out_date": check_out.isoformat(),
                "rooms": rooms,
                "cheapest_rate_total_amount": str(min(prices)),
                "cheapest_rate_currency": config.currency,
                "accommodation": {
                    "id": accommodation_id,
                    "name": hotel.name,
                    "rating": hotel.rating,
                    "review_score": hotel.review_score,
                    "review_count": hotel.review_count,
                    "amenities": [
                        {"type": amenity, "description": amenity.replace("_", " ").capitalize()}
                        for amenity in hotel.amenities
                    ],
                    **({"chain": {"code": hotel.chain_code}} if hotel.chain_code else {}),
                    "location": {
                        "geographic_coordinates": {"latitude": lat, "longitude": lon},
                        "address": {
                            "line_one": hotel.street,
                            "postal_code": hotel.postal_code,
                            "city_name": city.name if city else None,
                            "country_code": hotel.country,
                        },
                    },
                    "rooms": [
                        {
                            "name": room.description,
                            "rates": [_rate(hotel, room, markup, check_in, config.currency)],
                        }
                        for room in offered
                    ],
                },
            }
        )
    kept = request.app[RESULTS_KEY]
    answered = []
    for result in results:
        kept[result["id"]] = result
        kept.move_to_end(result["id"])
        without = inventory.seeded("stays-no-rates", result["id"]).random()
        if without < config.share_without_rates:
            # As the real search does at times: the hotel and its cheapest rate, no rooms.
            accommodation: dict[str, Any] = result["accommodation"]
            result = {**result, "accommodation": {**accommodation, "rooms": []}}
        answered.append(result)
    while len(kept) > RESULTS_KEPT:
        kept.popitem(last=False)
    return json_response({"data": {"results": answered, "created_at": None}})


def _rate(
    hotel: inventory.SimHotel,
    room: inventory.SimRoom,
    markup: Decimal,
    check_in: date,
    currency: str,
) -> dict[str, Any]:
    """A Stays rate: `total_amount` holds the taxes (`tax_amount`), not the city tax
    (`due_at_accommodation_amount`). A flexible rate's timeline refunds everything until the
    deadline, then all but the first night until arrival; a non-refundable one's is empty."""

    def price(eur: Decimal) -> Decimal:
        return inventory.convert_eur(eur * markup, currency)

    total, tax = price(room.total_eur), price(room.included_tax_eur)
    timeline = []
    if room.free_cancellation_until is not None:
        arrival = datetime.combine(check_in, clock_time(15), ZoneInfo(hotel.timezone))
        timeline = [
            {
                "refund_amount": str(total),
                "before": _utc(room.free_cancellation_until),
                "currency": currency,
            },
            {
                "refund_amount": str(total - price(room.penalty_eur)),
                "before": _utc(arrival),
                "currency": currency,
            },
        ]
    return {
        "id": f"rat_{room.id.lower()}",
        "total_amount": str(total),
        "total_currency": currency,
        "base_amount": str(total - tax),
        "base_currency": currency,
        "tax_amount": str(tax),
        "tax_currency": currency,
        "fee_amount": None,
        "fee_currency": currency,
        "due_at_accommodation_amount": str(inventory.convert_eur(room.city_tax_eur, currency)),
        "due_at_accommodation_currency": currency,
        "board_type": room.board_type.lower(),
        "cancellation_timeline": timeline,
        "payment_type": "pay_now",
    }


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def get_offer(request: web.Request) -> web.Response:
    """`GET /air/offers/{id}`: the offer as sold now — its price × `price_factor`; 422
    `offer_no_longer_available` when `offers_gone`; 404 for an id never answered."""
    try:
        _check_headers(request)
    except Invalid as exc:
        return exc.response()
    offer = request.app[OFFERS_KEY].get(request.match_info["offer_id"])
    if offer is None:
        return json_response(
            error_body(
                404,
                "not_found",
                "Not found",
                "The resource you are trying to access does not exist.",
            ),
            status=404,
        )
    if faults.offers_gone(request):
        return json_response(
            error_body(
                422,
                "offer_no_longer_available",
                "Offer no longer available",
                "The requested offer is no longer available, please select another offer.",
            ),
            status=422,
        )
    now = dict(offer)
    for field in ("total_amount", "base_amount", "tax_amount"):
        if now.get(field) is not None:
            now[field] = faults.repriced(request, str(now[field]))
    return json_response({"data": now})


async def fetch_all_rates(request: web.Request) -> web.Response:
    """`POST /stays/search_results/{id}/actions/fetch_all_rates`: the result with its rooms."""
    try:
        _check_headers(request)
    except Invalid as exc:
        return exc.response()
    result = request.app[RESULTS_KEY].get(request.match_info["result_id"])
    if result is None:
        return json_response(
            error_body(404, "not_found", "Not found", "The search result was not found"),
            status=404,
        )
    return json_response({"data": result})


@web.middleware
async def rate_window(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Duffel's `ratelimit-*` headers on every answer, and a 429 past the configured limit."""
    if request.path.startswith("/__sim/"):
        return await handler(request)
    limit = request.app[CONFIG_KEY].rate_limit_per_minute
    window = request.app[WINDOW_KEY]
    now = time.time()
    if now - window[0] >= 60:
        window[0], window[1] = now, 0
    window[1] += 1
    announced = limit if limit is not None else ANNOUNCED_LIMIT
    remaining = max(announced - window[1], 0)
    headers = {
        "ratelimit-limit": str(announced),
        "ratelimit-remaining": str(remaining),
        "ratelimit-reset": email.utils.formatdate(window[0] + 60, usegmt=True),
    }
    if limit is not None and window[1] > limit:
        response: web.StreamResponse = json_response(error_body(429), status=429)
    else:
        response = await handler(request)
    response.headers.update(headers)
    return response


def create_app(
    config: DuffelSimConfig | None = None, fault_config: faults.FaultConfig | None = None
) -> web.Application:
    app = web.Application()
    app[CONFIG_KEY] = config or DuffelSimConfig()
    app[RESULTS_KEY] = OrderedDict()
    app[OFFERS_KEY] = OrderedDict()
    app[WINDOW_KEY] = [0.0, 0]
    faults.install(app, fault_config or faults.FaultConfig(), error_body)
    app.middlewares.append(rate_window)
    # Offers expire 30 minutes after the search: replayed for a minute at most.
    # A single offer is never replayed: it answers the price as it is now.
    app.middlewares.append(
        memoize(
            lambda request: _valid_headers(request) and not request.path.startswith("/air/offers/"),
            max_age_s=60,
        )
    )
    app.router.add_post("/air/offer_requests", offer_requests)
    app.router.add_get("/air/offers/{offer_id}", get_offer)
    app.router.add_post("/stays/search", stays_search)
    app.router.add_post(
        "/stays/search_results/{result_id}/actions/fetch_all_rates", fetch_all_rates
    )
    return app
