"""An aiohttp app speaking LiteAPI v3.0's wire format over the shared inventory.

LiteAPI sells about two thirds of the inventory's hotels, spelt its own way ("Aurora Paris
Hotel" where the others write "Hotel Aurora Paris") and geocoded a few tens of metres off, so the
gateway merges them with the other providers' listings. It prices in the currency the search
asks for, as LiteAPI does (in USD when the simulator's small rate table lacks that currency).

The wire, as LiteAPI's OpenAPI spec has it: `X-API-Key` on every call (401 without it),
`POST /v3.0/hotels/rates` (occupancies, one per room; the main query by coordinates and radius in
metres, or by hotel ids) answering offers (`roomTypes`) with one rate per occupancy and the
hotels' data; "no availability" is code 2001, declared under HTTP 204, which carries no body;
`GET /v3.0/data/hotels?hotelIds=…` the static data; errors `{"error": {"code", "message",
"description"}}`.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from aiohttp import web

from gateway import reference
from gateway.simulator import faults, inventory
from gateway.simulator.responses import json_response, memoize

API_PREFIX = "/v3.0"
"""Where the API lives on its host (`https://api.liteapi.travel/v3.0`)."""

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_BOARDS = {
    "ROOM_ONLY": ("RO", "Room Only"),
    "BREAKFAST": ("BI", "Breakfast Included"),
    "HALF_BOARD": ("HB", "Half Board"),
}
"""The inventory's boards as LiteAPI's sandbox writes them."""
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
    def __init__(self, status: int, description: str | None = None, code: int = 4000) -> None:
        super().__init__(description)
        self.status, self.description, self.code = status, description, code


def error_body(
    status: int, code: int | None = None, description: str | None = None
) -> dict[str, object]:
    """LiteAPI's error envelope; `code` is the HTTP status unless LiteAPI has its own (4000…)."""
    error: dict[str, object] = {
        "code": code or status,
        "message": _MESSAGES.get(status, "error"),
    }
    if description:
        error["description"] = description
    return {"error": error}


def _authorised(request: web.Request) -> bool:
    config = request.app[CONFIG_KEY]
    key = request.headers.get("X-API-Key", "")
    return bool(key) and (config.api_key is None or key == config.api_key)


def _refused(exc: Invalid) -> web.Response:
    return json_response(error_body(exc.status, exc.code, exc.description), status=exc.status)


def _unauthorised() -> web.Response:
    return json_response(error_body(401), status=401)


# ------------------------------------------------------------------------------ the hotels


def liteapi_id(hotel: inventory.SimHotel) -> str:
    """LiteAPI's id for an inventory hotel (`lp…`), from which the hotel can be found again."""
    return f"lp{hotel.id.lower()}"


def _hotel_of(liteapi_hotel_id: str) -> inventory.SimHotel | None:
    """The inventory hotel behind an id: its city code is in it (`lp` + chain + city + n)."""
    if not liteapi_hotel_id.startswith("lp"):
        return None
    own = liteapi_hotel_id.removeprefix("lp").upper()
    return next((h for h in inventory.hotels(own[2:5]) if h.id == own), None)


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
        entry |= {
            "country_code": city.country if city else None,
            "city_name": city.name if city else None,
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
        "country": city.country.lower() if city else None,
        "city": city.name if city else None,
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
    check_in: date
    check_out: date
    adults: tuple[int, ...]
    """Adults of each occupancy: one occupancy per room."""
    currency: str
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
    adults = tuple(
        _int(o.get("adults") if isinstance(o, dict) else None, "occupancies.adults", 1, 9)
        for o in occupancies
    )
    currency = payload["currency"]
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise Invalid(400, "currency must be an ISO 4217 code")
    nationality = payload["guestNationality"]
    if not isinstance(nationality, str) or not _COUNTRY.match(nationality):
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
        check_in=check_in,
        check_out=check_out,
        adults=adults,
        currency=currency,
        hotels=_main_query(payload, share)[:limit],
        max_rates=None if max_rates is None else _int(max_rates, "maxRatesPerHotel", 1, 1000),
        include_hotel_data=payload.get("includeHotelData") is True or "hotelIds" not in payload,
    )


def _main_query(payload: dict[str, object], share: float) -> tuple[inventory.SimHotel, ...]:
    """The hotels LiteAPI sells that the main query names: by ids, or around a point."""
    if "hotelIds" in payload:
        ids = payload["hotelIds"]
        if not isinstance(ids, list) or not ids:
            raise Invalid(400, "hotelIds must be a list of hotel ids")
        found = [_hotel_of(str(hotel_id)) for hotel_id in ids]
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


