"""APQ across the fleet (issue 18, item 1): a hash registered on one instance or worker answers
on every other sharing the Redis; what Redis holds is bounded, sealed and checked again; with
Redis down each process keeps its own, never an error."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson
import pytest
import redis.asyncio as redis

from gateway.api.admission import persisted
from gateway.config import Settings
from gateway.fleet.sealed import Sealer
from gateway.fleet.shared import PREFIX
from tests.helpers import Simulators, gateway
from tests.served import served_gateway

pytestmark = pytest.mark.e2e

SIGNING_KEY = "apq-fleet-test-signing-key-0123456789"
QUERY = "query Names { providers { name } }"
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def by_hash(text: str) -> dict[str, Any]:
    """A request naming `text` by its hash alone."""
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}}


def registering(text: str) -> dict[str, Any]:
    """A request sending `text` with its hash: an APQ registration."""
    return {"query": text, **by_hash(text)}


def code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors")
    return errors[0]["extensions"]["code"] if errors else None


def shared_key(ident: str) -> str:
    """Where the fleet keeps the text of `ident` in Redis."""
    return PREFIX + persisted.TEXT_PREFIX + ident


async def post(session: aiohttp.ClientSession, url: str, payload: dict) -> dict[str, Any]:
    async with session.post(f"{url}/graphql", json=payload) as response:
        return dict(await response.json())


# --- Two processes, and two workers -----------------------------------------------------------


def fleet_env(redis_url: str) -> dict[str, str]:
    return {"GATEWAY_CACHE_URL": redis_url, "GATEWAY_CACHE_SIGNING_KEY": SIGNING_KEY}


async def test_a_hash_registered_on_one_process_answers_on_another(fresh_redis: str) -> None:
    env = fleet_env(fresh_redis)
    async with (
        served_gateway(env) as one,
        served_gateway(env) as two,
        aiohttp.ClientSession() as session,
    ):
        unknown = await post(session, two.url, by_hash(QUERY))
        registered = await post(session, one.url, registering(QUERY))
        known = await post(session, two.url, by_hash(QUERY))
    assert code(unknown) == NOT_FOUND
    assert registered["data"]["providers"]
    assert "errors" not in known, known
    assert known["data"] == registered["data"]


async def test_every_worker_knows_a_hash_registered_once(fresh_redis: str) -> None:
    """`--workers 2`: registered on one worker, the hash answers on the other. A new connection
    for every request, so the kernel hands them to either worker; rounds until the other one
    has answered (its pid is in each request's log line)."""
    env = fleet_env(fresh_redis) | {"GATEWAY_LOG_FORMAT": "json"}
    async with served_gateway(env, ["--workers", "2"]) as served:
        await started(served.log, workers=2)  # on a busy machine one may start seconds later
        fresh = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=fresh) as session:
            registered = await post(session, served.url, registering(QUERY))
            assert registered["data"]["providers"]
            [registrar] = await answered_by(served.log, 1)
            sent = 1
            for _ in range(100):
                answers = await asyncio.gather(
                    *(post(session, served.url, by_hash(QUERY)) for _ in range(5))
                )
                assert [code(body) for body in answers] == [None] * 5, answers
                sent += 5
                if set(await answered_by(served.log, sent)) - {registrar}:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("one worker answered every request: nothing was shown")


async def started(log: list[str], *, workers: int) -> None:
    """Until `workers` processes have logged their start-up complete."""
    for _ in range(1200):
        if sum("Application startup complete" in line for line in list(log)) >= workers:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{workers} workers expected to start")


async def answered_by(log: list[str], expected: int) -> list[int]:
    """The pids of the processes that answered `Names`, in order, once `expected` are logged."""
    for _ in range(100):
        lines = [orjson.loads(line) for line in list(log) if line.startswith("{")]
        names = [line["process"] for line in lines if line.get("operation") == "Names"]
        if len(names) >= expected:
            return names
        await asyncio.sleep(0.02)
    raise AssertionError(f"{expected} request lines expected")


# --- Values planted in Redis ------------------------------------------------------------------

PLANTED = "query Planted { planted: providers { name } }"
"""A valid document, so a check that let it through would run it (and answer `planted`)."""


@asynccontextmanager
async def store(url: str) -> AsyncIterator[redis.Redis]:
    client = redis.from_url(url)
    try:
        yield client
    finally:
        await client.aclose()


def oversized() -> str:
    """A valid document over the document limit (padding is ignored by the parser)."""
    return PLANTED + " " * (Settings().max_document_bytes + 1)


def planted(asked: str, payload: bytes, sealer: Sealer | None = None) -> tuple[str, bytes]:
    """`payload` sealed (with the gateway's signing key unless `sealer` says otherwise) under
    the key of `asked`'s hash."""
    sealer = sealer or Sealer(SIGNING_KEY)
    return asked, sealer.seal(shared_key(sha256(asked)), payload, 3600)


def plantings() -> dict[str, tuple[str, bytes]]:
    """Each kind of bad value: the text asked for by hash, and the value planted under its key.
    All but the first and last two are sealed with the gateway's own signing key, so only the
    check named stops them."""
    big, other = oversized(), "query Other { providers { name } }"
    genuine_elsewhere = Sealer(SIGNING_KEY).seal(shared_key(sha256(QUERY)), PLANTED.encode(), 60)
    return {
        "unsigned": planted(PLANTED, PLANTED.encode(), Sealer(None)),
        "another hash's": (PLANTED, genuine_elsewhere),
        "oversized": planted(big, big.encode()),
        "text of another hash": planted(other, PLANTED.encode()),
        "not UTF-8": planted(PLANTED, b"\xff\xfe" + PLANTED.encode()),
        "expired": planted(PLANTED, PLANTED.encode(), Sealer(SIGNING_KEY, clock=lambda: 0.0)),
        "not sealed": (PLANTED, PLANTED.encode()),
    }


