"""The demo as a family and a booker use it, through the public API and every simulator: a
family's trip (two adults, children aged 4 and 9, a lap infant) reaches each provider in its own
form; a hotel offer's rates are checked again with each provider, a RECHECK rate among them."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.config import Settings
from tests.helpers import days_ahead, gateway
from tests.recorded import RecordedSimulators, recorded_simulators

pytestmark = pytest.mark.e2e

FAMILY = [4, 9, 1]
TRIP = """
query Trip($flight: FlightSearchInput!, $hotel: HotelSearchInput!) {
  flights(search: $flight, first: 3) {
    offers { totalCount nodes { price { amount currency } } }
    providers { provider status message }
  }
  hotels(search: $hotel, first: 3) {
    offers { totalCount nodes { price { amount currency } } }
    providers { provider status message }
  }
}
"""
HOTELS = """
query Hotels($hotel: HotelSearchInput!) {
  hotels(search: $hotel, first: 100) {
    offers { nodes { id sources { provider }
      rooms { id provider offerId rateCheckRequired price { amount currency } } } }
    providers { provider status }
  }
}
"""
CHECK = """
query Check($id: ID!) {
  hotelOffer(id: $id, refresh: true) {
    refreshed
    sources { roomId provider offerId status previousPrice { amount } currentPrice { amount } }
    providers { provider status message }
  }
}
"""


def trip(rooms: int = 1) -> dict[str, Any]:
    return {
        "flight": {
            "origin": "LON",
            "destination": "NYC",
            "departureDate": days_ahead(40),
            "returnDate": days_ahead(47),
            "adults": 2,
            "childrenAges": FAMILY,
        },
        "hotel": {
            "cityCode": "NYC",
            "checkIn": days_ahead(40),
            "checkOut": days_ahead(47),
            "adults": 2,
            "rooms": rooms,
            "childrenAges": FAMILY,
        },
    }


def outcomes(body: dict[str, Any], field: str) -> dict[str, str]:
    return {p["provider"]: p["status"] for p in body["data"][field]["providers"]}


def sent_ages(sims: RecordedSimulators) -> dict[str, Any]:
    """What each provider's search request said of the children (its own form)."""
    seen: dict[str, Any] = {}
    for exchange in sims.exchanges:
        if exchange.method == "GET" and exchange.path == "/v2/shopping/flight-offers":
            query = exchange.query
            seen["amadeus"] = (query["adults"], query.get("children"), query.get("infants"))
        elif exchange.path.endswith("/air/offer_requests"):
            seen["duffel flights"] = exchange.request_json()["data"]["passengers"]
        elif exchange.path.endswith("/stays/search"):
            seen["duffel stays"] = exchange.request_json()["data"]["guests"]
        elif exchange.path.endswith("/hotel-api/1.0/hotels"):
            seen["hotelbeds"] = exchange.request_json()["occupancies"]
        elif exchange.path.endswith("/hotels/rates"):
            seen["liteapi"] = exchange.request_json()["occupancies"]
    return seen


async def test_a_family_trip_reaches_every_provider_in_its_own_form() -> None:
    async with recorded_simulators() as sims, gateway(Settings(), sims) as client:
        _, body = await client.post(TRIP, trip())
    assert "errors" not in body, body
    assert outcomes(body, "flights") == {"amadeus": "OK", "duffel": "OK"}
    assert outcomes(body, "hotels") == {
        "amadeus": "UNSUPPORTED",  # Hotel Search v3 prices adults only: not asked
        "duffel": "OK",
        "hotelbeds": "OK",
        "liteapi": "OK",
    }
    assert body["data"]["flights"]["offers"]["totalCount"] > 0
    assert body["data"]["hotels"]["offers"]["totalCount"] > 0
    assert not any(e.path.startswith("/v1/reference-data") for e in sims.of("amadeus"))

    seen = sent_ages(sims)
    assert seen["amadeus"] == ("2", "2", "1")
    assert seen["duffel flights"] == [
        {"type": "adult"},
        {"type": "adult"},
        {"age": 1},
        {"age": 4},
        {"age": 9},
    ]
    assert sorted(g.get("age", 99) for g in seen["duffel stays"]) == [1, 4, 9, 99, 99]
    assert all(g["type"] == "child" for g in seen["duffel stays"] if "age" in g)
    (occupancy,) = seen["hotelbeds"]
    assert (occupancy["rooms"], occupancy["adults"], occupancy["children"]) == (1, 2, 3)
    assert sorted(p["age"] for p in occupancy["paxes"] if p["type"] == "CH") == [1, 4, 9]
    assert seen["liteapi"] == [{"adults": 2, "children": [1, 4, 9]}]


