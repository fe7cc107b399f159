"""The same flight or hotel sold by several providers becomes one offer with several sources.

Flights match when every segment has the same marketing carrier, flight number and local
departure time, and the cabin is the same. Hotels match when their normalised names are equal
and they stand within `SAME_HOTEL_METRES` of each other (see `normalise_hotel_name`).

Prices are compared in one display currency: a merged offer's `price` is its cheapest source,
converted; each source keeps the provider's own price and currency. A merged hotel keeps every
provider's room rates (each with its own board, cancellation terms and taxes); its details come
from the cheapest provider that gives each (stars, review score), its address is the fullest
one, its amenities are all providers' together.

Within one flight offer, each provider offer is one fare (a brand, its bags and conditions);
the same fare sold by several providers is one `Fare` with several sources (`merge_fares`), and
the offer's `price` is its cheapest fare's: a "from" price, as Skyscanner groups the pricing
options of one itinerary under it.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import msgspec

from gateway import reference
from gateway.domain import (
    Address,
    Amenity,
    BagAllowance,
    CabinClass,
    Fare,
    FareSegment,
    FlightOffer,
    GeoPoint,
    Hotel,
    HotelOffer,
    Money,
    OfferSource,
)
from gateway.search import naming

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


class FlightCluster(msgspec.Struct, frozen=True, gc=False):
    """One itinerary as several providers sell it: what filtering and sorting need, the merged
    offer built on demand (`offer`).

    Merging an itinerary's fares (`merge_fares`) is most of a search's merging cost, and a page
    shows 20 of ~180 itineraries: only the page's offers are ever merged, as hotels are
    (`HotelCluster`). `price` is the merged offer's, computed without merging (the cheapest
    source of any fare: the first merged fare's price). Untracked by the cycle collector.
    """

    members: tuple[FlightOffer, ...]
    """Each provider offer of the itinerary, cheapest first (the first gives the flights)."""
    id: str
    """The merged offer's id before `identity` (from the merge key): the last tie-break."""
    price: Money
    """The merged offer's price (its amount; served offers carry the merged one's own)."""
    quote_bytes: int
    """Bytes of provider quotes its sources hold, together (`repricing.bounded_quotes`)."""
    to_display: ToDisplay
    built: FlightOffer | None = None
    """The merged offer when already built (filtered on fares, or quotes cut): served as is."""

    @property
    def total_duration_minutes(self) -> int:
        return self.members[0].total_duration_minutes

    @property
    def departure_at(self) -> datetime:
        return self.members[0].departure_at

    def offer(self) -> FlightOffer:
        """The merged offer (`merge_flights`), built now unless it was already."""
        return self.built if self.built is not None else _merge_flight(self)


def flight_clusters(
    offers: Iterable[FlightOffer], cabin: CabinClass, to_display: ToDisplay
) -> list[FlightCluster]:
    """The offers grouped by itinerary (`flight_key`), nothing merged yet."""
    groups: dict[str, list[FlightOffer]] = defaultdict(list)
    for offer in offers:
        groups[flight_key(offer, cabin)].append(offer)
    return [_flight_cluster(key, members, to_display) for key, members in groups.items()]


def merge_flights(
    offers: Iterable[FlightOffer], cabin: CabinClass, to_display: ToDisplay
) -> list[FlightOffer]:
    """Every itinerary merged into one offer (see the module docstring)."""
    return [cluster.offer() for cluster in flight_clusters(offers, cabin, to_display)]


def _flight_cluster(key: str, members: list[FlightOffer], to_display: ToDisplay) -> FlightCluster:
    members.sort(key=lambda o: (to_display(o.price).amount, o.sources[0].provider, o.id))
    sources = [source for member in members for fare in member.fares for source in fare.sources]
    # The merged fares' cheapest is the cheapest of all their sources (see `merge_fares`).
    price = (
        min((to_display(source.price) for source in sources), key=_amount)
        if sources
        else to_display(members[0].price)
    )
    return FlightCluster(
        members=tuple(members),
        id=f"F{_short_hash((key,))}",
        price=price,
        quote_bytes=sum(len(source.quote) for source in sources if source.quote is not None),
        to_display=to_display,
    )


