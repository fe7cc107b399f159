"""The simulated hotels of a city: which brands stand where, and what they are called.

Hotels stand in the city's real districts (`reference.districts`: GeoNames' neighbourhoods and
boroughs within 8 km of the centre, more of them in the central ones) and are named as their
brands name them ("Novotel Paris Gare de Lyon", "London Marriott Hotel Soho"), independents as
local hotels are ("Hôtel Montmartre", "The Chelsea Hotel", "Hostal Gràcia"). Chains carry the
two-letter codes Amadeus gives them (RT for Accor's ibis, Mercure and Novotel, SB Sofitel, HL
Hilton…, as in Amadeus's own hotel lists). No two hotels of a city share a name, even as the
gateway compares names (case, accents and "hotel"/"the" ignored), so merging never joins two
hotels. A city the gazetteer knows few districts of gets generic ones (Centre, Old Town…).
"""

from __future__ import annotations

import functools
import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from gateway import reference
from simulators.common.seeds import seeded

_NAME_NOISE = frozenset({"hotel", "hotels", "the", "and", "by", "a", "an", "de", "la", "le"})


def normalise_hotel_name(name: str) -> str:
    """A hotel's name as the gateway compares names when it merges listings: case, accents,
    punctuation and filler words removed ("Hôtel Le Grand" → "grand").

    A copy of `gateway.search.merge.normalise_hotel_name`, not an import of it: the simulators
    stand below the gateway's search layer, and six lines are cheaper than that dependency.
    tests/test_realism.py holds the two equal on every name the simulators give a hotel, so a
    city never holds two hotels the gateway would take for one.
    """
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = text.replace("&", " and ")
    words = [word for word in re.split(r"[^a-z0-9]+", text) if word and word not in _NAME_NOISE]
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    chain_code: str
    """Amadeus's two-letter chain code."""
    pattern: str
    """How a branch is named: {brand}, {city} and {district} filled in."""
    ratings: tuple[int, ...]
    most: int
    """Most branches in one big city."""


BRANDS = (
    Brand("ibis", "RT", "{brand} {city} {district}", (2, 3), 4),
    Brand("ibis Styles", "RT", "{brand} {city} {district}", (3,), 2),
    Brand("Mercure", "RT", "{brand} {city} {district}", (3, 4), 3),
    Brand("Novotel", "RT", "{brand} {city} {district}", (4,), 3),
    Brand("Sofitel", "SB", "{brand} {city} {district}", (5,), 1),
    Brand("Pullman", "PU", "{brand} {city} {district}", (4, 5), 1),
    Brand("Hilton", "HL", "{brand} {city} {district}", (4, 5), 2),
    Brand("Marriott", "MC", "{city} Marriott Hotel {district}", (4, 5), 2),
    Brand("JW Marriott", "MC", "{brand} {city} {district}", (5,), 1),
    Brand("Hyatt Regency", "HY", "{brand} {city} {district}", (4, 5), 1),
    Brand("Hyatt Place", "HY", "{brand} {city} {district}", (3,), 1),
    Brand("InterContinental", "IC", "{brand} {city} {district}", (5,), 1),
    Brand("Holiday Inn", "HI", "{brand} {city} {district}", (3, 4), 3),
    Brand("Best Western", "BW", "{brand} {district}", (3,), 2),
    Brand("Best Western Plus", "BW", "{brand} {city} {district}", (3, 4), 2),
    Brand("Radisson Blu", "RD", "{brand} {city} {district}", (4,), 2),
    Brand("Kempinski", "KI", "{brand} Hotel {district}", (5,), 1),
)
"""Hotel brands with their Amadeus chain codes and naming."""

_LOCAL_PATTERNS = {
    "FR": ("Hôtel {district}", "Le Petit Hôtel {district}", "Résidence {district}",
           "Grand Hôtel {district}", "Villa {district}", "Maison {district}"),
    "BE": ("Hôtel {district}", "Hotel {district}", "Résidence {district}", "Villa {district}"),
    "ES": ("Hotel {district}", "Hostal {district}", "Casa {district}", "Gran Hotel {district}"),
    "IT": ("Hotel {district}", "Albergo {district}", "Residenza {district}",
           "Locanda {district}", "Palazzo {district}"),
    "PT": ("Hotel {district}", "Casa {district}", "Pousada {district}", "Palácio {district}"),
    "BR": ("Hotel {district}", "Pousada {district}", "Residencial {district}"),
    "DE": ("Hotel {district}", "Pension {district}", "Hotel Garni {district}",
           "Gasthof {district}", "Stadthotel {district}"),
    "AT": ("Hotel {district}", "Pension {district}", "Hotel Garni {district}",
           "Gasthof {district}"),
    "CH": ("Hotel {district}", "Pension {district}", "Boutique Hotel {district}"),
    "NL": ("Hotel {district}", "{district} Suites", "{district} Residence"),
    "GB": ("The {district} Hotel", "{district} House", "{district} Inn", "The {district} Arms",
           "{district} Lodge"),
    "IE": ("The {district} Hotel", "{district} House", "{district} Inn", "{district} Lodge"),
    "US": ("The {district} Hotel", "{district} Inn", "{district} Suites", "The {district}",
           "{district} Lodge"),
    "CA": ("The {district} Hotel", "{district} Inn", "{district} Suites", "{district} Lodge"),
    "AU": ("The {district} Hotel", "{district} Lodge", "{district} Suites"),
    "NZ": ("The {district} Hotel", "{district} Lodge", "{district} Suites"),
    "JP": ("Hotel {district}", "{district} Inn", "{district} Ryokan", "Hotel {district} Tower"),
}  # fmt: skip
"""How independent hotels are named, by country."""
_PATTERNS = ("Hotel {district}", "{district} Residence", "{district} Suites")
"""Elsewhere."""

