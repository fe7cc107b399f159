"""Paging over a stored result set: continuation, no new provider calls, expiry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from gateway.config import Settings
from gateway.currency.rates import bundled_rates
from gateway.domain import (
    CabinClass,
    FlightOffer,
    FlightQuery,
    FlightSort,
    ProviderOutcome,
    ProviderStatus,
)
from gateway.errors import CursorExpired
from gateway.providers.errors import ProviderError
from gateway.providers.registry import Providers
from gateway.search import fingerprint, merge
from gateway.search.cache import SearchCache
from gateway.search.paging import PageRequest
from gateway.search.results import ResultStore
from gateway.search.service import SearchService, _converter
from gateway.search.stores import MemoryStore
from tests.helpers import (
    GraphQLClient,
    ManualClock,
    Simulators,
    clocked,
    days_ahead,
    gateway,
    simulators,
)
from tests.test_filters import DAY, Listed, fare, offer, segment

pytestmark = pytest.mark.e2e

QUERY = """query($s: FlightSearchInput!, $first: Int!, $after: String, $sort: FlightSort! = PRICE) {
  flights(search: $s, first: $first, after: $after, sort: $sort) {
    offers { totalCount edges { cursor node { id price { amount } } }
             pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
    providers { provider status }
  } }"""


def search(**changes: Any) -> dict[str, Any]:
    return {"origin": "PAR", "destination": "NYC", "departureDate": days_ahead(33), **changes}


async def pages(client: GraphQLClient, first: int, **variables: Any) -> list[dict[str, Any]]:
    collected = []
    after = None
    while True:
        _, body = await client.post(
            QUERY, {"s": search(), "first": first, "after": after, **variables}
        )
        offers = body["data"]["flights"]["offers"]
        collected.append(offers)
        if not offers["pageInfo"]["hasNextPage"]:
            return collected
        after = offers["pageInfo"]["endCursor"]


async def test_pages_continue_without_calling_providers_again(sims: Simulators) -> None:
    uncached = Settings(cache_ttl_flights_s=0, cache_ttl_hotels_s=0)  # the store alone
    async with gateway(uncached, sims) as client:
        _, body = await client.post(QUERY, {"s": search(), "first": 100})
        everything = [e["node"]["id"] for e in body["data"]["flights"]["offers"]["edges"]]
        calls_before = sum(sum(state.calls.values()) for state in sims.states.values())

        collected = await pages(client, first=3)
        calls_for_pages = sum(sum(state.calls.values()) for state in sims.states.values())

    ids = [edge["node"]["id"] for page in collected for edge in page["edges"]]
    assert ids == everything
    assert len(collected) == -(-len(everything) // 3)
    # One search for page 1 (Amadeus flights, Duffel offer request), nothing for the rest.
    assert calls_for_pages - calls_before == 2
    assert collected[1]["pageInfo"]["hasPreviousPage"] is True


async def test_cursor_of_another_search_or_order_is_refused(client: GraphQLClient) -> None:
    _, body = await client.post(QUERY, {"s": search(), "first": 2})
    cursor = body["data"]["flights"]["offers"]["pageInfo"]["endCursor"]
    _, other = await client.post(QUERY, {"s": search(adults=2), "first": 2, "after": cursor})
    assert "$after: this cursor belongs to a different search" in other["errors"][0]["message"]
    assert other["errors"][0]["extensions"]["code"] == "CURSOR_MISMATCH"
    _, resorted = await client.post(
        QUERY, {"s": search(), "first": 2, "after": cursor, "sort": "DURATION"}
    )
    assert resorted["errors"][0]["extensions"]["code"] == "CURSOR_MISMATCH"
    assert resorted["errors"][0]["extensions"]["problems"] == [
        {"field": "$after", "message": "this cursor belongs to a different search, filter or order"}
    ]


async def test_expired_cursor_has_its_own_code(
    sims: Simulators, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found: an expired cursor was a generic BAD_USER_INPUT; a client had to parse the
    message to know it should run the search again."""
    clock = ManualClock()
    clocked(monkeypatch, ResultStore, clock)  # the set's TTL passes when the test says
    settings = Settings(results_ttl_s=10)
    async with gateway(settings, sims) as client:
        _, body = await client.post(QUERY, {"s": search(), "first": 2})
        cursor = body["data"]["flights"]["offers"]["pageInfo"]["endCursor"]
        clock.advance(10.1)
        _, later = await client.post(QUERY, {"s": search(), "first": 2, "after": cursor})
    [error] = later["errors"]
    assert error["extensions"]["code"] == "CURSOR_EXPIRED"
    assert "expired" in error["message"]


def test_store_forgets_the_least_recently_used() -> None:
    now = [0.0]
    store = ResultStore(ttl_s=10, max_sets=2, clock=lambda: now[0])
    outcome = (ProviderOutcome("p", ProviderStatus.OK, 1, 1),)
    first = store.put("a", (1,), outcome)
    second = store.put("b", (2,), outcome)
    assert store.get(first.id) is not None  # now the most recent
    store.put("c", (3,), outcome)
    assert store.get(second.id) is None
    assert store.get(first.id) is not None
    now[0] = 11
    assert store.get(first.id) is None
    assert len(store) == 1


async def test_next_page_from_another_process_sharing_redis(fresh_redis: str) -> None:
    import redis.asyncio as redis

    # Generous timeouts: a provider timing out on a loaded machine made another set (flaked).
    settings = Settings(cache_url=fresh_redis, provider_timeout_s=5.0, search_deadline_s=10.0)
    async with simulators() as sims, gateway(settings, sims) as one, gateway(settings, sims) as two:
        _, whole = await one.post(QUERY, {"s": search(), "first": 100})
        everything = [e["node"]["id"] for e in whole["data"]["flights"]["offers"]["edges"]]
        _, first = await one.post(QUERY, {"s": search(), "first": 3})
        cursor = first["data"]["flights"]["offers"]["pageInfo"]["endCursor"]
        calls = sims.duffel.calls["/air/offer_requests"]

        _, second = await two.post(QUERY, {"s": search(), "first": 3, "after": cursor})
        assert "errors" not in second
        ids = [e["node"]["id"] for e in second["data"]["flights"]["offers"]["edges"]]
        assert ids == everything[3:6]
        assert sims.duffel.calls["/air/offer_requests"] == calls  # rebuilt from the cache

        # Once the providers' answers are gone, a third process cannot vouch for the set.
        store = redis.from_url(fresh_redis)
        await store.flushdb()
        await store.aclose()
        sims.duffel.update({"error_rate": 1.0})  # and the answers now differ
        async with gateway(settings, sims) as three:
            _, third = await three.post(QUERY, {"s": search(), "first": 3, "after": cursor})
    assert third["errors"][0]["extensions"]["code"] == "CURSOR_EXPIRED"


class _Failing(Listed):
    """A provider whose searches fail once `failing` is set."""

    failing = False

    async def search_flights(self, query: FlightQuery) -> list[FlightOffer]:
        if self.failing:
            raise ProviderError("HTTP 500")
        return await super().search_flights(query)


def _sharing(store: MemoryStore, providers: list[Listed]) -> SearchService:
    """A service as another process would run it: its own result sets, the cache shared."""
    cache = SearchCache(store, ttl_s={"flights": 60, "hotels": 60}, shared=True)
    return SearchService(Providers(tuple(providers)), rates=bundled_rates, cache=cache)


async def test_a_set_rebuilt_from_other_answers_is_not_continued() -> None:
    """The same itineraries sold at other prices, by fewer sellers, or with a provider
    failing is other content: a cursor must not continue it (on some dates the demo's
    itineraries were all sold by both flight providers, and the set rebuilt without one
    matched the old fingerprint, which covered itinerary ids only)."""
    query = FlightQuery("LON", "NYC", DAY)
    flights = [segment("BA", 1), segment("AA", 2)]
    a = Listed("amadeus", [offer(fare("300"), segments=(s,)) for s in flights])
    b = _Failing("duffel", [offer(fare("250", provider="duffel"), segments=(s,)) for s in flights])
    store = MemoryStore()
    one = _sharing(store, [a, b])
    page = await one.search_flights(query, FlightSort.PRICE, PageRequest(1))
    cursor = page.edges[-1].cursor

    # Another process, the providers' answers still cached: the same set, continued.
    two = _sharing(store, [a, b])
    second = await two.search_flights(query, FlightSort.PRICE, PageRequest(1, cursor))
    assert [e.node.price.amount for e in second.edges] == [Decimal("250")]

    # A third, once the answers are gone and Duffel is failing: same itineraries, other
    # prices and sellers. Refused, not served under the old cursor.
    b.failing = True
    three = _sharing(MemoryStore(), [a, b])
    with pytest.raises(CursorExpired):
        await three.search_flights(query, FlightSort.PRICE, PageRequest(1, cursor))


def test_fingerprint_covers_prices_sellers_and_outcomes_not_latency() -> None:
    to_display = _converter(bundled_rates(), "EUR")

    def fingerprint_of(
        offers: list[FlightOffer], outcomes: tuple[ProviderOutcome, ...] = ()
    ) -> str:
        clusters = merge.flight_clusters(offers, CabinClass.ECONOMY, to_display)
        return fingerprint.flights("local", clusters, outcomes).digest

    ok = (ProviderOutcome("amadeus", ProviderStatus.OK, 120, offer_count=1),)
    base = fingerprint_of([offer(fare("300"))], ok)
    slower = (ProviderOutcome("amadeus", ProviderStatus.OK, 900, offer_count=1, cached=True),)
    assert fingerprint_of([offer(fare("300"))], slower) == base
    assert fingerprint_of([offer(fare("301"))], ok) != base
    assert fingerprint_of([offer(fare("300", offer_id="other"))], ok) != base
    assert fingerprint_of([offer(fare("300", brand="Light"))], ok) != base
    failed = (*ok, ProviderOutcome("duffel", ProviderStatus.ERROR, 5, message="HTTP 500"))
    assert fingerprint_of([offer(fare("300"))], failed) != base
    assert fingerprint_of([offer(fare("300"))], ok) == base  # and it is stable


def test_result_sets_are_bounded_in_bytes_as_well_as_in_number() -> None:
    store = ResultStore(max_sets=100, max_bytes=1000)
    first = store.put("a", (), (), size_bytes=400)
    second = store.put("b", (), (), size_bytes=400)
    third = store.put("c", (), (), size_bytes=400)  # 1,200 > 1,000: the oldest goes
    assert store.get(first.id) is None
    assert store.get(second.id) is not None
    assert store.get(third.id) is not None
    assert store.size_bytes == 800
    alone = store.put("d", (), (), size_bytes=2000)  # answered, never kept
    assert store.get(alone.id) is None
    store.discard(second.id)
    assert (len(store), store.size_bytes) == (1, 400)