def _amount(money: Money) -> Decimal:
    return money.amount


def _merge_flight(cluster: FlightCluster) -> FlightOffer:
    members, to_display = cluster.members, cluster.to_display
    cheapest = members[0]
    fares = merge_fares((fare for member in members for fare in member.fares), to_display)
    return msgspec.structs.replace(
        cheapest,
        id=cluster.id,
        price=fares[0].price if fares else to_display(cheapest.price),
        fares=tuple(fares),
        sources=_sources_cheapest_first(
            (source for member in members for source in member.sources), to_display
        ),
        validating_carrier=_first(m.validating_carrier for m in members),
        seats_available=_first(m.seats_available for m in members),
        last_ticketing_date=_first(m.last_ticketing_date for m in members),
    )


FareKey = tuple[str | None, tuple[str | None, ...], BagAllowance | None]
"""Brand (folded), cabin per segment and checked bags: what must be equal, conditions aside."""
Allowed = tuple[bool | None, bool | None]
"""Refund and change allowed, each None when the provider does not say."""


def fare_key(fare: Fare) -> FareKey:
    brand = fare.brand_name.casefold() if fare.brand_name else None
    cabins = tuple(_CABIN_VALUES[s.cabin] if s.cabin else None for s in fare.segments)
    return brand, cabins, fare.included_checked_bags


def _allowed(fare: Fare) -> Allowed:
    return fare.refund.allowed, fare.change.allowed


def merge_fares(fares: Iterable[Fare], to_display: ToDisplay) -> list[Fare]:
    """The fares of one itinerary, the same fare sold twice merged, cheapest first.

    Two fares are the same when their brand (folded), cabins, checked bags and whether refund
    and change are allowed are equal. A provider that does not state a condition (Amadeus never
    does in search) leaves it unknown: such a fare joins the one fare of its key whose stated
    conditions agree with its own, and stays apart when none or several do (unknown cannot say
    which). Fares stating more are placed first, so the result does not depend on the order
    the fares arrive in. Different brands are never merged.
    """
    by_key: dict[FareKey, list[Fare]] = defaultdict(list)
    for fare in fares:
        by_key[fare_key(fare)].append(fare)
    merged: list[Fare] = []
    for members in by_key.values():
        if len(members) == 1:  # a fare of its own key: nothing to merge it with
            merged.append(_merged_fare(members, to_display))
            continue
        members.sort(
            key=lambda f: (
                _allowed(f).count(None),
                to_display(f.price).amount,
                f.sources[0].provider,
                f.sources[0].offer_id,
            )
        )
        groups: list[tuple[Allowed, list[Fare]]] = []
        for fare in members:
            allowed = _allowed(fare)
            fits = [index for index, (known, _) in enumerate(groups) if _agrees(allowed, known)]
            if len(fits) == 1:
                known, group = groups[fits[0]]
                group.append(fare)
                groups[fits[0]] = (_combined(known, allowed), group)
            else:
                groups.append((allowed, [fare]))
        merged.extend(_merged_fare(group, to_display) for _, group in groups)
    merged.sort(
        key=lambda f: (
            f.price.amount,
            (f.brand_name or "").casefold(),
            f.sources[0].provider,
            f.sources[0].offer_id,
        )
    )
    return merged


def _agrees(one: Allowed, other: Allowed) -> bool:
    """No condition stated by both differs."""
    return all(a is None or b is None or a == b for a, b in zip(one, other, strict=True))


def _combined(one: Allowed, other: Allowed) -> Allowed:
    """What either states."""
    refund, change = (a if a is not None else b for a, b in zip(one, other, strict=True))
    return refund, change


