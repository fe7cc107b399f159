"""Soak test: concurrent clients against a gateway whose upstreams misbehave, for a while.

Starts both simulators here with fault injection, runs `travel-gateway serve` as a separate
process pointed at them, and drives it with N concurrent clients for T seconds on loopback.
Prints requests, HTTP-level errors (must be 0), GraphQL error codes, outcomes per provider,
latency and the gateway's memory at start and end. Exits 1 if any HTTP request failed.

    .venv/bin/python -m bench.soak --clients 20 --seconds 30 --fault-rate 0.1
    .venv/bin/python -m bench.soak --clients 50 --requests 100000 --warmup-s 60 --fault-rate 0
    .venv/bin/python -m bench.soak --clients 20 --requests 10000 --distinct --fault-rate 0

`--distinct` makes every request a search never made before (route, date, travellers, cabin,
city and stay all vary), so no cache answers and every result set is new: the memory a fleet's
worst day needs. RSS is sampled every 1,000 requests, to show where it levels off.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import aiohttp

from bench.run import CITIES, ROUTES, gateway_env, serve_command
from simulators import registry as sim_registry
from simulators import runner
from simulators.common.faults import FaultConfig
from tests.ports import free_port

QUERY = """query Trip($f: FlightSearchInput!, $h: HotelSearchInput!) {
  flights(search: $f, first: 20) { offers { totalCount nodes { id price { amount currency }
    itineraries { durationMinutes segments { carrier { code } flightNumber departure { at } } }
    sources { provider } } } providers { provider status } }
  hotels(search: $h, first: 20) { offers { totalCount nodes { id hotel { name }
    price { amount currency } } } providers { provider status } } }"""

# How a fault budget is spread over the kinds of fault (shares add up to 1).
FAULT_MIX = {
    "error": 0.3,
    "unavailable": 0.15,
    "rate_limited": 0.1,
    "malformed": 0.15,
    "wrong_shape": 0.1,
    "truncated": 0.1,
    "hang": 0.05,
    "slow_body": 0.05,
}


RSS_EVERY = 1000
CABINS = ("ECONOMY", "PREMIUM_ECONOMY", "BUSINESS", "FIRST")


def distinct_variables(index: int) -> dict[str, object]:
    """The `index`-th of 24,000 distinct trip searches (flights and hotels both new), within 307
    days (Duffel Stays searches 330 days ahead at most): each dimension from its own digits of
    the index (route, then day, then adults, then cabin and stay), so no two indices repeat a
    search until all 24,000 are made."""
    index, route = divmod(index, len(ROUTES))
    index, day_offset = divmod(index, 300)
    index, extra_adults = divmod(index, 4)
    kind = index % len(CABINS)
    origin, destination = ROUTES[route]
    day = date.today() + timedelta(days=7 + day_offset)
    adults = 1 + extra_adults
    return {
        "f": {
            "origin": origin,
            "destination": destination,
            "departureDate": day.isoformat(),
            "adults": adults,
            "cabin": CABINS[kind],
        },
        "h": {
            "cityCode": CITIES[route],
            "checkIn": day.isoformat(),
            "checkOut": (day + timedelta(days=1 + kind)).isoformat(),
            "adults": adults,
        },
    }


@dataclass
class Tally:
    limit: int | None = None
    """Stop after this many requests (else at the time limit)."""
    requests: int = 0
    distinct: bool = False
    """Every request a new search (`distinct_variables`), numbered as sent (`issued`)."""
    issued: int = 0
    pid: int | None = None
    """The gateway's: its RSS is sampled every `RSS_EVERY` requests."""
    rss_by_requests: dict[int, float] = field(default_factory=dict)
    http_errors: Counter[str] = field(default_factory=Counter)
    graphql_errors: Counter[str] = field(default_factory=Counter)
    failures: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    """(field, provider, status, message) of the outcomes of fields whose providers all failed."""
    outcomes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def variables(rng: random.Random) -> dict[str, object]:
    origin, destination = rng.choice(ROUTES)
    day = date.today() + timedelta(days=rng.randint(7, 60))
    return {
        "f": {"origin": origin, "destination": destination, "departureDate": day.isoformat()},
        "h": {
            "cityCode": rng.choice(CITIES),
            "checkIn": day.isoformat(),
            "checkOut": (day + timedelta(days=rng.randint(1, 4))).isoformat(),
        },
    }


async def client(
    session: aiohttp.ClientSession, url: str, until: float, tally: Tally, seed: int
) -> None:
    rng = random.Random(seed)
    while time.monotonic() < until and (tally.limit is None or tally.requests < tally.limit):
        started = time.perf_counter()
        try:
            tally.issued += 1
            chosen = distinct_variables(tally.issued - 1) if tally.distinct else variables(rng)
            async with session.post(url, json={"query": QUERY, "variables": chosen}) as response:
                body = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            tally.http_errors[type(exc).__name__] += 1
            continue
        finally:
            tally.requests += 1
            if tally.pid is not None and tally.requests % RSS_EVERY == 0:
                tally.rss_by_requests[tally.requests] = rss_mib(tally.pid)
        tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        if status != 200:
            tally.http_errors[f"HTTP {status}"] += 1
            continue
        for error in body.get("errors", []):
            extensions = error.get("extensions", {})
            tally.graphql_errors[extensions.get("code", "?")] += 1
            # A field whose providers all failed is null: its outcomes come with the error.
            field_name = (error.get("path") or ["?"])[0]
            for outcome in extensions.get("providers", []):
                tally.outcomes[(field_name, outcome["provider"], outcome["status"])] += 1
                tally.failures[
                    (field_name, outcome["provider"], outcome["status"], outcome.get("message", ""))
                ] += 1
        for name, result in (body.get("data") or {}).items():
            for outcome in (result or {}).get("providers", []):
                tally.outcomes[(name, outcome["provider"], outcome["status"])] += 1