FALLBACK_DISTRICTS = (
    "Centre",
    "Old Town",
    "Central Station",
    "Riverside",
    "Market Square",
    "University",
    "Exhibition Centre",
    "Park",
)
"""For cities the gazetteer knows few districts of, placed around the centre."""
MIN_DISTRICTS = 10
INDEPENDENTS_PER_DISTRICT = 2
HOTELS_PER_CITY = (30, 55)


@dataclass(frozen=True, slots=True)
class Site:
    """Where a hotel stands: a district's name and point."""

    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Property:
    name: str
    chain_code: str | None
    district: str
    latitude: float
    longitude: float
    rating: int


def _sites(city: reference.City, rng: random.Random) -> list[Site]:
    sites = [Site(d.name, d.latitude, d.longitude) for d in reference.districts(city.code)]
    for name in FALLBACK_DISTRICTS[: max(0, MIN_DISTRICTS - len(sites))]:
        # ~0.5–4.5 km out from the centre (0.01 degree of latitude is ~1.1 km).
        latitude = city.latitude + rng.uniform(-0.04, 0.04)
        longitude = city.longitude + rng.uniform(-0.04, 0.04)
        sites.append(Site(name, latitude, longitude))
    return sites


def _weights(city: reference.City, sites: list[Site]) -> list[float]:
    """Central districts hold more hotels: weight 1 / (1 + km from the centre / 2)."""
    return [
        1 / (1 + reference.distance_km(city.latitude, city.longitude, s.latitude, s.longitude) / 2)
        for s in sites
    ]


def _words(text: str) -> set[str]:
    return set(re.split(r"[\s-]+", text.casefold()))


@functools.lru_cache(maxsize=1024)
def properties(city_code: str) -> tuple[Property, ...]:
    """The city's hotels, chains' branches first; empty for an unknown code."""
    city = reference.city(city_code)
    if city is None:
        return ()
    rng = seeded("lodging", city.code)
    sites = _sites(city, rng)
    weights = _weights(city, sites)
    wanted = rng.randint(*HOTELS_PER_CITY)
    size = min(1.0, len(sites) / 20)
    taken: set[str] = set()
    found: list[Property] = []

    def add(name: str, chain_code: str | None, site: Site, rating: int) -> None:
        key = normalise_hotel_name(name)
        if key in taken or len(found) >= wanted:
            return
        taken.add(key)
        # Within ~450 m of the district's point.
        found.append(
            Property(
                name=name,
                chain_code=chain_code,
                district=site.name,
                latitude=round(site.latitude + rng.uniform(-0.004, 0.004), 5),
                longitude=round(site.longitude + rng.uniform(-0.004, 0.004), 5),
                rating=rating,
            )
        )

    for brand in BRANDS:
        branches = rng.randint(0, max(1, round(brand.most * size)))
        for site in rng.choices(sites, weights, k=branches):
            name = brand.pattern.format(brand=brand.name, city=city.name, district=site.name)
            add(name, brand.chain_code, site, rng.choice(brand.ratings))
    patterns = _LOCAL_PATTERNS.get(city.country, _PATTERNS)
    independents: Counter[str] = Counter()
    for _ in range(wanted * 4):
        if len(found) >= wanted:
            break
        site = rng.choices(sites, weights)[0]
        pattern = rng.choice(patterns)
        if independents[site.name] >= INDEPENDENTS_PER_DISTRICT or _words(pattern) & _words(
            site.name
        ):
            continue  # not "Hôtel Hôtel-de-Ville"
        independents[site.name] += 1
        add(pattern.format(district=site.name), None, site, rng.choice((2, 3, 3, 4, 4, 5)))
    return tuple(found)
