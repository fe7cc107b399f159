"""Places for search boxes: airports and metropolitan cities, found by code or name prefix.

Answered from the reference data (`gateway.reference`) alone: no provider is called. Each place
has one fixed rank, and every name it can be found by is a normalised key (case, accents and
punctuation folded: "São Paulo-Guarulhos" is "sao paulo guarulhos") in a sorted list, so the
places whose name starts with a query are one range, found by bisection. Ranges wider than
`SCAN_LIMIT` keys (short prefixes: "s", "lo") are answered from their best places, computed when
the index is built, so a query costs O(log n + results) whatever it is.

The order (docs/architecture.md, Location search):

1. exact code: LHR, LON; a city before its airport of the same code (DXB, the city, then DXB);
2. the query starts the place's name or its city's name: "lon" finds London and its airports;
3. the query starts a later word of either, filler words aside: "heathrow", "kennedy", "orly".

Within each, places keep their fixed rank: a metropolitan area (LON, NYC, PAR) with its airports
right after it, main airport first; areas before single airports, airports whose name says
International before the rest, then alphabetical. The data has no traffic figures, hence the
heuristic.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from operator import itemgetter

from gateway import reference
from gateway.domain import GeoPoint, Location, LocationKind

MAX_RESULTS = 20
"""Most places one query returns: a search box shows a handful."""
SCAN_LIMIT = 64
"""Keys a query may scan; prefixes matching more are answered from lists built in advance."""
_FILLER = frozenset(
    {
        *("airport", "airports", "international", "intl", "regional", "municipal", "domestic"),
        *("national", "county", "airfield", "aerodrome", "airstrip", "airpark", "field", "air"),
        *("base", "station", "heliport", "the", "of", "and", "de", "da", "do", "das", "dos"),
        *("del", "di", "du", "la", "le", "les", "el"),
    }
)
"""Words that start no key: "air" should not find every airport by the word "Airport"."""
_FOLD = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
"""Letters Unicode does not decompose into a base letter and an accent."""
_NOT_WORD = re.compile(r"[\W_]+")
_ASCII_FOLD = bytes(
    char + 32 if 65 <= char <= 90 else char if 48 <= char <= 57 or 97 <= char <= 122 else 32
    for char in range(256)
)
"""ASCII as keys compare: letters in lower case, digits, and a space for everything else."""
_LAST = "\U0010ffff"
"""Sorts after every character a normalised key holds."""
_METRO_AREA, _MAIN_AIRPORT, _METRO_AIRPORT, _INTERNATIONAL, _OTHER = 4, 3, 2, 1, 0
"""Prominence: the data has no traffic figures, so these stand in for size."""
_DECIMALS = 5
"""A city's centre (the mean of its airports) is rounded as the airports' coordinates are: ~1 m."""


def normalise(text: str) -> str:
    """`text` as keys compare: case-folded, accents dropped, punctuation and spaces as one space."""
    if text.isascii():  # most names: three times faster than the general path
        return " ".join(text.encode().translate(_ASCII_FOLD).decode().split())
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    bare = "".join(char for char in folded if not unicodedata.combining(char))
    return _NOT_WORD.sub(" ", bare).strip()


class _Keys:
    """Sorted keys and the rank of the listing each belongs to; the best of the wide prefixes."""

    def __init__(self, pairs: Iterable[tuple[str, int]], listings: Sequence[int]) -> None:
        ordered = sorted(pairs, key=itemgetter(0))
        self._keys = [key for key, _ in ordered]
        self._ranks = [rank for _, rank in ordered]
        self._listings = listings
        self._best = {
            prefix: self._distinct(self._ranks[lo:hi], MAX_RESULTS)
            for prefix, lo, hi in _wide_prefixes(self._keys)
        }

    def best(self, prefix: str, count: int) -> list[int]:
        """The `count` best ranks of distinct places with a key starting with `prefix` (not
        empty): precomputed for wide prefixes, else at most `SCAN_LIMIT` keys scanned."""
        found = self._best.get(prefix)
        if found is None:
            lo = bisect_left(self._keys, prefix)
            hi = bisect_left(self._keys, prefix + _LAST, lo)
            return self._distinct(self._ranks[lo:hi], count)
        return found[:count]

    def _distinct(self, ranks: Iterable[int], count: int) -> list[int]:
        """The best `count` of `ranks`, one per place."""
        chosen: list[int] = []
        places: set[int] = set()
        for rank in sorted(set(ranks)):
            if (place := self._listings[rank]) not in places:
                places.add(place)
                chosen.append(rank)
                if len(chosen) == count:
                    break
        return chosen


def _wide_prefixes(keys: Sequence[str]) -> Iterator[tuple[str, int, int]]:
    """Every prefix that more than `SCAN_LIMIT` of the sorted `keys` start with, and its range:
    the wide nodes of the keys' trie, walked by bisection."""
    stack = [("", 0, len(keys))]
    while stack:
        prefix, lo, hi = stack.pop()
        depth = len(prefix)
        while lo < hi and len(keys[lo]) == depth:  # the prefix itself sorts first
            lo += 1
        while lo < hi:
            child = prefix + keys[lo][depth]
            end = bisect_left(keys, child + _LAST, lo, hi)
            if end - lo > SCAN_LIMIT:
                yield child, lo, end
                stack.append((child, lo, end))
            lo = end


