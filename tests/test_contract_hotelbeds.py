"""Hotelbeds held to its own definition (hotelbeds-sdk/hotel-api-sdk-java's model, derived into
tests/contracts/hotelbeds): searches and rate checks run through the public API against the
simulator, and every exchange that crossed the wire is validated, the gateway's requests and
the simulator's answers alike, in strict mode (no property the definition lacks); so are the
simulator's refusals and injected faults (Hotelbeds' formatted error, `GenericErrorRS`).

No defect of the definition had to be tolerated: the simulator writes amounts as strings, as
the SDK's own `RateSerializer` does (Hotelbeds' live answers also send numbers, which the
adapter reads; tests/test_hotelbeds_rates.py). The API gateway's 403 refusals (Mashery, a text
body and `X-Mashery-Error-Code`) are outside the model and are not produced here.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.config import Settings
from gateway.providers.hotelbeds.auth import signature
from simulators import runner
from simulators.hotelbeds import app as simulator
from tests.contracts import header_problems, problems
from tests.helpers import GraphQLClient, days_ahead, gateway, serve
from tests.recorded import Exchange, RecordedSimulators, recorded_simulators

pytestmark = pytest.mark.e2e

OPERATIONS = {"/hotel-api/1.0/hotels": "availability", "/hotel-api/1.0/checkrates": "checkrates"}
FAMILY = {"adults": 2, "childrenAges": [4, 9, 1]}
"""Two adults, children aged 4 and 9, and a child of 1 (a lap infant on a flight)."""

HOTELS = """query($s: HotelSearchInput!) {
  hotels(search: $s, first: 100) {
    offers { nodes {
      id price { amount currency }
      sources { provider offerId price { amount currency } netPrice { amount currency } }
      rooms { id provider offerId rateCheckRequired
              price { amount currency } netPrice { amount currency } }
    } }
    providers { provider status message }
  }
}"""
CHECK = """query($id: ID!) {
  hotelOffer(id: $id, refresh: true) {
    refreshed
    sources { roomId provider offerId status
              previousPrice { amount currency } currentPrice { amount currency } }
    providers { provider status message }
  }
}"""


def search(rooms: int, **extra: Any) -> dict[str, Any]:
    return {
        "cityCode": "PAR",
        "checkIn": days_ahead(30),
        "checkOut": days_ahead(32),
        "rooms": rooms,
        **FAMILY,
        **extra,
    }


def hotelbeds_alone(sims: RecordedSimulators) -> RecordedSimulators:
    """The same recorded simulators, with only Hotelbeds configured in the gateway (the other
    providers' outcomes are their own tests' business)."""
    return RecordedSimulators(
        base_urls={"hotelbeds": sims.base_urls["hotelbeds"]},
        states=sims.states,
        exchanges=sims.exchanges,
    )


def contract_problems(exchange: Exchange) -> list[str]:
    """Every way one exchange departs from Hotelbeds' definition of its operation."""
    operation = OPERATIONS[exchange.path]
    found = [f"headers {p}" for p in header_problems("hotelbeds", operation, exchange.headers)]
    if exchange.query:
        found.append(f"query: no parameters are defined, got {sorted(exchange.query)}")
    found += [
        f"body {p}"
        for p in problems("hotelbeds", operation, "body", exchange.request_json(), strict=True)
    ]
    return found + answer_problems(exchange)


def answer_problems(exchange: Exchange) -> list[str]:
    """How the simulator's answer departs from the definition (2xx: the response; else the
    error)."""
    part = "response" if 200 <= exchange.status < 300 else "error"
    operation = OPERATIONS[exchange.path]
    found = problems(
        "hotelbeds", operation, part, exchange.answer_json(), strict=True, formats=True
    )
    return [f"{part} {problem}" for problem in found]


def assert_every_exchange_conforms(sims: RecordedSimulators) -> list[Exchange]:
    exchanges = sims.of("hotelbeds")
    assert exchanges
    failures = {str(exchange): contract_problems(exchange) for exchange in exchanges}
    assert {name: found for name, found in failures.items() if found} == {}
    return exchanges


def hotels_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in body, body.get("errors")
    hotels = body["data"]["hotels"]
    assert hotels["providers"] == [{"provider": "hotelbeds", "status": "OK", "message": None}]
    nodes: list[dict[str, Any]] = hotels["offers"]["nodes"]
    assert nodes
    return nodes


def amount(money: dict[str, str] | None) -> Decimal:
    assert money is not None
    return Decimal(money["amount"])


