"""Fares through the public surface: the demo simulators answer one offer per fare brand of each
flight, and the gateway shows each itinerary once with its fares (issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.helpers import GraphQLClient, days_ahead

pytestmark = pytest.mark.e2e

FARES = """query($s: FlightSearchInput!) {
  flights(search: $s, first: 100) {
    offers { nodes {
      id price { amount currency }
      itineraries { segments { carrier { code } flightNumber departure { airport at } } }
      sources { provider offerId price { amount currency } }
      fares {
        __typename id brandName price { amount currency }
        segments { cabin bookingClass fareBasis }
        includedCheckedBags { quantity weight weightUnit }
        includedCabinBags { quantity weight weightUnit }
        refund { allowed penalty { amount currency } }
        change { allowed penalty { amount currency } }
        co2Kg
        sources {
          provider offerId price { amount currency } base { amount currency }
          taxes { amount currency } expiresAt lastTicketingDate
          perTraveller { travellerType count price { amount currency } }
        }
      }
    } } } }"""


async def search(client: GraphQLClient, **extra: Any) -> list[dict[str, Any]]:
    search = {"origin": "LHR", "destination": "JFK", "departureDate": days_ahead(30),
              "currency": "USD", **extra}  # fmt: skip
    status, body = await client.post(FARES, {"s": search})
    assert status == 200, body
    assert "errors" not in body, body
    nodes: list[dict[str, Any]] = body["data"]["flights"]["offers"]["nodes"]
    return nodes


async def test_one_flight_shows_its_basic_standard_and_flex_fares(client: GraphQLClient) -> None:
    offers = await search(client)
    both = [o for o in offers if {s["provider"] for s in o["sources"]} == {"amadeus", "duffel"}]
    assert both, "some flight is sold by both providers"
    offer = both[0]
    fares = offer["fares"]
    assert [f["brandName"] for f in fares] == ["Basic", "Standard", "Flex"]
    # The same fare sold by both providers is one fare with two sources, cheapest first.
    for fare in fares:
        assert {s["provider"] for s in fare["sources"]} == {"amadeus", "duffel"}
    assert len(offer["sources"]) == 6  # every seller of every fare, as before
    prices = [Decimal(f["price"]["amount"]) for f in fares]
    assert prices == sorted(prices)
    assert len(set(prices)) == 3
    assert offer["price"] == fares[0]["price"]  # the offer's price is its cheapest fare's
    basic, standard, flex = fares
    assert [f["includedCheckedBags"]["quantity"] for f in fares] == [0, 1, 2]
    assert all(f["includedCabinBags"]["quantity"] == 1 for f in fares)
    assert [f["change"]["allowed"] for f in fares] == [False, True, True]
    assert [f["refund"]["allowed"] for f in fares] == [False, False, True]
    assert basic["change"]["penalty"] is None
    assert Decimal(standard["change"]["penalty"]["amount"]) > 0  # a change fee
    assert Decimal(flex["change"]["penalty"]["amount"]) == 0  # free changes
    # Each fare is its own booking class in the offer's cabin.
    classes = [f["segments"][0]["bookingClass"] for f in fares]
    assert len(set(classes)) == 3
    assert all(s["cabin"] == "ECONOMY" for f in fares for s in f["segments"])
    segments = sum(len(it["segments"]) for it in offer["itineraries"])
    assert all(len(f["segments"]) == segments for f in fares)
    # Emissions: the same flights and cabin, so the same for every fare (Duffel states them).
    assert len({f["co2Kg"] for f in fares}) == 1
    assert 200 < Decimal(basic["co2Kg"]) < 2000  # ~5,500 km at ~0.09 kg a km
    ids = [f["id"] for f in fares]
    assert len(set(ids)) == 3
    assert all(i.startswith("P") for i in ids)


async def test_each_source_keeps_its_own_price_breakdown(client: GraphQLClient) -> None:
    offers = await search(client, adults=2, childrenAges=[7])
    fare = next(f for o in offers for f in o["fares"] if len(f["sources"]) == 2)
    by_provider = {s["provider"]: s for s in fare["sources"]}
    amadeus, duffel = by_provider["amadeus"], by_provider["duffel"]
    for source in (amadeus, duffel):
        total = Decimal(source["price"]["amount"])
        base, taxes = Decimal(source["base"]["amount"]), Decimal(source["taxes"]["amount"])
        assert base + taxes == total
        assert source["base"]["currency"] == source["price"]["currency"]
    # Amadeus splits its total by traveller type; Duffel does not, so nothing is invented.
    split = {p["travellerType"]: p for p in amadeus["perTraveller"]}
    assert set(split) == {"ADULT", "CHILD"}
    assert split["ADULT"]["count"] == 2
    assert split["CHILD"]["count"] == 1
    assert sum(Decimal(p["price"]["amount"]) * p["count"] for p in split.values()) == Decimal(
        amadeus["price"]["amount"]
    )
    assert Decimal(split["CHILD"]["price"]["amount"]) < Decimal(split["ADULT"]["price"]["amount"])
    assert duffel["perTraveller"] == []
    # Duffel's offers expire about 30 minutes after the search; Amadeus states no instant.
    expires = datetime.fromisoformat(duffel["expiresAt"])
    assert duffel["expiresAt"].endswith("Z")
    assert timedelta(minutes=25) < expires - datetime.now(UTC) <= timedelta(minutes=31)
    assert amadeus["expiresAt"] is None
    assert amadeus["lastTicketingDate"] is not None


async def test_emissions_grow_with_the_cabin(client: GraphQLClient) -> None:
    def co2(offers: list[dict[str, Any]]) -> dict[str, Decimal]:
        return {
            "+".join(f"{s['carrier']['code']}{s['flightNumber']}" for it in o["itineraries"]
                     for s in it["segments"]): Decimal(o["fares"][0]["co2Kg"])
            for o in offers if o["fares"][0]["co2Kg"] is not None
        }  # fmt: skip

    economy = co2(await search(client))
    business = co2(await search(client, cabin="BUSINESS"))
    shared = economy.keys() & business.keys()
    assert shared
    for flights in shared:
        assert business[flights] / economy[flights] == pytest.approx(3, rel=0.01)


async def test_fares_are_priced_by_the_budget(client: GraphQLClient) -> None:
    """A fare is an object with lists of its own: one flight search selecting every fare field
    at the largest page fits the default budget; two do not."""
    one = FARES.replace("first: 100", "first: $first").replace(
        "query($s: FlightSearchInput!)", "query($s: FlightSearchInput!, $first: Int!)"
    )
    search = {"origin": "LHR", "destination": "JFK", "departureDate": days_ahead(30)}
    status, body = await client.post(one, {"s": search, "first": 100})
    assert status == 200, body
    assert "errors" not in body, body
    selection = FARES.split("flights(search: $s, first: 100)", 1)[1].rsplit("}", 1)[0]
    two = (
        "query($s: FlightSearchInput!, $t: FlightSearchInput!) {"
        f" a: flights(search: $s, first: 100) {selection}"
        f" b: flights(search: $t, first: 100) {selection} }}"
    )
    later = {**search, "departureDate": days_ahead(31)}
    status, body = await client.post(two, {"s": search, "t": later})
    assert body["errors"][0]["extensions"]["code"] == "OPERATION_TOO_EXPENSIVE", body
    assert "data" not in body
