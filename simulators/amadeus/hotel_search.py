"""Hotel Search v3's documents as Amadeus writes them, for the simulator: hotel offers over the
shared inventory, each with an id that says which search it came from, so the offer can be
priced again by its id alone. Only what the spec declares is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from simulators.common import inventory

Json = dict[str, Any]
Reprice = Callable[[str], str]
"""An amount (a decimal string) as a re-pricing answers it now."""


@dataclass(frozen=True, slots=True)
class OfferKey:
    """What an offer id stands for. Amadeus's ids are opaque tokens (capitals and digits, 2 to
    100, its spec); the simulator's spell out the search they came from, so it can price one
    again later without keeping anything."""

    hotel_id: str
    check_in: date
    nights: int
    adults: int
    """Per room."""
    rooms: int
    index: int
    """The rate's place among the hotel's rooms on sale, cheapest first."""
    currency: str

    PATTERN: ClassVar[re.Pattern[str]] = re.compile(
        r"^(?P<hotel>[A-Z0-9]{8})(?P<day>\d{8})(?P<nights>\d{2})(?P<adults>[1-9])(?P<rooms>[1-9])"
        r"(?P<index>\d)(?P<currency>[A-Z]{3})$"
    )

    def encode(self) -> str:
        return (
            f"{self.hotel_id}{self.check_in:%Y%m%d}{self.nights:02d}{self.adults}{self.rooms}"
            f"{self.index}{self.currency}"
        )

    @classmethod
    def decode(cls, text: str) -> OfferKey | None:
        match = cls.PATTERN.match(text)
        if match is None:
            return None
        try:
            day = datetime.strptime(match["day"], "%Y%m%d").date()
        except ValueError:
            return None
        return cls(
            match["hotel"],
            day,
            int(match["nights"]),
            int(match["adults"]),
            int(match["rooms"]),
            int(match["index"]),
            match["currency"],
        )

    @property
    def check_out(self) -> date:
        return self.check_in + timedelta(days=self.nights)


def find_hotel(hotel_id: str) -> inventory.SimHotel | None:
    """The hotel of an id (its city code is in it: `XXPAR012`); None for one never listed."""
    return next((h for h in inventory.hotels(hotel_id[2:5]) if h.id == hotel_id), None)


def rooms(hotel: inventory.SimHotel, key: OfferKey) -> list[inventory.SimRoom]:
    """The rooms on sale for the stay; `adults` is per room on the wire, the inventory takes
    the party's total."""
    return inventory.rooms(hotel, key.check_in, key.check_out, key.adults * key.rooms, key.rooms)


def hotel_offers(hotel: inventory.SimHotel, offers: list[Json]) -> Json:
    """One hotel's offers (`HotelOffers`); its place is in the hotel list, not here (the spec's
    `Hotel` has no coordinates)."""
    return {
        "type": "hotel-offers",
        "hotel": {
            "hotelId": hotel.id,
            "chainCode": hotel.chain_code or "XX",
            "name": hotel.name.upper(),
            "cityCode": hotel.city_code,
        },
        "available": True,
        "offers": offers,
    }


def offer(hotel: inventory.SimHotel, room: inventory.SimRoom, key: OfferKey) -> Json:
    """One rate (`HotelOffer`) for the rooms and guests of `key`."""
    return {
        "type": "hotel-offer",
        "id": key.encode(),
        "checkInDate": key.check_in.isoformat(),
        "checkOutDate": key.check_out.isoformat(),
        "rateCode": "RAC",
        "roomQuantity": str(key.rooms),
        "boardType": room.board_type,
        "room": {
            "type": room.category[:3],
            "typeEstimated": {"category": room.category, "beds": 1, "bedType": "DOUBLE"},
            "description": {"text": room.description, "lang": "EN"},
        },
        "guests": {"adults": key.adults},
        "price": room_price(room, key.currency, key.nights),
        "policies": policies(hotel, room, key.currency),
    }


def repriced(price: Json, reprice: Reprice) -> Json:
    """`price` with every amount as a re-pricing answers it now."""
    again = dict(price)
    for name in ("base", "total"):
        again[name] = reprice(price[name])
    again["taxes"] = [{**tax, "amount": reprice(tax["amount"])} for tax in price["taxes"]]
    average = price["variations"]["average"]
    again["variations"] = {"average": {"base": reprice(average["base"])}}
    return again


def room_price(room: inventory.SimRoom, currency: str, nights: int) -> Json:
    """Hotel Search v3's price: total = base + the taxes it includes; the city tax is listed
    as not included (paid at the hotel); the average night under `variations`."""
    total = inventory.convert_eur(room.total_eur, currency)
    vat = inventory.convert_eur(room.included_tax_eur, currency)
    nights = max(nights, 1)
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


def policies(hotel: inventory.SimHotel, room: inventory.SimRoom, currency: str) -> Json:
    """A flexible rate: free until its deadline (the hotel's local time, with its offset, as
    the spec says), then the first night; a non-refundable one: the full stay at once
    (`FULL_STAY`, no deadline)."""
    if room.free_cancellation_until is None:
        cancellations: list[Json] = [
            {
                "type": "FULL_STAY",
                "amount": str(inventory.convert_eur(room.total_eur, currency)),
                "description": {"text": "NON-REFUNDABLE RATE", "lang": "EN"},
            }
        ]
    else:
        deadline = inventory.hotel_time(hotel, room.free_cancellation_until)
        cancellations = [
            {
                "deadline": deadline.isoformat(timespec="seconds"),
                "amount": str(inventory.convert_eur(room.penalty_eur, currency)),
                "numberOfNights": 1,
            }
        ]
    return {"paymentType": "GUARANTEE", "cancellations": cancellations}