# --------------------------------------------------------------------------- family search


async def test_a_family_search_asks_by_age_and_every_exchange_conforms() -> None:
    async with recorded_simulators() as sims:
        async with gateway(Settings(), hotelbeds_alone(sims)) as client:
            one_room = hotels_of((await client.post(HOTELS, {"s": search(1)}))[1])
            two_rooms = hotels_of((await client.post(HOTELS, {"s": search(2)}))[1])
        exchanges = assert_every_exchange_conforms(sims)

    # Each child as a CH pax with its age; two rooms: two parties, two occupancies
    # (1 adult with the children of 9 and 1; 1 adult with the child of 4).
    asked = [
        exchange.request_json()["occupancies"]
        for exchange in exchanges
        if exchange.path == "/hotel-api/1.0/hotels"
    ]
    assert asked == [
        [
            {
                "rooms": 1,
                "adults": 2,
                "children": 3,
                "paxes": [
                    {"type": "CH", "age": 1},
                    {"type": "CH", "age": 4},
                    {"type": "CH", "age": 9},
                ],
            }
        ],
        [
            {
                "rooms": 1,
                "adults": 1,
                "children": 2,
                "paxes": [{"type": "CH", "age": 1}, {"type": "CH", "age": 9}],
            },
            {"rooms": 1, "adults": 1, "children": 1, "paxes": [{"type": "CH", "age": 4}]},
        ],
    ]
    # The simulator priced and keyed the rates for those children.
    first = exchanges[0].answer_json()["hotels"]["hotels"]
    rates = [rate for hotel in first for room in hotel["rooms"] for rate in room["rates"]]
    assert {(rate["children"], rate["childrenAges"]) for rate in rates} == {(3, "1,4,9")}
    assert all("|1~2~3|1~4~9|" in rate["rateKey"] for rate in rates)

    # What the traveller pays: the net, or the mandatory selling rate above it (no markup set).
    by_key = {rate["rateKey"]: rate for rate in rates}
    rooms = [room for node in one_room for room in node["rooms"]]
    for room in rooms:
        rate = by_key[room["offerId"]]
        assert amount(room["netPrice"]) == Decimal(rate["net"])
        floor = Decimal(rate["sellingRate"]) if rate["hotelMandatory"] else Decimal(rate["net"])
        assert amount(room["price"]) == max(floor, Decimal(rate["net"]))
        assert room["rateCheckRequired"] is (rate["rateType"] == "RECHECK")
    assert any(rate["hotelMandatory"] for rate in rates)
    assert any(room["rateCheckRequired"] for room in rooms)
    assert any(amount(room["price"]) > amount(room["netPrice"]) for room in rooms)
    # Two rooms booked together: one offer of both rate keys, at the sum of both.
    combined = [room for node in two_rooms for room in node["rooms"]]
    assert all(room["offerId"].startswith("[") for room in combined)
    for node in one_room + two_rooms:
        [source] = node["sources"]
        cheapest = min(node["rooms"], key=lambda room: amount(room["price"]))
        assert (source["price"], source["netPrice"]) == (cheapest["price"], cheapest["netPrice"])


SEARCH_BODY = {
    "stay": {"checkIn": days_ahead(30), "checkOut": days_ahead(32)},
    "occupancies": [{"rooms": 1, "adults": 2, "children": 0}],
    "geolocation": {"latitude": 48.8566, "longitude": 2.3522, "radius": 5, "unit": "km"},
}
NO_AGES = {**SEARCH_BODY, "occupancies": [{"rooms": 1, "adults": 2, "children": 1}]}
UNKNOWN_KEY = "20270310|20270312|W|235|3424|DBL.ST|BAR FLEX|RO||1~2~0||N@06~PAR~0BAD"


