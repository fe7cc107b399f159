"""Who flies a route, how often, and when: the daily schedule the simulators sell.

- Nonstops only by carriers with a hub at one end of the route (`gateway.airlines`), as often
  as the two ends' hubs warrant: LHR–JFK, between two carriers' home hubs and three carriers'
  base, about two dozen a day; a thin route one or two; none between a city's own airports.
- One-stops through a hub of the carrier that flies both legs, where the detour is reasonable.
- Long-haul departures in the windows airlines keep (`WINDOWS`): Europe to the Americas by day,
  back overnight; Europe–Asia overnight; the Gulf hubs' night and morning banks. Short haul
  spread through the day.

A route's schedule depends on the route only (a flight number leaves at the same local time
every day) and is computed once per route: a few hundred distance computations, under a
millisecond.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway import airlines, reference
from gateway.airlines import Airline
from gateway.reference import Airport
from simulators.common.seeds import seeded

LONG_HAUL_KM = 4000.0
"""From here a leg keeps its region pair's departure window, and needs a long-haul aircraft."""
NARROW_BODY_KM = 4500.0
"""Farthest a narrow body flies, but for the A321neo (LR), which crosses the Atlantic."""
LONG_RANGE_NARROW_KM = 7000.0
"""Farthest the A321neo (LR) flies."""
SHORTEST_ROUTE_KM = 150.0
"""Nearer airports are not flown between (JFK–EWR, 33 km: a drive, though Newark is not in
the NYC metropolitan code of our airport table)."""
NONSTOP_KM = 13_000.0
"""Longer routes are flown with a stop."""
WIDE_BODY_ONLY_FROM_KM = 2000.0
"""A carrier without narrow bodies (Emirates, Virgin Atlantic) flies nothing shorter."""
MAX_FREQUENCIES = 8
"""Most nonstops one carrier flies a day on one route."""
MAX_NARROW_LONG_HAUL = 2
"""Most long-haul nonstops a day on a narrow body (JetBlue's A321LR across the Atlantic)."""

DETOUR = (1.3, 200.0)
"""A hub is on the way when both legs together fly at most 1.3 × the distance + 200 km: via
Amsterdam or Boston from London to New York, not via Casablanca."""

_DAY = (6 * 60, 21 * 60 + 45)
"""Short and medium haul: first and last departure, minutes after local midnight."""

_GULF = frozenset({"AE", "QA", "BH", "KW", "OM", "SA"})

WINDOWS: dict[tuple[str, str], tuple[tuple[int, int], ...]] = {
    ("EU", "AM"): ((8 * 60, 17 * 60),),
    ("AM", "EU"): ((17 * 60, 23 * 60),),
    ("EU", "AS"): ((17 * 60, 23 * 60 + 30),),
    ("AS", "EU"): ((21 * 60, 23 * 60 + 55),),
    ("AM", "AS"): ((10 * 60, 17 * 60),),
    ("AS", "AM"): ((15 * 60 + 30, 22 * 60 + 30),),
    ("AM", "OC"): ((20 * 60, 23 * 60 + 45),),
    ("OC", "AM"): ((9 * 60, 16 * 60),),
    ("AS", "OC"): ((19 * 60, 23 * 60 + 55),),
    ("OC", "AS"): ((9 * 60, 16 * 60 + 30),),
    ("EU", "AF"): ((19 * 60, 23 * 60 + 30),),
    ("AF", "EU"): ((19 * 60, 23 * 60 + 30),),
    ("GULF", "*"): ((1 * 60 + 30, 3 * 60 + 30), (7 * 60 + 30, 10 * 60)),
}
"""Local departure windows of long-haul legs by (origin region, destination region): regions
are GeoNames' continents, the Americas as one (AM), Turkey with Europe and the Gulf states as
GULF, whose hubs' long-haul flights leave in night and morning banks."""
_ANY_LONG_HAUL = ((7 * 60, 23 * 60),)
_REFERENCE_DAY = datetime(2026, 1, 15)
"""A day of standard time, to place a connection's feeder before its long leg (each day's
times are then computed exactly, see `simulators.common.inventory`)."""


@dataclass(frozen=True, slots=True)
class ScheduledLeg:
    airline: Airline
    number: str
    origin: Airport
    destination: Airport
    departs_at_minute: int
    """Local minutes after midnight; only the routing's anchor leg's is kept to."""
    minutes: int
    aircraft: str
    origin_terminal: str | None
    destination_terminal: str | None


@dataclass(frozen=True, slots=True)
class Routing:
    """One daily way from origin to destination: a nonstop, or two legs via a hub."""

    legs: tuple[ScheduledLeg, ...]
    anchor: int
    """The leg whose departure time is fixed: the long one. The other is timed around it."""
    layover: int = 0
    """Minutes at the hub."""