class LocationIndex:
    """The places, and the ways to find them: by code, by name, by a later word of a name."""

    def __init__(
        self,
        places: Sequence[Location],
        codes: Mapping[str, Sequence[int]],
        listings: Sequence[int],
        names: Iterable[tuple[str, int]],
        words: Iterable[tuple[str, int]],
    ) -> None:
        """`codes` maps a code to its places' numbers; the keys of `names` and `words` belong to
        listings, numbered in rank order, and `listings` gives each one's place number."""
        self._places = places
        self._codes = codes
        self._listings = listings
        self._tiers = (_Keys(names, listings), _Keys(words, listings))

    def __len__(self) -> int:
        return len(self._places)

    def find(self, query: str, first: int) -> list[Location]:
        """At most `first` places for `query` (trimmed, not empty), best first; none is no error."""
        found = list(self._codes.get(query.upper(), ()))[:first]
        prefix = normalise(query)
        for tier in self._tiers if prefix else ():
            for rank in tier.best(prefix, first):
                if len(found) == first:
                    return [self._places[place] for place in found]
                if (place := self._listings[rank]) not in found:
                    found.append(place)
        return [self._places[place] for place in found]


def _prominence(code: str, name: str, main: set[str], members: Mapping[str, object]) -> int:
    """An airport's stand-in for size, from its code and normalised name."""
    if code in main:
        return _MAIN_AIRPORT
    if code in members:
        return _METRO_AIRPORT
    words = name.split(" ")
    return _INTERNATIONAL if "international" in words or "intl" in words else _OTHER


_Order = tuple[int, str, str, int, int, str, str]
"""A listing's rank: its group's prominence, name and code (a metropolitan area, or the airport
alone), the city before its airports, then the airport's own prominence, name and code."""


def build() -> LocationIndex:
    """The index of every airport and metropolitan area of the reference data.

    A metropolitan area's airport is listed twice: in its area's group, found by the area's
    name ("tok": Tokyo, then Haneda and Narita), and alone, found by its own names, ranked by
    its own prominence (so Nagoya's Chubu Centrair, in Tokoname, comes after Tokyo's group).
    """
    areas = list(reference.metro_areas())
    area_of = {airport.code: area for area in areas for airport in area.airports}
    main = {found.code for area in areas if (found := reference.main_airport(area.code))}
    names = {airport.code: normalise(airport.name) for airport in reference.airports()}
    prominence = {code: _prominence(code, name, main, area_of) for code, name in names.items()}
    places: list[Location] = []
    codes: dict[str, list[int]] = {}
    listings: list[tuple[_Order, int, tuple[str, ...]]] = []
    for area in areas:
        members = sorted(area.airports, key=lambda a: (-prominence[a.code], names[a.code], a.code))
        city = Location(
            code=area.code,
            name=area.name,
            kind=LocationKind.CITY,
            country_code=area.country,
            location=GeoPoint(round(area.latitude, _DECIMALS), round(area.longitude, _DECIMALS)),
            city_code=area.code,
            city_name=area.name,
            airports=tuple(member.code for member in members),
        )
        codes.setdefault(area.code, []).append(len(places))
        name = normalise(area.name)
        listings.append(
            ((-_METRO_AREA, name, area.code, 0, 0, name, area.code), len(places), (name,))
        )
        places.append(city)
    for airport in reference.airports():
        group = area_of.get(airport.code)
        own, name = prominence[airport.code], names[airport.code]
        codes.setdefault(airport.code, []).append(len(places))
        alone = (-own, name, airport.code, 1, -own, name, airport.code)
        listings.append((alone, len(places), (name, normalise(airport.city))))
        if group is not None:
            group_name = normalise(group.name)
            grouped = (-_METRO_AREA, group_name, group.code, 1, -own, name, airport.code)
            listings.append((grouped, len(places), (group_name,)))
        places.append(
            Location(
                code=airport.code,
                name=airport.name,
                kind=LocationKind.AIRPORT,
                country_code=airport.country,
                location=GeoPoint(airport.latitude, airport.longitude),
                city_code=airport.code if group is None else group.code,
                city_name=airport.city or None,
            )
        )
    listings.sort(key=lambda listing: listing[0])
    starts: list[tuple[str, int]] = []
    words: list[tuple[str, int]] = []
    for rank, (_, _, texts) in enumerate(listings):
        for text in set(texts) - {""}:
            starts.append((text, rank))
            space = text.find(" ")
            while space >= 0:
                following = text.find(" ", space + 1)
                word = text[space + 1 : following] if following >= 0 else text[space + 1 :]
                if len(word) > 1 and word not in _FILLER:
                    words.append((text[space + 1 :], rank))
                space = following
    return LocationIndex(
        places,
        {code: tuple(numbers) for code, numbers in codes.items()},
        [place for _, place, _ in listings],
        starts,
        words,
    )


@functools.cache
def index() -> LocationIndex:
    """The index, built once (~0.1 s; the app builds it at start-up, not the first query)."""
    return build()


def find(query: str, first: int) -> list[Location]:
    """At most `first` places for `query` (trimmed, not empty), best first (see the module
    docstring)."""
    return index().find(query, first)


def preload() -> None:
    """Build the index now (start-up) rather than on the first query."""
    index()
