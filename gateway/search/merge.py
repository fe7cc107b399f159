"""The same flight or hotel sold by several providers becomes one offer with several sources.

Flights match when every segment has the same marketing carrier, flight number and local
departure time, and the cabin is the same. Hotels match when their normalised names are equal
and they stand within `SAME_HOTEL_METRES` of each other (see `normalise_hotel_name`).

Prices are compared in one display currency: a merged offer's `price` is its cheapest source,
converted; each source keeps the provider's own price and currency.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import TypeVar

import msgspec

from gateway import reference
from gateway.casing import display_case
from gateway.domain import CabinClass, FlightOffer, GeoPoint, Hotel, HotelOffer, Money, OfferSource

SAME_HOTEL_METRES = 250.0
"""Two listings with the same normalised name this close are one hotel. Chain hotels that share a
name across a city (two "ibis Paris Centre") stand kilometres apart; the same property listed
by two providers differs by geocoding noise, tens of metres."""

_NAME_NOISE = frozenset({"hotel", "hotels", "the", "and", "by", "a", "an", "de", "la", "le"})

ToDisplay = Callable[[Money], Money]
T = TypeVar("T")


def _short_hash(parts: Iterable[str]) -> str:
    return hashlib.blake2b("|".join(parts).encode(), digest_size=9).hexdigest()


_CABIN_VALUES = {cabin: cabin.value for cabin in CabinClass}
"""`CabinClass.value` through a dict: the enum's property costs more than the rest of a key."""


def flight_key(offer: FlightOffer, cabin: CabinClass) -> str:
    """Two offers are the same flights when this is equal (see the module docstring)."""
    return "/".join(
        " ".join(
            f"{segment.carrier.code}{segment.flight_number.lstrip('0')}"
            f"@{segment.departure.at.isoformat()}:{_CABIN_VALUES[segment.cabin or cabin]}"
            for segment in itinerary.segments
        )
        for itinerary in offer.itineraries
    )


def _sources_cheapest_first(
    sources: Iterable[OfferSource], to_display: ToDisplay
) -> tuple[OfferSource, ...]:
    return tuple(
        sorted(sources, key=lambda s: (to_display(s.price).amount, s.provider, s.offer_id))
    )


def merge_flights(
    offers: Iterable[FlightOffer], cabin: CabinClass, to_display: ToDisplay
) -> list[FlightOffer]:
    groups: dict[str, list[FlightOffer]] = defaultdict(list)
    for offer in offers:
        groups[flight_key(offer, cabin)].append(offer)
    merged = []
    for key, members in groups.items():
        members.sort(key=lambda o: (to_display(o.price).amount, o.sources[0].provider, o.id))
        cheapest = members[0]
        merged.append(
            msgspec.structs.replace(
                cheapest,
                id=f"F{_short_hash((key,))}",
                price=to_display(cheapest.price),
                sources=_sources_cheapest_first(
                    (source for member in members for source in member.sources), to_display
                ),
                validating_carrier=_first(m.validating_carrier for m in members),
                seats_available=_first(m.seats_available for m in members),
                last_ticketing_date=_first(m.last_ticketing_date for m in members),
            )
        )
    return merged


@functools.lru_cache(maxsize=65536)
def normalise_hotel_name(name: str) -> str:
    """Case, accents, punctuation and filler words removed: "Hôtel Le Grand" → "grand"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = text.replace("&", " and ")
    words = [word for word in re.split(r"[^a-z0-9]+", text) if word and word not in _NAME_NOISE]
    return " ".join(words)


def _near(a: HotelOffer, b: HotelOffer) -> bool:
    """Within `SAME_HOTEL_METRES` (listings without coordinates never match)."""
    la, lb = a.hotel.location, b.hotel.location
    if la is None or lb is None:
        return False
    metres = 1000 * reference.distance_km(la.latitude, la.longitude, lb.latitude, lb.longitude)
    return metres <= SAME_HOTEL_METRES


class HotelCluster(msgspec.Struct, frozen=True, gc=False):
    """One hotel as several providers list it: what sorting needs, the offer built on demand.

    Only the hotels of the page being returned are ever built into `HotelOffer`s: the rest of
    the result set is sorted on these few fields and kept for later pages. Untracked by the
    cycle collector, like the domain records (see `gateway.domain`).
    """

    members: tuple[HotelOffer, ...]
    """Each provider's offer for the hotel, cheapest first."""
    price: Money
    """The cheapest, in the display currency."""
    name: str
    distance_km: float | None
    tie: tuple[str, ...]
    """The members' ids: the last, stable tie-break."""
    to_display: ToDisplay

    def offer(self) -> HotelOffer:
        return _merge_hotel(self)


