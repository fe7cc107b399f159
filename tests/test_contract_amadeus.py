"""Amadeus held to its own published definitions (amadeus4dev/amadeus-open-api-specification,
derived into tests/contracts/amadeus): searches run through the public GraphQL API against the
recorded simulators, then every exchange with Amadeus is checked in strict mode: each request
the adapter built (query, path, headers, body) and each answer the simulator gave (2xx against
the operation's response, any other status against its error). A family travels as Amadeus
counts travellers; a party with children is not sent to Hotel Search v3 at all.

Tolerated, and only where listed (`TOLERATED`): the defects of the definitions themselves,
each shown by the definition's own examples or text (tests/test_contract_definitions.py pins
them, so a corrected definition shows up).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from multidict import CIMultiDict

from gateway.config import Settings
from tests.contracts import header_problems, parts, problems, query_problems
from tests.helpers import GraphQLClient, days_ahead, gateway
from tests.recorded import Exchange, RecordedSimulators, recorded_simulators

pytestmark = pytest.mark.e2e

TOKEN_PATH = "/v1/security/oauth2/token"
OFFER_PATH = "/v3/shopping/hotel-offers/"
OPERATIONS = {
    ("GET", "/v2/shopping/flight-offers"): "flight_offers_search",
    ("POST", "/v1/shopping/flight-offers/pricing"): "flight_offers_price",
    ("GET", "/v1/reference-data/locations/hotels/by-city"): "hotel_list_by_city",
    ("GET", "/v3/shopping/hotel-offers"): "hotel_search",
    ("POST", TOKEN_PATH): "token",
}
AMADEUS_JSON = "application/vnd.amadeus+json"

CANCELLATION_AMOUNT = "/data/offers/*/policies/cancellations/*/amount"
TOLERATED: dict[tuple[str, str], tuple[str, ...]] = {
    # Hotel List v1 declares `distance.unit` as an enum of KILOMETERS, MILES, ... while every
    # distance in the same file's examples (by-city's, by-geocode's: "unit": "KM") and the
    # service say KM. The adapter reads both (`mapping.distance_km`).
    ("hotel_list_by_city", "response"): ("/data/*/distance/unit",),
    # Hotel Search v3 writes HotelProduct_CancellationPolicy.amount's pattern double-escaped
    # ("^\\\\d+(\\\\.\\\\d+)?$" in its JSON: a literal backslash before each digit), so it
    # refuses every amount, "10.00" included. Amounts are held to the intended ^\d+(\.\d+)?$
    # instead (`intended_amounts`).
    ("hotel_search", "response"): (CANCELLATION_AMOUNT,),
    ("hotel_offer", "response"): (CANCELLATION_AMOUNT,),
}
"""(operation, part) → JSON pointers whose problems are the definition's own defects."""
AMOUNT = re.compile(r"^\d+(\.\d+)?$")

FLIGHTS = """query($s: FlightSearchInput!) {
  flights(search: $s, first: 50) {
    offers { nodes { id sources { provider offerId price { amount currency } } } }
    providers { provider status message }
  } }"""
HOTELS = """query($s: HotelSearchInput!) {
  hotels(search: $s, first: 100) {
    offers { nodes { id
      rooms { id provider offerId price { amount currency } netPrice { amount }
              rateCheckRequired }
      sources { provider offerId price { amount currency } netPrice { amount } } } }
    providers { provider status message }
  } }"""
FLIGHT_CHECK = """query($id: ID!) { flightOffer(id: $id, refresh: true) {
  sources { provider status previousPrice { amount currency } currentPrice { amount currency } }
  providers { provider status message } } }"""
HOTEL_CHECK = """query($id: ID!) { hotelOffer(id: $id, refresh: true) {
  sources { provider offerId status previousPrice { amount currency }
            currentPrice { amount currency } }
  providers { provider status message } } }"""


def family_flight(**changes: Any) -> dict[str, Any]:
    return {
        "origin": "LON",
        "destination": "NYC",
        "departureDate": days_ahead(30),
        "adults": 2,
        "childrenAges": [4, 9, 1],
        **changes,
    }


