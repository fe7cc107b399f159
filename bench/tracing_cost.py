"""What tracing on costs: one trip search (flights + hotels, every provider) through the
in-process gateway, with tracing off and on, timed in turns.

Tracing on is the SDK with a batch span processor and an in-memory exporter: the spans are
made, filled and handed to the export thread as in production, but not encoded or sent (OTLP's
protobuf encoding and the HTTP post are the collector's share and not measured here). The
simulators answer at once (no latency) and run in the same process, so CPU per search counts
theirs too: the difference between the rows is the cost of tracing. Short on purpose: the
benchmark machine is shared.

    .venv/bin/python -m bench.tracing_cost [--searches 100] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any

import aiohttp
import uvicorn

from gateway import tracing
from gateway.app import create_app
from gateway.config import Settings
from gateway.http_edge import server_config
from simulators import registry as sim_registry
from simulators import runner
from simulators.common.faults import FaultConfig

QUERY = """
query Trip($f: FlightSearchInput!, $h: HotelSearchInput!) {
  flights(search: $f, first: 10) { offers { totalCount nodes { id price { amount currency }
    itineraries { segments { carrier { code } flightNumber departure { airport at } } } } }
    providers { provider status } }
  hotels(search: $h, first: 10) { offers { totalCount nodes { id hotel { name }
    price { amount currency } } } providers { provider status } }
}
"""


def variables() -> dict[str, Any]:
    day = (date.today() + timedelta(days=30)).isoformat()
    after = (date.today() + timedelta(days=32)).isoformat()
    return {
        "f": {"origin": "LON", "destination": "NYC", "departureDate": day},
        "h": {"cityCode": "PAR", "checkIn": day, "checkOut": after},
    }


def in_memory_tracing() -> tracing.Tracing:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from gateway.tracing.otel import OtelTracing

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(InMemorySpanExporter()))
    return OtelTracing(provider)


@asynccontextmanager
async def served(
    settings: Settings, tracer: tracing.Tracing | None, *, tune_gc: bool = False
) -> AsyncIterator[str]:
    """The gateway served in this process on a free port: its base URL + `/graphql`."""
    app = create_app(settings, tracer=tracer, tune_gc=tune_gc)
    server = uvicorn.Server(server_config(settings, app, port=0))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before starting")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/graphql"
    finally:
        server.should_exit = True
        await task


async def timed(url: str, searches: int) -> tuple[float, float]:
    """CPU milliseconds per search (this process: gateway, simulators, client) and p50 wall."""
    payload = {"query": QUERY, "variables": variables()}
    walls = []
    async with aiohttp.ClientSession() as session:
        for _ in range(5):  # warm-up
            async with session.post(url, json=payload) as response:
                await response.read()
        cpu = time.process_time()
        for _ in range(searches):
            started = time.perf_counter()
            async with session.post(url, json=payload) as response:
                body = await response.json()
                assert "errors" not in body, body
            walls.append(time.perf_counter() - started)
        cpu = time.process_time() - cpu
    return cpu / searches * 1000, statistics.median(walls) * 1000


async def main(searches: int, rounds: int) -> None:
    sims = [
        await runner.start(name, fault_config=FaultConfig(latency_ms=0, jitter_ms=0))
        for name in sim_registry.names()
    ]
    urls = {sim.provider: sim.base_url for sim in sims}
    results: dict[str, list[tuple[float, float]]] = {}
    try:
        for cached in (False, True):
            ttl = 300.0 if cached else 0.0
            settings = Settings(
                cache_ttl_flights_s=ttl, cache_ttl_hotels_s=ttl, fx_url=None
            ).with_simulators(sim_registry.configs(urls))
            for _ in range(rounds):
                for label, tracer in (("off", None), ("on", in_memory_tracing())):
                    async with served(settings, tracer) as url:
                        key = f"{'cached' if cached else 'uncached'} search, tracing {label}"
                        results.setdefault(key, []).append(await timed(url, searches))
    finally:
        for sim in sims:
            await sim.stop()
    print("| search | CPU ms per search (each round) | p50 ms (each round) |")
    print("|---|---|---|")
    for key, rows in results.items():
        cpus = ", ".join(f"{cpu:.2f}" for cpu, _ in rows)
        walls = ", ".join(f"{wall:.2f}" for _, wall in rows)
        print(f"| {key} | {cpus} | {walls} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.searches, args.rounds))