def merge_hotels(
    offers: Iterable[HotelOffer], to_display: ToDisplay, centre: GeoPoint | None = None
) -> list[HotelCluster]:
    """Hotels grouped across providers; `distance_km` is measured from `centre` for all."""
    by_name: dict[str, list[list[HotelOffer]]] = {}
    for offer in offers:
        name = normalise_hotel_name(offer.hotel.name)
        clusters = by_name.get(name)
        if clusters is None:
            by_name[name] = [[offer]]
            continue
        # Same normalised name already: only the distance is left to compare.
        for members in clusters:
            if any(_near(offer, member) for member in members):
                members.append(offer)
                break
        else:
            clusters.append([offer])
    return [
        _cluster(members, to_display, centre)
        for clusters in by_name.values()
        for members in clusters
    ]


def _cluster(
    members: list[HotelOffer], to_display: ToDisplay, centre: GeoPoint | None
) -> HotelCluster:
    members.sort(key=lambda o: (to_display(o.price).amount, o.sources[0].provider, o.id))
    hotels = [member.hotel for member in members]
    location = _first(h.location for h in hotels)
    return HotelCluster(
        members=tuple(members),
        price=to_display(members[0].price),
        name=_display_name(hotels),
        distance_km=_distance_km(location, centre, _first(h.distance_km for h in hotels)),
        tie=tuple(sorted(m.id for m in members)),
        to_display=to_display,
    )


def _merge_hotel(cluster: HotelCluster) -> HotelOffer:
    members, to_display = cluster.members, cluster.to_display
    hotels = [member.hotel for member in members]
    hotel = Hotel(
        id=f"H{_short_hash(sorted(h.id for h in hotels))}",
        name=cluster.name,
        chain_code=_first(h.chain_code for h in hotels),
        city_code=_first(h.city_code for h in hotels),
        location=_first(h.location for h in hotels),
        rating=_first(h.rating for h in hotels),
        distance_km=cluster.distance_km,
    )
    rooms = sorted(
        (room for member in members for room in member.rooms),
        key=lambda room: (to_display(room.price).amount, room.provider, room.offer_id),
    )
    return HotelOffer(
        id=f"O{_short_hash(cluster.tie)}",
        hotel=hotel,
        price=cluster.price,
        rooms=tuple(rooms),
        sources=_sources_cheapest_first(
            (source for member in members for source in member.sources), to_display
        ),
    )


def _first(values: Iterable[T | None]) -> T | None:
    return next((value for value in values if value is not None), None)


def _display_name(hotels: list[Hotel]) -> str:
    """The spelling most of the hotel's providers use, capitals re-cased ("MAISON PICPUS" counts
    as "Maison Picpus"); ties to the shorter, then the first alphabetically. Never the cheapest
    provider's as such: a hotel must not be renamed because another provider's rate went lower."""
    counts = Counter(display_case(hotel.name) for hotel in hotels)
    return min(counts, key=lambda name: (-counts[name], len(name), name))


def _distance_km(
    location: GeoPoint | None, centre: GeoPoint | None, quoted: float | None
) -> float | None:
    """From the search's centre when both points are known, else what a provider quoted."""
    if location is None or centre is None:
        return quoted
    km = reference.distance_km(
        centre.latitude, centre.longitude, location.latitude, location.longitude
    )
    return round(km, 2)