def stay(**changes: Any) -> dict[str, Any]:
    return {"cityCode": "PAR", "checkIn": days_ahead(30), "checkOut": days_ahead(32), **changes}


# -- the checks


def operation(exchange: Exchange) -> str | None:
    """The contract of an exchange."""
    if exchange.method == "GET" and exchange.path.startswith(OFFER_PATH):
        return "hotel_offer"
    return OPERATIONS[(exchange.method, exchange.path)]


def answer_problems(op: str, part: str, answer: Any) -> list[str]:
    allow = TOLERATED.get((op, part), ())
    if op == "hotel_search" and part == "response":
        # Hotel Search v3 declares `data` one HotelOffers object; its own example (and the
        # service) send an array of them. The array is tolerated, and each entry is checked as
        # the `data` the definition describes.
        assert isinstance(answer, dict), answer
        assert isinstance(answer.get("data"), list), answer
        found = problems("amadeus", op, part, answer, strict=True, allow=["/data"])
        for index, entry in enumerate(answer["data"]):
            for problem in problems("amadeus", op, part, {"data": entry}, strict=True, allow=allow):
                found.append(problem.replace("/data", f"/data/{index}", 1))
        return found
    return problems("amadeus", op, part, answer, strict=True, allow=allow)


def intended_amounts(answer: Any) -> list[str]:
    """Cancellation amounts that fail the pattern the spec meant (see `TOLERATED`)."""
    data = answer.get("data") if isinstance(answer, dict) else None
    entries = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    return [
        str(policy.get("amount"))
        for entry in entries
        for offer in entry.get("offers", [])
        for policy in offer.get("policies", {}).get("cancellations", [])
        if "amount" in policy and not AMOUNT.match(str(policy["amount"]))
    ]


def exchange_problems(exchange: Exchange, *, requests: bool = True) -> list[str]:
    """Every way one exchange departs from its contract, strict, tolerating only `TOLERATED`;
    the answer alone unless `requests` (a request a test got wrong on purpose)."""
    op = operation(exchange)
    if op is None:
        return []
    found: list[str] = []
    has = parts("amadeus", op) if requests else ()
    if "query" in has:
        query = query_problems("amadeus", op, exchange.query, strict=True)
        found += [f"query {p}" for p in query]
    if "path" in has:
        offer_id = {"offerId": exchange.path.removeprefix(OFFER_PATH)}
        found += [f"path {p}" for p in query_problems("amadeus", op, offer_id, part="path")]
    if "headers" in has:
        found += [f"headers {p}" for p in header_problems("amadeus", op, dict(exchange.headers))]
    if "body" in has:
        body = (
            {k: v[0] for k, v in parse_qs(exchange.body.decode()).items()}  # a form
            if op == "token"
            else exchange.request_json()
        )
        found += [f"body {p}" for p in problems("amadeus", op, "body", body, strict=True)]
    elif requests and exchange.body:
        found.append("body: sent where the operation takes none")
    part = "response" if 200 <= exchange.status < 300 else "error"
    answer = exchange.answer_json()
    found += [f"{part} {p}" for p in answer_problems(op, part, answer)]
    found += [f"{part} amount {a!r}" for a in intended_amounts(answer)]
    return found


def assert_conform(sims: RecordedSimulators, *, requests: bool = True) -> list[Exchange]:
    """Every Amadeus exchange so far conforms (its answer alone unless `requests`); they are
    returned for further checks."""
    exchanges = sims.of("amadeus")
    assert exchanges, "Amadeus was called"
    found = {
        f"#{index} {exchange} {exchange.query}": problem
        for index, exchange in enumerate(exchanges)
        if (problem := exchange_problems(exchange, requests=requests))
    }
    assert found == {}
    return exchanges


def of(exchanges: list[Exchange], op: str) -> list[Exchange]:
    return [exchange for exchange in exchanges if operation(exchange) == op]


def outcome(body: dict[str, Any], field: str, provider: str = "amadeus") -> dict[str, Any]:
    assert "errors" not in body, body
    found: list[dict[str, Any]] = [
        p for p in body["data"][field]["providers"] if p["provider"] == provider
    ]
    [one] = found
    return one