def block_minutes(origin: Airport, destination: Airport) -> int:
    """Gate-to-gate time: taxi and climb, then ~820 km/h, rounded to 5 minutes."""
    return _block(_km(origin, destination))


def _block(km: float) -> int:
    return int(round((35 + km / 13.7) / 5) * 5)


def _km(origin: Airport, destination: Airport) -> float:
    return reference.distance_km(
        origin.latitude, origin.longitude, destination.latitude, destination.longitude
    )


def _region(country: str) -> str:
    if country in _GULF:
        return "GULF"
    if country == "TR":
        return "EU"
    found = reference.continent(country) or "?"
    return "AM" if found in ("NA", "SA") else found


def windows(origin: Airport, destination: Airport) -> tuple[tuple[int, int], ...]:
    """The local departure windows of a nonstop between the two airports."""
    if _km(origin, destination) < LONG_HAUL_KM:
        return (_DAY,)
    pair = (_region(origin.country), _region(destination.country))
    return WINDOWS.get(pair) or WINDOWS.get((pair[0], "*")) or _ANY_LONG_HAUL


def flies(airline: Airline, km: float) -> bool:
    """Whether the carrier's fleet covers a leg of `km` nonstop."""
    if km > NONSTOP_KM:
        return False
    if not airline.narrow_bodies:
        return km >= WIDE_BODY_ONLY_FROM_KM
    if km <= NARROW_BODY_KM:
        return True
    return bool(airline.wide_bodies) or (
        "32Q" in airline.narrow_bodies and km <= LONG_RANGE_NARROW_KM
    )


def _aircraft(airline: Airline, km: float, rng: random.Random) -> str:
    if km > NARROW_BODY_KM or not airline.narrow_bodies:
        return rng.choice(airline.wide_bodies or ("32Q",))
    return rng.choice(airline.narrow_bodies)


@functools.lru_cache(maxsize=8192)
def _terminal(airline: str, airport: str) -> str | None:
    """A carrier uses one terminal at an airport (None where the airport names none)."""
    return seeded("terminal", airline, airport).choice((None, "1", "2", "3", "4", "5"))


def _number(airline: Airline, origin: Airport, destination: Airport, slot: int, km: float) -> str:
    """Flight numbers in a block per carrier and airport pair, odd one way, even the other
    (BA 117 out, BA 116 back); long haul in the low hundreds, as carriers number them."""
    first, second = sorted((origin.code, destination.code))
    base = _number_base(airline.code, first, second, km >= LONG_HAUL_KM)
    return str(base + 2 * slot + (origin.code == first))


@functools.lru_cache(maxsize=16384)
def _number_base(airline: str, first: str, second: str, long_haul: bool) -> int:
    low, high = (2, 400) if long_haul else (300, 2900)
    return seeded("numbers", airline, first, second).randrange(low, high) // 2 * 2


def _leg(
    airline: Airline,
    origin: Airport,
    destination: Airport,
    slot: int,
    departs: int,
    km: float,
    rng: random.Random,
) -> ScheduledLeg:
    return ScheduledLeg(
        airline=airline,
        number=_number(airline, origin, destination, slot, km),
        origin=origin,
        destination=destination,
        departs_at_minute=departs,
        minutes=_block(km),
        aircraft=_aircraft(airline, km, rng),
        origin_terminal=_terminal(airline.code, origin.code),
        destination_terminal=_terminal(airline.code, destination.code),
    )


def _spread(window: tuple[int, int], index: int, count: int, rng: random.Random) -> int:
    """The `index`-th of `count` departures spread across a window, on 5 minutes."""
    low, high = window
    step = (high - low) / count
    return int(low + step * (index + rng.uniform(0.15, 0.85))) // 5 * 5


def _weight(airport: Airport) -> int:
    """How much of a hub an airport is: 2 per carrier whose primary hub it is, 1 per other."""
    return min(
        5, sum(2 if a.bases[0] == airport.code else 1 for a in airlines.based_at(airport.code))
    )


def _frequencies(airline: Airline, origin: Airport, destination: Airport, km: float) -> int:
    """Nonstops a day: the two ends' weights against the distance, more from a home hub."""
    pair = _weight(origin) * _weight(destination)
    divisor = 1.0 if km < 1500 else 2.0 if km < LONG_HAUL_KM else 3.5
    home = airline.bases[0] in (origin.code, destination.code)
    rng = seeded("frequencies", airline.code, origin.code, destination.code)
    wanted = pair / divisor * (1.5 if home else 1.0) + rng.choice((-1, 0, 0, 1))
    most = (
        MAX_NARROW_LONG_HAUL if km > NARROW_BODY_KM and not airline.wide_bodies else MAX_FREQUENCIES
    )
    return max(1, min(most, round(wanted)))


