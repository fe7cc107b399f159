"""An aiohttp app speaking LiteAPI v3.0's wire format over the shared inventory.

LiteAPI sells about two thirds of the inventory's hotels, spelt its own way ("Aurora Paris
Hotel" where the others write "Hotel Aurora Paris") and geocoded a few tens of metres off, so the
gateway merges them with the other providers' listings. It prices in the currency the search
asks for, as LiteAPI does (in USD when the simulator's small rate table lacks that currency).

The wire, as LiteAPI's OpenAPI spec (liteapi-travel/mcp-server `openapi-schemas/`) has it:
`X-API-Key` on every call (401 without it); `POST /v3.0/hotels/rates` (occupancies, one per
room, each `{"adults", "children": [ages]}`; the main query by coordinates and radius in metres,
or by hotel ids) answering offers (`roomTypes`, see `room_types`) with one rate per occupancy and
the hotels' data; `GET /v3.0/data/hotels?hotelIds=…` the static data; `POST /v3.0/rates/prebook`
(`{"offerId", "usePaymentSdk"}`, on the booking host, here the same server) the offer as sold
now, × `price_factor`, or gone (`offers_gone`); errors `{"error": {"code", "message",
"description"}}`.

"No availability" (code 2001) is answered with HTTP 200, as LiteAPI's error page says it is
("no availability on rates search returns HTTP 200 with code 2001",
docs.liteapi.travel/reference/api-errors-for-hotel-booking-workflow); the spec declares it under
204, which cannot carry a body.

Where LiteAPI publishes no rule (how it refuses children's ages), the simulator refuses what its
schema does not allow (ages that are not integers) and ages a child cannot have (outside 0–17),
as a 400 with code 4000, the search's documented "bad request".
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from aiohttp import web

from gateway import reference
from simulators.common import faults, inventory
from simulators.common.responses import json_response, memoize
from simulators.liteapi import room_types

API_PREFIX = "/v3.0"
"""Where the API lives on its host (`https://api.liteapi.travel/v3.0`)."""
PREBOOK_PATH = f"{API_PREFIX}/rates/prebook"
"""On LiteAPI's booking host (`https://book.liteapi.travel/v3.0`); here beside the rest."""

_COUNTRY = re.compile(r"[A-Z]{2}")
_MESSAGES = {
    400: "bad request",
    401: "Unauthorized",
    429: "Too many requests. Please try again later.",
    500: "internal server error",
    503: "service unavailable",
}


@dataclass(frozen=True, slots=True)
class LiteApiSimConfig:
    api_key: str | None = None
    """When set, only this key is accepted; otherwise any non-empty `X-API-Key`."""
    share_of_hotels: float = 0.65
    """Share of the shared inventory's hotels LiteAPI sells."""
    hotel_data_coordinates: bool = True
    """Whether the rates answer's `hotels[]` carries coordinates and stars, as the current spec
    declares; False answers as LiteAPI's older captures do (id, name, address, guest rating), so
    a client must ask `/data/hotels` for the rest."""
    fallback_currency: str = "USD"
    """The answer's currency when the simulator has no rate for the one asked for."""


CONFIG_KEY = web.AppKey("liteapi_config", LiteApiSimConfig)


class Invalid(Exception):
    def __init__(
        self,
        status: int,
        description: str | None = None,
        code: int = 4000,
        message: str | None = None,
    ) -> None:
        super().__init__(description)
        self.status, self.description, self.code = status, description, code
        self.message = message


def error_body(
    status: int,
    code: int | None = None,
    description: str | None = None,
    message: str | None = None,
) -> dict[str, object]:
    """LiteAPI's error envelope; `code` is the HTTP status unless LiteAPI has its own (4000…)."""
    error: dict[str, object] = {
        "code": code or status,
        "message": message or _MESSAGES.get(status, "error"),
    }
    if description:
        error["description"] = description
    return {"error": error}


NO_AVAILABILITY = {"error": {"code": 2001, "message": "no availability found"}}
"""LiteAPI's "no availability" (search.json's example), answered with HTTP 200."""
INVALID_INPUT = "required request field is missing or wrong input"
"""The message of LiteAPI's code 4002 (booking.json's prebook example)."""


def outdated_offer() -> Invalid:
    """How a prebook refuses an offer no longer on sale: booking.json's own example, under 408."""
    return Invalid(
        408,
        "outdated offerId",
        code=4040,
        message="this offer is marked as not valid, please refetch rates for this hotel",
    )


def _authorised(request: web.Request) -> bool:
    config = request.app[CONFIG_KEY]
    key = request.headers.get("X-API-Key", "")
    return bool(key) and (config.api_key is None or key == config.api_key)


