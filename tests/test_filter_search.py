"""Filters and the PRICE_WITH_BAGS sort through the public surface, on the demo simulators: the
Basic fare of LHR–JFK includes no checked bag, so asking for one changes the cheapest offer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.helpers import GraphQLClient, Simulators, days_ahead
from tests.test_identity import Cache, normalise

pytestmark = pytest.mark.e2e

QUERY = """query($s: FlightSearchInput!, $sort: FlightSort! = PRICE,
                 $first: Int! = 100, $after: String) {
  flights(search: $s, sort: $sort, first: $first, after: $after) {
    offers { totalCount pageInfo { hasNextPage endCursor } nodes {
      __typename id price { amount currency }
      itineraries { stops segments { carrier { code } flightNumber departure { at } } }
      sources { provider offerId price { amount currency } }
      fares { __typename id brandName price { amount currency }
        includedCheckedBags { quantity weight weightUnit }
        refund { allowed penalty { amount currency } }
        sources { provider offerId price { amount currency } } } } }
    providers { provider status cached } } }"""


def lhr_jfk(**extra: Any) -> dict[str, Any]:
    return {"origin": "LHR", "destination": "JFK", "departureDate": days_ahead(30),
            "currency": "USD", **extra}  # fmt: skip


async def post(client: GraphQLClient, variables: dict[str, Any]) -> tuple[int, Any]:
    """QUERY with `f` as the search's filter (LHR–JFK unless `s` says otherwise)."""
    variables = dict(variables)
    search = variables.pop("s", lhr_jfk())
    return await client.post(QUERY, {"s": {**search, "filter": variables.pop("f", None)},
                                     **variables})  # fmt: skip


async def offers(client: GraphQLClient, **variables: Any) -> list[dict[str, Any]]:
    status, body = await post(client, variables)
    assert status == 200, body
    assert "errors" not in body, body
    nodes: list[dict[str, Any]] = body["data"]["flights"]["offers"]["nodes"]
    return nodes


def flights_of(offer: dict[str, Any]) -> str:
    return " ".join(
        f"{s['carrier']['code']}{s['flightNumber']}@{s['departure']['at']}"
        for it in offer["itineraries"]
        for s in it["segments"]
    )


def amount(money: dict[str, Any]) -> Decimal:
    return Decimal(money["amount"])


async def test_one_checked_bag_changes_the_cheapest_offer(client: GraphQLClient) -> None:
    everything = await offers(client)
    with_bag = await offers(client, f={"includedCheckedBags": 1})
    cheapest, cheapest_with_bag = everything[0], with_bag[0]
    assert cheapest["fares"][0]["brandName"] == "Basic"
    assert cheapest["fares"][0]["includedCheckedBags"]["quantity"] == 0
    # The Basic fares are gone; each offer is priced at its cheapest fare with a bag.
    assert amount(cheapest_with_bag["price"]) > amount(cheapest["price"])
    for offer in with_bag:
        assert all(f["includedCheckedBags"]["quantity"] >= 1 for f in offer["fares"])
        assert "Basic" not in [f["brandName"] for f in offer["fares"]]
        assert offer["price"] == offer["fares"][0]["price"]
        sellers = {(s["provider"], s["offerId"]) for f in offer["fares"] for s in f["sources"]}
        assert {(s["provider"], s["offerId"]) for s in offer["sources"]} == sellers
    prices = [amount(o["price"]) for o in with_bag]
    assert prices == sorted(prices)
    # The same flights, with other fares shown, are another offer to a client cache.
    same = {flights_of(o): o for o in everything}
    for offer in with_bag:
        unfiltered = same[flights_of(offer)]
        assert offer["id"] != unfiltered["id"]
        # The fares kept are the same values, so the same ids.
        assert {f["id"] for f in offer["fares"]} < {f["id"] for f in unfiltered["fares"]}
    assert {flights_of(o) for o in with_bag} == set(same)  # every journey has a fare with a bag


