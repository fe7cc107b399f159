"""What observability costs per search: metrics and JSON logs, tracing, both, against neither.

The benchmark's trip search (flights + hotels over the Amadeus and Duffel simulators, page of
20 each, cache off) goes through the gateway served in this process; the simulators run in a
thread of their own, so the CPU counted (this thread's) is the gateway's and its load client's,
not theirs. Variants run in turns, each round in a rotated order, and the table gives each
variant's median CPU per search and its ratio to "off" per round (median, range).

- metrics + JSON logs: `GATEWAY_METRICS_TOKEN` set (every event counted, `/metrics` scraped
  once per `SCRAPE_EVERY` searches: about every second at 40 searches/s, Prometheus scrapes
  every 15-60 s) and `GATEWAY_LOG_FORMAT=json` at INFO (one JSON line per request), the lines
  going to /dev/null;
- tracing: the OpenTelemetry SDK with a batch processor and an in-memory exporter (spans made
  and handed to the export thread, not encoded or sent), every request sampled.

Why not `bench.run`: its served designs vary by ±15-30 % between cells on this shared VM, which
hides a 5 % effect (docs/performance.md); in one process, in turns, the noise is a few %.

    .venv/bin/python -m bench.observability [--searches 120] [--rounds 5] [--variants off ...]

`--variants off` alone measures the plain gateway's CPU per search: run it from two trees in
turns (a `git worktree` of the earlier commit) to compare a change (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import threading
import time
from typing import TextIO

import aiohttp

from bench.run import BENCH_KEY, COMPARED_PROVIDERS, gateway_body, searches
from bench.tracing_cost import in_memory_tracing, served
from gateway.config import Settings
from gateway.observe import logs
from simulators import registry as sim_registry
from simulators import runner
from simulators.common.faults import FaultConfig

METRICS_TOKEN = BENCH_KEY
SCRAPE_EVERY = 40
VARIANTS = ("off", "metrics + JSON logs", "tracing", "all")


def simulators_in_a_thread() -> dict[str, str]:
    """Amadeus and Duffel simulators answering at once, on a loop in a daemon thread."""
    urls: dict[str, str] = {}
    ready = threading.Event()

    async def run() -> None:
        for name in COMPARED_PROVIDERS:
            sim = await runner.start(name, fault_config=FaultConfig(latency_ms=0, jitter_ms=0))
            urls[name] = sim.base_url
        ready.set()
        await asyncio.Event().wait()

    threading.Thread(target=lambda: asyncio.run(run()), daemon=True).start()
    ready.wait()
    return urls


async def cpu_per_search(url: str, bodies: list[bytes], scrape: bool) -> float:
    """This thread's CPU milliseconds per search, after each search was sent once."""
    headers = {"Content-Type": "application/json"}
    scrape_headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    async with aiohttp.ClientSession() as session:

        async def search(body: bytes) -> None:
            async with session.post(f"{url}/graphql", data=body, headers=headers) as response:
                answer = await response.json()
                assert "errors" not in answer, answer["errors"]

        for body in bodies:  # the simulators memoise their answers: every variant replays
            await search(body)
        started = time.thread_time()
        for done, body in enumerate(bodies, 1):
            await search(body)
            if scrape and done % SCRAPE_EVERY == 0:
                async with session.get(f"{url}/metrics", headers=scrape_headers) as response:
                    assert response.status == 200
                    await response.read()
        return (time.thread_time() - started) / len(bodies) * 1000


async def main(count: int, rounds: int, sink: TextIO, variants: tuple[str, ...] = VARIANTS) -> None:
    urls = simulators_in_a_thread()
    bodies = [gateway_body(search) for search in searches(count)]
    per_variant: dict[str, list[float]] = {variant: [] for variant in variants}
    for round_no in range(rounds):
        order = variants[round_no % len(variants) :] + variants[: round_no % len(variants)]
        for variant in order:
            observed = variant in ("metrics + JSON logs", "all")
            logs.configure("INFO" if observed else "WARNING", "json" if observed else "text")
            logging.getLogger().handlers[0].setStream(sink)  # type: ignore[attr-defined]
            settings = Settings(
                cache_ttl_flights_s=0,
                cache_ttl_hotels_s=0,
                fx_url=None,
                metrics_token=METRICS_TOKEN if observed else None,
                log_format="json" if observed else "text",
            ).with_simulators(sim_registry.configs(urls))
            tracer = in_memory_tracing() if variant in ("tracing", "all") else None
            async with served(settings, tracer, tune_gc=True) as graphql_url:
                url = graphql_url.removesuffix("/graphql")
                per_variant[variant].append(await cpu_per_search(url, bodies, observed))
        print(
            f"round {round_no + 1}: " + ", ".join(f"{v} {per_variant[v][-1]:.2f}" for v in variants)
        )
    print()
    if "off" not in variants:
        return
    print("| variant | CPU ms per search (median of rounds) | / off (median of rounds, range) |")
    print("|---|---:|---:|")
    for variant in variants:
        ratios = [
            on / off for on, off in zip(per_variant[variant], per_variant["off"], strict=True)
        ]
        print(
            f"| {variant} | {statistics.median(per_variant[variant]):.2f} | "
            f"{statistics.median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f}) |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    args = parser.parse_args()
    with open(os.devnull, "w") as sink:
        asyncio.run(main(args.searches, args.rounds, sink, tuple(args.variants)))
