"""Flight filters, applied to the merged offers before they are sorted, stored and paged.

Two kinds (docs/architecture.md, "Filters"):

- *Fare filters* (a checked-bag minimum, refundable only) keep, in each offer, the fares that
  meet them; an offer left without a fare is dropped, and the offer's `price` and `sources`
  become those of the fares it keeps, so sorting by price sorts by what the traveller can buy.
- *Offer filters* (most stops, carriers included or excluded) keep or drop whole offers.

They run on the providers' answers as merged, never on what providers are asked: every filter
of one search is answered from the same provider answers (one cache key, no extra calls).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import msgspec

from gateway.domain import BagAllowance, Fare, FlightFilter, FlightOffer
from gateway.search.merge import FlightCluster

NO_FILTER = FlightFilter()


def checked_bags(allowance: BagAllowance | None) -> int | None:
    """Checked bags a fare includes per traveller: its pieces; a weight allowance alone counts
    as one bag (one bag of that weight can be checked, a second is not promised); None when
    the provider does not say."""
    if allowance is None:
        return None
    if allowance.quantity is not None:
        return allowance.quantity
    if allowance.weight is not None:
        return 1 if allowance.weight > 0 else 0
    return None


def canonical(flight_filter: FlightFilter) -> FlightFilter:
    """The same filter written one way (carriers sorted and unique, a minimum of 0 bags as
    none), so that filters meaning the same are one search and share their stored results."""
    return FlightFilter(
        included_checked_bags=flight_filter.included_checked_bags or None,
        refundable_only=flight_filter.refundable_only,
        max_stops=flight_filter.max_stops,
        included_carriers=tuple(sorted(set(flight_filter.included_carriers))),
        excluded_carriers=tuple(sorted(set(flight_filter.excluded_carriers))),
    )


def fare_meets(fare: Fare, flight_filter: FlightFilter) -> bool:
    """Whether `fare` meets the fare filters: unknown never meets a requirement."""
    if flight_filter.refundable_only and fare.refund.allowed is not True:
        return False
    minimum = flight_filter.included_checked_bags
    if minimum:
        bags = checked_bags(fare.included_checked_bags)
        if bags is None or bags < minimum:
            return False
    return True


def offer_meets(offer: FlightOffer, flight_filter: FlightFilter) -> bool:
    """Whether `offer`'s flights meet the offer filters (marketing carriers, stops)."""
    if flight_filter.max_stops is not None and any(
        itinerary.stops > flight_filter.max_stops for itinerary in offer.itineraries
    ):
        return False
    included, excluded = flight_filter.included_carriers, flight_filter.excluded_carriers
    if included or excluded:
        carriers = {
            segment.carrier.code
            for itinerary in offer.itineraries
            for segment in itinerary.segments
        }
        if included and not carriers <= set(included):
            return False
        if excluded and not carriers.isdisjoint(excluded):
            return False
    return True


def apply(offers: Iterable[FlightOffer], flight_filter: FlightFilter) -> list[FlightOffer]:
    """The offers meeting `flight_filter`, each with only the fares that meet it."""
    if flight_filter == NO_FILTER:
        return list(offers)
    kept = []
    for offer in offers:
        if not offer_meets(offer, flight_filter):
            continue
        if flight_filter.on_fares:
            fares = tuple(fare for fare in offer.fares if fare_meets(fare, flight_filter))
            if not fares:
                continue
            if len(fares) < len(offer.fares):
                offer = _with_fares(offer, fares)
        kept.append(offer)
    return kept


def apply_clusters(
    clusters: Iterable[FlightCluster], flight_filter: FlightFilter
) -> list[FlightCluster]:
    """`apply` on the offers the clusters would build: offer filters read the flights (the
    cheapest member's, which the merged offer keeps); a fare filter needs the merged fares, so
    each cluster it keeps is built now, narrowed, and served as built."""
    if flight_filter == NO_FILTER:
        return list(clusters)
    kept = []
    for cluster in clusters:
        if not offer_meets(cluster.members[0], flight_filter):
            continue
        if flight_filter.on_fares:
            narrowed = apply([cluster.offer()], flight_filter)
            if not narrowed:
                continue
            cluster = msgspec.structs.replace(cluster, built=narrowed[0], price=narrowed[0].price)
        kept.append(cluster)
    return kept


def _with_fares(offer: FlightOffer, fares: tuple[Fare, ...]) -> FlightOffer:
    """`offer` narrowed to `fares` (cheapest first, as merged): its price the first's, its
    sources the sellers of those fares only."""
    sold = {(source.provider, source.offer_id) for fare in fares for source in fare.sources}
    return msgspec.structs.replace(
        offer,
        fares=fares,
        price=fares[0].price,
        sources=tuple(s for s in offer.sources if (s.provider, s.offer_id) in sold),
    )


def cheapest_with_bag(offer: FlightOffer) -> Fare | None:
    """The cheapest fare of `offer` that includes at least one checked bag, if any does."""
    for fare in offer.fares:  # cheapest first
        bags = checked_bags(fare.included_checked_bags)
        if bags is not None and bags >= 1:
            return fare
    return None


def cheapest_with_bag_amount(cluster: FlightCluster) -> Decimal | None:
    """The price of `cheapest_with_bag` of the offer `cluster` would build, without building
    it: fares merge only within equal checked bags (`merge.fare_key`), so the cheapest merged
    fare with a bag costs the cheapest source of any member fare with one."""
    if cluster.built is not None:
        fare = cheapest_with_bag(cluster.built)
        return fare.price.amount if fare is not None else None
    to_display = cluster.to_display
    return min(
        (
            to_display(source.price).amount
            for member in cluster.members
            for fare in member.fares
            if (checked_bags(fare.included_checked_bags) or 0) >= 1
            for source in fare.sources
        ),
        default=None,
    )
