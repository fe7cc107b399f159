"""The LiteAPI simulator's offers (`roomTypes[]`), as LiteAPI's OpenAPI describes them.

An offer is one room type for the whole party, with one rate per occupancy (room). Its total is
the shared inventory's price for the party, children priced by age; each room's share follows
what that room's own guests would cost. Around the total (`offerRetailRate`, the seller's
commission included) stand LiteAPI's other amounts: `suggestedSellingPrice`, the public floor,
above the retail rate for some offers and below it for others, as happens; `commission`, per
rate; `offerInitialPrice`, never below the total.

Offer ids carry what the offer was for, as LiteAPI's own do (base32 text of the rates, hotel,
occupancies, currency, nationality and dates, separated by `|`): a prebook reads the offer back
from its id, so the simulator keeps no state.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from simulators.common import inventory

OFFER_ID_VERSION = "1"
SUGGESTED_PRICE_SOURCES = ("booking.com", "expedia.com", "providerDirect")
"""`suggestedSellingPrice.source` as LiteAPI's examples write it."""
BOARDS = {
    "ROOM_ONLY": ("RO", "Room Only"),
    "BREAKFAST": ("BI", "Breakfast Included"),
    "HALF_BOARD": ("HB", "Half Board"),
}
"""The inventory's boards as LiteAPI's sandbox writes them."""
_OCCUPANCY = re.compile(r"([1-9])-((?:\d{1,2}(?:,\d{1,2})*)?)")
_FIELD = re.compile(r"[A-Za-z0-9_.-]{1,40}")


@dataclass(frozen=True, slots=True)
class Occupancy:
    """One room's guests: adults, and each child's age."""

    adults: int
    children: tuple[int, ...] = ()

    @property
    def guests(self) -> int:
        return self.adults + len(self.children)


@dataclass(frozen=True, slots=True)
class Stay:
    """What a search asks of every hotel: the dates, the rooms' parties, the currency."""

    check_in: date
    check_out: date
    occupancies: tuple[Occupancy, ...]
    currency: str
    nationality: str = "US"

    @property
    def adults(self) -> int:
        return sum(occupancy.adults for occupancy in self.occupancies)

    @property
    def children(self) -> tuple[int, ...]:
        return tuple(age for occupancy in self.occupancies for age in occupancy.children)


def unit(currency: str) -> Decimal:
    """The currency's minor unit (the simulator knows one currency without cents)."""
    return Decimal(1) if currency == "JPY" else inventory.CENT


def part(amount: Decimal, factor: Decimal | float | str, currency: str) -> Decimal:
    """A share of an amount, in the currency's minor unit."""
    return (amount * Decimal(str(factor))).quantize(unit(currency), ROUND_HALF_UP)


