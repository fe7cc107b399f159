"""Sort orders with stable, documented tie-breaks, so equal keys never reshuffle between pages.

Flights: PRICE → price, duration, departure, id; PRICE_WITH_BAGS → the price of the cheapest
fare including a checked bag (offers without one after every offer with one), then as PRICE;
DURATION → duration, price, departure, id;
DEPARTURE → departure, price, duration, id. Hotels: PRICE → price, distance, name, id;
DISTANCE → distance (unknown last), price, name, id; NAME → name (case-insensitive), price, id.
(For hotels the last tie-break is the merged providers' ids, from which the offer id is hashed.)
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from gateway.domain import FlightOffer, FlightSort, HotelSort
from gateway.search.filters import cheapest_with_bag, cheapest_with_bag_amount
from gateway.search.merge import FlightCluster, HotelCluster

_UNKNOWN_DISTANCE = float("inf")

HotelKey = Callable[[HotelCluster], tuple[Any, ...]]
Sorted = TypeVar("Sorted", FlightOffer, FlightCluster)


def _flight_keys(
    bag_amount: Callable[[Sorted], Decimal | None],
) -> dict[FlightSort, Callable[[Sorted], tuple[Any, ...]]]:
    """The flight orders' keys, for merged offers or for the clusters of a result set (read
    without merging): the same keys but for how the cheapest price with a bag is found."""

    def with_bags(o: Sorted) -> tuple[Any, ...]:
        amount = bag_amount(o)
        with_bag = amount if amount is not None else o.price.amount
        return (
            amount is None,
            with_bag,
            o.price.amount,
            o.total_duration_minutes,
            o.departure_at,
            o.id,
        )

    return {
        FlightSort.PRICE: lambda o: (
            o.price.amount,
            o.total_duration_minutes,
            o.departure_at,
            o.id,
        ),
        FlightSort.PRICE_WITH_BAGS: with_bags,
        FlightSort.DURATION: lambda o: (
            o.total_duration_minutes,
            o.price.amount,
            o.departure_at,
            o.id,
        ),
        FlightSort.DEPARTURE: lambda o: (
            o.departure_at,
            o.price.amount,
            o.total_duration_minutes,
            o.id,
        ),
    }


def _offer_bag_amount(offer: FlightOffer) -> Decimal | None:
    fare = cheapest_with_bag(offer)
    return fare.price.amount if fare is not None else None


_FLIGHT_KEYS = _flight_keys(_offer_bag_amount)
_CLUSTER_KEYS = _flight_keys(cheapest_with_bag_amount)


def _distance(hotel: HotelCluster) -> float:
    return _UNKNOWN_DISTANCE if hotel.distance_km is None else hotel.distance_km


_HOTEL_KEYS: dict[HotelSort, HotelKey] = {
    HotelSort.PRICE: lambda h: (h.price.amount, _distance(h), h.name.casefold(), h.tie),
    HotelSort.DISTANCE: lambda h: (_distance(h), h.price.amount, h.name.casefold(), h.tie),
    HotelSort.NAME: lambda h: (h.name.casefold(), h.price.amount, h.tie),
}


def sort_flights(offers: list[FlightOffer], order: FlightSort) -> list[FlightOffer]:
    return sorted(offers, key=_FLIGHT_KEYS[order])


def sort_flight_clusters(clusters: list[FlightCluster], order: FlightSort) -> list[FlightCluster]:
    return sorted(clusters, key=_CLUSTER_KEYS[order])


def sort_hotels(offers: list[HotelCluster], order: HotelSort) -> list[HotelCluster]:
    return sorted(offers, key=_HOTEL_KEYS[order])
