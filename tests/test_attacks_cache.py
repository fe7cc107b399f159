"""Attacks on the shared search cache: whoever can write to Redis must not run code in the gateway,
and must not get a value it did not write served as a provider's answer.

Each test plants a value under the exact key a search reads (learnt by running the search once),
then runs the search on a new gateway and checks what was served, which providers were called
again, what the key holds afterwards, and what was logged.
"""

from __future__ import annotations

import logging
import pathlib
import pickle
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest
import redis.asyncio as redis

from gateway.config import ConfigError, Settings
from gateway.domain import (
    BoardType,
    Carrier,
    Fare,
    FareSource,
    FlightOffer,
    FlightPoint,
    Hotel,
    HotelOffer,
    Itinerary,
    Money,
    OfferSource,
    ProviderOutcome,
    ProviderStatus,
    RoomOffer,
    Segment,
)
from gateway.fleet.sealed import EXPIRY_SLACK_S
from gateway.search.entries import BadEntry, EntryCodec, search_key
from gateway.search.fanout import ProviderResult
from gateway.search.stores import MAX_VALUE_BYTES, MEMORY_ENTRIES, MemoryStore
from tests.helpers import TRIP_QUERY, Simulators, gateway, simulators, trip_variables
from tests.test_cache import outcomes, upstream_calls

pytestmark = pytest.mark.edge

SIGNING_KEY = "k" * 16 + "-test-signing-key-32+chars"
"""A signing key as an operator would set it (at least 32 characters)."""
DUFFEL_FLIGHTS = "/air/offer_requests"
"""The upstream path behind the `flights:duffel` key the tests attack."""
CACHED_QUERY = TRIP_QUERY.replace("message }", "message cached }")