@pytest.fixture
async def recorded() -> AsyncIterator[RecordedSimulators]:
    async with recorded_simulators() as sims:
        yield sims


@pytest.fixture
async def graphql(recorded: RecordedSimulators) -> AsyncIterator[GraphQLClient]:
    # Each refresh asks again (no reuse): tests change the answers between refreshes.
    async with gateway(Settings(refresh_reuse_s=0), recorded) as client:
        yield client


# -- flights


async def test_a_family_flies_as_amadeus_counts_travellers_and_every_exchange_conforms(
    recorded: RecordedSimulators, graphql: GraphQLClient
) -> None:
    _, body = await graphql.post(FLIGHTS, {"s": family_flight()})
    assert outcome(body, "flights")["status"] == "OK"
    nodes = body["data"]["flights"]["offers"]["nodes"]
    sold = [n for n in nodes if any(s["provider"] == "amadeus" for s in n["sources"])]
    assert sold, "Amadeus sold some flight"
    _, checked = await graphql.post(FLIGHT_CHECK, {"id": sold[0]["id"]})
    assert outcome(checked, "flightOffer")["status"] == "OK"
    statuses = {
        s["status"] for s in checked["data"]["flightOffer"]["sources"] if s["provider"] == "amadeus"
    }
    assert statuses == {"UNCHANGED"}

    exchanges = assert_conform(recorded)
    [search] = of(exchanges, "flight_offers_search")
    # Two adults; 4 and 9 at the child fare (2–11); 1 on a lap (under 2).
    assert {k: search.query[k] for k in ("adults", "children", "infants")} == {
        "adults": "2",
        "children": "2",
        "infants": "1",
    }
    pricing = of(exchanges, "flight_offers_price")
    assert pricing, "the offer was priced again"
    for exchange in pricing:
        # One media type, what Flight Offers Price consumes; the override its spec requires.
        assert exchange.headers["Content-Type"] == AMADEUS_JSON
        assert exchange.headers["X-HTTP-Method-Override"] == "GET"
        [priced] = exchange.request_json()["data"]["flightOffers"]
        kinds = sorted(t["travelerType"] for t in priced["travelerPricings"])
        assert kinds == ["ADULT", "ADULT", "CHILD", "CHILD", "HELD_INFANT"]


async def test_teenagers_pay_the_adult_fare(
    recorded: RecordedSimulators, graphql: GraphQLClient
) -> None:
    """Amadeus's adult fare starts at 12: a 12- and a 17-year-old are `adults`."""
    _, body = await graphql.post(FLIGHTS, {"s": family_flight(adults=1, childrenAges=[17, 12, 11])})
    assert outcome(body, "flights")["status"] == "OK"
    [search] = of(assert_conform(recorded), "flight_offers_search")
    assert (search.query["adults"], search.query["children"]) == ("3", "1")
    assert "infants" not in search.query


async def test_a_changed_or_gone_flight_answers_in_amadeus_form(
    recorded: RecordedSimulators, graphql: GraphQLClient
) -> None:
    _, body = await graphql.post(FLIGHTS, {"s": family_flight()})
    offer = next(
        n
        for n in body["data"]["flights"]["offers"]["nodes"]
        if any(s["provider"] == "amadeus" for s in n["sources"])
    )
    recorded.amadeus.update({"price_factor": 1.1})
    _, changed = await graphql.post(FLIGHT_CHECK, {"id": offer["id"]})
    recorded.amadeus.update({"price_factor": 1.0, "offers_gone": True})
    _, gone = await graphql.post(FLIGHT_CHECK, {"id": offer["id"]})

    def statuses(answer: dict[str, Any]) -> set[str]:
        sources = answer["data"]["flightOffer"]["sources"]
        return {s["status"] for s in sources if s["provider"] == "amadeus"}

    assert statuses(changed) == {"CHANGED"}
    assert statuses(gone) == {"GONE"}
    pricing = of(assert_conform(recorded), "flight_offers_price")
    assert {exchange.status for exchange in pricing} == {200, 400}


