"""Ids that identify: a normalised client cache never sees one id with two different values.

Apollo Client, Relay and urql keep one record per `__typename` + `id`. This plays such a cache
over many searches (travellers, currencies, dates, cabins, orders, pages, repeats) and checks
that every id always carries the same values, and that repeating a search repeats its ids.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.helpers import GraphQLClient, days_ahead

pytestmark = pytest.mark.e2e

FLIGHTS = """query($s: FlightSearchInput!, $sort: FlightSort!, $first: Int!, $after: String) {
  flights(search: $s, sort: $sort, first: $first, after: $after) {
    offers { pageInfo { endCursor } nodes {
      __typename id price { amount currency } seatsAvailable lastTicketingDate
      validatingCarrier { code name }
      itineraries { durationMinutes stops segments {
        carrier { code name } flightNumber departure { airport at terminal }
        arrival { airport at terminal } durationMinutes aircraft cabin } }
      sources { provider offerId price { amount currency } }
      fares { __typename id brandName price { amount currency }
        segments { cabin bookingClass fareBasis }
        includedCheckedBags { quantity weight weightUnit }
        includedCabinBags { quantity weight weightUnit }
        refund { allowed penalty { amount currency } }
        change { allowed penalty { amount currency } } co2Kg
        sources { provider offerId price { amount currency } base { amount currency }
          taxes { amount currency } expiresAt lastTicketingDate
          perTraveller { travellerType count price { amount currency } } } } } } } }"""

HOTELS = """query($s: HotelSearchInput!, $sort: HotelSort!, $first: Int!, $after: String) {
  hotels(search: $s, sort: $sort, first: $first, after: $after) {
    offers { pageInfo { endCursor } nodes {
      __typename id price { amount currency }
      hotel { __typename id name chainCode cityCode rating distanceKm
              location { latitude longitude } address { line postalCode cityName countryCode }
              reviewScore { score scale count } amenities }
      rooms { __typename id offerId provider description boardType refundable checkIn checkOut
              price { amount currency } pricePerNight { amount currency }
              freeCancellationUntil cancellationPenalty { amount currency }
              includedTaxes { amount currency } dueAtHotel { amount currency } }
      sources { provider offerId price { amount currency } } } } } }"""

Cache = dict[tuple[str, str], Any]


def normalise(value: Any, cache: Cache, seen: list[tuple[str, str]]) -> Any:
    """Store every entity by `__typename` + `id` as a normalised cache does; return a reference
    where one was. Raises if an id already holds different values."""
    if isinstance(value, list):
        return [normalise(item, cache, seen) for item in value]
    if not isinstance(value, dict):
        return value
    fields = {name: normalise(item, cache, seen) for name, item in value.items()}
    if "__typename" not in value or "id" not in value:
        return fields
    key = (value["__typename"], value["id"])
    known = cache.setdefault(key, fields)
    assert known == fields, f"{key} holds two different values:\n{known}\n{fields}"
    seen.append(key)
    return {"ref": key}


async def pages(
    client: GraphQLClient, query: str, field: str, variables: dict[str, Any], count: int = 2
) -> list[dict[str, Any]]:
    """The first `count` pages of a search (the next page through its cursor)."""
    answers, after = [], None
    for _ in range(count):
        status, body = await client.post(query, {**variables, "first": 5, "after": after})
        assert status == 200, body
        assert "errors" not in body, body
        answers.append(body)
        after = body["data"][field]["offers"]["pageInfo"]["endCursor"]
        if after is None:
            break
    return answers


async def test_no_id_ever_holds_two_values(client: GraphQLClient) -> None:
    """Found: FlightOffer.id was the same for 1 and 2 adults (434.66 vs 869.32 EUR) and for EUR
    and USD; hotel and room ids likewise across currencies and stays."""
    cache: Cache = {}
    flight_searches = [
        {"origin": "LON", "destination": "NYC", "departureDate": days_ahead(days),
         "adults": adults, "currency": currency, "cabin": cabin}
        for days, adults, currency, cabin in itertools.product(
            (30, 31), (1, 2), ("EUR", "USD"), ("ECONOMY", "BUSINESS")
        )
    ]  # fmt: skip
    hotel_searches = [
        {"cityCode": "PAR", "checkIn": days_ahead(days), "checkOut": days_ahead(days + nights),
         "adults": adults, "currency": currency}
        for days, nights, adults, currency in itertools.product(
            (30, 31), (2, 3), (1, 2), ("EUR", "GBP")
        )
    ]  # fmt: skip
    seen: list[tuple[str, str]] = []
    for search in flight_searches:
        for sort in ("PRICE", "DURATION"):
            for body in await pages(client, FLIGHTS, "flights", {"s": search, "sort": sort}):
                normalise(body, cache, seen)
    for search in hotel_searches:
        for sort in ("PRICE", "DISTANCE"):
            for body in await pages(client, HOTELS, "hotels", {"s": search, "sort": sort}):
                normalise(body, cache, seen)
    kinds = {kind for kind, _ in cache}
    assert kinds == {"FlightOffer", "Fare", "HotelOffer", "Hotel", "RoomOffer"}
    assert len(seen) > len(cache)  # the same entities came back: ids did repeat, consistently


async def test_the_same_search_repeated_gives_the_same_ids(client: GraphQLClient) -> None:
    search = {"cityCode": "PAR", "checkIn": days_ahead(40), "checkOut": days_ahead(42)}
    first = await pages(client, HOTELS, "hotels", {"s": search, "sort": "PRICE"}, count=1)
    again = await pages(client, HOTELS, "hotels", {"s": search, "sort": "PRICE"}, count=1)
    ids = [[node["id"] for node in body["data"]["hotels"]["offers"]["nodes"]] for body in first]
    assert ids == [
        [node["id"] for node in body["data"]["hotels"]["offers"]["nodes"]] for body in again
    ]
    assert all(ids[0])


async def test_the_same_flight_search_repeated_gives_the_same_fare_ids(
    client: GraphQLClient,
) -> None:
    search = {"origin": "LON", "destination": "NYC", "departureDate": days_ahead(40)}

    def fare_ids(bodies: list[dict[str, Any]]) -> list[list[str]]:
        return [
            [fare["id"] for fare in node["fares"]]
            for body in bodies
            for node in body["data"]["flights"]["offers"]["nodes"]
        ]

    first = await pages(client, FLIGHTS, "flights", {"s": search, "sort": "PRICE"}, count=1)
    again = await pages(client, FLIGHTS, "flights", {"s": search, "sort": "PRICE"}, count=1)
    assert fare_ids(first) == fare_ids(again)
    assert all(ids and all(ids) for ids in fare_ids(first))
