"""Duffel Stays' documents as its v2 API writes them, for the simulator: search results, their
accommodation, rooms and rates, and quotes, with every field the JS SDK's types require
(`StaysSearchResult`, `StaysAccommodation`, `StaysRoomRate`, `StaysQuote`: duffel-api-javascript
v4.28.0), over the shared inventory.

A rate's `total_amount` is what Duffel charges (the traveller's price); its
`estimated_commission_amount` is what the seller earns on it (from the rate's source: Duffel
passes on part of the supplier's commission), stated for most rates and not for all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from gateway.reference import City
from simulators.common import inventory, lodging

Json = dict[str, Any]

SOURCES = (
    ("bookingcom", Decimal("0.08")),
    ("expedia", Decimal("0.10")),
    ("priceline", Decimal("0.07")),
    ("travelport", Decimal("0.06")),
    ("duffel_hotel_group", Decimal("0.12")),
)
"""Where Stays' rates come from (the SDK's `StaysSource`), with the share of a rate's total
Duffel estimates as the seller's commission for each."""
UNSTATED_COMMISSION_SHARE = 0.1
"""Share of rates whose commission Duffel does not estimate (its fields null)."""
PUBLIC_MARKUP = (1.04, 1.15)
"""How far the hotel's own public price lies above the cheapest rate, when Stays states it."""
CHAINS = {
    "RT": "Accor",
    "SB": "Accor",
    "PU": "Accor",
    "HL": "Hilton Worldwide",
    "MC": "Marriott International",
    "HY": "Hyatt Hotels Corporation",
    "IC": "IHG Hotels & Resorts",
    "HI": "IHG Hotels & Resorts",
    "BW": "Best Western Hotels & Resorts",
    "RD": "Radisson Hotel Group",
    "KI": "Kempinski Hotels",
}
"""Stays names a chain (`{id, name}`), where Amadeus gives its two-letter code."""
LOYALTY = {
    "Accor": "accor_live_limitless",
    "Hilton Worldwide": "hilton_honors",
    "Marriott International": "marriott_bonvoy",
    "Hyatt Hotels Corporation": "world_of_hyatt",
    "IHG Hotels & Resorts": "ihg_one_rewards",
    "Best Western Hotels & Resorts": "best_western_rewards",
    "Kempinski Hotels": "global_hotel_alliance_discovery",
}
"""A chain's programme, in the SDK's `StaysLoyaltyProgrammeReference` names."""
BEDS = {
    "STANDARD_ROOM": [{"type": "double", "count": 1}],
    "SUPERIOR_ROOM": [{"type": "king", "count": 1}],
    "SUITE": [{"type": "king", "count": 1}, {"type": "sofabed", "count": 1}],
}


@dataclass(frozen=True, slots=True)
class Stay:
    """What a search asked for: the dates, the rooms and who sleeps in them."""

    check_in: date
    check_out: date
    rooms: int
    guests: tuple[int | None, ...]
    """Each guest as asked, in order: None for an adult, a child's age."""

    @property
    def adults(self) -> int:
        return sum(1 for age in self.guests if age is None)

    @property
    def children_ages(self) -> tuple[int, ...]:
        return tuple(age for age in self.guests if age is not None)

    def guest_list(self) -> list[Json]:
        """The guests as Stays echoes them (the SDK's `Guest`), in the order asked."""
        return [
            {"type": "adult"} if age is None else {"type": "child", "age": age}
            for age in self.guests
        ]


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _chain(hotel: inventory.SimHotel) -> str | None:
    return CHAINS.get(hotel.chain_code) if hotel.chain_code else None


def _brand(hotel: inventory.SimHotel) -> Json | None:
    """The chain's brand the hotel's name carries (the longest that fits: "ibis Styles")."""
    named = [
        brand.name
        for brand in lodging.BRANDS
        if brand.chain_code == hotel.chain_code and brand.name.casefold() in hotel.name.casefold()
    ]
    if not named:
        return None
    name = max(named, key=len)
    return {"id": f"bra_{inventory.seeded('brand', name).getrandbits(64):016x}", "name": name}


def accommodation(
    hotel: inventory.SimHotel, city: City | None, position: tuple[float, float]
) -> Json:
    """A hotel as Stays' `StaysAccommodation`, without rooms."""
    chain = _chain(hotel)
    return {
        "id": f"acc_{inventory.seeded('stays-acc', hotel.id).getrandbits(80):020x}",
        "name": hotel.name,
        "rating": hotel.rating,
        "ratings": [{"source": "bookingcom", "value": hotel.rating}],
        "review_score": hotel.review_score,
        "review_count": hotel.review_count,
        "amenities": [
            {"type": amenity, "description": amenity.replace("_", " ").capitalize()}
            for amenity in hotel.amenities
        ],
        "chain": (
            {"id": f"chn_{inventory.seeded('chain', chain).getrandbits(80):020x}", "name": chain}
            if chain
            else None
        ),
        "brand": _brand(hotel),
        "supported_loyalty_programme": LOYALTY.get(chain) if chain else None,
        "check_in_information": {"check_in_after_time": "15:00", "check_out_before_time": "11:00"},
        "email": None,
        "phone_number": None,
        "key_collection": None,
        "location": {
            "geographic_coordinates": {"latitude": position[0], "longitude": position[1]},
            "address": {
                "line_one": hotel.street,
                "postal_code": hotel.postal_code,
                "city_name": city.name if city else hotel.district,
                "country_code": hotel.country,
            },
        },
    }