class TouchOnUnpickle:
    """A pickle payload: unpickling it creates `path` (any code could run instead)."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (pathlib.Path.touch, (self.path,))


async def searched_keys(
    settings: Settings, sims: Simulators, redis_url: str, **flight: Any
) -> dict[str, str]:
    """Run the search once; the keys it stored, by `field:provider` (no locks, no failures)."""
    store = redis.from_url(redis_url)
    before = set(await store.keys("*"))
    async with gateway(settings, sims) as client:
        status, body = await client.post(TRIP_QUERY, trip_variables(**flight))
    assert status == 200, body
    keys = {key.decode() for key in set(await store.keys("*")) - before}
    await store.aclose()
    found = {}
    for key in keys:
        parts = key.split(":")
        if len(parts) == 4:  # version:field:provider:digest
            found[f"{parts[1]}:{parts[2]}"] = key
    return found


async def raw_value(redis_url: str, key: str) -> bytes | None:
    store = redis.from_url(redis_url)
    try:
        value: bytes | None = await store.get(key)
        return value
    finally:
        await store.aclose()


async def plant(redis_url: str, key: str, value: bytes | list[bytes]) -> None:
    store = redis.from_url(redis_url)
    await store.delete(key)
    if isinstance(value, list):
        await store.rpush(key, *value)
    else:
        await store.set(key, value, ex=600)
    await store.aclose()


async def key_type(redis_url: str, key: str) -> str:
    store = redis.from_url(redis_url)
    kind: bytes = await store.type(key)
    await store.aclose()
    return kind.decode()


def warnings_naming(caplog: pytest.LogCaptureFixture, key: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and key in record.getMessage()
    ]


def prices(body: dict[str, Any]) -> set[str]:
    flights = body["data"]["flights"]["offers"]["edges"]
    return {edge["node"]["price"]["amount"] for edge in flights} | {
        source["price"]["amount"] for edge in flights for source in edge["node"]["sources"]
    }


async def search_after_planting(
    settings: Settings, sims: Simulators, caplog: pytest.LogCaptureFixture
) -> tuple[dict[str, Any], dict[str, int], dict[str, int]]:
    """Run the search on a new gateway; its body and the upstream calls before and after (and
    in `caplog`, only what this gateway logged)."""
    before = upstream_calls(sims)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gateway"):
        async with gateway(settings, sims) as client:
            status, body = await client.post(CACHED_QUERY, trip_variables())
    assert status == 200, body
    assert "errors" not in body, body
    return body, before, upstream_calls(sims)


def assert_refetched_duffel_flights_only(
    body: dict[str, Any], before: dict[str, int], after: dict[str, int]
) -> None:
    """The planted key was fetched again from Duffel; every other answer came from the cache."""
    assert after[DUFFEL_FLIGHTS] == before[DUFFEL_FLIGHTS] + 1
    assert {path: n for path, n in after.items() if path != DUFFEL_FLIGHTS} == {
        path: n for path, n in before.items() if path != DUFFEL_FLIGHTS
    }
    seen = outcomes(body)
    assert seen["flights", "duffel"]["status"] == "OK"
    assert seen["flights", "duffel"]["cached"] is False
    assert all(o["cached"] for key, o in seen.items() if key != ("flights", "duffel"))


async def test_a_planted_pickle_is_never_unpickled(
    fresh_redis: str, tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "unpickled"
    planted = pickle.dumps(TouchOnUnpickle(target))
    settings = Settings(cache_url=fresh_redis)
    async with simulators() as sims:
        key = (await searched_keys(settings, sims, fresh_redis))["flights:duffel"]
        await plant(fresh_redis, key, planted)
        body, before, after = await search_after_planting(settings, sims, caplog)
    assert not target.exists(), "the gateway unpickled a value read from Redis"
    assert_refetched_duffel_flights_only(body, before, after)
    assert await raw_value(fresh_redis, key) not in (None, planted)  # replaced by a good answer
    assert len(warnings_naming(caplog, key)) == 1


@pytest.mark.parametrize(
    "planted",
    [
        pytest.param(b"\x00garbage\xffnot-msgpack", id="garbage"),
        pytest.param(b"\x93" + b"A" * (9 * 1024 * 1024), id="oversized"),  # over the 8 MiB cap
        pytest.param([b"a", b"list"], id="not-a-string"),
    ],
)
async def test_garbage_oversized_and_wrong_type_values_are_dropped(
    fresh_redis: str, caplog: pytest.LogCaptureFixture, planted: bytes | list[bytes]
) -> None:
    settings = Settings(cache_url=fresh_redis)
    async with simulators() as sims:
        key = (await searched_keys(settings, sims, fresh_redis))["flights:duffel"]
        await plant(fresh_redis, key, planted)
        body, before, after = await search_after_planting(settings, sims, caplog)
    assert_refetched_duffel_flights_only(body, before, after)
    assert await key_type(fresh_redis, key) == "string"
    assert await raw_value(fresh_redis, key) != planted
    logged = warnings_naming(caplog, key)
    assert len(logged) == 1, logged
    assert "garbage" not in logged[0]
    assert "AAAA" not in logged[0]
    assert "list" not in logged[0].replace(key, "")


def cheap(result: ProviderResult[Any]) -> ProviderResult[Any]:
    """A provider's answer with every price at 0.01 EUR."""
    cheap = Money(Decimal("0.01"), "EUR")
    offers = [
        msgspec.structs.replace(
            offer,
            price=cheap,
            sources=tuple(msgspec.structs.replace(s, price=cheap) for s in offer.sources),
        )
        for offer in result.offers
    ]
    return replace(result, offers=offers)


@pytest.mark.parametrize("forger_key", [None, "w" * 40], ids=["no-hmac", "wrong-hmac"])
async def test_with_a_signing_key_a_well_formed_forgery_is_dropped(
    fresh_redis: str, caplog: pytest.LogCaptureFixture, forger_key: str | None
) -> None:
    settings = Settings(cache_url=fresh_redis, cache_signing_key=SIGNING_KEY)
    async with simulators() as sims:
        key = (await searched_keys(settings, sims, fresh_redis))["flights:duffel"]
        genuine = await raw_value(fresh_redis, key)
        assert genuine is not None
        real = EntryCodec(SIGNING_KEY).decode(key, genuine)
        planted = EntryCodec(forger_key).encode(key, cheap(real), 600)
        await plant(fresh_redis, key, planted)
        body, before, after = await search_after_planting(settings, sims, caplog)
    assert "0.01" not in prices(body)
    assert_refetched_duffel_flights_only(body, before, after)
    assert await raw_value(fresh_redis, key) != planted
    assert len(warnings_naming(caplog, key)) == 1
    assert SIGNING_KEY not in caplog.text
    assert "not authenticated" not in caplog.text  # no start-up warning with a key