# -- hotels


@pytest.mark.parametrize("rooms", [1, 2])
async def test_a_family_is_not_sent_to_hotel_search(
    recorded: RecordedSimulators, graphql: GraphQLClient, rooms: int
) -> None:
    """Hotel Search v3 takes adults only: the outcome says so, and nothing is sent (not even
    the hotel list)."""
    _, body = await graphql.post(HOTELS, {"s": stay(adults=2, childrenAges=[4, 9, 1], rooms=rooms)})
    assert outcome(body, "hotels") == {
        "provider": "amadeus",
        "status": "UNSUPPORTED",
        "message": "amadeus hotel search takes adults only: not asked for a party with children",
    }
    assert [e for e in recorded.of("amadeus") if e.path != TOKEN_PATH] == []
    rooms_sold = [r for n in body["data"]["hotels"]["offers"]["nodes"] for r in n["rooms"]]
    assert all(room["provider"] != "amadeus" for room in rooms_sold)


@pytest.mark.parametrize(("adults", "rooms", "per_room"), [(2, 1, "2"), (3, 2, "2"), (4, 2, "2")])
async def test_adults_are_sent_per_room_and_rates_are_checked_by_offer_id(
    recorded: RecordedSimulators, graphql: GraphQLClient, adults: int, rooms: int, per_room: str
) -> None:
    _, body = await graphql.post(HOTELS, {"s": stay(adults=adults, rooms=rooms)})
    assert outcome(body, "hotels")["status"] == "OK"
    nodes = body["data"]["hotels"]["offers"]["nodes"]
    sold = [n for n in nodes if any(r["provider"] == "amadeus" for r in n["rooms"])]
    assert sold, "Amadeus sold some hotel"
    for node in sold:
        for room in (r for r in node["rooms"] if r["provider"] == "amadeus"):
            # Amadeus states what the traveller pays, and nothing the seller pays.
            assert room["netPrice"] is None
            assert room["rateCheckRequired"] is False
        for source in (s for s in node["sources"] if s["provider"] == "amadeus"):
            assert source["netPrice"] is None
    _, checked = await graphql.post(HOTEL_CHECK, {"id": sold[0]["id"]})
    assert outcome(checked, "hotelOffer")["status"] == "OK"
    ours = [s for s in checked["data"]["hotelOffer"]["sources"] if s["provider"] == "amadeus"]
    assert ours
    assert {s["status"] for s in ours} <= {"UNCHANGED", "SKIPPED"}
    assert "UNCHANGED" in {s["status"] for s in ours}

    exchanges = assert_conform(recorded)
    searches = of(exchanges, "hotel_search")
    assert searches
    for search in searches:
        assert (search.query["adults"], search.query["roomQuantity"]) == (per_room, str(rooms))
        assert not {"childAges", "children"} & set(search.query)
    assert of(exchanges, "hotel_offer"), "a rate was checked by its offer id"


async def test_a_changed_or_gone_rate_answers_in_amadeus_form(
    recorded: RecordedSimulators, graphql: GraphQLClient
) -> None:
    _, body = await graphql.post(HOTELS, {"s": stay(adults=2)})
    node = next(
        n
        for n in body["data"]["hotels"]["offers"]["nodes"]
        if any(r["provider"] == "amadeus" for r in n["rooms"])
    )
    _, same = await graphql.post(HOTEL_CHECK, {"id": node["id"]})
    recorded.amadeus.update({"price_factor": 1.1})  # the same check again: answered anew
    _, changed = await graphql.post(HOTEL_CHECK, {"id": node["id"]})
    recorded.amadeus.update({"price_factor": 1.0, "offers_gone": True})
    _, gone = await graphql.post(HOTEL_CHECK, {"id": node["id"]})

    def ours(answer: dict[str, Any]) -> list[dict[str, Any]]:
        sources = answer["data"]["hotelOffer"]["sources"]
        return [s for s in sources if s["provider"] == "amadeus" and s["status"] != "SKIPPED"]

    assert ours(same)
    assert {s["status"] for s in ours(same)} == {"UNCHANGED"}
    assert ours(changed)
    for source in ours(changed):
        assert source["status"] == "CHANGED"
        before = Decimal(source["previousPrice"]["amount"])
        assert Decimal(source["currentPrice"]["amount"]) == (before * Decimal("1.1")).quantize(
            before
        )
    assert ours(gone)
    assert {s["status"] for s in ours(gone)} == {"GONE"}
    assert outcome(gone, "hotelOffer")["status"] == "OK"  # gone is an answer, not a failure
    checks = of(assert_conform(recorded), "hotel_offer")
    assert {exchange.status for exchange in checks} == {200, 400}
    assert {
        error["code"]
        for exchange in checks
        if exchange.status == 400
        for error in exchange.answer_json()["errors"]
    } == {3664}