def split(total: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """`total` over the rooms in proportion to `weights`, the last taking what rounding
    leaves, so the shares sum to it exactly."""
    whole = sum(weights, Decimal(0))
    if whole <= 0:
        weights, whole = [Decimal(1)] * len(weights), Decimal(len(weights))
    shares = [part(total, weight / whole, currency) for weight in weights[:-1]]
    return [*shares, total - sum(shares, Decimal(0))]


def amount(value: Decimal) -> int | float:
    """A JSON number, as LiteAPI sends amounts."""
    return int(value) if value == value.to_integral_value() else float(value)


def money(value: Decimal, currency: str) -> dict[str, object]:
    return {"amount": amount(value), "currency": currency}


# ------------------------------------------------------------------------------ offer ids


def liteapi_id(hotel: inventory.SimHotel) -> str:
    """LiteAPI's id for an inventory hotel (`lp…`), from which the hotel can be found again."""
    return f"lp{hotel.id.lower()}"


def hotel_of(liteapi_hotel_id: str) -> inventory.SimHotel | None:
    """The inventory hotel behind an id: its city code is in it (`lp` + chain + city + n)."""
    if not liteapi_hotel_id.startswith("lp"):
        return None
    own = liteapi_hotel_id.removeprefix("lp").upper()
    return next((h for h in inventory.hotels(own[2:5]) if h.id == own), None)


def _occupancies_text(stay: Stay) -> str:
    return ";".join(
        f"{o.adults}-{','.join(str(age) for age in o.children)}" for o in stay.occupancies
    )


def offer_id(hotel: inventory.SimHotel, room: inventory.SimRoom, stay: Stay) -> str:
    """Base32 of `version|room|hotel|occupancies|currency|nationality|checkin|checkout`, as
    LiteAPI's ids are base32 of such text (upper-case letters and digits, no padding)."""
    text = "|".join(
        (
            OFFER_ID_VERSION,
            room.id,
            liteapi_id(hotel),
            _occupancies_text(stay),
            stay.currency,
            stay.nationality,
            stay.check_in.isoformat(),
            stay.check_out.isoformat(),
        )
    )
    return base64.b32encode(text.encode()).decode().rstrip("=")


def read_offer_id(text: str) -> tuple[inventory.SimHotel, str, Stay] | None:
    """(hotel, room id, stay) of an id `offer_id` wrote; None for anything else."""
    if not text or len(text) > 2000 or not text.isascii():
        return None
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8)).decode()
    except (binascii.Error, ValueError):
        return None
    fields = raw.split("|")
    if len(fields) != 8 or fields[0] != OFFER_ID_VERSION:
        return None
    _, room_id, hotel_id, occupancies, currency, nationality, check_in, check_out = fields
    if not all(_FIELD.fullmatch(field) for field in (room_id, hotel_id, currency, nationality)):
        return None
    parties = []
    for one in occupancies.split(";"):
        match = _OCCUPANCY.fullmatch(one)
        if match is None:
            return None
        ages = tuple(int(age) for age in match.group(2).split(",") if age)
        parties.append(Occupancy(int(match.group(1)), ages))
    hotel = hotel_of(hotel_id)
    try:
        stay = Stay(
            date.fromisoformat(check_in),
            date.fromisoformat(check_out),
            tuple(parties),
            currency,
            nationality,
        )
    except ValueError:
        return None
    if stay.check_out <= stay.check_in or currency not in inventory.SIMULATOR_EUR_RATES:
        return None
    return None if hotel is None else (hotel, room_id, stay)


# ------------------------------------------------------------------------------ prices


def rooms_on_sale(hotel: inventory.SimHotel, stay: Stay) -> list[tuple[inventory.SimRoom, Decimal]]:
    """The hotel's rooms for the whole party, each with LiteAPI's total in the stay's currency,
    cheapest first (LiteAPI prices a hotel a little apart from the other providers)."""
    offered = inventory.rooms(
        hotel,
        stay.check_in,
        stay.check_out,
        stay.adults,
        len(stay.occupancies),
        stay.children,
    )
    markup = Decimal(
        str(inventory.seeded("liteapi-price", hotel.id, stay.check_in).uniform(0.94, 1.09))
    )
    priced = [
        (room, inventory.convert_eur(room.total_eur * markup, stay.currency)) for room in offered
    ]
    return sorted(priced, key=lambda pair: pair[1])


def _weights(hotel: inventory.SimHotel, room: inventory.SimRoom, stay: Stay) -> list[Decimal]:
    """What each room of the party would cost alone: its share of the offer's total."""
    weights = []
    for occupancy in stay.occupancies:
        alone = inventory.rooms(
            hotel, stay.check_in, stay.check_out, occupancy.adults, 1, occupancy.children
        )
        same = next((r.total_eur for r in alone if r.id == room.id), None)
        weights.append(same if same is not None else Decimal(1))
    return weights


@dataclass(frozen=True, slots=True)
class Amounts:
    """An offer's amounts besides its retail total, all following from it."""

    floor: Decimal
    """`suggestedSellingPrice`: from 8 % under the retail rate to 10 % over it."""
    source: str
    commission: Decimal
    """The seller's commission inside the retail rate: 3 to 10 % of it."""
    initial: Decimal
    """`offerInitialPrice`: the hotel's listed price, never below the retail rate."""


def amounts(
    hotel: inventory.SimHotel, room: inventory.SimRoom, total: Decimal, stay: Stay
) -> Amounts:
    currency = stay.currency
    rng = inventory.seeded("liteapi-offer", hotel.id, room.id, stay.check_out)
    return Amounts(
        floor=part(total, rng.uniform(0.92, 1.10), currency),
        source=rng.choice(SUGGESTED_PRICE_SOURCES),
        commission=part(total, rng.uniform(0.03, 0.10), currency),
        initial=max(total, part(total, rng.uniform(1.0, 1.15), currency)),
    )


