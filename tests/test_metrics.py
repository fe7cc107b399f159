"""Prometheus metrics through the public surface: searches over HTTP, then `GET /metrics`
parsed with prometheus-client's own text parser; the token; the operation-name attack; and
a real `serve --workers 2` whose two workers' counts add up in every scrape."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.api.admission.clients import digest
from gateway.app import create_app
from gateway.config import ConfigError, Settings
from simulators.common.faults import FaultConfig
from tests.helpers import (
    TRIP_QUERY,
    GraphQLClient,
    Simulators,
    eventually,
    gateway,
    serve,
    simulators,
    trip_variables,
)
from tests.served import served_gateway

pytestmark = pytest.mark.e2e

TOKEN = "metrics-token-" + "x" * 40
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SEARCH_FIELDS = {
    "flights": ("amadeus", "duffel"),
    "hotels": ("amadeus", "duffel", "hotelbeds", "liteapi"),
}


def observed(**settings: Any) -> Settings:
    return Settings(provider_timeout_s=5.0, metrics_token=TOKEN, **settings)


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def shown(samples: Samples, name: str, **labels: str) -> float:
    """The series' value; fails when it is not exported at all (a gauge must be there at 0)."""
    key = (name, frozenset(labels.items()))
    assert key in samples, f"{name}{labels} is not exported"
    return samples[key]


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def scrape(client: GraphQLClient) -> Samples:
    status, _, body = await client.raw("GET", "/metrics", headers=AUTH)
    assert status == 200
    return parse(body.decode())


async def test_metrics_are_absent_unless_a_token_is_set(client: GraphQLClient) -> None:
    status, _, body = await client.raw("GET", "/metrics", headers=AUTH)
    assert status == 404
    assert b"gateway_requests_total" not in body


def test_a_short_metrics_token_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError, match="GATEWAY_METRICS_TOKEN") as refused:
        Settings.from_env({"GATEWAY_METRICS_TOKEN": "short-secret"})
    assert "short-secret" not in str(refused.value)
    assert Settings.from_env({"GATEWAY_METRICS_TOKEN": TOKEN}).metrics_token == TOKEN
    assert TOKEN not in repr(Settings(metrics_token=TOKEN))


async def test_metrics_refuse_a_request_without_the_token(sims: Simulators) -> None:
    async with gateway(observed(), sims) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            status, answered, body = await client.raw("GET", "/metrics", headers=headers)
            assert status == 401
            assert answered["www-authenticate"] == "Bearer"
            assert b"gateway_" not in body


async def test_a_search_shows_its_provider_calls_requests_and_cache_savings(
    sims: Simulators,
) -> None:
    async with gateway(observed(), sims) as client:
        for _ in range(2):  # the second is answered from the cache
            status, body = await client.post(TRIP_QUERY, trip_variables())
            assert status == 200
            assert "errors" not in body
        samples = await scrape(client)
    for field, providers in SEARCH_FIELDS.items():
        for provider in providers:
            calls = dict(provider=provider, field=field, status="OK")
            assert value(samples, "gateway_provider_call_duration_seconds_count", **calls) == 1
            assert value(samples, "gateway_provider_call_duration_seconds_sum", **calls) > 0
            saved = dict(field=field, provider=provider, by="cache")
            assert value(samples, "gateway_upstream_calls_saved_total", **saved) == 1
            hits = dict(field=field, provider=provider, result="hit")
            assert value(samples, "gateway_cache_lookups_total", **hits) == 1
    assert value(samples, "gateway_requests_total", operation="Trip", outcome="ok") == 2
    assert value(samples, "gateway_request_duration_seconds_count", operation="Trip") == 2
    # Flights and hotels: the repeated search was answered from the first's sets (issue 21).
    assert value(samples, "gateway_result_sets") == 2
    assert shown(samples, "gateway_breaker_state", provider="duffel", field="flights") == 0


async def test_graphql_errors_are_counted_by_code(sims: Simulators) -> None:
    async with gateway(observed(), sims) as client:
        await client.post(TRIP_QUERY, trip_variables(origin="NYC"))  # origin = destination
        await client.post("query Broken { nothing }", operationName="Broken")
        samples = await scrape(client)
    assert value(samples, "gateway_graphql_errors_total", code="BAD_USER_INPUT") == 2
    assert value(samples, "gateway_requests_total", operation="other", outcome="rejected") == 1