async def test_without_a_signing_key_a_well_formed_forgery_is_served(
    fresh_redis: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Without GATEWAY_CACHE_SIGNING_KEY, nothing proves a value was written by a gateway.

    A forgery built exactly as the gateway's encoder builds it, under the right key, for the
    right provider, with status OK, passes every check and IS served: here a price of 0.01. This
    is the documented risk of a shared Redis without a signing key (whoever can write to it
    chooses the prices served), which the gateway states in one WARNING at start-up. It still
    cannot run code (see the pickle test), nor move a value to another key or provider.
    """
    settings = Settings(cache_url=fresh_redis)
    codec = EntryCodec(None)
    async with simulators() as sims:
        key = (await searched_keys(settings, sims, fresh_redis))["flights:duffel"]
        genuine = await raw_value(fresh_redis, key)
        assert genuine is not None
        planted = codec.encode(key, cheap(codec.decode(key, genuine)), 600)
        await plant(fresh_redis, key, planted)
        body, before, after = await search_after_planting(settings, sims, caplog)
    assert "0.01" in prices(body)  # the forgery was served
    assert after == before  # from the cache, no provider called
    assert await raw_value(fresh_redis, key) == planted
    start_up = [r for r in caplog.records if "not authenticated" in r.getMessage()]
    assert len(start_up) == 1
    assert start_up[0].levelno == logging.WARNING
    assert "GATEWAY_CACHE_SIGNING_KEY" in start_up[0].getMessage()


@pytest.mark.parametrize("lie", ["other-provider", "failed-status"])
async def test_a_well_formed_value_that_fails_a_sanity_check_is_dropped(
    fresh_redis: str, caplog: pytest.LogCaptureFixture, lie: str
) -> None:
    """Even unsigned, a value must be an OK answer of the provider its key names."""
    settings = Settings(cache_url=fresh_redis)
    codec = EntryCodec(None)
    async with simulators() as sims:
        key = (await searched_keys(settings, sims, fresh_redis))["flights:duffel"]
        genuine = await raw_value(fresh_redis, key)
        assert genuine is not None
        result = codec.decode(key, genuine)
        if lie == "other-provider":
            outcome = msgspec.structs.replace(result.outcome, provider="amadeus")
        else:
            outcome = msgspec.structs.replace(result.outcome, status=ProviderStatus.ERROR)
        planted = codec.encode(key, replace(result, outcome=outcome), 600)
        await plant(fresh_redis, key, planted)
        body, before, after = await search_after_planting(settings, sims, caplog)
    assert_refetched_duffel_flights_only(body, before, after)
    assert await raw_value(fresh_redis, key) != planted
    assert len(warnings_naming(caplog, key)) == 1


async def test_a_value_copied_between_searches_is_refused(
    fresh_redis: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A genuine answer to one search (London to Paris) copied under the key of another
    (London to New York, the search then run) must not be served for it: the value names the
    key it was written under."""
    settings = Settings(cache_url=fresh_redis)
    async with simulators() as sims:
        other = await searched_keys(settings, sims, fresh_redis, destination="PAR")
        attacked = (await searched_keys(settings, sims, fresh_redis))["flights:duffel"]
        copied = await raw_value(fresh_redis, other["flights:duffel"])
        assert copied is not None
        assert attacked != other["flights:duffel"]
        await plant(fresh_redis, attacked, copied)
        body, before, after = await search_after_planting(settings, sims, caplog)
    assert_refetched_duffel_flights_only(body, before, after)
    arrivals = {
        segment["arrival"]["airport"]
        for edge in body["data"]["flights"]["offers"]["edges"]
        for itinerary in edge["node"]["itineraries"]
        for segment in itinerary["segments"][-1:]
    }
    assert arrivals <= {"JFK", "EWR", "LGA"}, arrivals
    assert await raw_value(fresh_redis, attacked) != copied
    assert len(warnings_naming(caplog, attacked)) == 1


async def test_the_memory_store_holds_its_byte_bound() -> None:
    store = MemoryStore(max_entries=MEMORY_ENTRIES, max_bytes=1_000_000)
    for i in range(100):  # 5 MB offered to a 1 MB store
        await store.set(f"k{i}", bytes([i]) * 50_000, ttl_s=60)
        assert store.size_bytes <= 1_000_000
    assert len(store) == 20
    assert store.size_bytes == 20 * 50_000
    assert await store.get("k99") == bytes([99]) * 50_000  # the newest are kept
    assert await store.get("k79") is None  # the oldest went first
    await store.set("huge", bytes(1_000_001), ttl_s=60)  # larger than the whole store
    assert await store.get("huge") is None
    assert store.size_bytes <= 1_000_000


async def test_the_memory_store_holds_its_entry_bound_and_ttl() -> None:
    now = [0.0]
    store = MemoryStore(max_entries=3, max_bytes=1_000_000, clock=lambda: now[0])
    for i in range(5):
        await store.set(f"k{i}", b"x", ttl_s=10)
    assert len(store) == 3
    await store.set("short", b"y", ttl_s=1)
    now[0] = 2.0
    assert await store.get("short") is None  # expired, and swept on read
    assert len(store) == 2
    assert store.size_bytes == 2


def one_offer_answer(provider: str = "duffel", amount: str = "100.00") -> ProviderResult[Any]:
    price = Money(Decimal(amount), "EUR")
    segment = Segment(
        carrier=Carrier("BA"),
        flight_number="117",
        departure=FlightPoint("LHR", datetime(2030, 1, 1, 8, 0)),
        arrival=FlightPoint("JFK", datetime(2030, 1, 1, 11, 0)),
        duration_minutes=480,
    )
    offer = FlightOffer(
        id=f"{provider}:1",
        price=price,
        itineraries=(Itinerary(480, (segment,)),),
        sources=(OfferSource(provider, "1", price),),
    )
    return ProviderResult(ProviderOutcome(provider, ProviderStatus.OK, 120, 1), [offer])


KEY = search_key("flights", "duffel", "LON-NYC")
OTHER_KEY = search_key("flights", "duffel", "LON-PAR")


def flip_last_byte(raw: bytes) -> bytes:
    return raw[:-1] + bytes([raw[-1] ^ 1])


TAMPERINGS: dict[str, tuple[str | None, str | None, Callable[[bytes], bytes]]] = {
    # name: (key the value was signed with, key the reader checks with, change to the bytes)
    "payload byte flipped": (SIGNING_KEY, SIGNING_KEY, flip_last_byte),
    "truncated": (SIGNING_KEY, SIGNING_KEY, lambda raw: raw[:-10]),
    "header only": (SIGNING_KEY, SIGNING_KEY, lambda raw: raw[:8]),
    "empty": (None, None, lambda raw: b""),
    "other version": (None, None, lambda raw: raw[:3] + b"\x02" + raw[4:]),
    "unknown flag": (None, None, lambda raw: raw[:4] + b"\x02" + raw[5:]),
    "signed, read without a key": (SIGNING_KEY, None, lambda raw: raw),
    "unsigned, read with a key": (None, SIGNING_KEY, lambda raw: raw),
    "signed with another key": ("x" * 32, SIGNING_KEY, lambda raw: raw),
    "over the size cap": (None, None, lambda raw: raw + bytes(MAX_VALUE_BYTES)),
    "payload byte flipped, unsigned": (None, None, flip_last_byte),
}


def unsealed(result: ProviderResult[Any]) -> ProviderResult[Any]:
    """An answer as decoded, less the freshness its seal gave it."""
    return replace(result, fresh_until=None)


@pytest.mark.parametrize("signing_key", [None, SIGNING_KEY])
def test_an_answer_is_fresh_until_its_seal_says_whatever_its_payload_says(
    signing_key: str | None,
) -> None:
    """Issue 21: a result set answers its search again while its answers are fresh. That
    freshness is read from the seal (signed with the value), never from the payload: a planted
    value cannot make a set answer longer than its store keeps it."""
    now = [1_000_000.0]
    codec = EntryCodec(signing_key, clock=lambda: now[0])
    planted = replace(one_offer_answer(), fresh_until=now[0] + 10**9)
    decoded = codec.decode(KEY, codec.encode(KEY, planted, 120))
    assert decoded.fresh_until == pytest.approx(now[0] + 120, abs=0.01)
    assert unsealed(decoded) == one_offer_answer()


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_the_codec_refuses_every_tampering(tampering: str) -> None:
    writer_key, reader_key, change = TAMPERINGS[tampering]
    raw = EntryCodec(writer_key).encode(KEY, one_offer_answer(), 60)
    accepted = EntryCodec(writer_key).decode(KEY, raw)  # untouched: accepted
    assert unsealed(accepted) == one_offer_answer()
    with pytest.raises(BadEntry):
        EntryCodec(reader_key).decode(KEY, change(raw))


@pytest.mark.parametrize("signing_key", [None, SIGNING_KEY])
def test_the_codec_refuses_a_value_under_another_key(signing_key: str | None) -> None:
    codec = EntryCodec(signing_key)
    with pytest.raises(BadEntry, match="another key"):
        codec.decode(OTHER_KEY, codec.encode(KEY, one_offer_answer(), 60))


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-1", "1e15"])
def test_the_codec_refuses_impossible_prices(amount: str) -> None:
    codec = EntryCodec(None)
    with pytest.raises(BadEntry, match="price"):
        codec.decode(KEY, codec.encode(KEY, one_offer_answer(amount=amount), 60))


def test_the_codec_refuses_offers_of_another_provider_and_a_wrong_count() -> None:
    codec = EntryCodec(None)
    theirs = one_offer_answer("amadeus")
    smuggled = replace(one_offer_answer(), offers=theirs.offers)
    with pytest.raises(BadEntry, match="another provider"):
        codec.decode(KEY, codec.encode(KEY, smuggled, 60))
    inflated = one_offer_answer()
    inflated = replace(inflated, outcome=msgspec.structs.replace(inflated.outcome, offer_count=9))
    with pytest.raises(BadEntry, match="count"):
        codec.decode(KEY, codec.encode(KEY, inflated, 60))


def test_the_codec_refuses_fares_of_another_provider_or_at_impossible_prices() -> None:
    """A fare carries sources and prices of its own: they pass the same checks as the offer's."""
    codec = EntryCodec(None)
    answer = one_offer_answer()
    [offer] = answer.offers
    fare = Fare(id="", price=offer.price, sources=(FareSource("duffel", "1", offer.price),))
    honest = replace(answer, offers=[msgspec.structs.replace(offer, fares=(fare,))])
    assert unsealed(codec.decode(KEY, codec.encode(KEY, honest, 60))) == honest
    theirs = msgspec.structs.replace(fare, sources=(FareSource("amadeus", "1", offer.price),))
    smuggled = replace(answer, offers=[msgspec.structs.replace(offer, fares=(theirs,))])
    with pytest.raises(BadEntry, match="another provider"):
        codec.decode(KEY, codec.encode(KEY, smuggled, 60))
    free = msgspec.structs.replace(fare, price=Money(Decimal("-1"), "EUR"))
    negative = replace(answer, offers=[msgspec.structs.replace(offer, fares=(free,))])
    with pytest.raises(BadEntry, match="price"):
        codec.decode(KEY, codec.encode(KEY, negative, 60))


@pytest.mark.parametrize("signing_key", [None, SIGNING_KEY])
def test_the_codec_refuses_a_value_past_its_own_expiry(signing_key: str | None) -> None:
    """A genuine value saved by an attacker and written back later, under a fresh TTL in Redis,
    is refused: its expiry is inside it (and, when signed, under the HMAC)."""
    now = [1_000_000.0]
    codec = EntryCodec(signing_key, clock=lambda: now[0])
    raw = codec.encode(KEY, one_offer_answer(), 120)
    now[0] += 120
    assert unsealed(codec.decode(KEY, raw)) == one_offer_answer()  # the store drops it first
    now[0] += EXPIRY_SLACK_S
    with pytest.raises(BadEntry, match="expired"):
        codec.decode(KEY, raw)


def test_a_refusal_never_quotes_the_value() -> None:
    codec = EntryCodec(None)
    answer = one_offer_answer()
    secret = "SECRET-CONTENT"
    bad = replace(answer, outcome=msgspec.structs.replace(answer.outcome, provider=secret))
    raw = codec.encode(KEY, bad, 60).replace(b"OK", b"NO")  # also an invalid enum value
    with pytest.raises(BadEntry) as refused:
        codec.decode(KEY, raw)
    assert secret not in str(refused.value)
    assert "NO" not in str(refused.value)


def test_the_signing_key_is_read_checked_and_never_shown() -> None:
    key = "s3cret-" * 6
    settings = Settings.from_env({"GATEWAY_CACHE_SIGNING_KEY": f"  {key}  "})
    assert settings.cache_signing_key == key
    assert key not in repr(settings)
    assert Settings.from_env({}).cache_signing_key is None
    with pytest.raises(ConfigError, match="GATEWAY_CACHE_SIGNING_KEY") as short:
        Settings.from_env({"GATEWAY_CACHE_SIGNING_KEY": "too-short-a-secret"})
    assert "too-short-a-secret" not in str(short.value)


def one_hotel_answer(room: RoomOffer) -> ProviderResult[Any]:
    offer = HotelOffer(
        id="liteapi:1",
        hotel=Hotel(id="liteapi:1", name="Hotel Lutetia"),
        price=room.price,
        rooms=(room,),
        sources=(OfferSource("liteapi", "1", room.price),),
    )
    return ProviderResult(ProviderOutcome("liteapi", ProviderStatus.OK, 120, 1), [offer])


HOTEL_KEY = search_key("hotels", "liteapi", "PAR")
FLEXIBLE = RoomOffer(
    id="",
    offer_id="r1",
    provider="liteapi",
    price=Money(Decimal("300.00"), "EUR"),
    check_in=date(2030, 1, 10),
    check_out=date(2030, 1, 12),
    board_type=BoardType.HALF_BOARD,
    refundable=True,
    free_cancellation_until=datetime(2030, 1, 8, 11, tzinfo=UTC),
    cancellation_penalty=Money(Decimal("150.00"), "EUR"),
    included_taxes=Money(Decimal("27.27"), "EUR"),
    due_at_hotel=Money(Decimal("7.50"), "EUR"),
)


def test_a_rates_terms_survive_the_cache_and_forged_ones_are_refused() -> None:
    codec = EntryCodec(None)
    answer = one_hotel_answer(FLEXIBLE)
    assert unsealed(codec.decode(HOTEL_KEY, codec.encode(HOTEL_KEY, answer, 60))) == answer
    for forged in (
        msgspec.structs.replace(FLEXIBLE, cancellation_penalty=Money(Decimal("-1"), "EUR")),
        msgspec.structs.replace(FLEXIBLE, due_at_hotel=Money(Decimal("NaN"), "EUR")),
    ):
        with pytest.raises(BadEntry, match="price"):
            codec.decode(HOTEL_KEY, codec.encode(HOTEL_KEY, one_hotel_answer(forged), 60))
    naive = msgspec.structs.replace(FLEXIBLE, free_cancellation_until=datetime(2030, 1, 8, 11))
    with pytest.raises(BadEntry, match="offset"):
        codec.decode(HOTEL_KEY, codec.encode(HOTEL_KEY, one_hotel_answer(naive), 60))
    unknown = one_hotel_answer(FLEXIBLE)
    [offer] = unknown.offers
    planted = msgspec.structs.replace(offer.hotel, amenities=("WIFI", "<script>"))
    unknown = replace(unknown, offers=[msgspec.structs.replace(offer, hotel=planted)])
    with pytest.raises(BadEntry, match="amenity"):
        codec.decode(HOTEL_KEY, codec.encode(HOTEL_KEY, unknown, 60))
