"""Duffel held to its own definition (tests/contracts/duffel, derived from the JS SDK's types,
duffel-api-javascript v4.28.0): a family searches flights and hotels through the public API, a
flight offer is priced again and a hotel offer's rates are quoted (unchanged, dearer, gone);
then every request the adapter sent and every answer the simulator gave is validated in strict
mode (no field the definition lacks), and the travellers went as Duffel v2 takes them: adults by
`type`, everyone under 18 by `age` (flights) and children as `{"type": "child", "age"}` guests
(Stays)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from gateway.config import Settings
from gateway.search import repricing
from simulators.common import inventory
from simulators.duffel import air
from tests.contracts import header_problems, parts, problems, query_problems
from tests.helpers import GraphQLClient, days_ahead, gateway
from tests.recorded import Exchange, RecordedSimulators, recorded_simulators

pytestmark = pytest.mark.e2e

PROVIDER = "duffel"
ADULTS = 2
CHILDREN_AGES = [4, 9, 1]
"""The family: two adults, children aged 4 and 9, and a lap infant aged 1."""

OPERATIONS = (
    ("POST", re.compile(r"^/air/offer_requests$"), "offer_request_create"),
    ("GET", re.compile(r"^/air/offers/(?P<id>[^/]+)$"), "offer_get"),
    ("POST", re.compile(r"^/stays/search$"), "stays_search"),
    (
        "POST",
        re.compile(r"^/stays/search_results/(?P<id>[^/]+)/actions/fetch_all_rates$"),
        "stays_fetch_all_rates",
    ),
    ("POST", re.compile(r"^/stays/quotes$"), "stays_quote"),
)
"""Each endpoint the adapter calls, by method and path, with its contract."""

ALLOW: dict[str, tuple[str, ...]] = {
    # A defect of the definition: the SDK's `ApiResponseError` (src/types/ClientType.ts) lists
    # type, title, message, documentation_url and code, but Duffel's validation errors also
    # name the field at fault, `"source": {"pointer": "/slices", "field": "slices"}`: Duffel's
    # own Ruby SDK fixture (duffelhq/duffel-api-ruby, spec/fixtures/validation_error.json, at
    # aa90302fc217bbbf734941019d448b7fc5cad77a) and Duffel's errors page show it.
    "error": ("/errors/*/source",),
}
"""Tolerated problems, per part: only listed defects of the definition itself."""

FLIGHTS = """
query($s: FlightSearchInput!) {
  flights(search: $s, first: 50) {
    offers { nodes { id price { amount currency }
                     fares { id sources { provider offerId price { amount currency } } } } }
    providers { provider status message }
  }
}
"""
FLIGHT_CHECK = """
query($id: ID!) {
  flightOffer(id: $id, refresh: true) {
    sources { provider offerId status previousPrice { amount currency }
              currentPrice { amount currency } }
    providers { provider status message }
  }
}
"""
HOTELS = """
query($s: HotelSearchInput!) {
  hotels(search: $s, first: 50) {
    offers { nodes { id price { amount currency }
      rooms { id provider offerId price { amount currency } netPrice { amount currency }
              rateCheckRequired }
      sources { provider offerId price { amount currency } netPrice { amount currency } } } }
    providers { provider status message }
  }
}
"""
HOTEL_CHECK = """
query($id: ID!) {
  hotelOffer(id: $id, refresh: true) {
    refreshed
    sources { roomId provider offerId status previousPrice { amount currency }
              currentPrice { amount currency } }
    providers { provider status message }
  }
}
"""


SWITCHES: tuple[dict[str, object], ...] = ({}, {"price_factor": 1.1}, {"offers_gone": True})
"""The simulator's re-pricing as it answers in turn: the same price, a tenth dearer, gone."""


def operation_of(exchange: Exchange) -> tuple[str, dict[str, str]]:
    for method, path, operation in OPERATIONS:
        match = path.match(exchange.path)
        if exchange.method == method and match:
            return operation, match.groupdict()
    raise AssertionError(f"no Duffel contract for {exchange}")


