"""Sort orders with stable, documented tie-breaks, so equal keys never reshuffle between pages.

Flights: PRICE → price, duration, departure, id; DURATION → duration, price, departure, id;
DEPARTURE → departure, price, duration, id. Hotels: PRICE → price, distance, name, id;
DISTANCE → distance (unknown last), price, name, id; NAME → name (case-insensitive), price, id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.domain import FlightOffer, FlightSort, HotelOffer, HotelSort

_UNKNOWN_DISTANCE = float("inf")

FlightKey = Callable[[FlightOffer], tuple[Any, ...]]
HotelKey = Callable[[HotelOffer], tuple[Any, ...]]

_FLIGHT_KEYS: dict[FlightSort, FlightKey] = {
    FlightSort.PRICE: lambda o: (o.price.amount, o.total_duration_minutes, o.departure_at, o.id),
    FlightSort.DURATION: lambda o: (o.total_duration_minutes, o.price.amount, o.departure_at, o.id),
    FlightSort.DEPARTURE: lambda o: (
        o.departure_at,
        o.price.amount,
        o.total_duration_minutes,
        o.id,
    ),
}


def _distance(offer: HotelOffer) -> float:
    distance = offer.hotel.distance_km
    return _UNKNOWN_DISTANCE if distance is None else distance


def _name(offer: HotelOffer) -> str:
    return offer.hotel.name.casefold()


_HOTEL_KEYS: dict[HotelSort, HotelKey] = {
    HotelSort.PRICE: lambda o: (o.price.amount, _distance(o), _name(o), o.id),
    HotelSort.DISTANCE: lambda o: (_distance(o), o.price.amount, _name(o), o.id),
    HotelSort.NAME: lambda o: (_name(o), o.price.amount, o.id),
}


def sort_flights(offers: list[FlightOffer], order: FlightSort) -> list[FlightOffer]:
    return sorted(offers, key=_FLIGHT_KEYS[order])


def sort_hotels(offers: list[HotelOffer], order: HotelSort) -> list[HotelOffer]:
    return sorted(offers, key=_HOTEL_KEYS[order])