# -- the simulator's other answers, errors included


async def token(session: aiohttp.ClientSession, base: str) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": "a", "client_secret": "b"}
    async with session.post(base + TOKEN_PATH, data=form) as response:
        value = (await response.json())["access_token"]
    return {"Authorization": f"Bearer {value}"}


async def test_every_simulator_answer_conforms_errors_included(
    recorded: RecordedSimulators,
) -> None:
    base = recorded.base_urls["amadeus"]
    flight = {
        "originLocationCode": "LHR",
        "destinationLocationCode": "JFK",
        "departureDate": days_ahead(40),
        "adults": "2",
    }
    hotel = {
        "hotelIds": "XXPAR012",
        "checkInDate": days_ahead(40),
        "checkOutDate": days_ahead(42),
    }
    async with aiohttp.ClientSession() as session:
        auth = await token(session, base)
        calls: list[tuple[str, dict[str, str], int]] = [
            ("/v2/shopping/flight-offers", {**flight, "children": "2", "infants": "2"}, 200),
            ("/v2/shopping/flight-offers", {**flight, "adults": "0"}, 400),
            ("/v2/shopping/flight-offers", {**flight, "infants": "3"}, 400),  # more than adults
            ("/v2/shopping/flight-offers", {**flight, "children": "8"}, 400),  # 10 seats
            ("/v1/reference-data/locations/hotels/by-city", {"cityCode": "PAR"}, 200),
            ("/v1/reference-data/locations/hotels/by-city", {"cityCode": "P4R"}, 400),
            ("/v3/shopping/hotel-offers", {**hotel, "adults": "2", "roomQuantity": "2"}, 200),
            ("/v3/shopping/hotel-offers", {**hotel, "adults": "10"}, 400),
            ("/v3/shopping/hotel-offers", {"checkInDate": days_ahead(40)}, 400),
            (OFFER_PATH + "QQXXX9992027010102210EUR", {}, 404),  # never issued
            (OFFER_PATH + "not-an-id", {}, 400),
        ]
        for path, params, status in calls:
            async with session.get(base + path, params=params, headers=auth) as response:
                assert response.status == status, (path, params, await response.text())
                assert response.content_type == AMADEUS_JSON
        async with session.get(base + "/v2/shopping/flight-offers", params=flight) as response:
            assert response.status == 401  # no token
        recorded.amadeus.update({"error_rate": 1.0})
        async with session.get(base + "/v2/shopping/flight-offers", params=flight, headers=auth):
            pass
    # The requests were made wrong on purpose: their answers are what is checked.
    exchanges = assert_conform(recorded, requests=False)
    assert {e.status for e in exchanges} == {200, 400, 401, 404, 500}


