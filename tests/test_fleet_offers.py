"""Offers across the fleet (issue 18): any gateway process sharing one Redis answers
`flightOffer(id)` and `hotelOffer(id)`, with `refresh`, for an offer another one served; a value
planted in Redis under an offer's id is refused; with Redis down, each process still finds what
it served, and searches still answer.

Real processes (`python -m gateway serve`) where the issue names them: two instances, and one
with `--workers 2`; each points at the same simulators, started here, so an offer one served is
known to the simulator another's re-pricing reaches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec
import orjson

from gateway.config import Settings
from gateway.domain import Fare, FareSource, FlightOffer, HotelOffer, Money
from gateway.fleet import offers as shared_offers
from gateway.fleet.sealed import Sealer
from gateway.fleet.shared import PREFIX, Shared
from gateway.providers import registry
from gateway.providers.amadeus.simulator import OFFER_PATH
from gateway.providers.hotelbeds.simulator import CHECK_PATH
from gateway.providers.liteapi.simulator import PREBOOK_PATH
from gateway.search import identity
from gateway.search.stores import RedisStore
from tests.helpers import APOLLO_ACCEPT, GraphQLClient, Simulators, days_ahead, gateway, simulators
from tests.redis_server import redis_server
from tests.served import served_gateway

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
        for name in registry.names()
        for path, count in getattr(sims, name).calls.items()
        if path.startswith(PRICING_PATHS)
    )


def fleet_env(redis_url: str, sims: Simulators, **extra: str) -> dict[str, str]:
    """What each process of a fleet is given: one Redis, one signing key, the same simulators
    (as configured providers, in test mode)."""
    env = {"GATEWAY_CACHE_URL": redis_url, "GATEWAY_CACHE_SIGNING_KEY": SIGNING_KEY}
    for name, url in sims.base_urls.items():
        env.update(registry.spec(name).simulated_env(url))
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


async def test_offers_one_instance_served_are_found_and_refreshed_on_another(
    fresh_redis: str,
) -> None:
    """The finding: on instance B, `flightOffer(id)` and `flightOffer(id, refresh: true)` for an
    offer A served were OFFER_NOT_FOUND."""
    async with simulators() as sims, fleet(fleet_env(fresh_redis, sims)) as (a, b):
        flight, hotel = await searched(a)
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
    written = {key.decode().rsplit(":", 1)[1] for key in await raw.keys(PREFIX + "offer:*")}
    assert written == {offer.id for offer in fitting[:8]}
    assert 590_000 < await raw.pttl(PREFIX + shared_offers.KEY_PREFIX + fitting[0].id) <= 600_000

    small = [_sized(100, n) for n in range(6, 8)]
    assert await kept.keep(small, 600) == 2
    now[0] += 59
    assert await kept.keep(small, 600) == 0  # written lately: their copies live long enough
    now[0] += 2  # now they would die over a tenth of the TTL before the new set
    assert await kept.keep(small, 600) == 2
    await raw.aclose()
    await store.close()
