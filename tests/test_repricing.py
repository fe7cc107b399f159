"""Re-pricing a served offer, through the public surface (HTTP + GraphQL, the simulators) and
at unit level: lookup by id, unchanged / changed / gone, failures, expiry, the budget."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from gateway.config import Settings
from gateway.domain import Fare, FareSource, FlightOffer, Money
from gateway.observe.events import RequestDone
from gateway.search import repricing
from gateway.search.results import ResultStore
from tests.helpers import (
    GraphQLClient,
    ManualClock,
    Recorder,
    Simulators,
    clocked,
    days_ahead,
    gateway,
)

pytestmark = pytest.mark.e2e

SEARCH = """
query Search($s: FlightSearchInput!) {
  flights(search: $s, first: 3) {
    offers { nodes { id fares { id sources { provider offerId price { amount currency } } } } }
    providers { provider status }
  }
}
"""
CHECK = """
query Check($id: ID!, $refresh: Boolean!) {
  flightOffer(id: $id, refresh: $refresh) {
    offer { id fares { id } }
    refreshed
    sources { fareId provider offerId status previousPrice { amount currency }
              currentPrice { amount currency } }
    providers { provider status offerCount message }
  }
}
"""
PRICING_PATHS = ("/v1/shopping/flight-offers/pricing", "/air/offers/")


def search_variables() -> dict[str, Any]:
    return {"s": {"origin": "LHR", "destination": "JFK", "departureDate": days_ahead(30)}}


def pricing_calls(sims: Simulators) -> int:
    return sum(
        count
        for state in (sims.amadeus, sims.duffel)
        for path, count in state.calls.items()
        if path.startswith(PRICING_PATHS)
    )


async def first_offer(client: GraphQLClient) -> dict[str, Any]:
    status, body = await client.post(SEARCH, search_variables())
    assert status == 200, body
    offer: dict[str, Any] = body["data"]["flights"]["offers"]["nodes"][0]
    return offer


async def check(client: GraphQLClient, offer_id: str, refresh: bool) -> dict[str, Any]:
    status, body = await client.post(CHECK, {"id": offer_id, "refresh": refresh})
    assert status == 200, body
    return body


def by_source(found: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["provider"], s["offerId"]): s for s in found["sources"]}


async def test_a_served_offer_is_found_by_its_id_without_calling_providers(
    client: GraphQLClient, sims: Simulators
) -> None:
    offer = await first_offer(client)
    before = sum(sims.amadeus.calls.values()) + sum(sims.duffel.calls.values())
    found = (await check(client, offer["id"], refresh=False))["data"]["flightOffer"]
    assert found["offer"]["id"] == offer["id"]
    assert found["offer"]["fares"] == [{"id": fare["id"]} for fare in offer["fares"]]
    assert found["refreshed"] is False
    assert found["sources"] == []
    assert found["providers"] == []
    after = sum(sims.amadeus.calls.values()) + sum(sims.duffel.calls.values())
    assert after == before


async def test_refresh_reports_unchanged_then_changed_then_gone(sims: Simulators) -> None:
    # Each refresh asks again: no reuse (`GATEWAY_REFRESH_REUSE_S`, tested in test_fleet_repricing).
    async with gateway(Settings(provider_timeout_s=5.0, refresh_reuse_s=0), sims) as client:
        await _unchanged_then_changed_then_gone(client, sims)


async def _unchanged_then_changed_then_gone(client: GraphQLClient, sims: Simulators) -> None:
    offer = await first_offer(client)
    sold = [(fare["id"], s) for fare in offer["fares"] for s in fare["sources"]]
    assert {s["provider"] for _, s in sold} == {"amadeus", "duffel"}

    found = (await check(client, offer["id"], refresh=True))["data"]["flightOffer"]
    assert found["refreshed"] is True
    assert [(s["fareId"], s["provider"], s["offerId"]) for s in found["sources"]] == [
        (fare_id, s["provider"], s["offerId"]) for fare_id, s in sold
    ][: repricing.MAX_REPRICED_SOURCES]
    assert {s["status"] for s in found["sources"]} == {"UNCHANGED"}
    for source in found["sources"]:
        assert source["currentPrice"] == source["previousPrice"]
    assert {(p["provider"], p["status"]) for p in found["providers"]} == {
        ("amadeus", "OK"),
        ("duffel", "OK"),
    }
    assert sum(p["offerCount"] for p in found["providers"]) == len(found["sources"])
    assert pricing_calls(sims) == len(found["sources"])

    sims.amadeus.update({"price_factor": 1.1})
    sims.duffel.update({"price_factor": 1.1})
    changed = (await check(client, offer["id"], refresh=True))["data"]["flightOffer"]
    assert {s["status"] for s in changed["sources"]} == {"CHANGED"}
    for source in changed["sources"]:
        old, new = source["previousPrice"], source["currentPrice"]
        assert new["currency"] == old["currency"]
        expected = (Decimal(old["amount"]) * Decimal("1.1")).quantize(Decimal(old["amount"]))
        assert Decimal(new["amount"]) == expected

    sims.amadeus.update({"offers_gone": True})
    sims.duffel.update({"offers_gone": True})
    gone = (await check(client, offer["id"], refresh=True))["data"]["flightOffer"]
    assert {s["status"] for s in gone["sources"]} == {"GONE"}
    assert all(s["currentPrice"] is None for s in gone["sources"])
    assert {p["status"] for p in gone["providers"]} == {"OK"}  # an answer, not a failure


async def test_a_failing_provider_is_reported_without_its_text(
    client: GraphQLClient, sims: Simulators
) -> None:
    offer = await first_offer(client)
    sims.duffel.update({"error_rate": 1.0, "paths": ["/air/offers/"]})
    found = (await check(client, offer["id"], refresh=True))["data"]["flightOffer"]
    statuses = {s["provider"]: s["status"] for s in found["sources"]}
    assert statuses == {"amadeus": "UNCHANGED", "duffel": "FAILED"}
    outcome = {p["provider"]: p for p in found["providers"]}
    assert outcome["duffel"]["status"] == "ERROR"
    assert outcome["duffel"]["message"] == "duffel server error (HTTP 500)"
    assert outcome["amadeus"]["status"] == "OK"


async def test_an_unknown_id_is_offer_not_found_without_an_upstream_call(
    client: GraphQLClient, sims: Simulators
) -> None:
    await first_offer(client)
    before = pricing_calls(sims)
    body = await check(client, "F" + "0" * 20, refresh=True)
    assert body["data"] == {"flightOffer": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "OFFER_NOT_FOUND"
    assert error["path"] == ["flightOffer"]
    assert pricing_calls(sims) == before


async def test_an_offer_of_an_expired_set_is_offer_not_found(
    sims: Simulators, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    clocked(monkeypatch, ResultStore, clock)  # the set's TTL passes when the test says
    async with gateway(Settings(provider_timeout_s=5.0, results_ttl_s=10.0), sims) as client:
        offer = await first_offer(client)
        clock.advance(9.9)
        found = await check(client, offer["id"], refresh=False)
        assert found["data"]["flightOffer"]["offer"]["id"] == offer["id"]
        clock.advance(0.2)
        body = await check(client, offer["id"], refresh=True)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "OFFER_NOT_FOUND"
    assert pricing_calls(sims) == 0


async def test_an_offer_of_an_evicted_set_is_offer_not_found(sims: Simulators) -> None:
    async with gateway(Settings(results_max_sets=1), sims) as client:
        offer = await first_offer(client)
        other = {"s": {**search_variables()["s"], "destination": "BOS"}}
        status, second = await client.post(SEARCH, other)  # a second set pushes the first out
        assert status == 200
        # Every provider answered (once, one timed out under load and the offer was still found).
        assert {p["status"] for p in second["data"]["flights"]["providers"]} == {"OK"}
        body = await check(client, offer["id"], refresh=True)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "OFFER_NOT_FOUND"
    assert pricing_calls(sims) == 0


async def test_a_10_kb_id_is_refused_before_any_work(
    client: GraphQLClient, sims: Simulators
) -> None:
    body = await check(client, "F" * 10_000, refresh=True)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 64 characters" in error["message"]
    assert len(error["message"]) < 200  # the id is not echoed back
    assert sum(sims.amadeus.calls.values()) + sum(sims.duffel.calls.values()) == 0


async def test_many_repricings_in_one_operation_are_refused_by_the_budget(
    client: GraphQLClient, sims: Simulators
) -> None:
    many = (
        "query { "
        + " ".join(
            f'r{n}: flightOffer(id: "F{n:020d}", refresh: true) {{ refreshed }}' for n in range(3)
        )
        + " }"
    )
    _status, body = await client.post(many)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "OPERATION_TOO_EXPENSIVE"
    assert error["extensions"]["cost"]["searches"]["flightOffer"] == {
        "measured": 3,
        "allowed": 2,
    }
    assert "data" not in body or body["data"] is None
    assert pricing_calls(sims) == 0

    # Looking up without refresh calls no provider, so it is not charged as a re-pricing.
    lookups = many.replace("refresh: true", "refresh: false")
    _, body = await client.post(lookups)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"OFFER_NOT_FOUND"}


async def test_a_repricing_costs_its_upstream_calls(sims: Simulators) -> None:
    """The cost model charges `MAX_REPRICED_SOURCES` calls per distinct offer re-priced, and
    nothing for a lookup: with a budget that fits one re-pricing only, two are refused."""
    lookup = 'query { flightOffer(id: "F00000000000000000000") { refreshed } }'
    one = 'query { flightOffer(id: "F00000000000000000000", refresh: true) { refreshed } }'
    two = (
        'query { a: flightOffer(id: "F00000000000000000000", refresh: true) { refreshed } '
        'b: flightOffer(id: "F00000000000000000001", refresh: true) { refreshed } }'
    )
    async with gateway(Settings(max_cost=2 + repricing.MAX_REPRICED_SOURCES), sims) as client:
        answers = [await client.post(document) for document in (lookup, one, two)]
    codes = [body["errors"][0]["extensions"]["code"] for _, body in answers]
    assert codes == ["OFFER_NOT_FOUND", "OFFER_NOT_FOUND", "OPERATION_TOO_EXPENSIVE"]
    estimated = answers[2][1]["errors"][0]["extensions"]["cost"]["estimated"]
    assert estimated >= 2 * repricing.MAX_REPRICED_SOURCES


# Unit level


def test_the_offer_index_is_bounded_and_forgets_the_least_recently_served() -> None:
    index = repricing.OfferIndex(max_entries=2)
    index.remember("a", "set1", 0)
    index.remember("b", "set1", 1)
    index.remember("a", "set2", 0)  # served again: now the most recent
    index.remember("c", "set2", 1)
    assert len(index) == 2
    assert index.find("b") is None
    assert index.find("a") == ("set2", 0)
    assert index.find("c") == ("set2", 1)


def _offer(*quotes: bytes | None) -> FlightOffer:
    price = Money(Decimal("1"), "EUR")
    sources = tuple(FareSource("amadeus", str(n), price, quote=q) for n, q in enumerate(quotes))
    return FlightOffer("", price, (), (), fares=(Fare("", price, sources),))


def test_quotes_are_kept_up_to_the_bytes_bound_per_set() -> None:
    offers = [_offer(b"x" * 40, b"y" * 40), _offer(b"z" * 40, None)]
    kept = repricing.bounded_quotes(offers, 100)
    quotes = [s.quote for o in kept for f in o.fares for s in f.sources]
    assert quotes == [b"x" * 40, b"y" * 40, None, None]
    assert kept[0] is offers[0]  # untouched offers are not copied
    assert repricing.bounded_quotes(offers, 1000) == offers


class FakeRepricer:
    """Answers each offer id's price from a table; an id missing from it is gone."""

    def __init__(self, name: str, prices: dict[str, Money]) -> None:
        self.name = name
        self.prices = prices
        self.asked: list[str] = []

    def info(self) -> Any:
        raise NotImplementedError

    def upstream_calls(self, field: str) -> int:
        return 1

    def repriceable(self, source: FareSource) -> bool:
        return source.offer_id != "no-quote"

    async def current_price(self, source: FareSource) -> Money | None:
        self.asked.append(source.offer_id)
        return self.prices.get(source.offer_id)