async def report_progress(tally: Tally, pid: int, started: float, every_s: float = 60) -> None:
    """A line a minute on stderr: requests so far, rate, the gateway's memory."""
    while True:
        await asyncio.sleep(every_s)
        elapsed = time.monotonic() - started
        print(
            f"  {elapsed:5.0f} s  {tally.requests:7d} requests ({tally.requests / elapsed:.0f}/s)  "
            f"RSS {rss_mib(pid):.1f} MiB",
            file=sys.stderr,
            flush=True,
        )


async def wait_healthy(
    session: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process
) -> None:
    for _ in range(200):
        if process.returncode is not None:
            raise SystemExit("the gateway exited during start-up")
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("the gateway did not become healthy")


async def soak(args: argparse.Namespace) -> int:
    faults = FaultConfig(
        latency_ms=args.latency_ms,
        jitter_ms=args.latency_ms / 4,
        seed=1,
        retry_after_s=1,
        **{f"{name}_rate": share * args.fault_rate for name, share in FAULT_MIX.items()},
    ).validated()
    simulators = [await runner.start(name, fault_config=faults) for name in sim_registry.names()]
    port = free_port()
    upstreams = {simulator.provider: simulator.base_url for simulator in simulators}
    settings = {
        "GATEWAY_SEARCH_DEADLINE_S": str(args.deadline_s),
        "GATEWAY_LOG_LEVEL": "ERROR",
    }
    env = {**os.environ, **gateway_env(upstreams, settings, cached=True)}
    process = await asyncio.create_subprocess_exec(
        *serve_command(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    tally = Tally(distinct=args.distinct)
    try:
        connector = aiohttp.TCPConnector(limit=args.clients)
        timeout = aiohttp.ClientTimeout(total=args.deadline_s * 3)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            await wait_healthy(session, f"{base}/healthz", process)
            if args.warmup_s:
                warm = Tally()
                until = time.monotonic() + args.warmup_s
                await asyncio.gather(
                    *(
                        client(session, f"{base}/graphql", until, warm, -1 - seed)
                        for seed in range(args.clients)
                    )
                )
            rss_start = rss_mib(process.pid)
            tally.limit = args.requests
            tally.pid = process.pid
            until = time.monotonic() + (args.seconds if args.requests is None else 10**9)
            started = time.monotonic()
            progress = asyncio.create_task(report_progress(tally, process.pid, started))
            await asyncio.gather(
                *(
                    client(session, f"{base}/graphql", until, tally, seed)
                    for seed in range(args.clients)
                )
            )
            progress.cancel()
            elapsed = time.monotonic() - started
            rss_end = rss_mib(process.pid)
    finally:
        process.terminate()
        await process.wait()
        for simulator in simulators:
            await simulator.stop()

    latencies = sorted(tally.latencies_ms) or [0.0]
    print(
        f"soak: {args.clients} clients, {elapsed:.0f} s, fault rate {args.fault_rate:g} "
        f"per upstream call, upstream latency {args.latency_ms:g} ms, "
        f"deadline {args.deadline_s:g} s"
    )
    print(f"requests           {tally.requests} ({tally.requests / elapsed:.1f}/s)")
    print(f"HTTP-level errors  {sum(tally.http_errors.values())} {dict(tally.http_errors)}")
    print(f"GraphQL errors     {dict(tally.graphql_errors)}")
    print(
        f"latency ms         p50 {statistics.median(latencies):.0f}  "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.0f}  max {latencies[-1]:.0f}"
    )
    print("outcomes (field provider: status count)")
    for (name, provider, status), count in sorted(tally.outcomes.items()):
        print(f"  {name:8s}{provider:9s}{status:12s}{count}")
    if tally.failures:
        print("failed fields: most frequent outcomes (field provider status: message count)")
        for (name, provider, status, message), count in tally.failures.most_common(5):
            print(f"  {name:8s}{provider:9s}{status:12s}{message[:80]!r} {count}")
    print(
        f"gateway RSS MiB    after {args.warmup_s:g} s warm-up {rss_start:.1f}, "
        f"at the end {rss_end:.1f} ({100 * (rss_end - rss_start) / rss_start:+.1f} %)"
    )
    if tally.rss_by_requests:
        samples = ", ".join(f"{n}: {mib:.0f}" for n, mib in sorted(tally.rss_by_requests.items()))
        print(f"RSS MiB by requests {samples}")
    return 1 if tally.http_errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--fault-rate", type=float, default=0.1, help="share of upstream calls that fail"
    )
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--deadline-s", type=float, default=3)
    parser.add_argument(
        "--requests", type=int, help="stop after this many requests instead of --seconds"
    )
    parser.add_argument(
        "--warmup-s", type=float, default=0, help="load before the first memory reading"
    )
    parser.add_argument(
        "--distinct", action="store_true", help="every request a search never made before"
    )
    args = parser.parse_args()
    if not 0 <= args.fault_rate <= 1 or args.clients < 1 or args.seconds <= 0:
        parser.error("need 0 <= --fault-rate <= 1, --clients >= 1, --seconds > 0")
    if args.requests is not None and args.requests < 1:
        parser.error("need --requests >= 1")
    return asyncio.run(soak(args))


if __name__ == "__main__":
    raise SystemExit(main())