def _merged_fare(fares: list[Fare], to_display: ToDisplay) -> Fare:
    """One fare from several sellers: the cheapest's price in the display currency, details
    a seller leaves out filled from the others (cheapest first)."""
    if len(fares) == 1:  # most fares are sold once: what follows picks its own values
        first = fares[0]
        sold = first.sources
        if len(sold) > 1:
            sold = tuple(
                sorted(sold, key=lambda s: (to_display(s.price).amount, s.provider, s.offer_id))
            )
        return Fare(
            id="",
            price=to_display(sold[0].price),
            sources=sold,
            brand_name=first.brand_name,
            segments=first.segments,
            included_checked_bags=first.included_checked_bags,
            included_cabin_bags=first.included_cabin_bags,
            refund=first.refund,
            change=first.change,
            co2_kg=first.co2_kg,
        )
    fares.sort(
        key=lambda f: (to_display(f.price).amount, f.sources[0].provider, f.sources[0].offer_id)
    )
    sources = sorted(
        (source for fare in fares for source in fare.sources),
        key=lambda s: (to_display(s.price).amount, s.provider, s.offer_id),
    )
    first = fares[0]
    return Fare(
        id="",
        price=to_display(sources[0].price),
        sources=tuple(sources),
        brand_name=_display_brand(fares),
        segments=_fare_segments(fares),
        included_checked_bags=first.included_checked_bags,
        included_cabin_bags=_first(f.included_cabin_bags for f in fares),
        refund=next((f.refund for f in fares if f.refund.allowed is not None), first.refund),
        change=next((f.change for f in fares if f.change.allowed is not None), first.change),
        co2_kg=_first(f.co2_kg for f in fares),
    )


def _display_brand(fares: list[Fare]) -> str | None:
    """Prefer a seller's mixed-case spelling ("Basic") over an all-capitals one ("BASIC")."""
    names = [f.brand_name for f in fares if f.brand_name]
    return next((name for name in names if not name.isupper()), names[0] if names else None)


def _fare_segments(fares: list[Fare]) -> tuple[FareSegment, ...]:
    """Each segment's cabin, booking class and fare basis, from the first seller stating it."""
    if len(fares) == 1:
        return fares[0].segments
    listed = [fare.segments for fare in fares]
    merged = []
    for index in range(max(len(segments) for segments in listed)):
        cabin = booking_class = fare_basis = None
        for segments in listed:
            if index < len(segments):
                part = segments[index]
                cabin = cabin if cabin is not None else part.cabin
                booking_class = booking_class if booking_class is not None else part.booking_class
                fare_basis = fare_basis if fare_basis is not None else part.fare_basis
        merged.append(FareSegment(cabin=cabin, booking_class=booking_class, fare_basis=fare_basis))
    return tuple(merged)


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
        address=_fullest(h.address for h in hotels),
        review_score=_first(h.review_score for h in hotels),
        amenities=_amenities(hotels),
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


_AMENITY_ORDER = {amenity.value: index for index, amenity in enumerate(Amenity)}


def _fullest(addresses: Iterable[Address | None]) -> Address | None:
    """The address with the most parts (Amadeus gives only a country), the cheapest provider's
    on a tie; parts are never mixed from two providers' addresses."""
    known = [address for address in addresses if address is not None]
    if not known:
        return None
    return max(known, key=lambda a: sum(part is not None for part in msgspec.structs.astuple(a)))


def _amenities(hotels: list[Hotel]) -> tuple[str, ...] | None:
    """Every provider's, each once in the enum's order; None when none of them lists any."""
    listed = [hotel.amenities for hotel in hotels if hotel.amenities is not None]
    if not listed:
        return None
    if len(listed) == 1:
        return listed[0]
    found = {amenity for amenities in listed for amenity in amenities}
    return tuple(sorted(found, key=lambda name: _AMENITY_ORDER.get(name, len(_AMENITY_ORDER))))


def _first(values: Iterable[T | None]) -> T | None:
    for value in values:
        if value is not None:
            return value
    return None


def _display_name(hotels: list[Hotel]) -> str:
    """The spelling most of the hotel's providers use, made fit to show (`naming.shown`:
    bounded, printable, capitals re-cased, so "MAISON PICPUS" counts as "Maison Picpus");
    ties to the shorter, then the first alphabetically. Never the cheapest provider's as such:
    a hotel must not be renamed because another provider's rate went lower."""
    counts = Counter(naming.shown(hotel.name) or "" for hotel in hotels)
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
