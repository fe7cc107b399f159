"""An aiohttp app speaking the Hotelbeds APItude Booking API wire format over the shared inventory.

`POST /hotel-api/1.0/hotels` (availability by geolocation) and `POST /hotel-api/1.0/checkrates`
(the rate check before booking). Like the real API gateway it checks the `Api-key` and a freshly
computed `X-Signature` on every request — memoised answers included — and refuses with 403 and
the reason in `X-Mashery-Error-Code`; it can also enforce a daily quota, which checks count
against too. Hotelbeds sells about 60 % of the shared hotels, spelled its own way and geocoded
a few tens of metres off, priced in the account's currency (USD here), amounts as strings (the
SDK's `RateSerializer` writes them so).

Each rate states its `net` (what the seller pays) and a `sellingRate` 10 to 32 % above it;
about a third of the hotels make that selling rate mandatory (`hotelMandatory`), and about a
quarter of the rates must be checked before booking (`rateType: RECHECK`). Children are read
from the occupancies' paxes, by age, and priced by age; an occupancy with children whose ages
are missing is refused as Hotelbeds refuses it (`WRONG_CHILDREN`).
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
from simulators.common import faults, inventory
from simulators.common.responses import json_response, memoize

PATH = "/hotel-api/1.0/hotels"
CHECK_PATH = "/hotel-api/1.0/checkrates"
MAX_ROOMS = 9
"""Rooms of one occupancy, or rate keys of one check, the simulator takes."""
MAX_CHILD_AGE = 17
"""The oldest a `CH` pax may be (the gateway's rule; Hotelbeds leaves children's ages to each
hotel's contract)."""
MANDATORY_SHARE = 0.35
"""Share of hotels whose selling rate is mandatory (`hotelMandatory: true`)."""
RECHECK_SHARE = 0.25
"""Share of rates that must be checked before booking (`rateType: RECHECK`)."""
WRONG_CHILDREN = "Invalid data. Error at property occupancies: The number of children is wrong"
"""Hotelbeds' answer to an occupancy whose children come without their ages (or with too few
or too many `CH` paxes): hotelbeds-sdk/hotel-api-sdk-php#27 and #50, where its SDK maintainer
adds that the children's ages are "mandatory for availability"."""
PAXES_NOT_DISTRIBUTED = (
    "Invalid data. Error at property occupancies: The distribution of paxes is not correct"
)
"""The simulator's own refusal of children spread unevenly over an occupancy's rooms (Hotelbeds'
wording for bookings, from its SDK's ValidationMessages.properties)."""
ROOMS_SIZE = "Invalid data. Error at property rooms: property size must be between 1 and 9"
"""A check without rate keys (Hotelbeds answers "between 1 and 2147483647",
hotelbeds-sdk/hotel-api-sdk-Net#32; the simulator takes at most `MAX_ROOMS`)."""
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
    """A request Hotelbeds would refuse: 400 INVALID_REQUEST or INVALID_DATA (415 for a body
    that is not JSON)."""

    def __init__(self, message: str, code: str = "INVALID_DATA", *, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


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
class Occupancy:
    """`rooms` rooms of `adults` adults and children of `children_ages` each."""

    rooms: int
    adults: int
    children_ages: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Search:
    check_in: date
    check_out: date
    occupancies: tuple[Occupancy, ...]
    latitude: float
    longitude: float
    radius_km: float
    max_hotels: int | None


def _number(value: object, name: str) -> float:
    try:
        return float(str(value))
    except ValueError:
        raise Invalid(f"{name} must be a number") from None


def _count(value: object, name: str, low: int, high: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise Invalid(f"{name} must be an integer of at least {low}")
    if high is not None and value > high:
        raise Invalid(f"{name} must be at most {high}")
    return value


def _stay(payload: dict[str, object]) -> tuple[date, date]:
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
    return check_in, check_out


def _children(where: str, rooms: int, children: int, paxes: object) -> tuple[int, ...]:
    """Each room's children's ages from the occupancy's paxes, as Hotelbeds requires them:
    a `CH` pax with its age for every child of every room (`roomId` 1 to `rooms` when given,
    else in room order); every room of an occupancy alike."""
    if paxes is None:
        paxes = []
    if not isinstance(paxes, list) or not all(isinstance(pax, dict) for pax in paxes):
        raise Invalid(f"{where}.paxes must be a list of paxes", "INVALID_REQUEST")
    young = []
    for pax in paxes:
        if pax.get("type") not in ("AD", "CH"):
            raise Invalid(f"{where}.paxes: a pax type is AD or CH", "INVALID_REQUEST")
        if "age" in pax:
            _count(pax["age"], f"{where}.paxes.age", 0)
        if "roomId" in pax:
            _count(pax["roomId"], f"{where}.paxes.roomId", 1, rooms)
        if pax["type"] == "CH":
            young.append(pax)
    if len(young) != rooms * children or any("age" not in pax for pax in young):
        raise Invalid(WRONG_CHILDREN)
    if not children:
        return ()
    by_room: list[list[int]] = [[] for _ in range(rooms)]
    if all("roomId" in pax for pax in young):
        for pax in young:
            by_room[pax["roomId"] - 1].append(pax["age"])
    elif any("roomId" in pax for pax in young):
        raise Invalid(PAXES_NOT_DISTRIBUTED)
    else:
        for index, pax in enumerate(young):
            by_room[index // children].append(pax["age"])
    ages = {tuple(sorted(room)) for room in by_room}
    if len(ages) != 1 or len(by_room[0]) != children:
        raise Invalid(PAXES_NOT_DISTRIBUTED)
    (each,) = ages
    if max(each) > MAX_CHILD_AGE:
        raise Invalid(f"{where}.paxes: a child is at most {MAX_CHILD_AGE} years old")
    return each


def _occupancies(payload: dict[str, object]) -> tuple[Occupancy, ...]:
    occupancies = payload.get("occupancies")
    if not isinstance(occupancies, list) or not occupancies:
        raise Invalid("occupancies is required")
    parsed = []
    for index, occupancy in enumerate(occupancies):
        where = f"occupancies[{index}]"
        if not isinstance(occupancy, dict):
            raise Invalid(f"{where} must be an object")
        rooms = _count(occupancy.get("rooms"), f"{where}.rooms", 1, MAX_ROOMS)
        adults = _count(occupancy.get("adults"), f"{where}.adults", 1)
        children = _count(occupancy.get("children"), f"{where}.children", 0)
        ages = _children(where, rooms, children, occupancy.get("paxes"))
        parsed.append(Occupancy(rooms, adults, ages))
    return tuple(parsed)


def parse(payload: object) -> Search:
    if not isinstance(payload, dict):
        raise Invalid("The request body must be a JSON object", "INVALID_REQUEST")
    check_in, check_out = _stay(payload)
    occupancies = _occupancies(payload)
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
        occupancies=occupancies,
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


def _sells(hotel: inventory.SimHotel, config: HotelbedsSimConfig) -> bool:
    return inventory.seeded("hotelbeds-sells", hotel.id).random() < config.share_of_hotels


def _jitter(hotel: inventory.SimHotel) -> tuple[str, str]:
    """Hotelbeds geocodes a little differently: up to ~40 m off, as strings."""
    rng = inventory.seeded("hotelbeds-geo", hotel.id)
    latitude = hotel.latitude + rng.uniform(-0.0003, 0.0003)
    longitude = hotel.longitude + rng.uniform(-0.0003, 0.0003)
    return f"{latitude:.6f}", f"{longitude:.6f}"


def _rate_key(
    hotel: inventory.SimHotel, room: inventory.SimRoom, stay: tuple[date, date], asked: Occupancy
) -> str:
    """Hotelbeds' layout (dates, hotel, room, contract, board, `rooms~adults~children|ages|`),
    ending in an opaque part that names the city and binds the key to the room sold."""
    check_in, check_out = stay
    board_code = BOARDS[room.board_type][0]
    room_code = ROOM_CODES[room.category][0]
    ages = "~".join(map(str, asked.children_ages))
    party = f"{asked.rooms}~{asked.adults}~{len(asked.children_ages)}"
    digest = hashlib.blake2b(f"{room.id}|{party}|{ages}".encode(), digest_size=12).hexdigest()
    return (
        f"{check_in:%Y%m%d}|{check_out:%Y%m%d}|W|235|{_code(hotel)}|{room_code}|"
        f"{'BAR FLEX' if room.refundable else 'BAR NRF'}|{board_code}||{party}|{ages}|"
        f"N@06~{hotel.city_code}~{digest.upper()}"
    )


def _selling(
    hotel: inventory.SimHotel, room: inventory.SimRoom, net: Decimal
) -> tuple[Decimal, bool]:
    """Hotelbeds' selling rate for a net (10 to 32 % above it), and whether the hotel makes it
    mandatory (about a third of the hotels do)."""
    factor = inventory.seeded("hotelbeds-selling", room.id, net).uniform(1.10, 1.32)
    selling = (net * Decimal(str(factor))).quantize(net)
    return selling, inventory.seeded("hotelbeds-mandatory", hotel.id).random() < MANDATORY_SHARE


def _rate(
    hotel: inventory.SimHotel,
    room: inventory.SimRoom,
    stay: tuple[date, date],
    asked: Occupancy,
    net: Decimal,
    today: date,
    markup: Decimal,
    currency: str,
) -> dict[str, object]:
    board_code, board_name = BOARDS[room.board_type]
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
                "type": "TAX",
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
    selling, mandatory = _selling(hotel, room, net)
    recheck = inventory.seeded("hotelbeds-recheck", room.id).random() < RECHECK_SHARE
    rate: dict[str, object] = {
        "rateKey": _rate_key(hotel, room, stay, asked),
        "rateClass": rate_class,
        "rateType": "RECHECK" if recheck else "BOOKABLE",
        "net": str(net),
        "sellingRate": str(selling),
        "hotelMandatory": mandatory,
        "allotment": 5,
        "paymentType": "AT_WEB",
        "packaging": False,
        "boardCode": board_code,
        "boardName": board_name,
        "cancellationPolicies": [policy],
        "taxes": taxes,
        "rooms": asked.rooms,
        "adults": asked.adults,
        "children": len(asked.children_ages),
    }
    if asked.children_ages:
        rate["childrenAges"] = ",".join(map(str, asked.children_ages))
    return rate


def _markup(hotel: inventory.SimHotel, check_in: date) -> Decimal:
    """Hotelbeds' own price level at a hotel for a stay: 6 % either side of the inventory's."""
    return Decimal(str(inventory.seeded("hotelbeds-price", hotel.id, check_in).uniform(0.94, 1.06)))


def _offered(
    hotel: inventory.SimHotel,
    stay: tuple[date, date],
    asked: Occupancy,
    currency: str,
    today: date,
) -> list[tuple[inventory.SimRoom, dict[str, object]]]:
    """Each room on sale for the occupancy, with its rate (children priced by age)."""
    check_in, check_out = stay
    markup = _markup(hotel, check_in)
    offered = inventory.rooms(
        hotel,
        check_in,
        check_out,
        asked.adults * asked.rooms,
        asked.rooms,
        asked.children_ages * asked.rooms,
    )
    found = []
    for room in offered:
        net = inventory.convert_eur(room.total_eur * markup, currency)
        found.append((room, _rate(hotel, room, stay, asked, net, today, markup, currency)))
    return found


def _hotel(hotel: inventory.SimHotel, city: reference.City, currency: str) -> dict[str, object]:
    """The hotel as Hotelbeds describes it, before its rooms."""
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
        "currency": currency,
    }


def _rooms(rated: list[tuple[inventory.SimRoom, dict[str, object]]]) -> list[dict[str, object]]:
    """Rates grouped under their room types, as Hotelbeds lists them."""
    rooms: dict[str, dict[str, object]] = {}
    for room, rate in rated:
        code, name = ROOM_CODES[room.category]
        entry = rooms.setdefault(code, {"code": code, "name": name, "rates": []})
        rates = entry["rates"]
        assert isinstance(rates, list)
        rates.append(rate)
    return list(rooms.values())


def _available(
    hotel: inventory.SimHotel, city: reference.City, search: Search, currency: str, today: date
) -> dict[str, object] | None:
    """The hotel with a rate per room on sale for every occupancy; None if one is sold out."""
    rated = []
    for asked in search.occupancies:
        offered = _offered(hotel, (search.check_in, search.check_out), asked, currency, today)
        if not offered:
            return None
        rated.extend(offered)
    nets = [Decimal(str(rate["net"])) for _, rate in rated]
    return {
        **_hotel(hotel, city, currency),
        "rooms": _rooms(rated),
        "minRate": str(min(nets)),
        "maxRate": str(max(nets)),
    }


async def _json_body(request: web.Request) -> object:
    """The request's JSON, or `Invalid` as Hotelbeds refuses a body it cannot read."""
    if request.content_type != "application/json":
        raise Invalid("Content-Type must be application/json", "INVALID_REQUEST", status=415)
    try:
        return json.loads(await request.read())
    except ValueError:
        raise Invalid("The request body is not valid JSON", "INVALID_REQUEST") from None


async def availability(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    try:
        search = parse(await _json_body(request))
    except Invalid as exc:
        return json_response(error_body(exc.status, exc.code, str(exc)), status=exc.status)
    city = reference.nearest_city(search.latitude, search.longitude)
    today = datetime.fromtimestamp(config.clock(), UTC).date()
    hotels = []
    for hotel in inventory.hotels(city.code) if city else ():
        distance = reference.distance_km(
            search.latitude, search.longitude, hotel.latitude, hotel.longitude
        )
        if distance > search.radius_km or not _sells(hotel, config):
            continue
        assert city is not None
        found = _available(hotel, city, search, config.currency, today)
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


# ------------------------------------------------------------------------------ checkrates


@dataclass(frozen=True, slots=True)
class KeyedRate:
    """What a rate key of ours says: the stay, the hotel, and whose rooms."""

    stay: tuple[date, date]
    city_code: str
    hotel_code: int
    asked: Occupancy


def _read_key(key: str) -> KeyedRate:
    """The parts of one of our rate keys (`_rate_key`); `Invalid` for anything else."""
    try:
        parts = key.split("|")
        rooms, adults, children = (int(n) for n in parts[9].split("~"))
        ages = tuple(int(age) for age in parts[10].split("~")) if parts[10] else ()
        city_code = parts[11].split("~")[1]
        stay = (
            datetime.strptime(parts[0], "%Y%m%d").date(),
            datetime.strptime(parts[1], "%Y%m%d").date(),
        )
        if len(ages) != children or not 1 <= rooms <= MAX_ROOMS:
            raise ValueError("not a party")
        return KeyedRate(stay, city_code, int(parts[4]), Occupancy(rooms, adults, ages))
    except (ValueError, IndexError):
        raise Invalid(_unknown_key(key)) from None


def _unknown_key(key: str) -> str:
    return (
        "Invalid data. Invalid rateKey: The rateKey value that you have entered does not exist "
        f"or it has expired (please note that rateKeys only last 30 minutes): {key[:300]}"
    )


def _keys(payload: object) -> list[str]:
    rooms = payload.get("rooms") if isinstance(payload, dict) else None
    if not isinstance(rooms, list) or not 1 <= len(rooms) <= MAX_ROOMS:
        raise Invalid(ROOMS_SIZE, "INVALID_REQUEST")
    keys = [room.get("rateKey") if isinstance(room, dict) else None for room in rooms]
    if not all(isinstance(key, str) and key for key in keys):
        raise Invalid("Invalid data. Error at property rooms->rateKey: may not be null")
    return [key for key in keys if isinstance(key, str)]


@dataclass(frozen=True, slots=True)
class Checked:
    keyed: KeyedRate
    hotel: inventory.SimHotel
    city: reference.City
    room: inventory.SimRoom
    rate: dict[str, object]


def _checked(key: str, config: HotelbedsSimConfig, today: date) -> Checked:
    """The rate a key of ours was given for, rebuilt from the inventory (which is
    deterministic); `Invalid` as Hotelbeds answers a key it does not know."""
    keyed = _read_key(key)
    city = reference.city(keyed.city_code)
    hotel = next(
        (
            hotel
            for hotel in inventory.hotels(keyed.city_code)
            if _code(hotel) == keyed.hotel_code and _sells(hotel, config)
        ),
        None,
    )
    if city is None or hotel is None:
        raise Invalid(_unknown_key(key))
    for room, rate in _offered(hotel, keyed.stay, keyed.asked, config.currency, today):
        if rate["rateKey"] == key:
            return Checked(keyed, hotel, city, room, rate)
    raise Invalid(_unknown_key(key))


def _repriced(request: web.Request, rate: dict[str, object]) -> dict[str, object]:
    """The rate as a check answers it: bookable now, at its net and selling rate × the
    simulator's `price_factor`."""
    return {
        **rate,
        "rateType": "BOOKABLE",
        "net": faults.repriced(request, str(rate["net"])),
        "sellingRate": faults.repriced(request, str(rate["sellingRate"])),
        "rateComments": "Check-in hour 15:00 - 00:00. Car park NO.",
    }


async def check_rates(request: web.Request) -> web.Response:
    """CheckRate: the rates of the keys asked for, as sold now (× `price_factor`); when
    `offers_gone`, the answer Hotelbeds gives a rate sold out since the search (HTTP 503,
    `ProductException(…, CHECK_RATE, Hotel not Available)`, hotel-api-sdk-php#28); a key it
    never gave, 400 "Invalid rateKey" (hotel-api-sdk-php#138)."""
    config = request.app[CONFIG_KEY]
    today = datetime.fromtimestamp(config.clock(), UTC).date()
    try:
        keys = _keys(await _json_body(request))
        checked = [_checked(key, config, today) for key in keys]
        if len({(each.hotel.id, each.keyed.stay) for each in checked}) != 1:
            raise Invalid("Invalid data. All the rooms must be of the same hotel and stay")
    except Invalid as exc:
        return json_response(error_body(exc.status, exc.code, str(exc)), status=exc.status)
    if faults.offers_gone(request):
        gone = f"ProductException({uuid.uuid4()}, CHECK_RATE, Hotel not Available)"
        return json_response(error_body(503, "PRODUCT_ERROR", gone), status=503)
    first = checked[0]
    rated = [(each.room, _repriced(request, each.rate)) for each in checked]
    stay = first.keyed.stay
    total_net = sum(Decimal(str(rate["net"])) for _, rate in rated)
    total_selling = sum(Decimal(str(rate["sellingRate"])) for _, rate in rated)
    return json_response(
        {
            "auditData": _audit(),
            "hotel": {
                "checkIn": stay[0].isoformat(),
                "checkOut": stay[1].isoformat(),
                **_hotel(first.hotel, first.city, config.currency),
                "rooms": _rooms(rated),
                "totalNet": str(total_net),
                "totalSellingRate": str(total_selling),
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
    # Searches are replayed (the gateway middleware has checked them); checks never are, since
    # they answer `price_factor` and `offers_gone` as set now.
    app.middlewares.append(memoize(lambda request: request.path == PATH))
    app.router.add_post(PATH, availability)
    app.router.add_post(CHECK_PATH, check_rates)
    return app
