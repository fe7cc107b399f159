"""Deterministic, plausible travel inventory shared by the provider simulators.

Schedules depend on the route only (`simulators.common.schedule`: a flight number runs every
day at the same local time); fares and availability depend on the day too. Every simulator
reads the same schedule, so the same flight is sold by several providers, as in the real
market, each flight in several fares (Basic, Standard, Flex). Airports, cities, coordinates and
time zones come from reference data; times are consistent with durations across zones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import TypedDict
from zoneinfo import ZoneInfo

from gateway import domain, reference
from gateway.airlines import AIRCRAFT, Airline
from gateway.reference import Airport
from simulators.common import lodging
from simulators.common.schedule import Routing, block_minutes, route_schedule
from simulators.common.seeds import seeded

__all__ = [
    "AIRCRAFT",
    "CENT",
    "FARE_BRANDS",
    "SIMULATOR_EUR_RATES",
    "Airline",
    "FareBrand",
    "Journey",
    "Leg",
    "SimHotel",
    "SimRoom",
    "block_minutes",
    "booking_class",
    "co2_kg",
    "convert_eur",
    "fare",
    "fare_basis",
    "hotel_time",
    "hotels",
    "journeys",
    "priced",
    "rooms",
    "round_trips",
    "seats",
    "seeded",
]

CABIN_FACTORS = {
    "ECONOMY": Decimal("1"),
    "PREMIUM_ECONOMY": Decimal("1.7"),
    "BUSINESS": Decimal("3.6"),
    "FIRST": Decimal("6.2"),
}
CHILD_FACTOR = Decimal("0.75")
INFANT_FACTOR = Decimal("0.10")
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class FareBrand:
    """A fare family of the same seats: what it includes, at a multiple of the lowest fare."""

    code: str
    """As Amadeus's `brandedFare` (BASIC)."""
    name: str
    """As Duffel's `fare_brand_name` (Basic)."""
    factor: Decimal
    checked_bags: int
    changeable: bool
    refundable: bool
    change_fee_eur: Decimal | None = None
    """Per traveller, when a change is allowed: None when it is free."""
    cabin_bags: int = 1


FARE_BRANDS = (
    FareBrand("BASIC", "Basic", Decimal("1"), 0, changeable=False, refundable=False),
    FareBrand(
        "STANDARD",
        "Standard",
        Decimal("1.24"),
        1,
        changeable=True,
        refundable=False,
        change_fee_eur=Decimal("75"),
    ),
    FareBrand("FLEX", "Flex", Decimal("1.85"), 2, changeable=True, refundable=True),
)
"""Every flight is sold in each, at rising prices with more bags and flexibility (Basic: no
checked bag, no change; Standard: a bag, changes for a fee; Flex: two bags, free changes,
refundable); each is its own offer on the wire."""

BOOKING_CLASSES = {
    "ECONOMY": ("O", "M", "Y"),
    "PREMIUM_ECONOMY": ("T", "E", "W"),
    "BUSINESS": ("I", "D", "J"),
    "FIRST": ("A", "A", "F"),
}
"""Booking classes of each cabin's fare brands, cheapest first (RBDs as carriers file them)."""


def booking_class(cabin: str, brand: FareBrand) -> str:
    return BOOKING_CLASSES[cabin][FARE_BRANDS.index(brand)]


def fare_basis(journeys_: tuple[Journey, ...], cabin: str, brand: FareBrand) -> str:
    """The carrier's fare basis code: the same whichever provider sells the fare."""
    return f"{booking_class(cabin, brand)}{brand.code[:3]}{journeys_[0].legs[0].airline.code}"


CO2_KG_PER_PASSENGER_KM = {
    "ECONOMY": Decimal("0.09"),
    "PREMIUM_ECONOMY": Decimal("0.135"),
    "BUSINESS": Decimal("0.27"),
    "FIRST": Decimal("0.36"),
}
"""Emissions per seated passenger and kilometre flown: economy ~0.09 kg, premium ×1.5,
business ×3, first ×4 (a wider seat carries a larger share of the aircraft)."""


@dataclass(frozen=True, slots=True)
class Leg:
    airline: Airline
    number: str
    origin: Airport
    destination: Airport
    departs: datetime
    """Local time at the origin, without offset."""
    arrives: datetime
    """Local time at the destination, without offset."""
    minutes: int
    aircraft: str
    origin_terminal: str | None
    destination_terminal: str | None