def contract_problems(exchange: Exchange) -> list[str]:
    """Every way one exchange departs from its contract: the request's headers, path, query
    and body, and the answer (`response` for 2xx, else `error`), strictly."""
    operation, path = operation_of(exchange)
    declared = parts(PROVIDER, operation)
    found = [f"headers{p}" for p in header_problems(PROVIDER, operation, exchange.headers)]
    if "path" in declared:
        found += [
            f"path{p}" for p in query_problems(PROVIDER, operation, path, part="path", strict=True)
        ]
    if "query" in declared:
        found += [
            f"query{p}" for p in query_problems(PROVIDER, operation, exchange.query, strict=True)
        ]
    elif exchange.query:
        found.append(f"query: {sorted(exchange.query)} sent, none defined")
    if "body" in declared:
        found += [
            f"body{p}"
            for p in problems(PROVIDER, operation, "body", exchange.request_json(), strict=True)
        ]
    elif exchange.body:
        found.append("body: sent, none defined")
    part = "response" if 200 <= exchange.status < 300 else "error"
    found += [
        f"{part}{p}"
        for p in problems(
            PROVIDER,
            operation,
            part,
            exchange.answer_json(),
            strict=True,
            allow=ALLOW.get(part, ()),
        )
    ]
    return found


def assert_all_conform(exchanges: list[Exchange], *, answers_only: bool = False) -> None:
    """Every exchange conforms; with `answers_only`, every answer (the requests were the
    test's own, bad on purpose)."""
    assert exchanges
    failures = {str(e): contract_problems(e) for e in exchanges}
    if answers_only:
        failures = {
            name: [p for p in found if p.startswith(("response", "error"))]
            for name, found in failures.items()
        }
    failures = {name: found for name, found in failures.items() if found}
    assert not failures, failures


def duffel_of(sims: RecordedSimulators, operation: str) -> list[Exchange]:
    return [e for e in sims.of(PROVIDER) if operation_of(e)[0] == operation]


def flight_search(**extra: Any) -> dict[str, Any]:
    return {
        "s": {
            "origin": "LON",
            "destination": "NYC",
            "departureDate": days_ahead(30),
            "returnDate": days_ahead(37),
            "adults": ADULTS,
            "childrenAges": CHILDREN_AGES,
            **extra,
        }
    }


def hotel_search(rooms: int) -> dict[str, Any]:
    return {
        "s": {
            "cityCode": "PAR",
            "checkIn": days_ahead(30),
            "checkOut": days_ahead(33),
            "adults": ADULTS,
            "childrenAges": CHILDREN_AGES,
            "rooms": rooms,
        }
    }