async def test_the_simulator_prices_children_and_lap_infants_by_their_band(
    recorded: RecordedSimulators,
) -> None:
    base = recorded.base_urls["amadeus"]
    params = {
        "originLocationCode": "LHR",
        "destinationLocationCode": "JFK",
        "departureDate": days_ahead(40),
        "adults": "2",
        "children": "2",
        "infants": "1",
        "max": "5",
    }
    async with aiohttp.ClientSession() as session:
        auth = await token(session, base)
        async with session.get(
            base + "/v2/shopping/flight-offers", params=params, headers=auth
        ) as response:
            offers = (await response.json(content_type=None))["data"]
    assert offers
    for offer in offers:
        pricings = offer["travelerPricings"]
        kinds = [p["travelerType"] for p in pricings]
        assert kinds == ["ADULT", "ADULT", "CHILD", "CHILD", "HELD_INFANT"]
        each = {p["travelerType"]: Decimal(p["price"]["total"]) for p in pricings}
        assert each["HELD_INFANT"] < each["CHILD"] < each["ADULT"]
        assert sum(Decimal(p["price"]["total"]) for p in pricings) == Decimal(
            offer["price"]["grandTotal"]
        )
        [infant] = [p for p in pricings if p["travelerType"] == "HELD_INFANT"]
        assert infant["associatedAdultId"] == "1"  # on an adult's lap


async def test_token_exchanges_are_as_the_spec_says(recorded: RecordedSimulators) -> None:
    """The token exchange against Amadeus's Authorization spec (Authorizaton_v1: the form's
    `grant_type`, `client_id`, `client_secret`; an `AmadeusOAuth2Token`), and the values the
    flow needs, which the definition leaves open."""
    async with gateway(Settings(), recorded) as client:
        await client.post(FLIGHTS, {"s": family_flight()})
    [exchange] = [e for e in recorded.of("amadeus") if e.path == TOKEN_PATH]
    assert exchange_problems(exchange) == []
    form = {k: v[0] for k, v in parse_qs(exchange.body.decode()).items()}
    assert set(form) == {"grant_type", "client_id", "client_secret"}
    assert form["grant_type"] == "client_credentials"
    answer = exchange.answer_json()
    assert answer["token_type"] == "Bearer"
    assert answer["access_token"]
    assert answer["expires_in"] > 0


def test_the_checks_see_what_the_definitions_do_not_have() -> None:
    """The checks are not vacuous: what the old adapter and simulator sent is reported."""

    def exchange(method: str, path: str, query: dict[str, str], answer: Any, **more: Any) -> Any:
        fields: dict[str, Any] = {
            "provider": "amadeus",
            "method": method,
            "path": path,
            "query": query,
            "headers": CIMultiDict(more.pop("headers", {})),
            "body": more.pop("body", b""),
            "status": more.pop("status", 200),
            "answer": json.dumps(answer).encode(),
        }
        return Exchange(**fields)

    listed = {"data": [{"hotelId": "XXPAR012", "name": "H", "rating": 4, "dupeId": 7}]}
    assert exchange_problems(
        exchange("GET", "/v1/reference-data/locations/hotels/by-city", {"cityCode": "PAR"}, listed)
    ) == [
        "response /data/0/dupeId: property not in the definition",
        "response /data/0/rating: property not in the definition",
    ]
    search = {"hotelIds": "XXPAR012", "adults": "2", "childAges": "4"}
    answer = {"data": [{"hotel": {"hotelId": "XXPAR012", "latitude": 48.8}, "offers": []}]}
    assert exchange_problems(exchange("GET", "/v3/shopping/hotel-offers", search, answer)) == [
        "query /childAges: unknown parameter",
        "response /data/0/hotel/latitude: property not in the definition",
    ]
    priced = {"data": {"offers": [{"id": "A1", "price": {"total": "1"}}]}}
    assert exchange_problems(exchange("GET", OFFER_PATH + "a-1", {}, priced)) == [
        "path /offerId: 'a-1' does not match '^[A-Z0-9]*$'",
        "response /data/offers/0/rateCode: required property missing",
        "response /data/offers/0/room: required property missing",
    ]
    pricing = exchange(
        "POST",
        "/v1/shopping/flight-offers/pricing",
        {},
        {"errors": [{"code": "34651"}]},
        status=400,
        body=b'{"data": {"type": "flight-offers-pricing", "flightOffers": []}}',
    )
    assert exchange_problems(pricing) == [
        "headers /X-HTTP-Method-Override: required parameter missing",
        "body /data/flightOffers: [] should be non-empty",
        "error /errors/0/code: '34651' is not of type 'integer'",  # numbers, in the definition
    ]
