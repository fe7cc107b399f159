"""Offers across the fleet (issue 18): any gateway process sharing one Redis answers
`flightOffer(id)` and `hotelOffer(id)`, with `refresh`, for an offer another one served; a value
planted in Redis under an offer's id is refused; with Redis down, each process still finds what
it served, and searches still answer.

Real processes (`python -m gateway serve`) where the issue names them: two instances, and one
with `--workers 2`; each points at the same simulators, started here, so an offer one served is
known to the simulator another's re-pricing reaches.

A page's offers are written in the background, after the page (`fleet/offers.py`): a test
looking them up elsewhere first waits for them in Redis (`shared_now`), or, in one process,
for its writes (`SearchService.flush`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec
import orjson
import pytest

from gateway.config import ConfigError, Settings
from gateway.currency.rates import bundled_rates
from gateway.domain import (
    Carrier,
    Fare,
    FareCondition,
    FareSource,
    FlightOffer,
    FlightPoint,
    HotelOffer,
    HotelSort,
    Itinerary,
    Money,
    OfferSource,
    ProviderOutcome,
    ProviderStatus,
    Segment,
    TravellerPrice,
    TravellerType,
)
from gateway.errors import OfferNotFound
from gateway.fleet import offers as shared_offers
from gateway.fleet.sealed import Sealer
from gateway.fleet.shared import PREFIX, Shared
from gateway.providers import registry
from gateway.providers.registry import Providers
from gateway.search import identity
from gateway.search.entries import BadEntry, EntryCodec, search_key
from gateway.search.fanout import ProviderResult
from gateway.search.paging import PageRequest
from gateway.search.service import SearchService
from gateway.search.stores import RedisStore
from simulators import registry as sim_registry
from simulators.amadeus.app import OFFER_PATH
from simulators.hotelbeds.app import CHECK_PATH
from simulators.liteapi.app import PREBOOK_PATH
from tests.helpers import APOLLO_ACCEPT, GraphQLClient, Simulators, days_ahead, gateway, simulators
from tests.redis_server import redis_server
from tests.served import served_gateway
from tests.test_hotel_offer import QUERY, Checking, hotel_offer, rate

pytestmark = pytest.mark.e2e

SIGNING_KEY = "fleet-offers-test-signing-key-0123456789"
SEARCH = """
query Search($f: FlightSearchInput!, $h: HotelSearchInput!) {
  flights(search: $f, first: 5) { offers { nodes { id price { amount currency }
    fares { id sources { provider offerId } } } } }
  hotels(search: $h, first: 5) { offers { nodes { id price { amount currency }
    rooms { id provider } } } }
}
"""
FLIGHT = """
query Lookup($id: ID!, $refresh: Boolean!) {
  flightOffer(id: $id, refresh: $refresh) {
    offer { id price { amount currency } fares { id } }
    refreshed
    sources { fareId provider offerId status }
    providers { provider status cached }
  }
}
"""
HOTEL = """
query Lookup($id: ID!, $refresh: Boolean!) {
  hotelOffer(id: $id, refresh: $refresh) {
    offer { id price { amount currency } rooms { id } }
    refreshed
    sources { roomId provider offerId status }
    providers { provider status cached }
  }
}
"""
PRICING_PATHS = (
    "/v1/shopping/flight-offers/pricing",
    "/air/offers/",
    OFFER_PATH,
    "/stays/quotes",
    CHECK_PATH,
    PREBOOK_PATH,
)
"""Every provider's re-pricing or rate-check call, as the simulators count them."""


def search_variables() -> dict[str, Any]:
    return {
        "f": {"origin": "LHR", "destination": "JFK", "departureDate": days_ahead(30)},
        "h": {"cityCode": "PAR", "checkIn": days_ahead(30), "checkOut": days_ahead(32)},
    }


def pricing_calls(sims: Simulators) -> int:
    """Re-pricing and rate-check calls every simulator has answered so far."""
    return sum(
        count
        for name in sim_registry.names()
        for path, count in getattr(sims, name).calls.items()
        if path.startswith(PRICING_PATHS)
    )


