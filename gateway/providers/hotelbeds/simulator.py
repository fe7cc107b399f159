"""An aiohttp app speaking the Hotelbeds APItude Booking API wire format over the shared inventory.

`POST /hotel-api/1.0/hotels` (availability by geolocation). Like the real API gateway it checks
the `Api-key` and a freshly computed `X-Signature` on every request — memoised answers included —
and refuses with 403 and the reason in `X-Mashery-Error-Code`; it can also enforce a daily
quota. Hotelbeds sells about 60 % of the shared hotels, spelled its own way and geocoded a few
tens of metres off, priced in the account's currency (USD here), with numbers as strings where
Hotelbeds' documentation shows strings.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from aiohttp import web

from gateway import reference
from gateway.simulator import faults, inventory
from gateway.simulator.responses import json_response, memoize

PATH = "/hotel-api/1.0/hotels"
DEMO_API_KEY = "simulated"
DEMO_SECRET = "simulated-secret"
SIGNATURE_SKEW_S = 300
"""How far a signature's second may be from the simulator's clock: Hotelbeds does not publish
its tolerance (its errors page only says a wrong clock makes a signature fail), so a few
minutes."""
ROOM_CODES = {
    "STANDARD_ROOM": ("DBL.ST", "DOUBLE STANDARD"),
    "SUPERIOR_ROOM": ("DBL.SU", "DOUBLE SUPERIOR"),
    "SUITE": ("JSU.ST", "JUNIOR SUITE STANDARD"),
}
BOARDS = {
    "ROOM_ONLY": ("RO", "ROOM ONLY"),
    "BREAKFAST": ("BB", "BED AND BREAKFAST"),
    "HALF_BOARD": ("HB", "HALF BOARD"),
}
_ERROR_CODES = {400: "INVALID_REQUEST", 415: "INVALID_REQUEST"}


@dataclass(frozen=True, slots=True)
class HotelbedsSimConfig:
    accounts: Mapping[str, str] = field(default_factory=lambda: {DEMO_API_KEY: DEMO_SECRET})
    """API keys it knows, with their secrets (a signature can only be checked with one)."""
    currency: str = "USD"
    """Hotelbeds prices in the account's currency, whatever the market."""
    share_of_hotels: float = 0.6
    """Share of the shared inventory's hotels Hotelbeds sells."""
    daily_quota: int | None = None
    """Requests per key and UTC day before 403 "Developer Over Rate"; None: no quota."""
    clock: Callable[[], float] = time.time


CONFIG_KEY = web.AppKey("hotelbeds_config", HotelbedsSimConfig)
USAGE_KEY: web.AppKey[Counter[tuple[str, int]]] = web.AppKey("hotelbeds_usage")


def signature(api_key: str, secret: str, unix_s: int) -> str:
    return hashlib.sha256(f"{api_key}{secret}{unix_s}".encode()).hexdigest()


# ---------------------------------------------------------------------------------- errors


def refusal(code: str, reason: str, title: str) -> web.Response:
    """A 403 from the API gateway, as Mashery sends it: a short XML-typed body, the reason in
    headers."""
    return web.Response(
        status=403,
        text=f"<h1>{title}</h1>",
        content_type="text/xml",
        headers={"X-Mashery-Error-Code": code, "X-Error-Detail-Header": reason},
    )


def _audit() -> dict[str, object]:
    return {
        "processTime": "3",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        "requestHost": "127.0.0.1",
        "serverId": "simulator",
        "environment": "[simulator]",
        "release": "simulated",
        "token": uuid.uuid4().hex.upper(),
    }


def error_body(
    status: int, code: str | None = None, message: str | None = None
) -> dict[str, object]:
    """Hotelbeds' formatted error (the fault switches use it for every status)."""
    code = code or _ERROR_CODES.get(status, "SYSTEM_ERROR")
    return {
        "auditData": _audit(),
        "error": {
            "code": f"{code}-{uuid.uuid4().hex.upper()}",
            "message": message or "An error has occurred. Please try again later.",
        },
    }