async def ok(client: GraphQLClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    status, body = await client.post(query, variables)
    assert status == 200, body
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


# ------------------------------------------------------------------------------- flights


async def test_a_family_flight_search_and_its_repricing_conform() -> None:
    no_reuse = Settings(refresh_reuse_s=0)  # each refresh asks again
    async with recorded_simulators() as sims, gateway(no_reuse, sims) as client:
        found = (await ok(client, FLIGHTS, flight_search()))["flights"]
        assert {"provider": PROVIDER, "status": "OK", "message": None} in found["providers"]
        offer = next(
            node
            for node in found["offers"]["nodes"]
            if any(s["provider"] == PROVIDER for fare in node["fares"] for s in fare["sources"])
        )
        checks = []
        for switches in SWITCHES:
            sims.duffel.update(switches)
            checks.append((await ok(client, FLIGHT_CHECK, {"id": offer["id"]}))["flightOffer"])

    statuses = [{s["status"] for s in c["sources"] if s["provider"] == PROVIDER} for c in checks]
    assert statuses == [{"UNCHANGED"}, {"CHANGED"}, {"GONE"}]

    [search] = duffel_of(sims, "offer_request_create")
    assert search.query["return_offers"] == "true"
    sent = search.request_json()["data"]
    # Duffel v2: adults by type, everyone under 18 by age (sorted, one party one search).
    assert sent["passengers"] == [
        {"type": "adult"},
        {"type": "adult"},
        {"age": 1},
        {"age": 4},
        {"age": 9},
    ]
    assert [s["departure_time"] for s in sent["slices"]] == [None, None]
    answer = search.answer_json()["data"]
    assert [{k: v for k, v in p.items() if k != "id"} for p in answer["passengers"]] == sent[
        "passengers"
    ]
    offered = answer["offers"][0]["passengers"]
    assert [(p["type"], p["age"]) for p in offered] == [
        ("adult", None),
        ("adult", None),
        ("infant_without_seat", 1),
        ("child", 4),
        ("child", 9),
    ]
    assert len(duffel_of(sims, "offer_get")) >= 3
    assert_all_conform(sims.of(PROVIDER))


# -------------------------------------------------------------------------------- hotels


@pytest.mark.parametrize(
    ("rooms", "guests"),
    [
        (
            1,
            [
                {"type": "adult"},
                {"type": "adult"},
                {"type": "child", "age": 1},
                {"type": "child", "age": 4},
                {"type": "child", "age": 9},
            ],
        ),
        (
            # Room by room (`HotelQuery.parties`): an adult with the 9- and 1-year-olds, an
            # adult with the 4-year-old.
            2,
            [
                {"type": "adult"},
                {"type": "child", "age": 1},
                {"type": "child", "age": 9},
                {"type": "adult"},
                {"type": "child", "age": 4},
            ],
        ),
    ],
)
async def test_a_family_hotel_search_and_its_quotes_conform(
    rooms: int, guests: list[dict[str, Any]]
) -> None:
    no_reuse = Settings(refresh_reuse_s=0)  # each refresh asks again
    async with recorded_simulators() as sims, gateway(no_reuse, sims) as client:
        found = (await ok(client, HOTELS, hotel_search(rooms)))["hotels"]
        assert {"provider": PROVIDER, "status": "OK", "message": None} in found["providers"]
        offer = checked_offer(found["offers"]["nodes"])
        checks = []
        for switches in SWITCHES:
            sims.duffel.update(switches)
            checks.append((await ok(client, HOTEL_CHECK, {"id": offer["id"]}))["hotelOffer"])

    [search] = duffel_of(sims, "stays_search")
    sent = search.request_json()["data"]
    assert (sent["rooms"], sent["guests"]) == (rooms, guests)
    assert search.answer_json()["data"]["results"][0]["guests"] == guests

    # Prices: what the traveller pays is the rate's total; the seller's is it less commission.
    wire_rates = {
        rate["id"]: rate
        for exchange in duffel_of(sims, "stays_search") + duffel_of(sims, "stays_fetch_all_rates")
        for result in (
            exchange.answer_json()["data"]["results"]
            if exchange.path == "/stays/search"
            else [exchange.answer_json()["data"]]
        )
        for room in result["accommodation"]["rooms"]
        for rate in room["rates"]
    }
    ours = [room for room in offer["rooms"] if room["provider"] == PROVIDER]
    for room in ours:
        rate = wire_rates[room["offerId"]]
        assert room["price"] == {"amount": rate["total_amount"], "currency": "GBP"}
        assert room["rateCheckRequired"] is False
        if rate["estimated_commission_amount"] is None:
            assert room["netPrice"] is None
        else:
            net = Decimal(rate["total_amount"]) - Decimal(rate["estimated_commission_amount"])
            assert room["netPrice"] == {"amount": str(net), "currency": "GBP"}
    (source,) = [source for source in offer["sources"] if source["provider"] == PROVIDER]
    cheapest = min(ours, key=lambda room: Decimal(room["price"]["amount"]))
    assert (source["price"], source["netPrice"]) == (cheapest["price"], cheapest["netPrice"])

    statuses = [
        [s["status"] for s in check["sources"] if s["provider"] == PROVIDER] for check in checks
    ]
    assert statuses == [["UNCHANGED"] * len(ours), ["CHANGED"] * len(ours), ["GONE"] * len(ours)]
    dearer = [s for s in checks[1]["sources"] if s["provider"] == PROVIDER]
    for before, now in zip(ours, dearer, strict=True):
        previous = Decimal(before["price"]["amount"])
        assert Decimal(now["currentPrice"]["amount"]) == (previous * Decimal("1.1")).quantize(
            previous
        )
    assert [p["status"] for c in checks for p in c["providers"] if p["provider"] == PROVIDER] == [
        "OK"
    ] * 3  # a gone rate is an answer, not a failure
    assert duffel_of(sims, "stays_fetch_all_rates")  # results without rooms: rates fetched
    quotes = duffel_of(sims, "stays_quote")
    assert len(quotes) == 3 * len(ours)
    assert {q.request_json()["data"]["rate_id"] for q in quotes} == {
        room["offerId"] for room in ours
    }
    assert {q.status for q in quotes} == {201, 422}
    assert_all_conform(sims.of(PROVIDER))


def checked_offer(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    """A hotel offer whose Duffel rates a refresh will all check (within the limit, after the
    rates that must be checked), with the fewest other providers' rates."""

    def asked(node: dict[str, Any]) -> list[dict[str, Any]]:
        first = sorted(node["rooms"], key=lambda room: not room["rateCheckRequired"])
        return first[: repricing.MAX_REPRICED_SOURCES]

    candidates = [
        node
        for node in nodes
        if any(room["provider"] == PROVIDER for room in node["rooms"])
        and all(room in asked(node) for room in node["rooms"] if room["provider"] == PROVIDER)
    ]
    assert candidates, "some hotel has Duffel rates a refresh checks"
    return min(candidates, key=lambda node: len(node["rooms"]))


# ----------------------------------------------------------------------------- simulator


HEADERS = {
    "Authorization": "Bearer duffel_test_x",
    "Duffel-Version": "v2",
    "Accept": "application/json",
    "Accept-Encoding": "gzip",
    "Content-Type": "application/json",
}
"""As Duffel's SDK sends them, so what is sent here conforms too."""


def offer_request(*passengers: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "slices": [
                {
                    "origin": "LHR",
                    "destination": "JFK",
                    "departure_date": days_ahead(30),
                    "departure_time": None,
                    "arrival_time": None,
                }
            ],
            "passengers": list(passengers),
        }
    }


@pytest.mark.parametrize(
    ("passengers", "field"),
    [
        # v2 takes no other type than adult: a child or an infant is given by age.
        (({"type": "adult"}, {"type": "child"}), "passengers.1.type"),
        (({"type": "adult"}, {"type": "infant_without_seat"}), "passengers.1.type"),
        # A type or an age, never both.
        (({"type": "adult", "age": 30},), "passengers.0"),
        (({"type": "adult"}, {"age": 19, "type": "adult"}), "passengers.1"),
        # Neither, or an age that is none.
        (({},), "passengers.0.age"),
        (({"age": -1},), "passengers.0.age"),
        (({"age": "9"},), "passengers.0.age"),
        # A lap infant each for two, with one adult.
        (({"type": "adult"}, {"age": 0}, {"age": 1}), "passengers"),
    ],
)
async def test_the_simulator_refuses_what_v2_refuses(
    passengers: tuple[dict[str, Any], ...], field: str
) -> None:
    async with recorded_simulators() as sims, aiohttp.ClientSession() as session:
        url = f"{sims.base_urls[PROVIDER]}/air/offer_requests"
        async with session.post(url, json=offer_request(*passengers), headers=HEADERS) as answer:
            assert answer.status == 422
            body = await answer.json()
    (error,) = body["errors"]
    assert (error["type"], error["source"]["field"]) == ("validation_error", field)
    assert_all_conform(sims.of(PROVIDER), answers_only=True)


@pytest.mark.parametrize(
    ("guests", "field"),
    [
        ([{"type": "adult"}, {"type": "child"}], "guests.1.age"),
        ([{"type": "adult"}, {"type": "child", "age": 18}], "guests.1.age"),
        ([{"type": "adult"}, {"type": "infant"}], "guests.1.type"),
        ([{"type": "child", "age": 9}], "guests"),
    ],
)
async def test_the_simulator_refuses_guests_stays_refuses(
    guests: list[dict[str, Any]], field: str
) -> None:
    search = {
        "data": {
            "check_in_date": days_ahead(30),
            "check_out_date": days_ahead(32),
            "rooms": 1,
            "guests": guests,
            "location": {
                "radius": 5,
                "geographic_coordinates": {"latitude": 48.8566, "longitude": 2.3522},
            },
        }
    }
    async with recorded_simulators() as sims, aiohttp.ClientSession() as session:
        url = f"{sims.base_urls[PROVIDER]}/stays/search"
        async with session.post(url, json=search, headers=HEADERS) as answer:
            assert answer.status == 422
            body = await answer.json()
    assert body["errors"][0]["source"]["field"] == field
    assert_all_conform(sims.of(PROVIDER), answers_only=True)


async def test_the_simulator_quotes_only_rates_it_answered() -> None:
    async with recorded_simulators() as sims, aiohttp.ClientSession() as session:
        url = f"{sims.base_urls[PROVIDER]}/stays/quotes"
        payload: dict[str, Any]
        for payload in ({"data": {"rate_id": "rat_0000nope"}}, {"data": {}}, {}):
            async with session.post(url, json=payload, headers=HEADERS) as answer:
                assert answer.status in (404, 422)
    assert [e.status for e in sims.of(PROVIDER)] == [404, 422, 422]
    assert sims.of(PROVIDER)[0].answer_json()["errors"][0]["code"] == "not_found"
    assert_all_conform(sims.of(PROVIDER), answers_only=True)


async def test_every_error_the_simulator_gives_is_duffels() -> None:
    """Refused credentials or version, an unknown search result, and the injected faults (500,
    503, 429, 401): each in Duffel's error document."""
    async with recorded_simulators() as sims, aiohttp.ClientSession() as session:
        base = sims.base_urls[PROVIDER]
        search = f"{base}/air/offer_requests"
        body = offer_request({"type": "adult"})
        for headers in (
            {**HEADERS, "Authorization": "Basic x"},
            {**HEADERS, "Duffel-Version": "v1"},
        ):
            async with session.post(search, json=body, headers=headers) as answer:
                assert answer.status in (400, 401)
        unknown = f"{base}/stays/search_results/srr_0000nope/actions/fetch_all_rates"
        async with session.post(unknown, headers=HEADERS) as answer:
            assert answer.status == 404
        for fault, status in (("error", 500), ("unavailable", 503), ("rate_limited", 429)):
            sims.duffel.update({f"{fault}_rate": 1.0})
            async with session.post(search, json=body, headers=HEADERS) as answer:
                assert answer.status == status
            sims.duffel.update({f"{fault}_rate": 0.0})
    assert [e.status for e in sims.of(PROVIDER)] == [401, 400, 404, 500, 503, 429]
    assert_all_conform(sims.of(PROVIDER), answers_only=True)


async def test_an_offer_lists_its_services_when_asked() -> None:
    async with recorded_simulators() as sims, aiohttp.ClientSession() as session:
        base = sims.base_urls[PROVIDER]
        body = offer_request({"type": "adult"}, {"age": 1})
        async with session.post(f"{base}/air/offer_requests", json=body, headers=HEADERS) as r:
            offer_id = (await r.json())["data"]["offers"][0]["id"]
        for asked in ("true", "false"):
            async with session.get(
                f"{base}/air/offers/{offer_id}",
                params={"return_available_services": asked},
                headers=HEADERS,
            ) as answer:
                services = (await answer.json())["data"]["available_services"]
            if asked == "true":
                # One more bag for the seated passenger (not the lap infant) per slice.
                assert [s["type"] for s in services] == ["baggage"]
            else:
                assert services == []
    assert_all_conform(sims.of(PROVIDER))


async def test_children_cost_by_age() -> None:
    """Priced as airlines price a party: a child of 9 at the child's fare, one of 14 at the
    adult's, a lap infant at a tenth of it."""
    cheapest = {}
    async with recorded_simulators() as sims, aiohttp.ClientSession() as session:
        url = f"{sims.base_urls[PROVIDER]}/air/offer_requests"
        for ages in ((), (9,), (14,), (1,)):
            body = offer_request({"type": "adult"}, *({"age": age} for age in ages))
            async with session.post(url, json=body, headers=HEADERS) as answer:
                offers = (await answer.json())["data"]["offers"]
            cheapest[ages] = min(Decimal(offer["total_amount"]) for offer in offers)
    alone = cheapest[()]
    assert cheapest[(14,)] == pytest.approx(2 * alone, abs=Decimal("0.02"))
    assert cheapest[(9,)] == pytest.approx(
        alone * (1 + inventory.CHILD_FACTOR), abs=Decimal("0.02")
    )
    assert cheapest[(1,)] == pytest.approx(
        alone * (1 + inventory.INFANT_FACTOR), abs=Decimal("0.02")
    )
    assert_all_conform(sims.of(PROVIDER))


def test_a_passenger_is_priced_as_airlines_count_ages() -> None:
    ages = (None, 30, 12, 11, 2, 1, 0)
    kinds = [air.Passenger("p", age).offered_as for age in ages]
    lap = "infant_without_seat"
    assert kinds == ["adult", "adult", "adult", "child", "child", lap, lap]