def _token(*parts: object) -> str:
    """An opaque, stable id: upper-case letters and digits, as LiteAPI's ids look."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=20).hexdigest()
    return digest.upper()


def _amount(value: Decimal) -> int | float:
    """A JSON number, as LiteAPI sends amounts."""
    return int(value) if value == value.to_integral_value() else float(value)


def _money(value: Decimal, currency: str) -> dict[str, object]:
    return {"amount": _amount(value), "currency": currency}


def _part(amount: Decimal, factor: str) -> Decimal:
    """A share of an amount (commission, tax, suggested price), to the cent."""
    return (amount * Decimal(factor)).quantize(inventory.CENT, ROUND_HALF_UP)


def _shares(total: Decimal, parts: int, currency: str) -> list[Decimal]:
    """`total` split over the rooms, the last taking what rounding leaves, summing exactly."""
    unit = Decimal(1) if currency == "JPY" else inventory.CENT
    share = (total / parts).quantize(unit, ROUND_HALF_UP)
    return [share] * (parts - 1) + [total - share * (parts - 1)]


def _offer(
    hotel: inventory.SimHotel,
    room: inventory.SimRoom,
    total: Decimal,
    markup: Decimal,
    search: RatesSearch,
) -> dict[str, object]:
    currency = search.currency
    board, board_name = _BOARDS.get(room.board_type, ("RO", "Room Only"))
    key = (hotel.id, room.id, search.check_in, search.check_out, search.adults, currency)
    refundable = "RFN" if room.refundable else "NRFN"
    deadline = (
        f"{room.free_cancellation_until:%Y-%m-%d %H:%M:%S}"
        if room.free_cancellation_until is not None
        else None
    )
    parts = len(search.adults)

    def shares(eur: Decimal) -> list[Decimal]:
        return _shares(inventory.convert_eur(eur * markup, currency), parts, currency)

    penalties, taxes = shares(room.penalty_eur), shares(room.included_tax_eur)
    city_taxes = _shares(inventory.convert_eur(room.city_tax_eur, currency), parts, currency)
    rates = []
    for number, (adults, share) in enumerate(
        zip(search.adults, _shares(total, parts, currency), strict=True), start=1
    ):
        index = number - 1
        rates.append(
            {
                "rateId": _token("rate", number, *key),
                "occupancyNumber": number,
                "name": f"{room.description} - {board_name}",
                "maxOccupancy": max(adults, 2),
                "adultCount": adults,
                "childCount": 0,
                "childrenAges": [],
                "boardType": board,
                "boardName": board_name,
                "remarks": "",
                "priceType": "commission",
                "commission": [_money(_part(share, "0.06"), currency)],
                "retailRate": {
                    "total": [_money(share, currency)],
                    "suggestedSellingPrice": [_money(_part(share, "1.04"), currency)],
                    "initialPrice": [_money(share, currency)],
                    "taxesAndFees": [
                        {"included": True, "description": "VAT", **_money(taxes[index], currency)},
                        {
                            "included": False,
                            "description": "City tax",
                            **_money(city_taxes[index], currency),
                        },
                    ],
                },
                "cancellationPolicies": {
                    "cancelPolicyInfos": [
                        {
                            "cancelTime": deadline,
                            "amount": _amount(penalties[index]),
                            "currency": currency,
                            "type": "amount",
                            "timezone": "GMT",
                        }
                    ]
                    if deadline
                    else [],
                    "hotelRemarks": [],
                    "refundableTag": refundable,
                },
                "paymentTypes": ["NUITEE_PAY"],
            }
        )
    return {
        "roomTypeId": _token("room-type", hotel.id, room.category),
        "offerId": _token("offer", *key),
        "supplier": "nuitee",
        "supplierId": 2,
        "rates": rates,
        "offerRetailRate": _money(total, currency),
        "suggestedSellingPrice": _money(_part(total, "1.04"), currency),
        "offerInitialPrice": _money(total, currency),
        "priceType": "commission",
        "rateType": "standard",
    }


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
    currency = (
        search.currency
        if search.currency in inventory.SIMULATOR_EUR_RATES
        else config.fallback_currency
    )
    search = replace(search, currency=currency)
    data, hotels = [], []
    for hotel in search.hotels:
        offered = inventory.rooms(
            hotel, search.check_in, search.check_out, sum(search.adults), len(search.adults)
        )
        if not offered:
            continue
        markup = Decimal(
            str(inventory.seeded("liteapi-price", hotel.id, search.check_in).uniform(0.94, 1.09))
        )
        priced = sorted(
            ((room, inventory.convert_eur(room.total_eur * markup, currency)) for room in offered),
            key=lambda pair: pair[1],
        )
        data.append(
            {
                "hotelId": liteapi_id(hotel),
                "roomTypes": [
                    _offer(hotel, room, total, markup, search)
                    for room, total in priced[: search.max_rates or None]
                ],
            }
        )
        hotels.append(_hotel_data(hotel, config.hotel_data_coordinates))
    if not data:
        # LiteAPI's "no availability" (code 2001) is declared under 204, which has no body.
        return web.Response(status=204)
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
    found = [_hotel_of(hotel_id.strip()) for hotel_id in raw.split(",")]
    listed = [_static_data(hotel) for hotel in found if hotel is not None][: int(limit)]
    return json_response(
        {"data": listed, "hotelIds": [entry["id"] for entry in listed], "total": len(listed)}
    )


def create_app(
    config: LiteApiSimConfig | None = None, fault_config: faults.FaultConfig | None = None
) -> web.Application:
    app = web.Application()
    app[CONFIG_KEY] = config or LiteApiSimConfig()
    faults.install(app, fault_config or faults.FaultConfig(), error_body)
    app.middlewares.append(memoize(_authorised))
    app.router.add_post(f"{API_PREFIX}/hotels/rates", rates)
    app.router.add_get(f"{API_PREFIX}/data/hotels", hotels_list)
    return app