@pytest.mark.parametrize(
    ("path", "payload", "status", "code", "message"),
    [
        (
            "/hotel-api/1.0/hotels",
            NO_AGES,
            400,
            "INVALID_DATA",
            "Invalid data. Error at property occupancies: The number of children is wrong",
        ),
        ("/hotel-api/1.0/hotels", b"not json", 415, "INVALID_REQUEST", "Content-Type"),
        ("/hotel-api/1.0/hotels", {"stay": {}}, 400, "INVALID_DATA", "dates"),
        ("/hotel-api/1.0/checkrates", {"rooms": []}, 400, "INVALID_REQUEST", "property size"),
        (
            "/hotel-api/1.0/checkrates",
            {"rooms": [{"rateKey": UNKNOWN_KEY}]},
            400,
            "INVALID_DATA",
            "Invalid rateKey: The rateKey value that you have entered does not exist",
        ),
    ],
)
async def test_refusals_are_hotelbeds_formatted_errors(
    path: str, payload: object, status: int, code: str, message: str
) -> None:
    async with recorded_simulators() as sims:
        url = sims.base_urls["hotelbeds"] + path
        headers = simulator_headers(simulator.DEMO_API_KEY, simulator.DEMO_SECRET)
        async with aiohttp.ClientSession() as session:
            if isinstance(payload, bytes):
                sent = session.post(
                    url, data=payload, headers={**headers, "Content-Type": "text/plain"}
                )
            else:
                sent = session.post(url, json=payload, headers=headers)
            async with sent as response:
                answered, answer = response.status, await response.json()
        [exchange] = sims.of("hotelbeds")
        assert answer_problems(exchange) == []
    assert answered == status
    assert answer["error"]["code"].startswith(f"{code}-")
    assert message in answer["error"]["message"]


async def test_injected_faults_are_hotelbeds_formatted_errors() -> None:
    async with recorded_simulators() as sims:
        sims.hotelbeds.update({"error_rate": 1.0})
        url = sims.base_urls["hotelbeds"] + "/hotel-api/1.0/hotels"
        headers = simulator_headers(simulator.DEMO_API_KEY, simulator.DEMO_SECRET)
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=SEARCH_BODY, headers=headers) as response,
        ):
            assert response.status == 500
        [exchange] = sims.of("hotelbeds")
        assert answer_problems(exchange) == []
        assert contract_problems(exchange) == []


def simulator_headers(key: str, secret: str) -> dict[str, str]:
    return {
        "Api-key": key,
        "X-Signature": signature(key, secret, int(time.time())),
        "Accept": "application/json",
        "Content-Type": "application/json",
    }


# ------------------------------------------------------------------------------ rate check


def checked_keys(exchanges: list[Exchange]) -> list[list[str]]:
    return [
        [room["rateKey"] for room in exchange.request_json()["rooms"]]
        for exchange in exchanges
        if exchange.path == "/hotel-api/1.0/checkrates"
    ]


async def test_hotel_offer_refresh_checks_rates_and_every_exchange_conforms() -> None:
    async with recorded_simulators() as sims:
        no_reuse = Settings(refresh_reuse_s=0)  # each refresh asks again
        async with gateway(no_reuse, hotelbeds_alone(sims)) as client:
            nodes = hotels_of((await client.post(HOTELS, {"s": search(1)}))[1])
            recheck = next(
                node for node in nodes if any(room["rateCheckRequired"] for room in node["rooms"])
            )
            _, body = await client.post(CHECK, {"id": recheck["id"]})
            checked = body["data"]["hotelOffer"]

            pair = hotels_of((await client.post(HOTELS, {"s": search(2)}))[1])[0]
            _, same = await client.post(CHECK, {"id": pair["id"]})

            sims.hotelbeds.update({"price_factor": 1.1})
            _, dearer = await client.post(CHECK, {"id": pair["id"]})
            sims.hotelbeds.update({"price_factor": 1.0, "offers_gone": True})
            _, gone = await client.post(CHECK, {"id": pair["id"]})
        exchanges = assert_every_exchange_conforms(sims)

    assert checked["refreshed"] is True
    assert checked["providers"] == [{"provider": "hotelbeds", "status": "OK", "message": None}]
    statuses = {source["offerId"]: source["status"] for source in checked["sources"]}
    required = [room["offerId"] for room in recheck["rooms"] if room["rateCheckRequired"]]
    assert all(statuses[key] == "UNCHANGED" for key in required)  # RECHECK rates asked first
    assert all(
        source["currentPrice"] == source["previousPrice"]
        for source in checked["sources"]
        if source["status"] == "UNCHANGED"
    )
    keys = checked_keys(exchanges)
    assert [required[0]] in keys

    # Rooms booked together are checked together: both keys in one check.
    [room] = pair["rooms"][:1]
    both = same["data"]["hotelOffer"]["sources"][0]
    assert both["offerId"] == room["offerId"]
    assert both["status"] == "UNCHANGED"
    assert [key for key in keys if len(key) == 2]

    dearer_source = dearer["data"]["hotelOffer"]["sources"][0]
    assert dearer_source["status"] == "CHANGED"
    assert amount(dearer_source["currentPrice"]) > amount(dearer_source["previousPrice"])

    gone_check = gone["data"]["hotelOffer"]
    assert {source["status"] for source in gone_check["sources"]} == {"GONE"}
    assert gone_check["providers"] == [{"provider": "hotelbeds", "status": "OK", "message": None}]
    refusals = [exchange for exchange in exchanges if exchange.status == 503]
    assert refusals
    assert all(
        "CHECK_RATE, Hotel not Available" in exchange.answer_json()["error"]["message"]
        for exchange in refusals
    )