@dataclass(frozen=True, slots=True)
class Journey:
    """One way from origin to destination on one day: one leg, or two via a hub."""

    key: str
    legs: tuple[Leg, ...]
    fare_eur: Decimal
    """Lowest (Basic) economy fare for one adult on that day, in euros."""
    seats: int

    @property
    def minutes(self) -> int:
        first, last = self.legs[0], self.legs[-1]
        start = first.departs.replace(tzinfo=ZoneInfo(first.origin.timezone))
        end = last.arrives.replace(tzinfo=ZoneInfo(last.destination.timezone))
        return int((end - start).total_seconds() // 60)


def _local_arrival(
    departs: datetime, origin: Airport, destination: Airport, minutes: int
) -> datetime:
    start = departs.replace(tzinfo=ZoneInfo(origin.timezone))
    end = (start + timedelta(minutes=minutes)).astimezone(ZoneInfo(destination.timezone))
    return end.replace(tzinfo=None)


def _local_departure(
    arrives: datetime, origin: Airport, destination: Airport, minutes: int
) -> datetime:
    end = arrives.replace(tzinfo=ZoneInfo(destination.timezone))
    start = (end - timedelta(minutes=minutes)).astimezone(ZoneInfo(origin.timezone))
    return start.replace(tzinfo=None)


def _times_on(routing: Routing, day: date) -> list[tuple[datetime, datetime]]:
    """Each leg's local departure and arrival for a journey leaving on `day`: the anchor leg at
    its time, a feeder before it or an onward leg after it, `layover` minutes apart."""
    if routing.anchor == 0:
        times: list[tuple[datetime, datetime]] = []
        departs = _at(day, routing.legs[0].departs_at_minute)
        for index, leg in enumerate(routing.legs):
            if index > 0:
                departs = times[-1][1] + timedelta(minutes=routing.layover)
            times.append(
                (departs, _local_arrival(departs, leg.origin, leg.destination, leg.minutes))
            )
        return times
    feeder, anchor = routing.legs
    for anchor_day in (day, day + timedelta(days=1)):
        # A hub's night bank: the feeder leaves on `day`, the long leg after midnight.
        anchor_departs = _at(anchor_day, anchor.departs_at_minute)
        feeder_arrives = anchor_departs - timedelta(minutes=routing.layover)
        feeder_departs = _local_departure(
            feeder_arrives, feeder.origin, feeder.destination, feeder.minutes
        )
        if feeder_departs.date() >= day:
            break
    anchor_arrives = _local_arrival(
        anchor_departs, anchor.origin, anchor.destination, anchor.minutes
    )
    return [(feeder_departs, feeder_arrives), (anchor_departs, anchor_arrives)]


def _at(day: date, minute: int) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute)


def _legs_on(routing: Routing, day: date) -> tuple[Leg, ...]:
    return tuple(
        Leg(
            airline=scheduled.airline,
            number=scheduled.number,
            origin=scheduled.origin,
            destination=scheduled.destination,
            departs=departs,
            arrives=arrives,
            minutes=scheduled.minutes,
            aircraft=scheduled.aircraft,
            origin_terminal=scheduled.origin_terminal,
            destination_terminal=scheduled.destination_terminal,
        )
        for scheduled, (departs, arrives) in zip(routing.legs, _times_on(routing, day), strict=True)
    )


def journeys(origin_code: str, destination_code: str, day: date) -> list[Journey]:
    """Every journey on `day`, cheapest first; the same answer for the same arguments."""
    found = []
    for routing in route_schedule(origin_code.upper(), destination_code.upper()):
        legs = _legs_on(routing, day)
        key = "-".join(f"{leg.airline.code}{leg.number}" for leg in legs) + f"@{day.isoformat()}"
        rng = seeded("fare", key)
        flown_km = sum(
            reference.distance_km(
                leg.origin.latitude,
                leg.origin.longitude,
                leg.destination.latitude,
                leg.destination.longitude,
            )
            for leg in legs
        )
        fare_eur = Decimal(str(45 + flown_km * 0.07 * rng.uniform(0.75, 1.45)))
        if len(legs) > 1:
            fare_eur *= Decimal("0.85")
        found.append(
            Journey(
                key=key,
                legs=legs,
                fare_eur=fare_eur.quantize(CENT, ROUND_HALF_UP),
                seats=rng.randint(1, 9),
            )
        )
    found.sort(key=lambda journey: (journey.fare_eur, journey.key))
    return found