@pytest.mark.parametrize("kind", list(plantings()))
async def test_a_planted_value_is_refused_and_a_registration_replaces_it(
    fresh_redis: str, sims: Simulators, kind: str
) -> None:
    asked, value = plantings()[kind]
    async with store(fresh_redis) as planting:
        await planting.set(shared_key(sha256(asked)), value, ex=3600)
    settings = Settings(cache_url=fresh_redis, cache_signing_key=SIGNING_KEY)
    async with gateway(settings, sims) as victim:
        _, body = await victim.post_payload(by_hash(asked))
        assert code(body) == NOT_FOUND, body
        assert "planted" not in (body.get("data") or {})
        if kind == "oversized":
            return  # never registered: over the document limit, refused as a document too
        _, registered = await victim.post_payload(registering(asked))
        assert "errors" not in registered, registered
    async with gateway(settings, sims) as other:  # knows nothing of its own
        _, body = await other.post_payload(by_hash(asked))
    assert "errors" not in body, body
    assert body["data"] == registered["data"]


# --- The fleet's byte budget ------------------------------------------------------------------


def texts(count: int) -> list[str]:
    """Distinct valid documents of one length."""
    return [f"query Q{n:03d} {{ providers {{ name }} }}" for n in range(count)]


async def test_the_fleet_shares_texts_up_to_its_byte_budget(
    fresh_redis: str, sims: Simulators
) -> None:
    registered = texts(8)
    each = len(registered[0].encode()) + persisted.ENTRY_OVERHEAD_BYTES
    budget = 3 * each
    settings = Settings(
        cache_url=fresh_redis, cache_signing_key=SIGNING_KEY, apq_shared_bytes=budget
    )
    async with gateway(settings, sims) as one:
        for text in registered:
            _, body = await one.post_payload(registering(text))
            assert "errors" not in body, body
        here = [code((await one.post_payload(by_hash(text)))[1]) for text in registered]
    async with gateway(settings, sims) as two:
        elsewhere = [code((await two.post_payload(by_hash(text)))[1]) for text in registered]
    async with store(fresh_redis) as redis_store:
        keys = await redis_store.keys(shared_key("*"))
        sizes = [await redis_store.strlen(key) for key in keys]
        spent = int(await redis_store.get(PREFIX + persisted.BUDGET_KEY))
        ttl = await redis_store.ttl(keys[0])
    assert here == [None] * 8  # every text answers where it was registered
    assert elsewhere == [None] * 3 + [NOT_FOUND] * 5  # the first three fit the fleet's budget
    assert len(keys) == 3
    assert spent == 8 * each  # every registration was charged, those kept per process too
    assert sum(sizes) <= budget  # a sealed text costs less than its charge
    assert 0 < ttl <= persisted.SHARED_TTL_S


async def test_a_planted_counter_cannot_lift_the_budget(fresh_redis: str, sims: Simulators) -> None:
    async with store(fresh_redis) as planting:
        await planting.set(PREFIX + persisted.BUDGET_KEY, -(10**12), ex=3600)
    settings = Settings(cache_url=fresh_redis, cache_signing_key=SIGNING_KEY)
    async with gateway(settings, sims) as one:
        _, body = await one.post_payload(registering(QUERY))
        assert "errors" not in body, body
    async with gateway(settings, sims) as two:
        _, body = await two.post_payload(by_hash(QUERY))
    assert code(body) == NOT_FOUND


async def test_a_budget_of_zero_keeps_texts_per_process(fresh_redis: str, sims: Simulators) -> None:
    settings = Settings(cache_url=fresh_redis, apq_shared_bytes=0)
    async with gateway(settings, sims) as one:
        await one.post_payload(registering(QUERY))
        _, here = await one.post_payload(by_hash(QUERY))
    async with gateway(settings, sims) as two:
        _, elsewhere = await two.post_payload(by_hash(QUERY))
    async with store(fresh_redis) as redis_store:
        assert await redis_store.keys(shared_key("*")) == []
    assert code(here) is None
    assert code(elsewhere) == NOT_FOUND


# --- Redis down, and this process's own texts -------------------------------------------------


async def test_with_redis_down_each_process_keeps_its_own_and_never_fails(
    sims: Simulators,
) -> None:
    settings = Settings(cache_url="redis://127.0.0.1:1/0")  # nothing listens there
    async with gateway(settings, sims) as client:
        _, unknown = await client.post_payload(by_hash(QUERY))
        _, registered = await client.post_payload(registering(QUERY))
        _, known = await client.post_payload(by_hash(QUERY))
    assert code(unknown) == NOT_FOUND
    assert "errors" not in registered, registered
    assert "errors" not in known, known


def test_texts_kept_per_process_are_bounded_in_number(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny texts cost their entry more than their bytes: a count bound too, and each entry
    charged its overhead against the byte bound."""
    monkeypatch.setattr(persisted, "MEMORY_ENTRIES", 100)
    kept = persisted.PersistedQueries()
    for text in texts(1_000):
        kept.remember(persisted.Requested(text, sha256(text)))
    assert len(kept._memory) == 100
    latest = texts(1_000)[-1]
    assert kept.resolve(persisted.Requested(None, sha256(latest))) == latest
    assert kept._memory_bytes == 100 * (len(latest) + persisted.ENTRY_OVERHEAD_BYTES)
