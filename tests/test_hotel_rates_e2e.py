"""Rich hotel rates end to end: the four simulators, the gateway's mappings, the merge and the
GraphQL schema. One search in Paris; a hotel several providers sell shows each provider's rates
with board, free-cancellation deadline, penalty, taxes and price per night, and the providers
agree on them (they sell the same rooms of one inventory)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.helpers import GraphQLClient, days_ahead

pytestmark = pytest.mark.e2e

QUERY = """
query($search: HotelSearchInput!) {
  hotels(search: $search, first: 100) {
    offers {
      nodes {
        hotel {
          name rating
          address { line postalCode cityName countryCode }
          reviewScore { score scale count }
          amenities
        }
        rooms {
          provider offerId boardType refundable checkIn checkOut
          freeCancellationUntil
          cancellationPenalty { amount currency }
          price { amount currency }
          pricePerNight { amount currency }
          includedTaxes { amount currency }
          dueAtHotel { amount currency }
        }
      }
    }
    providers { provider status }
  }
}"""
BOARDS = {"ROOM_ONLY", "BREAKFAST", "HALF_BOARD", "FULL_BOARD", "ALL_INCLUSIVE", "OTHER"}


def amount(money: dict[str, Any]) -> Decimal:
    return Decimal(money["amount"])


async def search(client: GraphQLClient) -> list[dict[str, Any]]:
    variables = {
        "search": {"cityCode": "PAR", "checkIn": days_ahead(30), "checkOut": days_ahead(32)}
    }
    status, body = await client.post(QUERY, variables)
    assert status == 200, body
    assert "errors" not in body, body
    hotels = body["data"]["hotels"]
    assert {p["status"] for p in hotels["providers"]} == {"OK"}
    nodes: list[dict[str, Any]] = hotels["offers"]["nodes"]
    return nodes


async def test_a_merged_hotel_shows_every_providers_rates_with_their_terms(
    client: GraphQLClient,
) -> None:
    nodes = await search(client)
    merged = [n for n in nodes if len({room["provider"] for room in n["rooms"]}) >= 3]
    assert merged, "some hotel is sold by three providers or more"
    check_in = date.fromisoformat(days_ahead(30))
    deadlines_seen = 0
    for node in merged:
        deadlines = set()
        boards: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        for room in node["rooms"]:
            assert room["boardType"] in BOARDS
            boards[room["provider"]].append((room["boardType"], room["refundable"]))
            price, per_night = amount(room["price"]), amount(room["pricePerNight"])
            assert room["pricePerNight"]["currency"] == room["price"]["currency"]
            assert abs(per_night * 2 - price) <= Decimal("0.01")
            penalty = room["cancellationPenalty"]
            assert penalty is not None
            assert penalty["currency"] == room["price"]["currency"]
            if room["refundable"]:
                moment = datetime.fromisoformat(room["freeCancellationUntil"])
                assert room["freeCancellationUntil"].endswith("Z")
                assert moment.tzinfo is not None
                # Noon in Paris two days before arrival: before check-in, in UTC.
                assert moment == datetime.combine(
                    check_in - timedelta(days=2), datetime.min.time(), UTC
                ) + timedelta(hours=11)
                deadlines.add(moment)
                # After it, the first night: about the average night, never the whole stay.
                assert abs(amount(penalty) - per_night) <= Decimal("0.05")
            else:
                assert room["refundable"] is False
                assert room["freeCancellationUntil"] is None
                assert amount(penalty) == price  # non-refundable: the whole stay
            taxes, due = room["includedTaxes"], room["dueAtHotel"]
            assert taxes is not None
            assert 0 < amount(taxes) < price
            assert due is not None
            assert amount(due) > 0  # the city tax, paid at the hotel
        assert len(deadlines) <= 1  # one deadline, whichever provider's format carried it
        deadlines_seen += len(deadlines)
        # The same rooms on the same terms from every provider that sells the hotel.
        offered = {provider: sorted(terms) for provider, terms in boards.items()}
        assert len({tuple(terms) for terms in offered.values()}) == 1, offered
        hotel = node["hotel"]
        assert hotel["rating"] in {2, 3, 4, 5}
        assert hotel["address"]["countryCode"] == "FR"
        assert hotel["address"]["line"]
        assert hotel["reviewScore"]["scale"] == 10
        assert 0 < hotel["reviewScore"]["score"] <= 10
        if "duffel" in boards:  # the one provider that lists amenities
            assert "WIFI" in hotel["amenities"]
        else:
            assert hotel["amenities"] is None
    assert deadlines_seen > 0, "some merged hotel has a refundable rate"