async def test_refundable_only_keeps_the_flex_fares(client: GraphQLClient) -> None:
    refundable = await offers(client, f={"refundableOnly": True})
    assert refundable
    for offer in refundable:
        assert [f["brandName"] for f in offer["fares"]] == ["Flex"]
        assert offer["fares"][0]["refund"]["allowed"] is True
        # Duffel states refund conditions, Amadeus does not: an Amadeus-only fare is unknown,
        # so every Flex fare kept is one Duffel sells.
        assert "duffel" in {s["provider"] for s in offer["fares"][0]["sources"]}


async def test_stops_and_carriers(client: GraphQLClient) -> None:
    everything = await offers(client, s=lhr_jfk(destination="NYC", origin="LON"))
    nonstop = await offers(client, s=lhr_jfk(destination="NYC", origin="LON"), f={"maxStops": 0})
    assert nonstop
    assert all(it["stops"] == 0 for o in nonstop for it in o["itineraries"])
    assert len(nonstop) == sum(all(it["stops"] == 0 for it in o["itineraries"]) for o in everything)
    carriers = {s["carrier"]["code"] for o in everything for it in o["itineraries"]
                for s in it["segments"]}  # fmt: skip
    assert {"BA", "KL"} <= carriers
    british = await offers(
        client, s=lhr_jfk(destination="NYC", origin="LON"), f={"includedCarriers": ["ba", " BA"]}
    )
    assert british
    assert {s["carrier"]["code"] for o in british for it in o["itineraries"]
            for s in it["segments"]} == {"BA"}  # fmt: skip
    without = await offers(
        client, s=lhr_jfk(destination="NYC", origin="LON"), f={"excludedCarriers": ["BA", "KL"]}
    )
    codes = {
        s["carrier"]["code"] for o in without for it in o["itineraries"] for s in it["segments"]
    }
    assert codes
    assert not codes & {"BA", "KL"}


async def test_price_with_bags_puts_the_cheapest_fare_with_a_bag_first(
    client: GraphQLClient,
) -> None:
    by_bag = await offers(client, sort="PRICE_WITH_BAGS")
    everything = await offers(client)
    assert len(by_bag) == len(everything)  # a sort drops nothing

    def with_bag(offer: dict[str, Any]) -> Decimal:
        return min(amount(f["price"]) for f in offer["fares"]
                   if (f["includedCheckedBags"] or {}).get("quantity", 0) >= 1)  # fmt: skip

    keys = [with_bag(o) for o in by_bag]
    assert keys == sorted(keys)
    assert {o["id"] for o in by_bag} == {o["id"] for o in everything}
    # The offers still show their cheapest fare as their price: the Basic one.
    assert all(o["price"] == o["fares"][0]["price"] for o in by_bag)


async def test_filters_call_no_provider_again(sims: Simulators, client: GraphQLClient) -> None:
    await offers(client)
    before = {name: sum(state.calls.values()) for name, state in sims.states.items()}
    for f in ({"includedCheckedBags": 2}, {"refundableOnly": True, "maxStops": 0},
              {"excludedCarriers": ["AA"]}):  # fmt: skip
        status, body = await post(client, {"f": f})
        assert status == 200
        assert "errors" not in body, body
        assert all(p["cached"] for p in body["data"]["flights"]["providers"])
    after = {name: sum(state.calls.values()) for name, state in sims.states.items()}
    assert after == before


