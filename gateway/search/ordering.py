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
from typing import Any

from gateway.domain import FlightOffer, FlightSort, HotelSort
from gateway.search.filters import cheapest_with_bag, cheapest_with_bag_amount
from gateway.search.merge import FlightCluster, HotelCluster

_UNKNOWN_DISTANCE = float("inf")

FlightKey = Callable[[FlightOffer], tuple[Any, ...]]
ClusterKey = Callable[[FlightCluster], tuple[Any, ...]]
HotelKey = Callable[[HotelCluster], tuple[Any, ...]]


def _with_bags(o: FlightOffer) -> tuple[Any, ...]:
    fare = cheapest_with_bag(o)
    with_bag = fare.price.amount if fare is not None else o.price.amount
    return (fare is None, with_bag, o.price.amount, o.total_duration_minutes, o.departure_at, o.id)


_FLIGHT_KEYS: dict[FlightSort, FlightKey] = {
    FlightSort.PRICE: lambda o: (o.price.amount, o.total_duration_minutes, o.departure_at, o.id),
    FlightSort.PRICE_WITH_BAGS: _with_bags,
    FlightSort.DURATION: lambda o: (o.total_duration_minutes, o.price.amount, o.departure_at, o.id),
    FlightSort.DEPARTURE: lambda o: (
        o.departure_at,
        o.price.amount,
        o.total_duration_minutes,
        o.id,
    ),
}


def _cluster_with_bags(c: FlightCluster) -> tuple[Any, ...]:
    amount = cheapest_with_bag_amount(c)
    with_bag = amount if amount is not None else c.price.amount
    return (
        amount is None,
        with_bag,
        c.price.amount,
        c.total_duration_minutes,
        c.departure_at,
        c.id,
    )


_CLUSTER_KEYS: dict[FlightSort, ClusterKey] = {
    FlightSort.PRICE: lambda c: (c.price.amount, c.total_duration_minutes, c.departure_at, c.id),
    FlightSort.PRICE_WITH_BAGS: _cluster_with_bags,
    FlightSort.DURATION: lambda c: (c.total_duration_minutes, c.price.amount, c.departure_at, c.id),
    FlightSort.DEPARTURE: lambda c: (
        c.departure_at,
        c.price.amount,
        c.total_duration_minutes,
        c.id,
    ),
}
"""`_FLIGHT_KEYS` on the clusters of a result set: the same keys, read without merging."""


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