async def test_an_opened_circuit_shows_in_the_metrics_and_is_logged_once(
    sims: Simulators, caplog: pytest.LogCaptureFixture
) -> None:
    sims.duffel.update({"error_rate": 1.0, "paths": ["/air/"]})
    settings = observed(breaker_failures=2, breaker_reset_s=60)
    with caplog.at_level(logging.INFO, logger="gateway.events"):
        async with gateway(settings, sims) as client:
            for _ in range(3):  # two failures open it; the third search does not call
                await client.post(TRIP_QUERY, trip_variables())
            samples = await scrape(client)
    duffel = dict(provider="duffel", field="flights")
    assert shown(samples, "gateway_breaker_state", **duffel) == 2
    assert value(samples, "gateway_breaker_transitions_total", state="open", **duffel) == 1
    assert shown(samples, "gateway_breaker_state", provider="duffel", field="hotels") == 0
    errors = dict(provider="duffel", field="flights", status="ERROR")
    assert value(samples, "gateway_provider_call_duration_seconds_count", **errors) == 2
    opened = [r for r in caplog.records if "circuit opened" in r.getMessage()]
    assert [r.getMessage() for r in opened] == [
        "duffel flights circuit opened after repeated failures"
    ]
    assert opened[0].levelno == logging.WARNING