# ------------------------------------------------------------------- a mandatory selling rate

MANDATORY_KEY = "20270310|20270312|W|235|3424|DBL.ST|BAR FLEX|RO||1~2~0||N@06~PAR~FLOOR"


def mandatory_rate(rate_type: str = "RECHECK") -> dict[str, Any]:
    return {
        "rateKey": MANDATORY_KEY,
        "rateClass": "NOR",
        "rateType": rate_type,
        "net": "100.00",
        "sellingRate": "130.00",
        "hotelMandatory": True,
        "boardCode": "RO",
        "boardName": "ROOM ONLY",
        "rooms": 1,
        "adults": 2,
        "children": 0,
    }


def mandatory_hotel() -> dict[str, Any]:
    return {
        "code": 3424,
        "name": "Hotel Lutetia",
        "categoryCode": "5EST",
        "latitude": "48.851200",
        "longitude": "2.326900",
        "currency": "EUR",
        "rooms": [{"code": "DBL.ST", "name": "DOUBLE STANDARD", "rates": [mandatory_rate()]}],
    }


AUDIT = {"processTime": "12", "timestamp": "2027-01-15 08:00:01.012"}


async def fixed_availability(request: web.Request) -> web.Response:
    hotels = {"total": 1, "hotels": [mandatory_hotel()]}
    return web.json_response({"auditData": AUDIT, "hotels": hotels})


async def fixed_check(request: web.Request) -> web.Response:
    hotel = {
        **mandatory_hotel(),
        "rooms": [{"code": "DBL.ST", "rates": [mandatory_rate("BOOKABLE")]}],
    }
    return web.json_response({"auditData": AUDIT, "hotel": hotel})


@asynccontextmanager
async def fixed_hotelbeds(markup: str) -> AsyncIterator[GraphQLClient]:
    """The gateway from the environment (Hotelbeds alone, `GATEWAY_HOTEL_MARKUP_PERCENT` set
    to `markup`), at a server answering one rate: net 100, selling rate 130, mandatory."""
    app = web.Application()
    app.router.add_post("/hotel-api/1.0/hotels", fixed_availability)
    app.router.add_post("/hotel-api/1.0/checkrates", fixed_check)
    running = await runner.start("hotelbeds", app=app)
    try:
        settings = Settings.from_env(
            {
                "HOTELBEDS_API_KEY": "hb-key",
                "HOTELBEDS_SECRET": "hb-secret",
                "HOTELBEDS_BASE_URL": running.base_url,
                "GATEWAY_HOTEL_MARKUP_PERCENT": markup,
                "GATEWAY_NET_PRICES": "all",  # a seller's own back office reads them
                "GATEWAY_FX_URL": "",  # the bundled rates: no network in tests
            }
        )
        assert set(settings.providers) == {"hotelbeds"}
        async with (
            serve(create_app(settings), settings) as url,
            aiohttp.ClientSession() as session,
        ):
            yield GraphQLClient(session, url)
    finally:
        await running.stop()


@pytest.mark.parametrize(("markup", "price"), [("0", "130.00"), ("10", "130.00"), ("50", "150.00")])
async def test_a_mandatory_selling_rate_is_never_undersold(markup: str, price: str) -> None:
    async with fixed_hotelbeds(markup) as client:
        _, body = await client.post(HOTELS, {"s": search(1, childrenAges=[])})
        [node] = hotels_of(body)
        _, check = await client.post(CHECK, {"id": node["id"]})

    [room] = node["rooms"]
    assert room["offerId"] == MANDATORY_KEY
    assert room["rateCheckRequired"] is True
    assert room["price"] == {"amount": price, "currency": "EUR"}
    assert amount(room["netPrice"]) == Decimal(100)
    assert node["price"] == {"amount": price, "currency": "EUR"}
    [source] = node["sources"]
    assert amount(source["price"]) == Decimal(price)
    assert amount(source["netPrice"]) == Decimal(100)

    [checked] = check["data"]["hotelOffer"]["sources"]
    assert checked["status"] == "UNCHANGED"
    assert checked["currentPrice"] == {"amount": price, "currency": "EUR"}