def round_trips(outbound: list[Journey], inbound: list[Journey]) -> list[tuple[Journey, Journey]]:
    """A deterministic selection of outbound × inbound pairs (each outbound with two returns)."""
    if not outbound or not inbound:
        return []
    pairs = []
    for index, out in enumerate(outbound):
        for step in (0, 1):
            back = inbound[(index + step) % len(inbound)]
            if back.legs[0].departs > out.legs[-1].arrives and (out, back) not in pairs:
                pairs.append((out, back))
    return pairs


def fare(
    journeys_: tuple[Journey, ...],
    cabin: str,
    adults: int,
    children: int,
    infants: int,
    brand: FareBrand = FARE_BRANDS[0],
) -> Decimal:
    """Total fare in euros for the party in `cabin` and `brand` across one offer's journeys."""
    per_adult = sum((journey.fare_eur for journey in journeys_), Decimal(0)) * CABIN_FACTORS[cabin]
    party = adults + CHILD_FACTOR * children + INFANT_FACTOR * infants
    return (per_adult * brand.factor * party).quantize(CENT, ROUND_HALF_UP)


def flight_party(adults: int, ages: tuple[int, ...] = ()) -> tuple[int, int, int]:
    """Adults, children and lap infants as airlines' fares count them (`domain.fare_bands`)."""
    return domain.fare_bands(adults, ages)


def co2_kg(journeys_: tuple[Journey, ...], cabin: str, seated: int) -> int:
    """Kilograms of CO2 for `seated` passengers over every leg flown (great-circle distance)."""
    km = sum(
        reference.distance_km(
            leg.origin.latitude, leg.origin.longitude,
            leg.destination.latitude, leg.destination.longitude,
        )
        for journey in journeys_
        for leg in journey.legs
    )  # fmt: skip
    return int((Decimal(str(km)) * CO2_KG_PER_PASSENGER_KM[cabin] * seated).to_integral_value())


def seats(journeys_: tuple[Journey, ...], brand: FareBrand) -> int:
    """Seats left at the fare: the fewest over the journeys, 1–9 as GDSs count them."""
    return min(seeded("seats", journey.key, brand.code).randint(1, 9) for journey in journeys_)


def priced(
    combos: list[tuple[Journey, ...]], cabin: str, adults: int, children: int, infants: int
) -> list[tuple[tuple[Journey, ...], FareBrand, Decimal]]:
    """Every combination in every fare brand with its total in euros, cheapest first."""
    offers = [
        (combo, brand, fare(combo, cabin, adults, children, infants, brand))
        for combo in combos
        for brand in FARE_BRANDS
    ]
    offers.sort(key=lambda offer: offer[2])
    return offers


# ----------------------------------------------------------------------------------- hotels

NIGHTLY_EUR_BY_RATING = {2: 62, 3: 98, 4: 155, 5: 290}
FREE_CANCELLATION_DAYS = 2
"""A flexible rate is free to cancel until noon, hotel time, this many days before arrival."""
VAT_SHARE = Decimal("0.10")
"""Of a total, the VAT inside it (a 10 % rate: total × 10/110 would be exact; near enough)."""
CITY_TAX_EUR_BY_RATING = {
    2: Decimal("1.00"),
    3: Decimal("1.88"),
    4: Decimal("3.25"),
    5: Decimal("5.00"),
}
"""Per guest and night, paid at the hotel (Paris's taxe de séjour scale, roughly)."""
BREAKFAST_EUR = 18
HALF_BOARD_EUR = 45
"""Per guest and night, on top of the room."""
AMENITIES_BY_RATING = {
    2: ("wifi",),
    3: ("wifi", "24_hour_front_desk", "laundry"),
    4: ("wifi", "24_hour_front_desk", "laundry", "restaurant", "gym", "room_service"),
    5: ("wifi", "24_hour_front_desk", "laundry", "restaurant", "gym", "room_service", "spa",
        "concierge", "pool"),
}  # fmt: skip
"""Duffel Stays' amenity types a hotel of each rating has, at least."""
OPTIONAL_AMENITIES = ("parking", "pets_allowed", "business_centre", "accessibility_mobility")
_STREETS = {
    "FR": "{n} rue de {district}", "BE": "{n} rue de {district}", "ES": "Calle de {district} {n}",
    "IT": "Via {district} {n}", "PT": "Rua {district} {n}", "DE": "{district}er Straße {n}",
    "AT": "{district}er Straße {n}", "CH": "{district}strasse {n}", "NL": "{district}straat {n}",
}  # fmt: skip
"""A street line, by country; elsewhere "{n} {district} Road"."""
ROOM_TYPES = (
    ("STANDARD_ROOM", "Standard room, one double bed", Decimal("1")),
    ("SUPERIOR_ROOM", "Superior room, king bed, city view", Decimal("1.35")),
    ("SUITE", "Junior suite with separate living area", Decimal("2.1")),
)