class Invalid(Exception):
    """An availability request Hotelbeds would refuse: 400 INVALID_REQUEST or INVALID_DATA."""

    def __init__(self, message: str, code: str = "INVALID_DATA") -> None:
        super().__init__(message)
        self.code = code


# ----------------------------------------------------------------------------- the gateway


def _check_signature(headers: Mapping[str, str], config: HotelbedsSimConfig) -> web.Response | None:
    """None when the key is known and the signature fresh and right; else the gateway's 403."""
    api_key = headers.get("Api-key", "").strip()
    secret = config.accounts.get(api_key) if api_key else None
    if secret is None:
        return refusal("ERR_403_DEVELOPER_INACTIVE", "Account Inactive", "Developer Inactive")
    given = headers.get("X-Signature", "").strip().lower()
    now = int(config.clock())
    fresh = {
        signature(api_key, secret, second)
        for second in range(now - SIGNATURE_SKEW_S, now + SIGNATURE_SKEW_S + 1)
    }
    if given not in fresh:
        return refusal("ERR_403_NOT_AUTHORIZED", "Not Authorized", "Not Authorized")
    return None


def _over_quota(request: web.Request, config: HotelbedsSimConfig) -> web.Response | None:
    if config.daily_quota is None:
        return None
    usage = request.app[USAGE_KEY]
    key = (request.headers.get("Api-key", "").strip(), int(config.clock() // 86_400))
    if usage[key] >= config.daily_quota:
        return refusal(
            "ERR_403_DEVELOPER_OVER_RATE", "Account Over Rate Limit", "Developer Over Rate"
        )
    usage[key] += 1
    return None


@web.middleware
async def api_gateway(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Key, signature and quota, on every request: before any memoised answer is replayed."""
    if request.path.startswith(faults.CONTROL_PREFIX):
        return await handler(request)
    config = request.app[CONFIG_KEY]
    refused = _check_signature(request.headers, config) or _over_quota(request, config)
    return refused or await handler(request)


# ---------------------------------------------------------------------------- availability


@dataclass(frozen=True, slots=True)
class Search:
    check_in: date
    check_out: date
    occupancies: tuple[tuple[int, int], ...]
    """(rooms, adults per room) of each occupancy."""
    latitude: float
    longitude: float
    radius_km: float
    max_hotels: int | None


def _number(value: object, name: str) -> float:
    try:
        return float(str(value))
    except ValueError:
        raise Invalid(f"{name} must be a number") from None


def _count(value: object, name: str, low: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise Invalid(f"{name} must be an integer of at least {low}")
    return value


def parse(payload: object) -> Search:
    if not isinstance(payload, dict):
        raise Invalid("The request body must be a JSON object", "INVALID_REQUEST")
    stay = payload.get("stay")
    if not isinstance(stay, dict):
        raise Invalid("stay is required")
    try:
        check_in = date.fromisoformat(str(stay.get("checkIn")))
        check_out = date.fromisoformat(str(stay.get("checkOut")))
    except ValueError:
        raise Invalid("stay.checkIn and stay.checkOut must be dates (yyyy-MM-dd)") from None
    if check_out <= check_in:
        raise Invalid("The check-out date must be after the check-in date")
    occupancies = payload.get("occupancies")
    if not isinstance(occupancies, list) or not occupancies:
        raise Invalid("occupancies is required")
    parsed = []
    for index, occupancy in enumerate(occupancies):
        if not isinstance(occupancy, dict):
            raise Invalid(f"occupancies[{index}] must be an object")
        rooms = _count(occupancy.get("rooms"), f"occupancies[{index}].rooms", 1)
        adults = _count(occupancy.get("adults"), f"occupancies[{index}].adults", 1)
        if _count(occupancy.get("children", 0), f"occupancies[{index}].children", 0):
            raise Invalid("children need paxes with their ages")  # never sent by the gateway
        parsed.append((rooms, adults))
    geolocation = payload.get("geolocation")
    if not isinstance(geolocation, dict):
        raise Invalid("This simulator answers availability by geolocation only")
    unit = geolocation.get("unit", "km")
    if unit not in ("km", "m"):
        raise Invalid("geolocation.unit must be km or m")
    radius = _number(geolocation.get("radius", 20), "geolocation.radius")
    filters = payload.get("filter") or {}
    max_hotels = filters.get("maxHotels") if isinstance(filters, dict) else None
    return Search(
        check_in=check_in,
        check_out=check_out,
        occupancies=tuple(parsed),
        latitude=_number(geolocation.get("latitude"), "geolocation.latitude"),
        longitude=_number(geolocation.get("longitude"), "geolocation.longitude"),
        radius_km=radius / 1000 if unit == "m" else radius,
        max_hotels=_count(max_hotels, "filter.maxHotels", 1) if max_hotels is not None else None,
    )


def hotel_name(name: str) -> str:
    """Hotelbeds' spelling: "Hotel" at the end ("Hôtel Opéra" is "Opéra Hotel", "Hilton Paris
    Opéra" "Hilton Paris Opéra Hotel")."""
    for prefix in ("Hotel ", "Hôtel "):
        name = name.removeprefix(prefix)
    return name if name.endswith(" Hotel") else f"{name} Hotel"


def _code(hotel: inventory.SimHotel) -> int:
    return int.from_bytes(hashlib.blake2b(hotel.id.encode(), digest_size=3).digest(), "big")


def _jitter(hotel: inventory.SimHotel) -> tuple[str, str]:
    """Hotelbeds geocodes a little differently: up to ~40 m off, as strings."""
    rng = inventory.seeded("hotelbeds-geo", hotel.id)
    latitude = hotel.latitude + rng.uniform(-0.0003, 0.0003)
    longitude = hotel.longitude + rng.uniform(-0.0003, 0.0003)
    return f"{latitude:.6f}", f"{longitude:.6f}"


def _rate(
    hotel: inventory.SimHotel,
    room: inventory.SimRoom,
    search: Search,
    rooms: int,
    adults: int,
    net: Decimal,
    today: date,
    markup: Decimal,
    currency: str,
) -> dict[str, object]:
    board_code, board_name = BOARDS[room.board_type]
    room_code = ROOM_CODES[room.category][0]
    rate_class = "NOR" if room.refundable else "NRF"
    # Free cancellation until the deadline (written on the hotel's clock, with its offset),
    # then the first night; a non-refundable rate is charged in full at once.
    if room.free_cancellation_until is not None:
        deadline = inventory.hotel_time(hotel, room.free_cancellation_until)
        policy = {
            "amount": str(inventory.convert_eur(room.penalty_eur * markup, currency)),
            "from": deadline.isoformat(timespec="seconds"),
        }
    else:
        policy = {"amount": str(net), "from": f"{today}T00:00:00Z"}
    # The VAT is in `net`; the city tax is paid at the hotel, in euros, which Hotelbeds also
    # converts to the account's currency.
    taxes = {
        "allIncluded": False,
        "taxes": [
            {
                "included": True,
                "amount": str((room.included_tax_eur * markup).quantize(inventory.CENT)),
                "currency": "EUR",
                "clientAmount": str(
                    inventory.convert_eur(room.included_tax_eur * markup, currency)
                ),
                "clientCurrency": currency,
                "type": "TAXESANDFEES",
            },
            {
                "included": False,
                "amount": str(room.city_tax_eur),
                "currency": "EUR",
                "clientAmount": str(inventory.convert_eur(room.city_tax_eur, currency)),
                "clientCurrency": currency,
                "type": "TAX",
            },
        ],
    }
    key_hash = hashlib.blake2b(f"{room.id}{rooms}{adults}".encode(), digest_size=12).hexdigest()
    return {
        "rateKey": (
            f"{search.check_in:%Y%m%d}|{search.check_out:%Y%m%d}|W|235|{_code(hotel)}|"
            f"{room_code}|{'BAR FLEX' if room.refundable else 'BAR NRF'}|{board_code}||"
            f"{rooms}~{adults}~0||N@06~~{key_hash.upper()}"
        ),
        "rateClass": rate_class,
        "rateType": "BOOKABLE",
        "net": str(net),
        "allotment": 5,
        "paymentType": "AT_WEB",
        "packaging": False,
        "boardCode": board_code,
        "boardName": board_name,
        "cancellationPolicies": [policy],
        "taxes": taxes,
        "rooms": rooms,
        "adults": adults,
        "children": 0,
    }


def _hotel(
    hotel: inventory.SimHotel, city: reference.City, search: Search, currency: str, today: date
) -> dict[str, object] | None:
    """The hotel with a rate per room on sale for every occupancy; None if one is sold out."""
    markup = Decimal(
        str(inventory.seeded("hotelbeds-price", hotel.id, search.check_in).uniform(0.94, 1.06))
    )
    rooms: dict[str, dict[str, object]] = {}
    nets = []
    for room_count, adults in search.occupancies:
        offered = inventory.rooms(
            hotel, search.check_in, search.check_out, adults * room_count, room_count
        )
        if not offered:
            return None
        for room in offered:
            net = inventory.convert_eur(room.total_eur * markup, currency)
            code, name = ROOM_CODES[room.category]
            entry = rooms.setdefault(code, {"code": code, "name": name, "rates": []})
            rates = entry["rates"]
            assert isinstance(rates, list)
            rates.append(
                _rate(hotel, room, search, room_count, adults, net, today, markup, currency)
            )
            nets.append(net)
    latitude, longitude = _jitter(hotel)
    return {
        "code": _code(hotel),
        "name": hotel_name(hotel.name),
        "categoryCode": f"{hotel.rating}EST",
        "categoryName": f"{hotel.rating} STARS",
        "destinationCode": city.code,
        "destinationName": city.name,
        "zoneCode": 1 + inventory.seeded("hotelbeds-zone", hotel.id).randrange(40),
        "zoneName": city.name,
        "latitude": latitude,
        "longitude": longitude,
        "rooms": list(rooms.values()),
        "minRate": str(min(nets)),
        "maxRate": str(max(nets)),
        "currency": currency,
    }


async def availability(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    if request.content_type != "application/json":
        return json_response(
            error_body(415, "INVALID_REQUEST", "Content-Type must be application/json"), status=415
        )
    try:
        payload = json.loads(await request.read())
    except ValueError:
        invalid = error_body(400, "INVALID_REQUEST", "The request body is not valid JSON")
        return json_response(invalid, status=400)
    try:
        search = parse(payload)
    except Invalid as exc:
        return json_response(error_body(400, exc.code, str(exc)), status=400)
    city = reference.nearest_city(search.latitude, search.longitude)
    today = datetime.fromtimestamp(config.clock(), UTC).date()
    hotels = []
    for hotel in inventory.hotels(city.code) if city else ():
        distance = reference.distance_km(
            search.latitude, search.longitude, hotel.latitude, hotel.longitude
        )
        if distance > search.radius_km:
            continue
        if inventory.seeded("hotelbeds-sells", hotel.id).random() >= config.share_of_hotels:
            continue
        assert city is not None
        found = _hotel(hotel, city, search, config.currency, today)
        if found is not None:
            hotels.append(found)
        if search.max_hotels is not None and len(hotels) >= search.max_hotels:
            break
    if not hotels:
        return json_response({"auditData": _audit(), "hotels": {"total": 0}})
    return json_response(
        {
            "auditData": _audit(),
            "hotels": {
                "hotels": hotels,
                "checkIn": search.check_in.isoformat(),
                "total": len(hotels),
                "checkOut": search.check_out.isoformat(),
            },
        }
    )


def create_app(
    config: HotelbedsSimConfig | None = None, fault_config: faults.FaultConfig | None = None
) -> web.Application:
    app = web.Application()
    app[CONFIG_KEY] = config or HotelbedsSimConfig()
    app[USAGE_KEY] = Counter()
    faults.install(app, fault_config or faults.FaultConfig(), error_body)
    app.middlewares.append(api_gateway)
    app.middlewares.append(memoize(lambda request: True))  # the gateway middleware checked it
    app.router.add_post(PATH, availability)
    return app
