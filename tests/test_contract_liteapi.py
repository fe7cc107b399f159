"""LiteAPI held to its own published definitions (tests/contracts/liteapi: derived from
liteapi-travel/mcp-server's `openapi-schemas/search.json`, `booking.json` and `static.json`),
not to our simulator of it.

A family (two adults, children aged 4 and 9, an infant aged 1) searches hotels through the
public GraphQL API, in one room and in two, and a LiteAPI rate is checked before booking
(`hotelOffer(id, refresh: true)`); every exchange with the LiteAPI simulator is recorded and
held to its operation's contract in strict mode: the request's headers, query and body, and the
answer (2xx: the response; otherwise the error). The simulator's error answers are held to the
same contracts, and the selling price shown is checked against the amounts that crossed the
wire.

Tolerated, and only here, are the listed defects of the definitions themselves:
`RATES_DEFECTS` (amounts the schema types as lists and LiteAPI's own examples write as one
object; their contents are still checked, against the list's item schema) and the 2001 "no
availability" body (declared under HTTP 204, answered with 200: `NO_AVAILABILITY_STATUS`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

from gateway import domain
from gateway.config import Settings
from gateway.providers.liteapi import LiteApiConfig, adapter
from simulators import runner
from simulators.common import inventory
from simulators.common.faults import FAULTS_KEY
from simulators.liteapi import app as simulator
from simulators.liteapi import room_types
from tests.contracts import header_problems, parts, problems, query_problems
from tests.helpers import GraphQLClient, days_ahead, gateway
from tests.recorded import Exchange, recorded_simulators

pytestmark = pytest.mark.e2e

PROVIDER = "liteapi"
OPERATIONS = {
    "/v3.0/hotels/rates": "hotels_rates",
    "/v3.0/rates/prebook": "rates_prebook",
    "/v3.0/data/hotels": "data_hotels",
}
"""Each simulator path (both of LiteAPI's hosts at one base URL) and its contract."""

AMOUNTS_AS_OBJECTS = ("offerRetailRate", "suggestedSellingPrice", "offerInitialPrice")
RATES_DEFECTS = tuple(f"/data/*/roomTypes/*/{name}" for name in AMOUNTS_AS_OBJECTS)
"""search.json types each offer's `offerRetailRate`, `suggestedSellingPrice` and
`offerInitialPrice` as `type: array` of {amount, currency}, while its own example of the same
200 answer writes each as one object (`"offerRetailRate": {"amount": 163.66, "currency":
"USD"}`); booking.json declares the prebook's `suggestedSellingPrice` an object; and public
clients written against the live API read `offerRetailRate.amount` off an object (one notes
"live API (2026-07-05): POST /v3.0/hotels/rates"). The simulator answers as the examples do;
tests/test_contract_definitions.py pins the defect in the definition."""

NO_AVAILABILITY_STATUS = 200
"""search.json declares the "no availability" body (`{"error": {"code": 2001, …}}`) under HTTP
204, which cannot carry a body; LiteAPI's error page says "no availability on rates search
returns HTTP 200 with code 2001" (docs.liteapi.travel/reference/api-errors-for-hotel-booking-
workflow). Such an answer is held to the body the definition declares for it (the `error`
part), not to the 200 schema."""

FAMILY_AGES = [4, 9, 1]
"""Children aged 4 and 9 and an infant aged 1, in the order a frontend may send them."""

HOTELS = """
query Family($search: HotelSearchInput!) {
  hotels(search: $search, first: 100) {
    offers { nodes {
      id
      rooms { id offerId provider price { amount currency } netPrice { amount currency }
              rateCheckRequired }
      sources { provider offerId price { amount currency } netPrice { amount currency } }
    } }
    providers { provider status message }
  }
}
"""

CHECK = """
query Check($id: ID!) {
  hotelOffer(id: $id, refresh: true) {
    refreshed
    sources { roomId provider offerId status previousPrice { amount currency }
              currentPrice { amount currency } }
    providers { provider status message }
  }
}
"""


# ---------------------------------------------------------------------- holding to contracts


def as_declared(answer: Any) -> Any:
    """The rates answer with each object-form amount wrapped in the list the schema declares,
    so that what is inside those objects is checked too (against the list's item schema)."""
    fixed = copy.deepcopy(answer)
    for hotel in fixed.get("data") or ():
        for offer in hotel.get("roomTypes") or ():
            for name in AMOUNTS_AS_OBJECTS:
                if isinstance(offer.get(name), dict):
                    offer[name] = [offer[name]]
    return fixed


def contract_problems(exchange: Exchange) -> list[str]:
    """Every way one recorded exchange departs from LiteAPI's definition of its operation."""
    operation = OPERATIONS[exchange.path]
    found = [f"headers{p}" for p in header_problems(PROVIDER, operation, dict(exchange.headers))]
    if "query" in parts(PROVIDER, operation):
        query = query_problems(PROVIDER, operation, exchange.query, strict=True)
        found += [f"query{p}" for p in query]
    else:
        found += [f"query/{name}: not in the definition" for name in exchange.query]
    if exchange.method == "POST":
        body = problems(PROVIDER, operation, "body", exchange.request_json(), strict=True)
        found += [f"body{p}" for p in body]
    answer = exchange.answer_json()
    if 200 <= exchange.status < 300 and not _no_availability(exchange, answer):
        allow = RATES_DEFECTS if operation == "hotels_rates" else ()
        found += [
            f"response{p}"
            for p in problems(PROVIDER, operation, "response", answer, strict=True, allow=allow)
        ]
        if operation == "hotels_rates":
            declared = as_declared(answer)
            checked = problems(PROVIDER, operation, "response", declared, strict=True)
            found += [f"response (as declared){p}" for p in checked]
    else:
        found += [f"error{p}" for p in problems(PROVIDER, operation, "error", answer, strict=True)]
    return found


def _no_availability(exchange: Exchange, answer: Any) -> bool:
    return (
        exchange.path == "/v3.0/hotels/rates"
        and exchange.status == NO_AVAILABILITY_STATUS
        and isinstance(answer, dict)
        and "data" not in answer
        and (answer.get("error") or {}).get("code") == adapter.NO_AVAILABILITY
    )


def assert_conforms(exchanges: list[Exchange]) -> None:
    assert exchanges
    report = {str(e): found for e in exchanges if (found := contract_problems(e))}
    assert report == {}


# ----------------------------------------------------------------------- through the public API


def family(rooms: int) -> dict[str, Any]:
    return {
        "search": {
            "cityCode": "PAR",
            "checkIn": days_ahead(40),
            "checkOut": days_ahead(42),
            "adults": 2,
            "childrenAges": FAMILY_AGES,
            "rooms": rooms,
            "currency": "EUR",
        }
    }


def liteapi_rooms(hotels: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(offer, room) for every LiteAPI room of a hotels answer."""
    for offer in hotels["offers"]["nodes"]:
        for room in offer["rooms"]:
            if room["provider"] == PROVIDER:
                yield offer, room


def money(value: dict[str, Any] | None) -> tuple[Decimal, str] | None:
    return None if value is None else (Decimal(value["amount"]), value["currency"])


def wire_offers(exchanges: list[Exchange]) -> dict[str, dict[str, Any]]:
    """Every offer (`roomTypes[]`) the simulator answered, by offer id."""
    return {
        offer["offerId"]: offer
        for exchange in exchanges
        if exchange.path == "/v3.0/hotels/rates" and exchange.status == 200
        for hotel in exchange.answer_json().get("data") or ()
        for offer in hotel["roomTypes"]
    }


async def search(client: GraphQLClient, rooms: int) -> dict[str, Any]:
    status, body = await client.post(HOTELS, family(rooms))
    assert status == 200, body
    assert "errors" not in body, body["errors"]
    hotels: dict[str, Any] = body["data"]["hotels"]
    outcome = {o["provider"]: o for o in hotels["providers"]}[PROVIDER]
    assert outcome["status"] == "OK", outcome
    return hotels


async def check(client: GraphQLClient, offer_id: str) -> list[dict[str, Any]]:
    """The LiteAPI rates of one offer, checked before booking (those not SKIPPED)."""
    status, body = await client.post(CHECK, {"id": offer_id})
    assert status == 200, body
    assert "errors" not in body, body.get("errors")
    checked = body["data"]["hotelOffer"]
    assert checked["refreshed"] is True
    mine = [s for s in checked["sources"] if s["provider"] == PROVIDER and s["status"] != "SKIPPED"]
    assert mine, checked
    return mine


def an_offer_checking_liteapi(hotels: dict[str, Any]) -> str:
    """An offer whose rates are LiteAPI's alone if there is one (so they are the ones checked),
    else the one with the most LiteAPI rates."""

    def share(offer: dict[str, Any]) -> tuple[bool, int]:
        providers = [room["provider"] for room in offer["rooms"]]
        return set(providers) == {PROVIDER}, providers.count(PROVIDER)

    best = max(hotels["offers"]["nodes"], key=share)
    assert share(best)[1], "no offer with a LiteAPI rate"
    return str(best["id"])


async def test_a_family_search_and_a_rate_check_speak_liteapis_definition() -> None:
    async with recorded_simulators() as sims, gateway(Settings(), sims) as client:
        one_room = await search(client, rooms=1)
        two_rooms = await search(client, rooms=2)
        checked = await check(client, an_offer_checking_liteapi(two_rooms))
        exchanges = sims.of(PROVIDER)

    assert_conforms(exchanges)
    searches = [e for e in exchanges if e.path == "/v3.0/hotels/rates"]
    assert [e.request_json()["occupancies"] for e in searches] == [
        # LiteAPI's form: one occupancy per room, `children` the ages (search.json).
        [{"adults": 2, "children": [1, 4, 9]}],
        # Two rooms: an adult each; the children, oldest first, where fewest sleep.
        [{"adults": 1, "children": [1, 9]}, {"adults": 1, "children": [4]}],
    ]
    # The answer prices and lists each room's own guests.
    for exchange, occupancies in zip(searches, ([[1, 4, 9]], [[1, 9], [4]]), strict=True):
        for hotel in exchange.answer_json()["data"]:
            for offer in hotel["roomTypes"]:
                assert [r["childrenAges"] for r in offer["rates"]] == occupancies
    assert list(liteapi_rooms(one_room))
    assert list(liteapi_rooms(two_rooms))

    prebooks = [e for e in exchanges if e.path == "/v3.0/rates/prebook"]
    # One prebook per rate checked (asked at once: in any order), each as booking.json has it.
    assert sorted(e.request_json()["offerId"] for e in prebooks) == sorted(
        source["offerId"] for source in checked
    )
    for exchange in prebooks:
        assert exchange.request_json() == {
            "offerId": exchange.request_json()["offerId"],
            "usePaymentSdk": False,
        }
        assert 1 <= int(exchange.query["timeout"]) <= adapter.PREBOOK_MAX_TIMEOUT_S
        assert exchange.status == 200
    for source in checked:
        assert source["status"] == "UNCHANGED"
        assert source["currentPrice"] == source["previousPrice"]


async def test_retail_below_its_suggested_price_is_never_shown_below_it() -> None:
    """Shown: the retail rate, or the suggested selling price where that is higher; the net
    price is always the retail rate less the rooms' commissions (docs/pricing.md)."""
    async with recorded_simulators() as sims, gateway(Settings(), sims) as client:
        hotels = await search(client, rooms=2)
        offers = wire_offers(sims.of(PROVIDER))

    below = over = 0
    for offer, room in liteapi_rooms(hotels):
        sold = offers[room["offerId"]]
        retail = Decimal(str(sold["offerRetailRate"]["amount"]))
        floor = Decimal(str(sold["suggestedSellingPrice"]["amount"]))
        commission = sum(
            (Decimal(str(r["commission"][0]["amount"])) for r in sold["rates"]), Decimal(0)
        )
        currency = sold["offerRetailRate"]["currency"]
        assert money(room["netPrice"]) == (retail - commission, currency)
        if retail < floor:
            below += 1
            assert money(room["price"]) == (floor, currency)
        else:
            over += 1
            assert money(room["price"]) == (retail, currency)
        assert room["rateCheckRequired"] is False
        source = next(s for s in offer["sources"] if s["provider"] == PROVIDER)
        cheapest = min(
            (r for _, r in liteapi_rooms({"offers": {"nodes": [offer]}})),
            key=lambda r: Decimal(r["price"]["amount"]),
        )
        assert (source["price"], source["netPrice"]) == (cheapest["price"], cheapest["netPrice"])
    assert below  # both kinds were shown
    assert over


async def test_a_rate_that_changed_or_went_is_told_in_liteapis_form() -> None:
    no_reuse = Settings(refresh_reuse_s=0)  # each refresh asks again
    async with recorded_simulators() as sims, gateway(no_reuse, sims) as client:
        offer_id = an_offer_checking_liteapi(await search(client, rooms=1))
        sims.liteapi.update({"price_factor": 1.1})
        dearer = await check(client, offer_id)
        sims.liteapi.update({"price_factor": 1.0, "offers_gone": True})
        gone = await check(client, offer_id)
        exchanges = sims.of(PROVIDER)

    assert_conforms(exchanges)
    prebooks = [e for e in exchanges if e.path == "/v3.0/rates/prebook"]
    answers = {e.request_json()["offerId"]: e.answer_json() for e in prebooks[: len(dearer)]}
    assert len(answers) == len(dearer)
    for source in dearer:
        data = answers[source["offerId"]]["data"]
        price = max(
            Decimal(str(data["price"])), Decimal(str(data["suggestedSellingPrice"]["amount"]))
        )
        assert source["status"] == "CHANGED"
        assert money(source["currentPrice"]) == (price, data["currency"])
        assert Decimal(source["currentPrice"]["amount"]) > Decimal(
            source["previousPrice"]["amount"]
        )
        assert data["priceDifferencePercent"] == 10
    assert {source["status"] for source in gone} == {"GONE"}
    refused = prebooks[len(dearer) :]
    assert {(e.status, e.answer_json()["error"]["code"]) for e in refused} == {(408, 4040)}


# --------------------------------------------------------------- the simulator's own answers


@pytest.fixture
async def served() -> AsyncIterator[runner.RunningSimulator]:
    started = await runner.start(PROVIDER, app=simulator.create_app())
    try:
        yield started
    finally:
        await started.stop()


def rates_body(**changes: Any) -> dict[str, Any]:
    check_in = date.today() + timedelta(days=40)
    body = {
        "occupancies": [{"adults": 2, "children": [1, 4, 9]}],
        "currency": "EUR",
        "guestNationality": "US",
        "checkin": check_in.isoformat(),
        "checkout": (check_in + timedelta(days=2)).isoformat(),
        "latitude": 48.85341,
        "longitude": 2.3488,
        "radius": 10000,
        "limit": 100,
        "maxRatesPerHotel": 5,
        "includeHotelData": True,
        "timeout": 6,
    }
    return {**body, **changes}


async def exchange(
    session: aiohttp.ClientSession,
    base_url: str,
    method: str,
    path: str,
    *,
    body: Any = None,
    params: dict[str, str] | None = None,
    key: str | None = "sand_contract",
) -> Exchange:
    """One call to the simulator, as `recorded_simulators` would record it."""
    headers = {"X-API-Key": key} if key else {}
    async with session.request(
        method, f"{base_url}{path}", json=body, params=params, headers=headers
    ) as response:
        answer = await response.read()
        sent_headers = response.request_info.headers
    return Exchange(
        PROVIDER,
        method,
        path,
        dict(params or {}),
        CIMultiDict(sent_headers),
        json.dumps(body).encode() if body is not None else b"",
        response.status,
        answer,
    )


async def test_every_answer_of_the_simulator_speaks_the_definition(served: Any) -> None:
    """Success and error answers of each endpoint, held to the contracts (the requests here are
    built to provoke them, so only the answers are checked)."""
    rates, prebook, static = "/v3.0/hotels/rates", "/v3.0/rates/prebook", "/v3.0/data/hotels"
    async with aiohttp.ClientSession() as session:

        async def call(method: str, path: str, **kwargs: Any) -> Exchange:
            return await exchange(session, served.base_url, method, path, **kwargs)

        first = await call("POST", rates, body=rates_body())
        offer_id = first.answer_json()["data"][0]["roomTypes"][0]["offerId"]
        hotel_id = first.answer_json()["data"][0]["hotelId"]
        answers = {
            "rates": first,
            "rates, two rooms and a fallback currency": await call(
                "POST",
                rates,
                body=rates_body(
                    occupancies=[{"adults": 1, "children": [9]}, {"adults": 1}], currency="NZD"
                ),
            ),
            "rates by id, without hotel data": await call(
                "POST", rates, body={**rates_body(hotelIds=[hotel_id]), "includeHotelData": False}
            ),
            "no availability": await call(
                "POST", rates, body=rates_body(latitude=0.0, longitude=-30.0)
            ),
            "unauthorised rates": await call("POST", rates, body=rates_body(), key=None),
            "an age of 18": await call(
                "POST", rates, body=rates_body(occupancies=[{"adults": 2, "children": [18]}])
            ),
            "an age as text": await call(
                "POST", rates, body=rates_body(occupancies=[{"adults": 2, "children": ["4"]}])
            ),
            "children as a count": await call(
                "POST", rates, body=rates_body(occupancies=[{"adults": 2, "children": 2}])
            ),
            "static data": await call("GET", static, params={"hotelIds": hotel_id}),
            "static data without ids": await call("GET", static),
            "unauthorised static data": await call(
                "GET", static, params={"hotelIds": hotel_id}, key=None
            ),
            "prebook": await call(
                "POST", prebook, body={"offerId": offer_id, "usePaymentSdk": False}
            ),
            "prebook with the payment SDK": await call(
                "POST", prebook, body={"offerId": offer_id, "usePaymentSdk": True}
            ),
            "prebook of an unknown offer": await call(
                "POST", prebook, body={"offerId": "GE5ESNBS", "usePaymentSdk": False}
            ),
            "prebook without usePaymentSdk": await call(
                "POST", prebook, body={"offerId": offer_id}
            ),
            "unauthorised prebook": await call(
                "POST", prebook, body={"offerId": offer_id, "usePaymentSdk": False}, key=None
            ),
        }
        faults = served.runner.app[FAULTS_KEY]
        faults.update({"offers_gone": True})
        answers["prebook of an offer gone"] = await call(
            "POST", prebook, body={"offerId": offer_id, "usePaymentSdk": False}
        )
        for fault, status in (("error", 500), ("unavailable", 503), ("rate_limited", 429)):
            faults.update({"offers_gone": False, f"{fault}_rate": 1.0})
            for path in (rates, prebook):
                body = (
                    rates_body() if path == rates else {"offerId": offer_id, "usePaymentSdk": False}
                )
                answers[f"{path} {status}"] = await call("POST", path, body=body)
            faults.update({f"{fault}_rate": 0.0})

    statuses = {name: e.status for name, e in answers.items()}
    assert statuses == {
        "rates": 200,
        "rates, two rooms and a fallback currency": 200,
        "rates by id, without hotel data": 200,
        "no availability": 200,
        "unauthorised rates": 401,
        "an age of 18": 400,
        "an age as text": 400,
        "children as a count": 400,
        "static data": 200,
        "static data without ids": 400,
        "unauthorised static data": 401,
        "prebook": 200,
        "prebook with the payment SDK": 200,
        "prebook of an unknown offer": 400,
        "prebook without usePaymentSdk": 400,
        "unauthorised prebook": 401,
        "prebook of an offer gone": 408,
        **{f"{path} {status}": status for status in (500, 503, 429) for path in (rates, prebook)},
    }
    report = {}
    for name, answered in answers.items():
        found = [
            p for p in contract_problems(answered) if not p.startswith(("body", "query", "headers"))
        ]
        if found:
            report[name] = found
    assert report == {}
    assert answers["no availability"].answer_json() == {
        "error": {"code": 2001, "message": "no availability found"}
    }
    assert answers["prebook of an offer gone"].answer_json()["error"]["code"] == 4040
    assert answers["an age of 18"].answer_json()["error"]["code"] == 4000


def test_the_adapters_requests_speak_the_definition() -> None:
    """The requests as the adapter builds them, for every party shape."""
    config = LiteApiConfig("sand_x")
    for adults, rooms, ages in ((1, 1, ()), (2, 1, (1, 4, 9)), (2, 2, (1, 4, 9)), (5, 3, (17, 0))):
        query = domain.HotelQuery(
            "PAR",
            date(2027, 1, 15),
            date(2027, 1, 17),
            adults=adults,
            rooms=rooms,
            currency="EUR",
            centre=domain.GeoPoint(48.85341, 2.3488),
            children_ages=ages,
        )
        body = adapter.rates_request(query, config, 6)
        assert problems(PROVIDER, "hotels_rates", "body", body, strict=True) == []
    assert (
        problems(PROVIDER, "rates_prebook", "body", adapter.prebook_request("GE5ES"), strict=True)
        == []
    )
    assert query_problems(PROVIDER, "rates_prebook", {"timeout": "30"}, strict=True) == []
    assert (
        query_problems(PROVIDER, "data_hotels", {"hotelIds": "lp1,lp2", "limit": "2"}, strict=True)
        == []
    )


def test_rooms_are_priced_by_their_guests_ages() -> None:
    """Under 2 stays free; 2 to 11 costs a share; 12 and over as an adult (the inventory's
    rule), and a party's total splits over its rooms by what each room's guests cost."""
    hotel = next(h for h in inventory.hotels("PAR") if simulator.sells(h, 0.65))
    days = (date.today() + timedelta(days=40 + n) for n in range(30))
    day = next(d for d in days if inventory.rooms(hotel, d, d + timedelta(2), 2, 1))

    def priced(*ages: int) -> dict[str, Decimal]:
        stay = room_types.Stay(day, day + timedelta(2), (room_types.Occupancy(2, ages),), "EUR")
        return {room.id: total for room, total in room_types.rooms_on_sale(hotel, stay)}

    alone, infant, child, teenager = priced(), priced(1), priced(9), priced(15)
    assert alone
    for room_id, amount in alone.items():
        assert infant[room_id] == amount
        assert amount < child[room_id] < teenager[room_id]

    # Two rooms: one with a child of 15 (an adult's price), one with an adult alone.
    stay = room_types.Stay(
        day,
        day + timedelta(2),
        (room_types.Occupancy(1, (15,)), room_types.Occupancy(1)),
        "EUR",
    )
    room, listed = room_types.rooms_on_sale(hotel, stay)[0]
    offer = room_types.offer(hotel, room, listed, stay)
    rates = offer["rates"]
    assert isinstance(rates, list)
    shares = [Decimal(str(r["retailRate"]["total"][0]["amount"])) for r in rates]
    assert sum(shares) == listed
    assert shares[0] > shares[1]
    # The offer's id carries what a prebook needs to find it again.
    assert room_types.read_offer_id(str(offer["offerId"])) == (hotel, room.id, stay)