async def test_a_rate_limit_refusal_is_counted_and_logged_once_by_key_name(
    sims: Simulators, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = "tgw_" + "k" * 43
    keys = tmp_path / "keys.toml"
    keys.write_text(f'[[keys]]\nname = "web"\nsha256 = "{digest(key)}"\nrequests_per_minute = 1\n')
    settings = Settings.from_env(
        {"GATEWAY_API_KEYS_FILE": str(keys), "GATEWAY_METRICS_TOKEN": TOKEN}
    )
    with caplog.at_level(logging.INFO):
        async with gateway(settings, sims) as client:
            statuses = []
            for _ in range(2):
                status, _, _ = await client.raw(
                    "POST", json={"query": "{ __typename }"}, headers={"X-API-Key": key}
                )
                statuses.append(status)
            samples = await scrape(client)
    assert statuses == [200, 429]
    assert value(samples, "gateway_client_refusals_total", limit="requests", client="web") == 1
    assert value(samples, "gateway_requests_total", operation="anonymous", outcome="refused") == 1
    assert value(samples, "gateway_graphql_errors_total", code="RATE_LIMITED") == 1
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert [r.getMessage() for r in refused] == ["client web refused: over its requests limit"]
    assert all(key not in r.getMessage() for r in caplog.records)


async def test_a_cost_refusal_is_counted(sims: Simulators) -> None:
    async with gateway(observed(max_cost=10), sims) as client:
        status, body = await client.post(TRIP_QUERY, trip_variables())
        samples = await scrape(client)
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "OPERATION_TOO_EXPENSIVE"
    assert value(samples, "gateway_client_refusals_total", limit="cost", client="-") == 1


class Broken:
    def observe(self, event: object) -> None:
        raise RuntimeError("observer bug")


async def test_an_observer_that_raises_breaks_no_request(
    sims: Simulators, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="gateway.observe.events"):
        async with gateway(observed(), sims, observers=[Broken()]) as client:
            for _ in range(2):
                status, body = await client.post(TRIP_QUERY, trip_variables())
                assert status == 200
                assert "errors" not in body
            samples = await scrape(client)
    assert value(samples, "gateway_requests_total", operation="Trip", outcome="ok") == 2
    assert len([r for r in caplog.records if "observer Broken failed" in r.getMessage()]) == 1


async def test_searches_coalesced_across_instances_count_as_saved(fresh_redis: str) -> None:
    settings = observed(cache_url=fresh_redis)
    async with (
        simulators(FaultConfig(latency_ms=150)) as sims,
        gateway(settings, sims) as one,
        gateway(settings, sims) as two,
    ):
        await asyncio.gather(
            one.post(TRIP_QUERY, trip_variables()), two.post(TRIP_QUERY, trip_variables())
        )
        both = [await scrape(one), await scrape(two)]
    for field, providers in SEARCH_FIELDS.items():
        for provider in providers:
            where = dict(field=field, provider=provider)
            misses = sum(
                value(s, "gateway_cache_lookups_total", result="miss", **where) for s in both
            )
            saved = sum(
                value(s, "gateway_upstream_calls_saved_total", by="coalescing", **where)
                for s in both
            )
            assert (misses, saved) == (1, 1), (field, provider)


async def test_thousands_of_operation_names_over_http_make_a_bounded_number_of_series(
    sims: Simulators,
) -> None:
    async with gateway(observed(), sims) as client:

        async def send(n: int) -> None:
            status, _ = await client.post(f"query Attack{n} {{ __typename }}")
            assert status == 200

        for start in range(0, 500, 100):
            await asyncio.gather(*(send(n) for n in range(start, start + 100)))
        status, _, body = await client.raw("GET", "/metrics", headers=AUTH)
    assert status == 200
    names = set(re.findall(rb'gateway_requests_total\{operation="([^"]*)"', body))
    assert len(names) <= 51  # the first 50 learned, then "other"
    assert b"other" in names
    assert len(body) < 100_000


def worker_pids(parent: int) -> list[int]:
    """The uvicorn workers of `serve` (its children started by multiprocessing's spawn)."""
    found = []
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    for child in map(int, children):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            found.append(child)
    return found


async def test_two_workers_counts_add_up_in_every_scrape() -> None:
    """`serve --workers 2`: the command line gives both workers one fresh multiprocess
    directory, so whichever worker answers a scrape reports both workers' requests; it
    removes the directory when it stops."""
    env = {"GATEWAY_METRICS_TOKEN": TOKEN, "GATEWAY_LOG_FORMAT": "json"}
    async with served_gateway(env, ["--workers", "2"]) as served:
        sent = 40
        connector = aiohttp.TCPConnector(force_close=True)  # a new connection each: both serve
        async with aiohttp.ClientSession(connector=connector) as session:
            for _ in range(60):  # both workers up (served_gateway saw one answer /healthz)
                async with session.get(f"{served.url}/metrics", headers=AUTH) as response:
                    if parse(await response.text()).get(("gateway_workers", frozenset())) == 2:
                        break
                await asyncio.sleep(0.1)
            for _ in range(sent):
                async with session.post(
                    f"{served.url}/graphql", json={"query": "query Ping { __typename }"}
                ) as response:
                    assert response.status == 200
            scrapes = []
            for _ in range(6):
                async with session.get(f"{served.url}/metrics", headers=AUTH) as response:
                    scrapes.append(parse(await response.text()))
        for samples in scrapes:
            assert value(samples, "gateway_workers") == 2
            assert value(samples, "gateway_requests_total", operation="Ping", outcome="ok") == sent

        # The workers log as configured too (uvicorn applies the log config in each process).
        def pinged() -> list[dict[str, object]]:
            lines = [orjson.loads(line) for line in served.log if line.strip()]
            return [line for line in lines if line.get("operation") == "Ping"]

        await eventually(lambda: len(pinged()) >= sent)  # the log reader catches up
        pings = pinged()
        assert len(pings) == sent
        assert {line["process"] for line in pings} <= set(worker_pids(served.pid))
        # A worker dies: uvicorn starts another; the dead one is marked, so its live gauge
        # leaves the sum (3 workers otherwise) while its counts stay in the totals.
        directory = next(
            re.search(r"metrics of 2 workers in (\S+?)[\"\s]", line).group(1)  # type: ignore[union-attr]
            for line in served.log
            if "metrics of 2 workers in" in line
        )
        workers = worker_pids(served.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        for _ in range(200):  # until the new worker has written its own gauge
            await asyncio.sleep(0.1)
            new = set(worker_pids(served.pid)) - set(workers)
            if new and (Path(directory) / f"gauge_livesum_{new.pop()}.db").exists():
                break
        else:
            raise AssertionError(f"no replacement worker: {worker_pids(served.pid)}")
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{served.url}/metrics", headers=AUTH) as response,
        ):
            samples = parse(await response.text())
        assert value(samples, "gateway_workers") == 2
        assert value(samples, "gateway_requests_total", operation="Ping", outcome="ok") == sent
        assert Path(directory).is_dir()  # noqa: ASYNC240 (a test's one look)
        assert served.process is not None
        served.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(served.process.wait(), 20)
    assert not Path(directory).exists()  # noqa: ASYNC240


async def test_an_app_with_metrics_serves_again_after_its_lifespan_ended(
    sims: Simulators,
) -> None:
    """The result-set collector is registered once per app: a second lifespan (a second test
    client, an embedding server restarting the app) used to fail on a duplicate series."""
    settings = observed().with_simulators(sims.configs())
    app = create_app(settings)
    for _ in range(2):
        async with (
            serve(app, settings) as url,
            aiohttp.ClientSession() as session,
            session.get(f"{url}/metrics", headers=AUTH) as response,
        ):
            assert response.status == 200
            samples = parse(await response.text())
    assert ("gateway_result_sets", frozenset()) in samples
