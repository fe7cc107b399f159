"""Issue 21: a repeated search reuses its result set while the answers it was made from are fresh.

Found: a repeated trip query, answered from the cache without any upstream call, still decoded
the cached answers, merged, sorted and stored a new result set for every request (11-14 ms of
server CPU, ~35x `/healthz`).
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.config import Settings
from tests.helpers import TRIP_QUERY, Simulators, days_ahead, gateway, trip_variables

pytestmark = pytest.mark.e2e

QUERY = TRIP_QUERY.replace("message }", "message cached }")


def calls(sims: Simulators) -> int:
    return sum(
        n
        for state in sims.states.values()
        for path, n in state.calls.items()
        if path != "/v1/security/oauth2/token"
    )


def page(body: dict[str, Any], field: str) -> dict[str, Any]:
    """The offers as served: edges (cursors, nodes) or nodes, and the page's end cursor."""
    return dict(body["data"][field]["offers"])


def outcomes(body: dict[str, Any], field: str) -> list[dict[str, Any]]:
    return list(body["data"][field]["providers"])


async def test_a_repeated_search_is_answered_from_its_set(sims: Simulators) -> None:
    async with gateway(Settings(), sims) as client:
        _, first = await client.post(QUERY, trip_variables())
        made = calls(sims)
        _, again = await client.post(QUERY, trip_variables())
    assert calls(sims) == made  # no provider called
    for field in ("flights", "hotels"):
        # The very same page: the same cursors, into the same set (a set made again would
        # have a new id), and the same offers.
        assert page(again, field) == page(first, field)
        # Said as a cache hit says it, as before.
        assert all(o["cached"] and o["latencyMs"] == 0 for o in outcomes(again, field))
        assert [o["offerCount"] for o in outcomes(again, field)] == [
            o["offerCount"] for o in outcomes(first, field)
        ]


async def test_a_repeated_answer_s_cursor_continues_the_set(sims: Simulators) -> None:
    page = """query($s: FlightSearchInput!, $after: String) {
      flights(search: $s, first: 3, after: $after) {
        offers { edges { node { id } } pageInfo { endCursor } }
      }
    }"""
    search = trip_variables()["flight"]
    async with gateway(Settings(), sims) as client:
        _, one = await client.post(page, {"s": search})
        _, again = await client.post(page, {"s": search})
        cursor = again["data"]["flights"]["offers"]["pageInfo"]["endCursor"]
        _, two = await client.post(page, {"s": search, "after": cursor})
    ids = [e["node"]["id"] for e in one["data"]["flights"]["offers"]["edges"]]
    next_ids = [e["node"]["id"] for e in two["data"]["flights"]["offers"]["edges"]]
    assert "errors" not in two, two
    assert len(next_ids) == 3
    assert not set(ids) & set(next_ids)


FLIGHTS = """query($s: FlightSearchInput!) { flights(search: $s, first: 5) { offers {
  edges { cursor node { price { currency } itineraries { stops } } } } } }"""


@pytest.mark.parametrize(
    ("changed", "holds"),
    [
        ({"currency": "USD"}, lambda node: node["price"]["currency"] == "USD"),
        ({"filter": {"maxStops": 0}}, lambda node: node["itineraries"][0]["stops"] == 0),
        ({"departureDate": days_ahead(31)}, lambda node: True),
    ],
    ids=["currency", "filter", "date"],
)
async def test_another_search_is_not_answered_from_the_set(
    sims: Simulators, changed: dict[str, Any], holds: Any
) -> None:
    search = trip_variables()["flight"]
    async with gateway(Settings(), sims) as client:
        _, first = await client.post(FLIGHTS, {"s": search})
        _, other = await client.post(FLIGHTS, {"s": {**search, **changed}})
    assert "errors" not in other, other
    cursors = {e["cursor"] for e in first["data"]["flights"]["offers"]["edges"]}
    answered = other["data"]["flights"]["offers"]["edges"]
    assert answered
    assert not cursors & {e["cursor"] for e in answered}  # a set of its own
    assert all(holds(e["node"]) for e in answered)


async def test_a_search_where_a_provider_failed_is_searched_again(sims: Simulators) -> None:
    sims.duffel.update({"error_rate": 1.0, "paths": ["/air/"]})
    async with gateway(Settings(), sims) as client:
        await client.post(QUERY, trip_variables())
        sims.duffel.update({"error_rate": 0.0})
        _, body = await client.post(QUERY, trip_variables())
    duffel = next(o for o in outcomes(body, "flights") if o["provider"] == "duffel")
    assert (duffel["status"], duffel["cached"]) == ("OK", False)
    assert sims.duffel.calls["/air/offer_requests"] == 2


async def test_without_a_cache_ttl_every_search_is_made_again(sims: Simulators) -> None:
    settings = Settings(cache_ttl_flights_s=0, cache_ttl_hotels_s=0)
    async with gateway(settings, sims) as client:
        await client.post(QUERY, trip_variables())
        made = calls(sims)
        await client.post(QUERY, trip_variables())
    assert calls(sims) == 2 * made