def fleet_env(redis_url: str, sims: Simulators, **extra: str) -> dict[str, str]:
    """What each process of a fleet is given: one Redis, one signing key, the same simulators
    (as configured providers, in test mode)."""
    env = {"GATEWAY_CACHE_URL": redis_url, "GATEWAY_CACHE_SIGNING_KEY": SIGNING_KEY}
    for name, url in sims.base_urls.items():
        env.update(sim_registry.spec(name).simulated_env(url))
    env.update(extra)
    return env


@asynccontextmanager
async def fleet(
    env: dict[str, str], count: int = 2, args: tuple[str, ...] = ()
) -> AsyncIterator[list[GraphQLClient]]:
    """`count` gateway processes (`python -m gateway serve`), each given `env`."""
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(
            aiohttp.ClientSession(headers={"Accept": APOLLO_ACCEPT})
        )
        clients = []
        for _ in range(count):
            served = await stack.enter_async_context(served_gateway(env, args))
            clients.append(GraphQLClient(session, served.url))
        yield clients


async def searched(client: GraphQLClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first flight and hotel offers a search on `client` served."""
    status, body = await client.post(SEARCH, search_variables())
    assert status == 200, body
    assert "errors" not in body, body
    flight = body["data"]["flights"]["offers"]["nodes"][0]
    hotel = body["data"]["hotels"]["offers"]["nodes"][0]
    return flight, hotel


async def look_up(
    client: GraphQLClient, field: str, offer_id: str, *, refresh: bool = False
) -> dict[str, Any]:
    status, body = await client.post(
        FLIGHT if field == "flightOffer" else HOTEL, {"id": offer_id, "refresh": refresh}
    )
    assert status == 200, body
    return body


def not_found(body: dict[str, Any]) -> bool:
    return [e["extensions"]["code"] for e in body.get("errors", ())] == ["OFFER_NOT_FOUND"]


async def shared_now(redis_url: str, *offer_ids: str) -> None:
    """Once each of `offer_ids` is in Redis: a gateway writes a page's offers in the background,
    a Redis round trip or two after the page (`fleet/offers.py`)."""
    import redis.asyncio as redis

    raw = redis.from_url(redis_url)
    keys = [PREFIX + shared_offers.KEY_PREFIX + offer_id for offer_id in offer_ids]
    try:
        for _ in range(1000):
            if await raw.exists(*keys) == len(keys):
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{offer_ids} never reached Redis")
    finally:
        await raw.aclose()


async def test_offers_one_instance_served_are_found_and_refreshed_on_another(
    fresh_redis: str,
) -> None:
    """The finding: on instance B, `flightOffer(id)` and `flightOffer(id, refresh: true)` for an
    offer A served were OFFER_NOT_FOUND."""
    async with simulators() as sims, fleet(fleet_env(fresh_redis, sims)) as (a, b):
        flight, hotel = await searched(a)
        await shared_now(fresh_redis, flight["id"], hotel["id"])
        before = pricing_calls(sims)

        found = (await look_up(b, "flightOffer", flight["id"]))["data"]["flightOffer"]
        assert found["offer"]["id"] == flight["id"]
        assert found["offer"]["price"] == flight["price"]
        assert found["offer"]["fares"] == [{"id": fare["id"]} for fare in flight["fares"]]
        assert pricing_calls(sims) == before  # a lookup calls nobody

        body = await look_up(b, "flightOffer", flight["id"], refresh=True)
        assert "errors" not in body, body
        repriced = body["data"]["flightOffer"]
        assert repriced["refreshed"] is True
        asked = [s for s in repriced["sources"] if s["status"] != "SKIPPED"]
        assert asked
        assert {s["status"] for s in asked} == {"UNCHANGED"}  # the simulators knew each offer
        assert {s["provider"] for s in asked} == {"amadeus", "duffel"}  # Amadeus: by its quote

        body = await look_up(b, "hotelOffer", hotel["id"], refresh=True)
        assert "errors" not in body, body
        checked = body["data"]["hotelOffer"]
        assert checked["offer"]["id"] == hotel["id"]
        assert checked["offer"]["rooms"] == [{"id": room["id"]} for room in hotel["rooms"]]
        rooms = [s for s in checked["sources"] if s["status"] != "SKIPPED"]
        assert rooms
        assert {s["status"] for s in rooms} == {"UNCHANGED"}
        assert pricing_calls(sims) == before + len(asked) + len(rooms)

        # And back: what B serves, A finds.
        flight_b, _ = await searched(b)
        await shared_now(fresh_redis, flight_b["id"])
        assert "errors" not in await look_up(a, "flightOffer", flight_b["id"])


async def test_every_lookup_answers_on_either_of_two_workers(fresh_redis: str) -> None:
    """The finding: with `--workers 2`, 3 of 10 lookups of an offer just served failed."""
    async with simulators() as sims:
        env = fleet_env(fresh_redis, sims, GATEWAY_LOG_FORMAT="json")
        async with (
            served_gateway(env, ["--workers", "2"]) as served,
            # A new connection for every request, so the kernel hands them to either worker.
            aiohttp.ClientSession(
                headers={"Accept": APOLLO_ACCEPT},
                connector=aiohttp.TCPConnector(force_close=True),
            ) as session,
        ):
            await _both_workers_started(served.log)
            client = GraphQLClient(session, served.url)
            flight, hotel = await searched(client)
            await shared_now(fresh_redis, flight["id"], hotel["id"])
            answered = 0
            for _ in range(50):  # rounds of 10, until both workers have answered lookups
                bodies = await asyncio.gather(
                    *(look_up(client, "flightOffer", flight["id"]) for _ in range(5)),
                    *(look_up(client, "hotelOffer", hotel["id"]) for _ in range(5)),
                )
                failed = [body for body in bodies if "errors" in body]
                assert not failed, (failed, _troubles(served.log))
                answered += len(bodies)
                if answered >= 10 and len(await _lookup_workers(served.log, answered)) == 2:
                    break
            else:
                raise AssertionError("one worker answered every lookup: nothing was shown")


async def _both_workers_started(log: list[str]) -> None:
    """Once both workers serve (the parent answered `/healthz` as soon as one did)."""
    for _ in range(600):
        lines = [orjson.loads(line) for line in list(log) if line.startswith("{")]
        started = {
            line["process"]
            for line in lines
            if line.get("message") == "Application startup complete."
        }
        if len(started) >= 2:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the second worker never started")


def _troubles(log: list[str]) -> list[str]:
    """What a gateway logged above INFO: why a lookup may have failed."""
    return [line for line in log if '"WARNING"' in line or '"ERROR"' in line]


async def _lookup_workers(log: list[str], expected: int) -> set[int]:
    """The processes that answered the lookups, from their request lines (once all are in)."""
    for _ in range(100):
        lines = [orjson.loads(line) for line in list(log) if line.startswith("{")]
        lookups = [line for line in lines if line.get("operation") == "Lookup"]
        if len(lookups) >= expected:
            return {line["process"] for line in lookups}
        await asyncio.sleep(0.02)
    raise AssertionError(f"{expected} request lines expected")


async def test_values_planted_under_offer_ids_are_refused(fresh_redis: str) -> None:
    """Whoever can write to Redis plants values under offer ids: unsigned, another offer's
    values, a bad shape, an absurd price (its id computed again to match). Each is
    OFFER_NOT_FOUND on an instance that did not serve the offer, and no provider is asked."""
    import redis.asyncio as redis

    settings = Settings(cache_url=fresh_redis, cache_signing_key=SIGNING_KEY)
    signed, unsigned = Sealer(SIGNING_KEY), Sealer(None)
    raw = redis.from_url(fresh_redis)
    async with simulators() as sims, gateway(settings, sims) as one, gateway(settings, sims) as two:
        _, body = await one.post(SEARCH, search_variables())
        flights = body["data"]["flights"]["offers"]["nodes"]
        hotels = body["data"]["hotels"]["offers"]["nodes"]
        await shared_now(fresh_redis, flights[0]["id"], flights[1]["id"], hotels[0]["id"])
        genuine = await _kept(raw, signed, FlightOffer, flights[0]["id"])
        other = await _kept(raw, signed, FlightOffer, flights[1]["id"])
        hotel = await _kept(raw, signed, HotelOffer, hotels[0]["id"])
        assert "errors" not in await look_up(two, "flightOffer", genuine.id)  # as served

        absurd = identity.flight_offer(
            msgspec.structs.replace(genuine, price=Money(Decimal("1e13"), "EUR"))
        )
        sellers = list(genuine.sources)
        sellers[0] = msgspec.structs.replace(sellers[0], provider="planted")
        unknown = identity.flight_offer(msgspec.structs.replace(genuine, sources=tuple(sellers)))
        rooms = list(hotel.rooms)
        rooms[0] = msgspec.structs.replace(
            rooms[0], net_price=Money(rooms[0].price.amount + 1, rooms[0].price.currency)
        )
        over_net = identity.hotel_offer(msgspec.structs.replace(hotel, rooms=tuple(rooms)))
        plants: list[tuple[str, str, Sealer, bytes]] = [
            ("flightOffer", genuine.id, unsigned, _payload(genuine)),
            ("flightOffer", genuine.id, signed, _payload(other)),  # another offer's values
            ("flightOffer", genuine.id, signed, orjson.dumps({"id": genuine.id})),
            ("flightOffer", genuine.id, signed, msgspec.msgpack.encode({"id": genuine.id})),
            ("flightOffer", absurd.id, signed, _payload(absurd)),
            ("flightOffer", unknown.id, signed, _payload(unknown)),  # a seller we do not have
            ("hotelOffer", hotel.id, signed, _payload(genuine)),  # a flight as a hotel
            ("hotelOffer", over_net.id, signed, _payload(over_net)),
        ]
        before = pricing_calls(sims)
        for field, offer_id, sealer, payload in plants:
            key = PREFIX + shared_offers.KEY_PREFIX + offer_id
            await raw.set(key, sealer.seal(key, payload, 600))
            refused = await look_up(two, field, offer_id, refresh=True)
            assert not_found(refused), (field, refused)
        assert pricing_calls(sims) == before

        # The same checks let a value the gateway wrote through: what refused the plants was
        # what they held.
        key = PREFIX + shared_offers.KEY_PREFIX + genuine.id
        await raw.set(key, signed.seal(key, _payload(genuine), 600))
        assert "errors" not in await look_up(two, "flightOffer", genuine.id)
    await raw.aclose()


_ENCODER = msgspec.msgpack.Encoder(decimal_format="string")


def _payload(offer: FlightOffer | HotelOffer) -> bytes:
    """An offer as a gateway writes it (msgspec MessagePack, amounts as strings)."""
    return _ENCODER.encode(offer)


async def _kept(raw: Any, sealer: Sealer, kind: type[Any], offer_id: str) -> Any:
    """The offer a gateway kept in Redis under `offer_id`, decoded."""
    key = PREFIX + shared_offers.KEY_PREFIX + offer_id
    value = await raw.get(key)
    assert value is not None, f"{offer_id} was not shared"
    return msgspec.msgpack.decode(sealer.unseal(key, value), type=kind)


async def test_with_redis_down_each_process_finds_what_it_served_and_searches_answer() -> None:
    with ExitStack() as stack:
        url = stack.enter_context(redis_server())
        settings = Settings(cache_url=url, cache_signing_key=SIGNING_KEY)
        async with (
            simulators() as sims,
            gateway(settings, sims) as one,
            gateway(settings, sims) as two,
        ):
            flight, hotel = await searched(one)
            stack.close()  # Redis stops; the gateways go on

            body = await look_up(one, "flightOffer", flight["id"], refresh=True)
            assert "errors" not in body, body
            assert body["data"]["flightOffer"]["refreshed"] is True
            assert "errors" not in await look_up(one, "hotelOffer", hotel["id"])
            # Another process never served it, and cannot reach what the fleet shares.
            assert not_found(await look_up(two, "flightOffer", flight["id"]))

            # Searches answer, and their offers are found where they were served.
            flight_two, hotel_two = await searched(two)
            assert "errors" not in await look_up(two, "flightOffer", flight_two["id"])
            assert "errors" not in await look_up(two, "hotelOffer", hotel_two["id"], refresh=True)


async def _written_ids(raw: Any) -> set[str]:
    """The ids of the offers in Redis."""
    return {bytes(key).decode().rsplit(":", 1)[1] for key in await raw.keys(PREFIX + "offer:*")}


def _sized(quote_bytes: int, n: int) -> FlightOffer:
    """An offer of about `quote_bytes` (its one source's quote), distinct by `n`."""
    price = Money(Decimal(100 + n), "EUR")
    source = FareSource("amadeus", f"o{n}", price, quote=b"q" * quote_bytes)
    offer = FlightOffer("", price, (), (), fares=(Fare("", price, (source,)),))
    return identity.flight_offer(offer)


async def test_what_a_page_writes_is_bounded_and_written_again_only_when_due(
    fresh_redis: str,
) -> None:
    import redis.asyncio as redis

    now = [0.0]
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    kept = shared_offers.SharedOffers(
        Shared(store, Sealer(SIGNING_KEY)), registry.names(), clock=lambda: now[0]
    )
    raw = redis.from_url(fresh_redis)
    too_big = _sized(shared_offers.MAX_OFFER_BYTES, 0)
    fitting = [_sized(shared_offers.MAX_OFFER_BYTES - 1024, n) for n in range(1, 11)]
    assert await kept.keep([too_big, *fitting], 600) == 8  # the page's bytes run out at 9
    written = await _written_ids(raw)
    assert written == {offer.id for offer in fitting[:8]}
    assert 590_000 < await raw.pttl(PREFIX + shared_offers.KEY_PREFIX + fitting[0].id) <= 600_000

    small = [_sized(100, n) for n in range(6, 8)]
    assert await kept.keep(small, 100) == 2
    now[0] += 9
    assert await kept.keep(small, 100) == 0  # written lately: their copies live long enough
    now[0] += 2  # now they would die over a tenth of the TTL before the new set
    assert await kept.keep(small, 100) == 2
    await raw.aclose()
    await store.close()


class Stalled(Shared):
    """The fleet's store with its writes held until `gate` is set: a Redis answering late (and
    past any time bound: nothing but the gate lets a write end)."""

    def __init__(self, store: RedisStore) -> None:
        super().__init__(store, Sealer(SIGNING_KEY))
        self.gate = asyncio.Event()

    async def set_many(self, payloads: Mapping[str, bytes], ttl_s: float, what: str) -> bool:
        await self.gate.wait()
        return await super().set_many(payloads, ttl_s, what)

    async def incr(
        self, key: str, amount: int, ttl_s: float, what: str, **options: Any
    ) -> int | None:
        await self.gate.wait()
        return await super().incr(key, amount, ttl_s, what, **options)


GUARD_S = 30.0
"""How long a page may take before a test calls it stuck: never reached when it does not wait
for Redis (milliseconds), and what a page waiting for a write that never ends meets."""


def _hotels_service(shared: Shared) -> SearchService:
    """A service whose hotel search serves three hotels, one a page with `first: 1`."""
    names = ("Hotel Lutetia", "Hotel Crillon", "Hotel Meurice")
    offers = [
        hotel_offer("liteapi", rate("liteapi", f"r{n}", str(100 + n)), name=name)
        for n, name in enumerate(names)
    ]
    return SearchService(
        Providers((Checking("liteapi", offers),)), rates=bundled_rates, shared=shared
    )


async def test_a_page_never_waits_for_its_offers_to_be_shared(fresh_redis: str) -> None:
    """The finding: with Redis answering in 0.8 s, page 3 of a set held in this process took
    754 ms instead of 5: each page awaited the write of its offers. Here Redis does not answer
    writes at all while pages are served: the first page and the next (from this process's own
    set) are answered; the offers reach Redis once it answers, and another process finds them."""
    stalled = Stalled(RedisStore.connect(fresh_redis, timeout_s=1.0))
    one = _hotels_service(stalled)
    other = _hotels_service(
        Shared(RedisStore.connect(fresh_redis, timeout_s=1.0), Sealer(SIGNING_KEY))
    )

    first = await asyncio.wait_for(
        one.search_hotels(QUERY, HotelSort.PRICE, PageRequest(1)), GUARD_S
    )
    after = PageRequest(1, first.edges[-1].cursor)
    second = await asyncio.wait_for(one.search_hotels(QUERY, HotelSort.PRICE, after), GUARD_S)
    served = [first.edges[0].node, second.edges[0].node]
    assert served[0].id != served[1].id
    for offer in served:
        assert (await one.hotel_offer(offer.id)).offer == offer  # here: from its own sets
        with pytest.raises(OfferNotFound):
            await other.hotel_offer(offer.id)  # not written yet

    stalled.gate.set()  # Redis answers
    await one.flush()
    for offer in served:
        assert (await other.hotel_offer(offer.id)).offer == offer


async def test_pages_written_at_once_are_bounded_and_the_rest_stay_local(fresh_redis: str) -> None:
    """With Redis not answering, at most `MAX_WRITES_IN_FLIGHT` pages are being written (and
    held in memory) at once; a page served meanwhile is not shared, nor waited for."""
    import redis.asyncio as redis

    stalled = Stalled(RedisStore.connect(fresh_redis, timeout_s=1.0))
    kept = shared_offers.SharedOffers(stalled, registry.names())
    pages = [[_sized(100, n)] for n in range(shared_offers.MAX_WRITES_IN_FLIGHT + 1)]
    began = [kept.share(page, 600) for page in pages]
    assert began == [True] * shared_offers.MAX_WRITES_IN_FLIGHT + [False]
    assert kept.share(pages[0], 600) is False  # being written already: not twice
    stalled.gate.set()
    await kept.flush()
    raw = redis.from_url(fresh_redis)
    written = await _written_ids(raw)
    assert written == {page[0].id for page in pages[:-1]}
    await raw.aclose()


def _charge(offer: FlightOffer) -> int:
    return len(_payload(offer)) + shared_offers.ENTRY_OVERHEAD_BYTES


async def test_the_fleet_shares_offers_within_its_byte_budget_per_window(
    fresh_redis: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis memory from offers had no fleet-wide bound. The fleet's writes are now counted in
    one counter living a window (the results' TTL): past the budget, offers stay where they
    were served, said once an hour; a planted counter can stop sharing, never lift the
    budget."""
    import redis.asyncio as redis

    now = [0.0]
    offers = [_sized(100, n) for n in range(6)]
    budget = _charge(offers[0]) + _charge(offers[1])
    stores = [RedisStore.connect(fresh_redis, timeout_s=1.0) for _ in range(2)]
    one, two = (
        shared_offers.SharedOffers(
            Shared(store, Sealer(SIGNING_KEY)),
            registry.names(),
            budget_bytes=budget,
            window_s=600,
            clock=lambda: now[0],
        )
        for store in stores
    )
    raw = redis.from_url(fresh_redis)
    counter = PREFIX + shared_offers.BUDGET_KEY

    assert await one.keep(offers[:1], 300) == 1
    assert await two.keep(offers[1:2], 300) == 1  # one budget for the fleet
    assert 590_000 < await raw.pttl(counter) <= 600_000  # the window: the results' TTL
    with caplog.at_level(logging.WARNING, logger="gateway.fleet.offers"):
        assert await one.keep(offers[2:3], 300) == 0  # spent: kept in this process only
        assert await one.keep(offers[3:4], 300) == 0  # not even counted for a while
    spent = [r for r in caplog.records if "GATEWAY_OFFERS_SHARED_MIB" in r.getMessage()]
    assert len(spent) == 1
    assert int(await raw.get(counter) or 0) == budget + _charge(offers[2])
    written = await _written_ids(raw)
    assert written == {offers[0].id, offers[1].id}

    await raw.delete(counter)  # the window lapses
    now[0] += shared_offers.BUDGET_PAUSE_S
    assert await one.keep(offers[2:3], 300) == 1
    assert await one.keep(offers[:1], 300) == 1  # written again (a minute on): not charged again
    assert int(await raw.get(counter) or 0) == _charge(offers[2])
    await raw.set(counter, -(10**9))  # planted, to lift the budget
    assert await two.keep(offers[4:5], 300) == 0
    await raw.aclose()
    for store in stores:
        await store.close()


def test_the_fleets_offer_budget_is_a_setting() -> None:
    assert Settings.from_env({}).offers_shared_bytes == shared_offers.SHARED_BYTES == 256 * 1024**2
    assert (
        Settings.from_env({"GATEWAY_OFFERS_SHARED_MIB": "16"}).offers_shared_bytes == 16 * 1024**2
    )
    assert Settings.from_env({"GATEWAY_OFFERS_SHARED_MIB": "0"}).offers_shared_bytes == 0
    for bad in ("-1", "lots", "70000"):
        with pytest.raises(ConfigError, match="GATEWAY_OFFERS_SHARED_MIB"):
            Settings.from_env({"GATEWAY_OFFERS_SHARED_MIB": bad})


async def test_with_no_offer_budget_nothing_is_shared(fresh_redis: str) -> None:
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    service = SearchService(
        Providers(()), rates=bundled_rates, shared=Shared(store, Sealer(None)), shared_offer_bytes=0
    )
    assert service.shared_offers is None
    await store.close()


async def test_offers_redis_lost_are_written_again_within_a_minute(fresh_redis: str) -> None:
    """The finding: after Redis lost its data, an offer this process wrote was not written again
    for up to 0.9 × its TTL (it believed its copy alive), so other instances answered
    OFFER_NOT_FOUND for minutes though it was served again. Now at most `MAX_SKIP_S` after it
    was written, and at once after this process's lookup of it missed."""
    import redis.asyncio as redis

    now = [0.0]
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    kept = shared_offers.SharedOffers(
        Shared(store, Sealer(SIGNING_KEY)), registry.names(), clock=lambda: now[0]
    )
    raw = redis.from_url(fresh_redis)
    offers = [_sized(100, n) for n in range(2)]
    assert await kept.keep(offers, 3600) == 2  # a result set living an hour
    await raw.flushdb()  # Redis restarted empty
    now[0] += shared_offers.MAX_SKIP_S - 1
    assert await kept.keep(offers, 3600) == 0  # written lately
    now[0] += 1
    assert await kept.keep(offers, 3600) == 2  # a minute on, not 54
    assert await raw.exists(PREFIX + shared_offers.KEY_PREFIX + offers[0].id)

    await raw.flushdb()
    assert await kept.flight(offers[0].id) is None  # this process looked for it: a miss
    assert await kept.keep(offers, 3600) == 1  # so it is written again at once
    await raw.aclose()
    await store.close()


def _full_flight(provider: str = "duffel") -> FlightOffer:
    """A flight offer with every amount a check covers: fare penalties, a source's base, taxes
    and price per traveller, its expiry."""
    price = Money(Decimal("300.00"), "EUR")
    segment = Segment(
        carrier=Carrier("BA"),
        flight_number="117",
        departure=FlightPoint("LHR", datetime(2030, 1, 1, 8, 0)),
        arrival=FlightPoint("JFK", datetime(2030, 1, 1, 11, 0)),
        duration_minutes=480,
    )
    source = FareSource(
        provider,
        "off_1",
        price,
        base=Money(Decimal("200.00"), "EUR"),
        taxes=Money(Decimal("100.00"), "EUR"),
        per_traveller=(TravellerPrice(TravellerType.ADULT, 1, price),),
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    penalty = FareCondition(allowed=True, penalty=Money(Decimal("50.00"), "EUR"))
    fare = Fare("", price, (source,), refund=penalty, change=penalty)
    return FlightOffer(
        "",
        price,
        (Itinerary(480, (segment,)),),
        (OfferSource(provider, "off_1", price),),
        fares=(fare,),
    )


def _forged_flights(offer: FlightOffer) -> dict[str, FlightOffer]:
    """`offer` changed where only one of the two checkers used to look."""
    bad = Money(Decimal("-1"), "EUR")
    [fare] = offer.fares
    [source] = fare.sources

    def with_source(**changed: Any) -> FlightOffer:
        forged = msgspec.structs.replace(source, **changed)
        return msgspec.structs.replace(
            offer, fares=(msgspec.structs.replace(fare, sources=(forged,)),)
        )

    def with_fare(**changed: Any) -> FlightOffer:
        return msgspec.structs.replace(offer, fares=(msgspec.structs.replace(fare, **changed),))

    return {
        "a refund penalty below 0": with_fare(refund=FareCondition(True, bad)),
        "a change penalty of NaN": with_fare(
            change=FareCondition(True, Money(Decimal("NaN"), "EUR"))
        ),
        "a base below 0": with_source(base=bad),
        "taxes in no currency": with_source(taxes=Money(Decimal(1), "XXY")),
        "a price per traveller below 0": with_source(
            per_traveller=(TravellerPrice(TravellerType.ADULT, 1, bad),)
        ),
        "an expiry without its offset": with_source(expires_at=datetime(2030, 1, 1)),
        "no flights": msgspec.structs.replace(offer, itineraries=()),
    }


async def test_the_cache_and_shared_offers_refuse_the_same_implausible_offers(
    fresh_redis: str,
) -> None:
    """One checker serves both (`entries.check_offer`): what a shared offer is refused for, a
    provider's answer read from the search cache is refused for too; fare penalties, a fare
    source's base, taxes, prices per traveller and expiry were checked for shared offers only,
    flights in a flight offer too."""
    import redis.asyncio as redis

    codec = EntryCodec(None)
    key = search_key("flights", "duffel", "LHR-JFK")
    store = RedisStore.connect(fresh_redis, timeout_s=1.0)
    kept = shared_offers.SharedOffers(Shared(store, Sealer(None)), registry.names())
    raw = redis.from_url(fresh_redis)

    def answer(offer: FlightOffer) -> ProviderResult[FlightOffer]:
        return ProviderResult(ProviderOutcome("duffel", ProviderStatus.OK, 120, 1), [offer])

    async def shared_back(offer: FlightOffer) -> FlightOffer | None:
        served = identity.flight_offer(offer)
        full = PREFIX + shared_offers.KEY_PREFIX + served.id
        await raw.set(full, Sealer(None).seal(full, _payload(served), 60))
        return await kept.flight(served.id)

    genuine = _full_flight()
    decoded = codec.decode(key, codec.encode(key, answer(genuine), 60))
    assert replace(decoded, fresh_until=None) == answer(genuine)  # less the seal's freshness
    assert await shared_back(genuine) == identity.flight_offer(genuine)
    for what, forged in _forged_flights(genuine).items():
        with pytest.raises(BadEntry):
            codec.decode(key, codec.encode(key, answer(forged), 60))
        assert await shared_back(forged) is None, what
    await raw.aclose()
    await store.close()