def _nonstops(origin: Airport, destination: Airport, km: float) -> list[Routing]:
    carriers = dict.fromkeys(airlines.based_at(origin.code) + airlines.based_at(destination.code))
    found = []
    for airline in carriers:
        if not flies(airline, km):
            continue
        count = _frequencies(airline, origin, destination, km)
        rng = seeded("departures", airline.code, origin.code, destination.code)
        allowed = windows(origin, destination)
        for slot in range(count):
            window = allowed[slot % len(allowed)]
            per_window = math.ceil(count / len(allowed))
            departs = _spread(window, slot // len(allowed), per_window, rng)
            leg = _leg(airline, origin, destination, slot, departs, km, rng)
            found.append(Routing((leg,), 0))
    return found


def _same_city(first: Airport, second: Airport) -> bool:
    return reference.city_code_of(first.code) == reference.city_code_of(second.code)


@functools.lru_cache(maxsize=1024)
def _offset_minutes(timezone: str) -> int:
    offset = _REFERENCE_DAY.replace(tzinfo=ZoneInfo(timezone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _connection(
    airline: Airline,
    origin: Airport,
    hub: Airport,
    destination: Airport,
    slot: int,
    kms: tuple[float, float],
    rng: random.Random,
) -> Routing:
    """Two legs of one carrier via its hub, timed around the longer one, 70–200 min apart."""
    layover = 70 + rng.randrange(27) * 5
    first_km, second_km = kms
    anchor = 0 if first_km >= second_km else 1
    long_from, long_to = (origin, hub) if anchor == 0 else (hub, destination)
    allowed = windows(long_from, long_to)
    departs = _spread(allowed[slot % len(allowed)], 0, 1, rng)
    if anchor == 1:
        # The feeder leaves `layover` + its block time earlier, in its own time zone: keep
        # it after 06:00, moving the long leg later if need be.
        gap = _offset_minutes(hub.timezone) - _offset_minutes(origin.timezone)
        feeder = (departs - layover - _block(first_km) - gap) % (24 * 60)
        if feeder < _DAY[0]:
            departs += _DAY[0] - feeder + rng.randrange(0, 90, 5)
    first = _leg(airline, origin, hub, 10 + slot, departs if anchor == 0 else 0, first_km, rng)
    second = _leg(
        airline, hub, destination, 10 + slot, departs if anchor == 1 else 0, second_km, rng
    )
    return Routing((first, second), anchor, layover)


@functools.cache
def _hubs() -> tuple[tuple[Airport, str, tuple[Airline, ...]], ...]:
    """Every hub airport, its city, and the carriers based there."""
    found = []
    for code in dict.fromkeys(code for airline in airlines.AIRLINES for code in airline.bases):
        hub = reference.airport(code)
        if hub is not None:
            found.append((hub, reference.city_code_of(code), airlines.based_at(code)))
    return tuple(found)


def _connections(origin: Airport, destination: Airport, km: float, nonstop: bool) -> list[Routing]:
    """One-stops via carriers' hubs where the detour is reasonable (`DETOUR`)."""
    rng = seeded("connections", origin.code, destination.code)
    cities = {reference.city_code_of(origin.code), reference.city_code_of(destination.code)}
    longest = DETOUR[0] * km + DETOUR[1]
    candidates = []
    for hub, city, based in _hubs():
        if city in cities:
            continue
        to_hub = _km(origin, hub)
        if to_hub < 250 or to_hub >= longest:
            continue
        from_hub = _km(hub, destination)
        if from_hub < 250 or to_hub + from_hub > longest:
            continue
        for airline in based:
            if flies(airline, to_hub) and flies(airline, from_hub):
                candidates.append((airline, hub, (to_hub, from_hub)))
    rng.shuffle(candidates)
    found = []
    for airline, hub, kms in candidates[: rng.randint(4, 8) if nonstop else rng.randint(5, 10)]:
        primary = airline.bases[0] == hub.code
        for slot in range(2 if primary and rng.random() < 0.5 else 1):
            found.append(_connection(airline, origin, hub, destination, slot, kms, rng))
    return found


@functools.lru_cache(maxsize=4096)
def route_schedule(origin_code: str, destination_code: str) -> tuple[Routing, ...]:
    """Daily routings between two locations (a metropolitan code flies from its main airport):
    nonstops and one-stops; none between a city's own airports or airports a drive apart."""
    origin = reference.main_airport(origin_code)
    destination = reference.main_airport(destination_code)
    if origin is None or destination is None or _same_city(origin, destination):
        return ()
    km = _km(origin, destination)
    if km < SHORTEST_ROUTE_KM:
        return ()
    nonstops = _nonstops(origin, destination, km)
    return tuple(nonstops + _connections(origin, destination, km, bool(nonstops)))
