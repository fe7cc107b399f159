"""Deterministic, plausible travel inventory shared by the provider simulators.

Schedules depend on the route only (a flight number runs every day at the same local time);
fares and availability depend on the day too. Both simulators read the same schedule, so the
same flight is sold by several providers, as in the real market. Airports, cities, coordinates
and time zones come from reference data; times are consistent with durations across zones.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from gateway import reference
from gateway.reference import Airport


@dataclass(frozen=True, slots=True)
class Airline:
    code: str
    name: str
    hub: str


AIRLINES = (
    Airline("AF", "AIR FRANCE", "CDG"),
    Airline("BA", "BRITISH AIRWAYS", "LHR"),
    Airline("LH", "LUFTHANSA", "FRA"),
    Airline("KL", "KLM ROYAL DUTCH AIRLINES", "AMS"),
    Airline("IB", "IBERIA", "MAD"),
    Airline("LX", "SWISS INTERNATIONAL AIR LINES", "ZRH"),
    Airline("TK", "TURKISH AIRLINES", "IST"),
    Airline("EK", "EMIRATES", "DXB"),
    Airline("QR", "QATAR AIRWAYS", "DOH"),
    Airline("UA", "UNITED AIRLINES", "EWR"),
    Airline("DL", "DELTA AIR LINES", "ATL"),
    Airline("AA", "AMERICAN AIRLINES", "DFW"),
    Airline("SQ", "SINGAPORE AIRLINES", "SIN"),
    Airline("CX", "CATHAY PACIFIC", "HKG"),
    Airline("NH", "ALL NIPPON AIRWAYS", "HND"),
)
AIRLINE_BY_CODE = {airline.code: airline for airline in AIRLINES}

NARROW_BODIES = (("320", "AIRBUS A320"), ("32N", "AIRBUS A320NEO"), ("738", "BOEING 737-800"))
WIDE_BODIES = (("789", "BOEING 787-9"), ("359", "AIRBUS A350-900"), ("77W", "BOEING 777-300ER"))
AIRCRAFT_NAMES = dict(NARROW_BODIES + WIDE_BODIES)

CABIN_FACTORS = {
    "ECONOMY": Decimal("1"),
    "PREMIUM_ECONOMY": Decimal("1.7"),
    "BUSINESS": Decimal("3.6"),
    "FIRST": Decimal("6.2"),
}
CHILD_FACTOR = Decimal("0.75")
INFANT_FACTOR = Decimal("0.10")
CENT = Decimal("0.01")


def seeded(*parts: object) -> random.Random:
    """A generator whose sequence depends only on `parts` (stable across processes)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


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
    """Economy fare for one adult on that day, in euros."""
    seats: int

    @property
    def minutes(self) -> int:
        first, last = self.legs[0], self.legs[-1]
        start = first.departs.replace(tzinfo=ZoneInfo(first.origin.timezone))
        end = last.arrives.replace(tzinfo=ZoneInfo(last.destination.timezone))
        return int((end - start).total_seconds() // 60)


@dataclass(frozen=True, slots=True)
class _ScheduledLeg:
    airline: Airline
    number: str
    origin: Airport
    destination: Airport
    departs_at_minute: int
    minutes: int
    aircraft: str
    origin_terminal: str | None
    destination_terminal: str | None


def block_minutes(origin: Airport, destination: Airport) -> int:
    """Gate-to-gate time: taxi and climb, then ~820 km/h, rounded to 5 minutes."""
    km = reference.distance_km(
        origin.latitude, origin.longitude, destination.latitude, destination.longitude
    )
    return int(round((35 + km / 13.7) / 5) * 5)


def _terminal(rng: random.Random) -> str | None:
    return rng.choice((None, "1", "2", "3", "4", "5"))


def _scheduled_leg(
    airline: Airline, origin: Airport, destination: Airport, slot: int
) -> _ScheduledLeg:
    rng = seeded("leg", airline.code, origin.code, destination.code, slot)
    minutes = block_minutes(origin, destination)
    fleet = WIDE_BODIES if minutes > 300 else NARROW_BODIES
    return _ScheduledLeg(
        airline=airline,
        number=str(rng.randint(100, 9899)),
        origin=origin,
        destination=destination,
        departs_at_minute=rng.randrange(6 * 60, 22 * 60, 5),
        minutes=minutes,
        aircraft=rng.choice(fleet)[0],
        origin_terminal=_terminal(rng),
        destination_terminal=_terminal(rng),
    )


@lru_cache(maxsize=4096)
def _route_schedule(
    origin_code: str, destination_code: str
) -> tuple[tuple[_ScheduledLeg, ...], ...]:
    """Daily routings from origin to destination: direct flights and one-stop via hubs."""
    origin = reference.main_airport(origin_code)
    destination = reference.main_airport(destination_code)
    if origin is None or destination is None or origin.code == destination.code:
        return ()
    rng = seeded("route", origin.code, destination.code)
    km = reference.distance_km(
        origin.latitude, origin.longitude, destination.latitude, destination.longitude
    )
    routings: list[tuple[_ScheduledLeg, ...]] = []

    direct_count = rng.randint(2, 4) if km < 13_000 else 0
    for slot, airline in enumerate(rng.sample(AIRLINES, direct_count)):
        routings.append((_scheduled_leg(airline, origin, destination, slot),))

    hubs = []
    for airline in AIRLINES:
        hub = reference.airport(airline.hub)
        if hub is None:
            continue
        to_hub = reference.distance_km(
            origin.latitude, origin.longitude, hub.latitude, hub.longitude
        )
        from_hub = reference.distance_km(
            hub.latitude, hub.longitude, destination.latitude, destination.longitude
        )
        if min(to_hub, from_hub) >= 250 and to_hub + from_hub <= 1.45 * km + 300:
            hubs.append((airline, hub))
    rng.shuffle(hubs)
    for slot, (airline, hub) in enumerate(hubs[: rng.randint(3, 6)]):
        first = _scheduled_leg(airline, origin, hub, 10 + slot)
        second = _scheduled_leg(airline, hub, destination, 20 + slot)
        routings.append((first, second))
    return tuple(routings)


def _local_arrival(
    departs: datetime, origin: Airport, destination: Airport, minutes: int
) -> datetime:
    start = departs.replace(tzinfo=ZoneInfo(origin.timezone))
    end = (start + timedelta(minutes=minutes)).astimezone(ZoneInfo(destination.timezone))
    return end.replace(tzinfo=None)


def _legs_on(routing: tuple[_ScheduledLeg, ...], day: date) -> tuple[Leg, ...]:
    legs: list[Leg] = []
    departs = datetime.combine(day, datetime.min.time()) + timedelta(
        minutes=routing[0].departs_at_minute
    )
    for index, scheduled in enumerate(routing):
        if index > 0:
            previous = legs[-1]
            # Connect 70–200 minutes after arrival, in the hub's local time.
            layover = 70 + (scheduled.departs_at_minute % 27) * 5
            departs = previous.arrives + timedelta(minutes=layover)
        arrives = _local_arrival(
            departs, scheduled.origin, scheduled.destination, scheduled.minutes
        )
        legs.append(
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
        )
    return tuple(legs)


def journeys(origin_code: str, destination_code: str, day: date) -> list[Journey]:
    """Every journey on `day`, cheapest first; the same answer for the same arguments."""
    found = []
    for routing in _route_schedule(origin_code.upper(), destination_code.upper()):
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
        fare = Decimal(str(45 + flown_km * 0.085 * rng.uniform(0.75, 1.45)))
        if len(legs) > 1:
            fare *= Decimal("0.85")
        found.append(
            Journey(
                key=key,
                legs=legs,
                fare_eur=fare.quantize(CENT, ROUND_HALF_UP),
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
    journeys_: tuple[Journey, ...], cabin: str, adults: int, children: int, infants: int
) -> Decimal:
    """Total fare in euros for the party in `cabin` across the journeys of one offer."""
    per_adult = sum((journey.fare_eur for journey in journeys_), Decimal(0)) * CABIN_FACTORS[cabin]
    party = adults + CHILD_FACTOR * children + INFANT_FACTOR * infants
    return (per_adult * party).quantize(CENT, ROUND_HALF_UP)


# ----------------------------------------------------------------------------------- hotels

CHAINS = (
    ("HL", "Hilton"),
    ("MC", "Marriott"),
    ("HY", "Hyatt"),
    ("NV", "Novotel"),
    ("IB", "ibis"),
    ("BW", "Best Western"),
    ("RD", "Radisson Blu"),
    ("HI", "Holiday Inn"),
)
DISTRICTS = (
    "Centre",
    "Old Town",
    "Riverside",
    "Central Station",
    "Opera",
    "Park",
    "Harbour",
    "Cathedral",
    "Gardens",
    "Airport",
    "Exhibition Centre",
    "Market Square",
)
INDEPENDENT_NAMES = (
    "Hotel Le Grand",
    "The Lantern House",
    "Hotel Aurora",
    "Maison Verte",
    "The Kingsley",
    "Hotel Miramar",
    "Casa del Sol",
    "The Foundry Rooms",
    "Hotel Belvedere",
    "The Linden",
)
NIGHTLY_EUR_BY_RATING = {2: 62, 3: 98, 4: 155, 5: 290}
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
    latitude: float
    longitude: float
    rating: int
    distance_km: float


@dataclass(frozen=True, slots=True)
class SimRoom:
    id: str
    category: str
    description: str
    board_type: str
    total_eur: Decimal
    refundable: bool


@lru_cache(maxsize=1024)
def hotels(city_code: str) -> tuple[SimHotel, ...]:
    """The hotels of a city, nearest to the centre first; empty for an unknown code."""
    city = reference.city(city_code)
    if city is None:
        return ()
    rng = seeded("hotels", city.code)
    found = []
    for index in range(rng.randint(30, 55)):
        chain = rng.choice(CHAINS + (None,) * 3)
        name = (
            f"{chain[1]} {city.name} {rng.choice(DISTRICTS)}"
            if chain
            else f"{rng.choice(INDEPENDENT_NAMES)} {city.name}"
        )
        # Within ~9 km of the centre: 1 degree of latitude is ~111 km.
        lat = city.latitude + rng.uniform(-0.08, 0.08)
        lon = city.longitude + rng.uniform(-0.08, 0.08)
        distance = reference.distance_km(city.latitude, city.longitude, lat, lon)
        chain_code = chain[0] if chain else "XX"
        found.append(
            SimHotel(
                id=f"{chain_code}{city.code}{index:03d}",
                name=name,
                chain_code=chain[0] if chain else None,
                city_code=city.code,
                latitude=round(lat, 5),
                longitude=round(lon, 5),
                rating=rng.choice((2, 3, 3, 4, 4, 4, 5)),
                distance_km=round(distance, 2),
            )
        )
    found.sort(key=lambda hotel: (hotel.distance_km, hotel.id))
    return tuple(found)


def rooms(
    hotel: SimHotel, check_in: date, check_out: date, adults: int, room_count: int
) -> list[SimRoom]:
    """Rooms on sale for the stay, cheapest first; some hotels are full on some dates."""
    rng = seeded("rooms", hotel.id, check_in.isoformat(), check_out.isoformat())
    if rng.random() < 0.15:
        return []
    nights = max((check_out - check_in).days, 1)
    nightly = Decimal(NIGHTLY_EUR_BY_RATING[hotel.rating]) * Decimal(str(rng.uniform(0.8, 1.3)))
    weekend_nights = sum(1 for n in range(nights) if (check_in + timedelta(days=n)).weekday() >= 4)
    occupancy = 1 + Decimal("0.25") * max(adults - room_count, 0) / room_count
    offered = []
    for index, (category, description, factor) in enumerate(ROOM_TYPES[: rng.randint(1, 3)]):
        board = rng.choice(("ROOM_ONLY", "BREAKFAST"))
        total = (
            nightly * factor * occupancy * room_count * (nights + Decimal("0.15") * weekend_nights)
        )
        if board == "BREAKFAST":
            total += Decimal(18 * nights * max(adults, 1))
        offered.append(
            SimRoom(
                id=f"{hotel.id}{check_in:%m%d}{index}",
                category=category,
                description=description,
                board_type=board,
                total_eur=total.quantize(CENT, ROUND_HALF_UP),
                refundable=rng.random() < 0.6,
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