def rate(
    rate_id: str,
    hotel: inventory.SimHotel,
    room: inventory.SimRoom,
    markup: Decimal,
    stay: Stay,
    currency: str,
    expires: datetime,
) -> Json:
    """A Stays rate: `total_amount` holds the taxes (`tax_amount`), not the city tax
    (`due_at_accommodation_amount`). A flexible rate's timeline refunds everything until the
    deadline, then all but the first night until arrival; a non-refundable one's is empty."""

    def price(eur: Decimal) -> Decimal:
        return inventory.convert_eur(eur * markup, currency)

    total, tax = price(room.total_eur), price(room.included_tax_eur)
    timeline = []
    if room.free_cancellation_until is not None:
        arrival = datetime.combine(stay.check_in, clock_time(15), ZoneInfo(hotel.timezone))
        timeline = [
            {
                "refund_amount": str(total),
                "before": utc(room.free_cancellation_until),
                "currency": currency,
            },
            {
                "refund_amount": str(total - price(room.penalty_eur)),
                "before": utc(arrival),
                "currency": currency,
            },
        ]
    rng = inventory.seeded("stays-rate", rate_id)
    source, share = SOURCES[rng.randrange(len(SOURCES))]
    commission = None
    if rng.random() >= UNSTATED_COMMISSION_SHARE:
        commission = (total * share).quantize(total)
    city_tax = inventory.convert_eur(room.city_tax_eur, currency)
    return {
        "id": rate_id,
        "name": "Flexible rate" if room.refundable else "Non-refundable rate",
        "code": None,
        "description": None,
        "source": source,
        "total_amount": str(total),
        "total_currency": currency,
        "base_amount": str(total - tax),
        "base_currency": currency,
        "tax_amount": str(tax),
        "tax_currency": currency,
        "fee_amount": None,
        "fee_currency": currency,
        "due_at_accommodation_amount": str(city_tax),
        "due_at_accommodation_currency": currency,
        "estimated_commission_amount": str(commission) if commission is not None else None,
        "estimated_commission_currency": currency if commission is not None else None,
        "board_type": room.board_type.lower(),
        "cancellation_timeline": timeline,
        "conditions": [
            {
                "title": "City tax",
                "description": f"{city_tax} {currency} for the stay, paid at the hotel.",
            }
        ],
        "payment_type": "pay_now",
        "available_payment_methods": ["balance", "card"],
        "quantity_available": rng.randint(1, 5),
        "expires_at": utc(expires),
        "supported_loyalty_programme": None,
        "loyalty_programme_required": False,
        "negotiated_rate_id": None,
    }


def stays_room(room: inventory.SimRoom, rates: list[Json]) -> Json:
    """A room (`StaysRoom`): its name, beds and rates."""
    return {
        "name": room.description,
        "beds": BEDS.get(room.category, []),
        "photos": [],
        "rates": rates,
    }


def result(
    result_id: str,
    stay: Stay,
    accommodation_doc: Json,
    rooms: list[Json],
    currency: str,
    expires: datetime,
) -> Json:
    """A search result (`StaysSearchResult`): the accommodation with its rooms, and the
    cheapest rate's amounts; the hotel's public price a little above it, for some."""
    cheapest = min(
        (rate for room_doc in rooms for rate in room_doc["rates"]),
        key=lambda rate: Decimal(rate["total_amount"]),
    )
    total = Decimal(cheapest["total_amount"])
    rng = inventory.seeded("stays-public", result_id)
    public = None
    if rng.random() < 0.6:
        public = (total * Decimal(str(rng.uniform(*PUBLIC_MARKUP)))).quantize(total)
    return {
        "id": result_id,
        "check_in_date": stay.check_in.isoformat(),
        "check_out_date": stay.check_out.isoformat(),
        "rooms": stay.rooms,
        "guests": stay.guest_list(),
        "expires_at": utc(expires),
        "cheapest_rate_total_amount": str(total),
        "cheapest_rate_currency": currency,
        "cheapest_rate_base_amount": cheapest["base_amount"],
        "cheapest_rate_base_currency": currency,
        "cheapest_rate_public_amount": str(public) if public is not None else None,
        "cheapest_rate_public_currency": currency,
        "cheapest_rate_due_at_accommodation_amount": cheapest["due_at_accommodation_amount"],
        "cheapest_rate_due_at_accommodation_currency": currency,
        "accommodation": {**accommodation_doc, "rooms": rooms},
    }


def quote(quote_id: str, found: Json, room_doc: Json, rate_doc: Json, now: Json) -> Json:
    """A quote (`StaysQuote`) for `rate_doc` of `found`'s `room_doc`, at `now`'s amounts (the
    rate as sold now); its accommodation holds that room with that rate only."""
    currency = rate_doc["total_currency"]
    return {
        "id": quote_id,
        "check_in_date": found["check_in_date"],
        "check_out_date": found["check_out_date"],
        "rooms": found["rooms"],
        "guests": found["guests"],
        "accommodation": {
            **found["accommodation"],
            "rooms": [{**room_doc, "rates": [{**rate_doc, **now}]}],
        },
        "total_amount": now["total_amount"],
        "total_currency": currency,
        "base_amount": now["base_amount"],
        "base_currency": currency,
        "tax_amount": now["tax_amount"],
        "tax_currency": currency,
        "fee_amount": rate_doc["fee_amount"],
        "fee_currency": currency,
        "due_at_accommodation_amount": rate_doc["due_at_accommodation_amount"],
        "due_at_accommodation_currency": rate_doc["due_at_accommodation_currency"],
        # A pay-now rate is paid in full at booking: no deposit.
        "deposit_amount": "0.00",
        "deposit_currency": currency,
        "supported_loyalty_programme": rate_doc["supported_loyalty_programme"],
    }