@dataclass(frozen=True, slots=True)
class SimHotel:
    id: str
    name: str
    chain_code: str | None
    city_code: str
    district: str
    """The part of the city it stands in, the end of a chain branch's name."""
    latitude: float
    longitude: float
    rating: int
    distance_km: float
    timezone: str
    """The city's (its main airport's), for the hotel's local times."""
    street: str
    postal_code: str
    country: str
    review_score: float
    """Guests' score out of 10."""
    review_count: int
    amenities: tuple[str, ...]
    """Duffel Stays' amenity types."""


@dataclass(frozen=True, slots=True)
class SimRoom:
    id: str
    category: str
    description: str
    board_type: str
    """ROOM_ONLY, BREAKFAST or HALF_BOARD."""
    total_eur: Decimal
    """For the stay and every room, taxes included (not the city tax)."""
    refundable: bool
    free_cancellation_until: datetime | None
    """In UTC: noon, hotel time, `FREE_CANCELLATION_DAYS` before arrival; None when not
    refundable."""
    penalty_eur: Decimal
    """What cancelling costs after that (the first night), or at once (the whole stay)."""
    included_tax_eur: Decimal
    """VAT inside `total_eur`."""
    city_tax_eur: Decimal
    """Paid at the hotel, outside `total_eur`."""


@lru_cache(maxsize=1024)
def hotels(city_code: str) -> tuple[SimHotel, ...]:
    """The hotels of a city (`simulators.common.lodging`), nearest to the centre first; empty
    for an unknown code."""
    city = reference.city(city_code)
    if city is None:
        return ()
    timezone = city.airports[0].timezone if city.airports else "UTC"
    found = [
        SimHotel(
            id=f"{place.chain_code or 'XX'}{city.code}{index:03d}",
            name=place.name,
            chain_code=place.chain_code,
            city_code=city.code,
            district=place.district,
            latitude=place.latitude,
            longitude=place.longitude,
            rating=place.rating,
            distance_km=round(
                reference.distance_km(
                    city.latitude, city.longitude, place.latitude, place.longitude
                ),
                2,
            ),
            timezone=timezone,
            country=city.country,
            **_details(f"{place.chain_code or 'XX'}{city.code}{index:03d}", place, city.country),
        )
        for index, place in enumerate(lodging.properties(city.code))
    ]
    found.sort(key=lambda hotel: (hotel.distance_km, hotel.id))
    return tuple(found)


class _Details(TypedDict):
    street: str
    postal_code: str
    review_score: float
    review_count: int
    amenities: tuple[str, ...]


def _details(hotel_id: str, place: lodging.Property, country: str) -> _Details:
    """Address, reviews and amenities, from a generator of their own (the other values keep
    the draws they always had)."""
    rng = seeded("hotel-details", hotel_id)
    pattern = _STREETS.get(country, "{n} {district} Road")
    optional = tuple(a for a in OPTIONAL_AMENITIES if rng.random() < 0.4)
    return _Details(
        street=pattern.format(n=rng.randint(1, 180), district=place.district),
        postal_code=f"{rng.randint(10, 99)}{rng.randint(0, 999):03d}",
        review_score=round(min(9.8, 5.9 + place.rating * 0.65 + rng.uniform(-0.4, 0.4)), 1),
        review_count=rng.randint(40, 4000),
        amenities=AMENITIES_BY_RATING[place.rating] + optional,
    )