def _refused(exc: Invalid) -> web.Response:
    return json_response(
        error_body(exc.status, exc.code, exc.description, exc.message), status=exc.status
    )


def _unauthorised() -> web.Response:
    return json_response(error_body(401), status=401)


# ------------------------------------------------------------------------------ the hotels


liteapi_id = room_types.liteapi_id


def spelling(hotel: inventory.SimHotel) -> str:
    """LiteAPI's way of writing an inventory name: "Hôtel Opéra" → "Opera Hotel", "The Soho
    Hotel" → "Soho Hotel", "Hilton Paris Opéra" → "Hilton Paris - Opera": independents' "Hotel"
    moved to the end, chains' districts after a dash, and accents dropped (its feed is ASCII for
    many suppliers), so the merge has to match names as a traveller would, not as strings."""
    name = hotel.name
    for word in ("Hotel", "Hôtel"):
        if name.startswith(f"{word} ") and not name.startswith(f"{word} Garni "):
            name = f"{name.removeprefix(f'{word} ')} {word}"
            break
    else:
        if name.startswith("The "):
            name = name.removeprefix("The ")
        elif name.endswith(f" {hotel.district}") and hotel.chain_code is not None:
            name = f"{name.removesuffix(f' {hotel.district}')} - {hotel.district}"
    return _ascii(name)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def geocoded(hotel: inventory.SimHotel) -> tuple[float, float]:
    """LiteAPI geocodes a little differently from the others: up to ~40 m off."""
    rng = inventory.seeded("liteapi-geo", hotel.id)
    return (
        round(hotel.latitude + rng.uniform(-0.00035, 0.00035), 6),
        round(hotel.longitude + rng.uniform(-0.00035, 0.00035), 6),
    )


def sells(hotel: inventory.SimHotel, share: float) -> bool:
    return inventory.seeded("liteapi-sells", hotel.id).random() < share


def _hotel_data(hotel: inventory.SimHotel, with_location: bool) -> dict[str, object]:
    """An entry of the rates answer's `hotels[]`."""
    city = reference.city(hotel.city_code)
    entry: dict[str, object] = {
        "id": liteapi_id(hotel),
        "name": spelling(hotel),
        "address": hotel.street,
        "rating": hotel.review_score,
    }
    if with_location:
        latitude, longitude = geocoded(hotel)
        if city is not None:
            entry |= {"country_code": city.country, "city_name": city.name}
        entry |= {
            "latitude": latitude,
            "longitude": longitude,
            "stars": hotel.rating,
            "review_count": hotel.review_count,
        }
    return entry


def _static_data(hotel: inventory.SimHotel) -> dict[str, object]:
    """An entry of `GET /data/hotels`: its own field names (`country`, `city`, `stars`)."""
    city = reference.city(hotel.city_code)
    latitude, longitude = geocoded(hotel)
    return {
        "id": liteapi_id(hotel),
        "name": spelling(hotel),
        "hotelDescription": "",
        "country": city.country.lower() if city else hotel.country.lower(),
        "city": city.name if city else hotel.city_code,
        "latitude": latitude,
        "longitude": longitude,
        "address": hotel.street,
        "stars": hotel.rating,
        "rating": hotel.review_score,
        "reviewCount": hotel.review_count,
        "chainId": 0,
        "chain": "Not Available",
    }


# ------------------------------------------------------------------------------ the search


@dataclass(frozen=True, slots=True)
class RatesSearch:
    stay: room_types.Stay
    """The dates, the occupancies (one per room) and the currency asked for."""
    hotels: tuple[inventory.SimHotel, ...]
    """Those the main query found, nearest the centre first."""
    max_rates: int | None
    include_hotel_data: bool