async def test_repricing_asks_at_most_the_limit_and_skips_what_cannot_be_asked() -> None:
    eur = Money(Decimal("10.00"), "EUR")
    ids = ["no-quote", *(f"o{n}" for n in range(repricing.MAX_REPRICED_SOURCES + 2))]
    sources = tuple(FareSource("fake", offer_id, eur) for offer_id in ids)
    offer = FlightOffer("F1", eur, (), (), fares=(Fare("P1", eur, sources),))
    fake = FakeRepricer("fake", {"o0": eur, "o1": Money(Decimal("12.50"), "EUR")})

    repriced, outcomes = await repricing.reprice(offer, {"fake": fake}, {}, timeout_s=1.0)

    asked = ids[1 : 1 + repricing.MAX_REPRICED_SOURCES]
    assert fake.asked == asked
    statuses = [source.status.value for source in repriced]
    assert statuses == [
        "SKIPPED",  # the provider cannot re-price it
        "UNCHANGED",
        "CHANGED",
        *["GONE"] * (repricing.MAX_REPRICED_SOURCES - 2),
        "SKIPPED",  # past the limit
        "SKIPPED",
    ]
    assert repriced[2].current_price == Money(Decimal("12.50"), "EUR")
    assert repriced[2].previous_price == eur
    assert all(source.fare_id == "P1" for source in repriced)
    [outcome] = outcomes
    assert (outcome.provider, outcome.status.value) == ("fake", "OK")
    assert outcome.offer_count == repricing.MAX_REPRICED_SOURCES


async def test_a_repricing_reports_its_provider_outcomes_to_the_request(sims: Simulators) -> None:
    """The request line and `RequestDone` list the providers a re-pricing called, as a
    search's do (they were empty: only searches reported `FieldSearched`)."""
    recorder = Recorder()
    async with gateway(Settings(), sims, observers=[recorder]) as client:
        offer = await first_offer(client)
        recorder.seen.clear()
        await check(client, offer["id"], refresh=True)
    [done] = [event for event in recorder.seen if isinstance(event, RequestDone)]
    assert {outcome.provider for outcome in done.providers} >= {"amadeus"}
    assert all(outcome.status.value == "OK" for outcome in done.providers)