def _deadline(hotel: SimHotel, check_in: date) -> datetime:
    """Noon at the hotel `FREE_CANCELLATION_DAYS` before arrival, in UTC."""
    day = check_in - timedelta(days=FREE_CANCELLATION_DAYS)
    return datetime.combine(day, time(12), ZoneInfo(hotel.timezone)).astimezone(UTC)


def hotel_time(hotel: SimHotel, moment: datetime) -> datetime:
    """`moment` on the hotel's clock, with its offset (as Amadeus and Hotelbeds write times)."""
    return moment.astimezone(ZoneInfo(hotel.timezone))


CHILD_ROOM_SHARE = Decimal("0.15")
"""What a child aged 2 or more adds to a room's price, as a share of an adult's surcharge's
base; children under 2 stay free, and eat free."""


def rooms(
    hotel: SimHotel,
    check_in: date,
    check_out: date,
    adults: int,
    room_count: int,
    children_ages: tuple[int, ...] = (),
) -> list[SimRoom]:
    """Rooms on sale for the stay, cheapest first; some hotels are full on some dates. Children
    cost by age (under 2 free; 2 to 11 a share of the room and half of the meals; 12 and over
    as adults)."""
    rng = seeded("rooms", hotel.id, check_in.isoformat(), check_out.isoformat())
    if rng.random() < 0.15:
        return []
    nights = max((check_out - check_in).days, 1)
    nightly = Decimal(NIGHTLY_EUR_BY_RATING[hotel.rating]) * Decimal(str(rng.uniform(0.8, 1.3)))
    weekend_nights = sum(1 for n in range(nights) if (check_in + timedelta(days=n)).weekday() >= 4)
    grown = adults + sum(1 for age in children_ages if age >= 12)
    young = sum(1 for age in children_ages if 2 <= age < 12)
    occupancy = (
        1
        + Decimal("0.25") * max(grown - room_count, 0) / room_count
        + CHILD_ROOM_SHARE * young / room_count
    )
    meals = seeded("meals", hotel.id, check_in.isoformat())
    guests = max(grown, 1)
    eaters = guests + Decimal("0.5") * young
    city_tax = (CITY_TAX_EUR_BY_RATING[hotel.rating] * guests * nights).quantize(CENT)
    offered = []
    for index, (category, description, factor) in enumerate(ROOM_TYPES[: rng.randint(1, 3)]):
        board = rng.choice(("ROOM_ONLY", "BREAKFAST"))
        if board == "BREAKFAST" and hotel.rating >= 4 and meals.random() < 0.3:
            board = "HALF_BOARD"
        total = (
            nightly * factor * occupancy * room_count * (nights + Decimal("0.15") * weekend_nights)
        )
        if board == "BREAKFAST":
            total += BREAKFAST_EUR * nights * eaters
        elif board == "HALF_BOARD":
            total += HALF_BOARD_EUR * nights * eaters
        total = total.quantize(CENT, ROUND_HALF_UP)
        refundable = rng.random() < 0.6
        offered.append(
            SimRoom(
                id=f"{hotel.id}{check_in:%m%d}{index}",
                category=category,
                description=description,
                board_type=board,
                total_eur=total,
                refundable=refundable,
                free_cancellation_until=_deadline(hotel, check_in) if refundable else None,
                penalty_eur=(total / nights).quantize(CENT, ROUND_HALF_UP) if refundable else total,
                included_tax_eur=(total * VAT_SHARE).quantize(CENT, ROUND_HALF_UP),
                city_tax_eur=city_tax,
            )
        )
    offered.sort(key=lambda room: room.total_eur)
    return offered


# The simulators' own conversion (near the ECB reference rates of March 2026): providers convert
# with rates of their own, which never quite match the gateway's reference rates.
SIMULATOR_EUR_RATES = {
    "EUR": Decimal("1"),
    "USD": Decimal("1.15"),
    "GBP": Decimal("0.865"),
    "CHF": Decimal("0.905"),
    "JPY": Decimal("183"),
    "SEK": Decimal("10.75"),
    "CAD": Decimal("1.57"),
    "AUD": Decimal("1.63"),
}


def convert_eur(amount: Decimal, currency: str) -> Decimal:
    """Amount in `currency` (KeyError when the simulator has no rate for it)."""
    value = amount * SIMULATOR_EUR_RATES[currency]
    return value.quantize(Decimal(1) if currency == "JPY" else CENT, ROUND_HALF_UP)