def offer(
    hotel: inventory.SimHotel, room: inventory.SimRoom, total: Decimal, stay: Stay
) -> dict[str, object]:
    """One `roomTypes[]` entry for `room` sold at `total` (the retail rate, commission
    included): every other amount follows from it, so a prebook at another total (re-pricing)
    moves them all alike."""
    currency = stay.currency
    sold = amounts(hotel, room, total, stay)
    floor, commission, initial, source = sold.floor, sold.commission, sold.initial, sold.source
    nights = max((stay.check_out - stay.check_in).days, 1)
    penalty = part(total, Decimal(1) / nights, currency) if room.refundable else total
    weights = _weights(hotel, room, stay)

    def shares(value: Decimal) -> list[Decimal]:
        return split(value, weights, currency)

    city_tax = inventory.convert_eur(room.city_tax_eur, currency)
    columns = zip(
        stay.occupancies,
        shares(total),
        shares(floor),
        shares(commission),
        shares(initial),
        shares(part(total, inventory.VAT_SHARE, currency)),
        shares(city_tax),
        shares(penalty),
        strict=True,
    )
    board, board_name = BOARDS.get(room.board_type, ("RO", "Room Only"))
    rates = [
        _rate(number, room, occupancy, currency, board, board_name, amounts, source)
        for number, (occupancy, *amounts) in enumerate(columns, start=1)
    ]
    return {
        "roomTypeId": _token(hotel.id, room.category),
        "offerId": offer_id(hotel, room, stay),
        "supplier": "nuitee",
        "supplierId": 2,
        "rates": rates,
        "offerRetailRate": money(total, currency),
        "suggestedSellingPrice": {**money(floor, currency), "source": source},
        "offerInitialPrice": money(initial, currency),
        "priceType": "commission",
        "rateType": "standard",
    }


def _rate(
    number: int,
    room: inventory.SimRoom,
    occupancy: Occupancy,
    currency: str,
    board: str,
    board_name: str,
    amounts: list[Decimal],
    source: str,
) -> dict[str, object]:
    """One occupancy's rate: its guests and its share of every amount."""
    total, floor, commission, initial, vat, city_tax, penalty = amounts
    deadline = room.free_cancellation_until
    return {
        "rateId": _token(room.id, number, occupancy.adults, *occupancy.children),
        "occupancyNumber": number,
        "name": f"{room.description} - {board_name}",
        "maxOccupancy": max(occupancy.guests, 2),
        "adultCount": occupancy.adults,
        "childCount": len(occupancy.children),
        "childrenAges": list(occupancy.children),
        "boardType": board,
        "boardName": board_name,
        "remarks": "",
        "priceType": "commission",
        "commission": [money(commission, currency)],
        "retailRate": {
            "total": [money(total, currency)],
            "suggestedSellingPrice": [{**money(floor, currency), "source": source}],
            "initialPrice": [money(initial, currency)],
            "taxesAndFees": [
                {"included": True, "description": "VAT", **money(vat, currency)},
                {"included": False, "description": "City tax", **money(city_tax, currency)},
            ],
        },
        "cancellationPolicies": {
            "cancelPolicyInfos": [
                {
                    "cancelTime": f"{deadline:%Y-%m-%d %H:%M:%S}",
                    "amount": amount(penalty),
                    "currency": currency,
                    "type": "amount",
                    "timezone": "GMT",
                }
            ]
            if deadline is not None
            else [],
            "hotelRemarks": [],
            "refundableTag": "RFN" if room.refundable else "NRFN",
        },
        "paymentTypes": ["NUITEE_PAY"],
    }


def _token(*parts: object) -> str:
    """An opaque, stable id in LiteAPI's alphabet (base32: upper-case letters and digits)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=20).digest()
    return base64.b32encode(digest).decode().rstrip("=")


def prebook_id(offer_id: str, purpose: str = "prebook") -> str:
    """A prebook's id, stable for an offer (LiteAPI's are short and mixed-case: `zzWkJcdgk`)."""
    digest = hashlib.blake2b(f"{purpose}|{offer_id}".encode(), digest_size=8).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=").replace("-", "x").replace("_", "y")