def _int(value: object, field: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Invalid(400, f"{field} must be an integer from {low} to {high}")
    return value


def _number(value: object, field: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise Invalid(400, f"{field} must be a number")
    return float(value)


def _parse_rates(payload: object, share: float) -> RatesSearch:
    if not isinstance(payload, dict):
        raise Invalid(400, "the body must be a JSON object")
    for field in ("occupancies", "currency", "guestNationality", "checkin", "checkout"):
        if field not in payload:
            raise Invalid(400, f"{field} is required")
    occupancies = payload["occupancies"]
    if not isinstance(occupancies, list) or not 1 <= len(occupancies) <= 9:
        raise Invalid(400, "occupancies must hold 1 to 9 rooms")
    parties = tuple(_occupancy(occupancy) for occupancy in occupancies)
    currency = payload["currency"]
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise Invalid(400, "currency must be an ISO 4217 code")
    nationality = payload["guestNationality"]
    if not isinstance(nationality, str) or not _COUNTRY.fullmatch(nationality):
        raise Invalid(400, "guestNationality must be an ISO 3166-1 alpha-2 code")
    try:
        check_in = date.fromisoformat(str(payload["checkin"]))
        check_out = date.fromisoformat(str(payload["checkout"]))
    except ValueError:
        raise Invalid(400, "checkin and checkout must be YYYY-MM-DD") from None
    if check_out <= check_in:
        raise Invalid(400, "checkout must be after checkin")
    if "timeout" in payload:
        _int(payload["timeout"], "timeout", 1, 120)
    limit = _int(payload.get("limit", 200), "limit", 1, 5000)
    max_rates = payload.get("maxRatesPerHotel")
    return RatesSearch(
        stay=room_types.Stay(check_in, check_out, parties, currency, nationality),
        hotels=_main_query(payload, share)[:limit],
        max_rates=None if max_rates is None else _int(max_rates, "maxRatesPerHotel", 1, 1000),
        include_hotel_data=payload.get("includeHotelData") is True or "hotelIds" not in payload,
    )


def _occupancy(value: object) -> room_types.Occupancy:
    """One room's guests: `adults` (required), `children` (ages, optional)."""
    if not isinstance(value, dict):
        raise Invalid(400, "each occupancy must be an object")
    adults = _int(value.get("adults"), "occupancies.adults", 1, 9)
    children = value.get("children", [])
    if not isinstance(children, list):
        raise Invalid(400, "occupancies.children must be a list of ages")
    ages = tuple(_int(age, "occupancies.children", 0, 17) for age in children)
    return room_types.Occupancy(adults, ages)


def _main_query(payload: dict[str, object], share: float) -> tuple[inventory.SimHotel, ...]:
    """The hotels LiteAPI sells that the main query names: by ids, or around a point."""
    if "hotelIds" in payload:
        ids = payload["hotelIds"]
        if not isinstance(ids, list) or not ids:
            raise Invalid(400, "hotelIds must be a list of hotel ids")
        found = [room_types.hotel_of(str(hotel_id)) for hotel_id in ids]
        known = tuple(h for h in found if h is not None and sells(h, share))
        if not known:
            raise Invalid(400, "hotel ids not found")
        return known
    if "latitude" in payload or "longitude" in payload:
        latitude = _number(payload.get("latitude"), "latitude")
        longitude = _number(payload.get("longitude"), "longitude")
        radius_m = _int(payload.get("radius"), "radius", 1, 1_000_000)
        city = reference.nearest_city(latitude, longitude)
        return tuple(
            hotel
            for hotel in (inventory.hotels(city.code) if city else ())
            if sells(hotel, share)
            and reference.distance_km(latitude, longitude, *geocoded(hotel)) * 1000 <= radius_m
        )
    raise Invalid(
        400, "a main query is required: hotelIds, or latitude, longitude and radius (simulated)"
    )


async def _read_json(request: web.Request) -> object:
    try:
        return json.loads(await request.read())
    except ValueError:
        raise Invalid(400, "the body is not valid JSON") from None


async def rates(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    if not _authorised(request):
        return _unauthorised()
    try:
        search = _parse_rates(await _read_json(request), config.share_of_hotels)
    except Invalid as exc:
        return _refused(exc)
    stay = search.stay
    if stay.currency not in inventory.SIMULATOR_EUR_RATES:
        stay = replace(stay, currency=config.fallback_currency)
    data, hotels = [], []
    for hotel in search.hotels:
        offered = room_types.rooms_on_sale(hotel, stay)
        if not offered:
            continue
        data.append(
            {
                "hotelId": liteapi_id(hotel),
                "roomTypes": [
                    room_types.offer(hotel, room, total, stay)
                    for room, total in offered[: search.max_rates or None]
                ],
            }
        )
        hotels.append(_hotel_data(hotel, config.hotel_data_coordinates))
    if not data:
        return json_response(NO_AVAILABILITY)
    answer: dict[str, object] = {
        "data": data,
        "guestLevel": 0,
        "sandbox": request.headers.get("X-API-Key", "").startswith("sand_"),
    }
    if search.include_hotel_data:
        answer["hotels"] = hotels
    return json_response(answer)


async def hotels_list(request: web.Request) -> web.Response:
    """`GET /data/hotels`: the static list, here only by `hotelIds` (what the gateway asks)."""
    if not _authorised(request):
        return _unauthorised()
    raw = request.query.get("hotelIds", "")
    if not raw:
        return _refused(Invalid(400, "a main query is required: hotelIds (simulated)"))
    limit = request.query.get("limit", "200")
    if not limit.isdigit() or not 1 <= int(limit) <= 5000:
        return _refused(Invalid(400, "limit must be an integer from 1 to 5000"))
    found = [room_types.hotel_of(hotel_id.strip()) for hotel_id in raw.split(",")]
    listed = [_static_data(hotel) for hotel in found if hotel is not None][: int(limit)]
    return json_response(
        {"data": listed, "hotelIds": [entry["id"] for entry in listed], "total": len(listed)}
    )


async def prebook(request: web.Request) -> web.Response:
    """`POST /rates/prebook`: the offer its id names, as sold now (× `price_factor`), or
    LiteAPI's "outdated offerId" when it is no longer on sale (`offers_gone`, a past check-in,
    a room the hotel no longer sells)."""
    if not _authorised(request):
        return _unauthorised()
    try:
        offer_id, use_sdk = _parse_prebook(request, await _read_json(request))
        found = room_types.read_offer_id(offer_id)
        if found is None:
            raise Invalid(400, "invalid offerId", code=4002, message=INVALID_INPUT)
        hotel, room_id, stay = found
        if faults.offers_gone(request) or stay.check_in < date.today():
            raise outdated_offer()
        on_sale = {room.id: (room, total) for room, total in room_types.rooms_on_sale(hotel, stay)}
        if room_id not in on_sale:
            raise outdated_offer()
    except Invalid as exc:
        return _refused(exc)
    room, listed = on_sale[room_id]
    total = Decimal(faults.repriced(request, str(listed)))
    offer = room_types.offer(hotel, room, total, stay)
    sold = room_types.amounts(hotel, room, total, stay)
    data: dict[str, object] = {
        "prebookId": room_types.prebook_id(offer_id),
        "offerId": offer_id,
        "hotelId": liteapi_id(hotel),
        "checkin": stay.check_in.isoformat(),
        "checkout": stay.check_out.isoformat(),
        "currency": stay.currency,
        "termsAndConditions": "",
        "roomTypes": [{"rates": offer["rates"]}],
        "suggestedSellingPrice": {
            **room_types.money(sold.floor, stay.currency),
            "source": sold.source,
        },
        "commission": room_types.amount(sold.commission),
        "price": room_types.amount(total),
        "priceType": "commission",
        "priceDifferencePercent": round((total - listed) * 100 / listed),
        "cancellationChanged": False,
        "boardChanged": False,
        "supplier": "nuitee",
        "supplierId": 2,
        "paymentTypes": ["NUITEE_PAY"],
    }
    if use_sdk:
        data |= {
            "transactionId": f"tr_sim_{room_types.prebook_id(offer_id, 'transaction')}",
            "secretKey": f"pi_sim_{room_types.prebook_id(offer_id, 'secret')}_secret",
        }
    return json_response({"data": data, "guestLevel": 0})


def _parse_prebook(request: web.Request, payload: object) -> tuple[str, bool]:
    """(offerId, usePaymentSdk), both required by LiteAPI's booking.json; `timeout` (query)
    an integer when given."""
    timeout = request.query.get("timeout")
    if timeout is not None and not (timeout.isdigit() and 1 <= int(timeout) <= 120):
        raise Invalid(400, "timeout must be an integer from 1 to 120", code=4002)
    if not isinstance(payload, dict):
        raise Invalid(400, "the body must be a JSON object", code=4002, message=INVALID_INPUT)
    offer_id, use_sdk = payload.get("offerId"), payload.get("usePaymentSdk")
    if not isinstance(offer_id, str) or not offer_id:
        raise Invalid(400, "offerId field missing or empty", code=4002, message=INVALID_INPUT)
    if not isinstance(use_sdk, bool):
        raise Invalid(400, "usePaymentSdk must be true or false", code=4002, message=INVALID_INPUT)
    return offer_id, use_sdk


def create_app(
    config: LiteApiSimConfig | None = None, fault_config: faults.FaultConfig | None = None
) -> web.Application:
    app = web.Application()
    app[CONFIG_KEY] = config or LiteApiSimConfig()
    faults.install(app, fault_config or faults.FaultConfig(), error_body)
    # A prebook answers as the re-pricing switches say now: never replayed.
    app.middlewares.append(memoize(lambda r: _authorised(r) and r.path != PREBOOK_PATH))
    app.router.add_post(f"{API_PREFIX}/hotels/rates", rates)
    app.router.add_get(f"{API_PREFIX}/data/hotels", hotels_list)
    app.router.add_post(PREBOOK_PATH, prebook)
    return app