async def test_pages_of_a_filter_continue_it_and_refuse_another(client: GraphQLClient) -> None:
    f = {"includedCheckedBags": 1, "maxStops": 0}
    whole = await offers(client, f=f)
    collected: list[dict[str, Any]] = []
    after = None
    while True:
        status, body = await post(client, {"f": f, "first": 4, "after": after})
        assert status == 200
        page = body["data"]["flights"]["offers"]
        collected.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [o["id"] for o in collected] == [o["id"] for o in whole]

    _, first_page = await post(client, {"f": f, "first": 4})
    cursor = first_page["data"]["flights"]["offers"]["pageInfo"]["endCursor"]
    for other in (None, {"includedCheckedBags": 2, "maxStops": 0}, {"maxStops": 0}):
        _, body = await post(client, {"f": other, "first": 4, "after": cursor})
        [error] = body["errors"]
        assert error["extensions"]["code"] == "CURSOR_MISMATCH"
    # The same filter written another way (order, case, a zero minimum) is the same set.
    same = {
        "includedCheckedBags": 1,
        "maxStops": 0,
        "excludedCarriers": [],
        "refundableOnly": False,
    }
    _, body = await post(client, {"f": same, "first": 4, "after": cursor})
    assert "errors" not in body, body


async def test_no_id_holds_two_values_across_filters(client: GraphQLClient) -> None:
    cache: Cache = {}
    seen: list[tuple[str, str]] = []
    for f in (None, {"includedCheckedBags": 1}, {"includedCheckedBags": 2},
              {"refundableOnly": True}, {"maxStops": 0}):  # fmt: skip
        for sort in ("PRICE", "PRICE_WITH_BAGS"):
            status, body = await post(client, {"f": f, "sort": sort, "first": 10})
            assert status == 200
            assert "errors" not in body, body
            normalise(body, cache, seen)
    assert len(seen) > len(cache)


async def test_filters_of_one_search_are_one_search_for_the_budget(client: GraphQLClient) -> None:
    """The budget counts distinct searches (at most 2 flights): filters add no upstream call."""
    aliases = " ".join(
        f'f{n}: flights(search: {{origin: "LHR", destination: "JFK", departureDate: '
        f'"{days_ahead(30)}", filter: {{maxStops: {n}}}}}, first: 1) {{ offers {{ totalCount }} }}'
        for n in range(4)
    )
    status, body = await client.post(f"{{ {aliases} }}")
    assert status == 200
    assert "errors" not in body, body
    counts = [body["data"][f"f{n}"]["offers"]["totalCount"] for n in range(4)]
    assert counts[0] <= counts[1] <= counts[2] <= counts[3]
    assert counts[0] < counts[3]


async def test_bad_filter_values_are_bad_user_input_naming_the_field(
    client: GraphQLClient,
) -> None:
    f = {"includedCheckedBags": 10, "maxStops": -1, "includedCarriers": ["BA", "BAW"],
         "excludedCarriers": ["BA"]}  # fmt: skip
    status, body = await post(client, {"f": f})
    assert status == 200
    assert body["data"] == {"flights": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert [p["field"] for p in error["extensions"]["problems"]] == [
        "$s.filter.includedCheckedBags",
        "$s.filter.maxStops",
        "$s.filter.includedCarriers[1]",
        "$s.filter.excludedCarriers",
    ]
    too_many = {"excludedCarriers": [f"{c}1" for c in "ABCDEFGHIJKLMNOPQRSTU"]}
    _, body = await post(client, {"f": too_many})
    assert body["errors"][0]["extensions"]["problems"] == [
        {"field": "$s.filter.excludedCarriers", "message": "at most 20 carriers, got 21"}
    ]
    # A literal names the argument's path; a variable inside it, the variable.
    literal = (
        f'query($c: String!) {{ flights(search: {{origin: "LHR", destination: "JFK", '
        f'departureDate: "{days_ahead(30)}", filter: {{maxStops: 7, '
        f'includedCarriers: ["BA", $c]}}}}) {{ __typename }} }}'
    )
    _, body = await client.post(literal, {"c": "B"})
    assert [p["field"] for p in body["errors"][0]["extensions"]["problems"]] == [
        "search.filter.maxStops",
        "$c",
    ]
    # A value of the wrong type is refused before anything runs, in the same shape.
    status, body = await post(client, {"f": {"maxStops": "two"}})
    assert status == 400
    assert body["errors"][0]["extensions"]["problems"][0]["field"] == "$s.filter.maxStops"