async def test_a_family_in_two_rooms_is_spread_alike_for_every_hotel_provider() -> None:
    async with recorded_simulators() as sims, gateway(Settings(), sims) as client:
        _, body = await client.post(TRIP, trip(rooms=2))
    assert "errors" not in body, body
    assert outcomes(body, "hotels")["hotelbeds"] == "OK"
    seen = sent_ages(sims)
    # One rule for all (HotelQuery.parties): a room of 1 adult with the 9- and 1-year-olds,
    # a room of 1 adult with the 4-year-old.
    assert seen["liteapi"] == [{"adults": 1, "children": [1, 9]}, {"adults": 1, "children": [4]}]
    hotelbeds = sorted(
        (o["rooms"], o["adults"], sorted(p["age"] for p in o.get("paxes", ())))
        for o in seen["hotelbeds"]
    )
    assert hotelbeds == [(1, 1, [1, 9]), (1, 1, [4])]


async def test_hotel_rates_are_checked_with_every_provider_recheck_rates_first() -> None:
    hotel = {"cityCode": "PAR", "checkIn": days_ahead(30), "checkOut": days_ahead(32)}
    async with recorded_simulators() as sims, gateway(Settings(), sims) as client:
        _, body = await client.post(HOTELS, {"hotel": hotel})
        assert "errors" not in body, body
        offers = body["data"]["hotels"]["offers"]["nodes"]
        checked: dict[str, dict[str, Any]] = {}
        recheck_seen = False
        for offer in offers:
            providers = {source["provider"] for source in offer["sources"]}
            must = any(room["rateCheckRequired"] for room in offer["rooms"])
            if providers <= set(checked) and not (must and not recheck_seen):
                continue
            _, found = await client.post(CHECK, {"id": offer["id"]})
            assert "errors" not in found, found
            result = found["data"]["hotelOffer"]
            assert result["refreshed"] is True
            statuses = {s["offerId"]: s for s in result["sources"]}
            for room in offer["rooms"]:
                if room["rateCheckRequired"]:
                    assert statuses[room["offerId"]]["status"] == "UNCHANGED"
                    recheck_seen = True
            for source in result["sources"]:
                if source["status"] == "UNCHANGED":
                    checked.setdefault(source["provider"], source)
            if set(checked) == {"amadeus", "duffel", "hotelbeds", "liteapi"} and recheck_seen:
                break
    assert set(checked) == {"amadeus", "duffel", "hotelbeds", "liteapi"}
    assert recheck_seen, "no RECHECK rate among the demo's Paris hotels"
    paths = {(e.provider, e.method, e.path.rsplit("/", 1)[0]) for e in sims.exchanges}
    assert ("hotelbeds", "POST", "/hotel-api/1.0") in paths
    assert any(p == "liteapi" and path.endswith("/rates/prebook") for p, _, path in
               {(e.provider, e.method, e.path) for e in sims.exchanges})  # fmt: skip
    assert any(e.provider == "duffel" and e.path == "/stays/quotes" for e in sims.exchanges)
    assert any(
        e.provider == "amadeus" and e.path.startswith("/v3/shopping/hotel-offers/")
        for e in sims.exchanges
    )
