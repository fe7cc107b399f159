"""The benchmark: the gateway beside the designs it replaces and the Python limit, in one run.

Starts the simulators (one process, fixed latency, HTTPS with a throwaway CA unless
`--plain-http`), then each design as its own server process, one at a time; sends it every search
once (priming the simulators' memo), then drives it from this process with closed-loop clients at
each concurrency for a fixed time on loopback. Prints requests/s, p50/p90/p99 latency and errors
per design, and the ratios gateway/limit and gateway/seed. Results vary between runs on a shared
machine: compare the ratios within one run.

    .venv/bin/python -m bench.run                      # the full table (about 7 minutes)
    .venv/bin/python -m bench.run --seconds 3 --concurrency 1 50
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import sys
import tempfile
import time
from asyncio.subprocess import Process
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import orjson
import trustme
import uvloop

from gateway.api.admission.clients import digest, new_key
from simulators import registry as sim_registry
from tests.ports import free_port
from tests.redis_server import redis_server

ROUTES = [("LON", "NYC"), ("PAR", "BCN"), ("FRA", "SIN"), ("MAD", "ROM"), ("AMS", "IST")]
CITIES = ["PAR", "LON", "BCN", "NYC", "ROM"]

GATEWAY_QUERY = """query Trip($f: FlightSearchInput!, $h: HotelSearchInput!) {
  flights(search: $f, first: 20) {
    offers {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        id price { amount currency }
        itineraries { durationMinutes stops segments {
          carrier { code name } flightNumber
          departure { airport terminal at } arrival { airport terminal at }
          durationMinutes aircraft cabin } }
        validatingCarrier { code } seatsAvailable
        sources { provider offerId price { amount currency } } } }
    }
    providers { provider status latencyMs offerCount }
  }
  hotels(search: $h, first: 20) {
    offers {
      totalCount
      nodes { id
        hotel { id name chainCode rating distanceKm location { latitude longitude } }
        price { amount currency }
        rooms { id provider description boardType price { amount currency } refundable }
        sources { provider price { amount currency } } }
    }
    providers { provider status latencyMs offerCount }
  }
}"""


@dataclass
class Result:
    design: str
    concurrency: int
    seconds: float
    round: int = 0
    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    server_cpu_s: float = float("nan")
    """CPU time the server process (and its children) spent during the measured window."""

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu_s * 1000 / self.requests if self.requests else float("nan")

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


def searches(count: int = 300) -> list[dict[str, str]]:
    """Distinct searches (so no design gains from identical requests), the same for every design."""
    rng = random.Random(7)
    found = []
    for _ in range(count):
        origin, destination = rng.choice(ROUTES)
        day = date.today() + timedelta(days=rng.randint(10, 300))
        found.append(
            {
                "origin": origin,
                "destination": destination,
                "date": day.isoformat(),
                "city": rng.choice(CITIES),
                "checkout": (day + timedelta(days=2)).isoformat(),
            }
        )
    return found


def gateway_body(search: dict[str, str]) -> bytes:
    variables = {
        "f": {
            "origin": search["origin"],
            "destination": search["destination"],
            "departureDate": search["date"],
        },
        "h": {
            "cityCode": search["city"],
            "checkIn": search["date"],
            "checkOut": search["checkout"],
        },
    }
    return orjson.dumps({"query": GATEWAY_QUERY, "variables": variables})


async def wait_for_port(port: int, process: Process, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"server exited with {process.returncode} during start-up")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start listening")


Check = Callable[[int, bytes], bool]


def process_cpu_s(pid: int) -> float:
    """User + system CPU of a process and of its children that have ended (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid: int) -> float:
    """CPU of a process and its live children (the workers of `serve --workers N`)."""
    total = process_cpu_s(pid)
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            with contextlib.suppress(OSError):
                total += process_cpu_s(int(child))
    return total


def ok_status(status: int, body: bytes) -> bool:
    return status == 200


_DEGRADED = (b'"TIMEOUT"', b'"ERROR"', b'"UNAVAILABLE"')
"""A provider outcome other than OK: the answer left a provider out, so the design did less
work than the others (a spent Duffel rate window once did that silently)."""


def ok_graphql(status: int, body: bytes) -> bool:
    return (
        status == 200
        and b'"errors"' not in body
        and not any(outcome in body for outcome in _DEGRADED)
    )


async def drive(
    url: str,
    bodies: list[bytes],
    check: Check,
    concurrency: int,
    seconds: float,
    warmup_s: float,
    extra_headers: dict[str, str] | None = None,
    server_pid: int | None = None,
    scrape_url: str | None = None,
    method: str = "POST",
) -> Result:
    """Closed-loop load: `concurrency` clients, each sending its next request when answered;
    `scrape_url` (a design's /metrics) read every `SCRAPE_EVERY_S` meanwhile."""
    result = Result("", concurrency, seconds)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    headers = {"Content-Type": "application/json", **(extra_headers or {})}
    counter = iter(range(10**9))
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def client(until: float, record: bool) -> None:
            while True:
                started = time.perf_counter()
                if started >= until:
                    return
                body = bodies[next(counter) % len(bodies)] if method == "POST" else None
                try:
                    async with session.request(method, url, data=body, headers=headers) as response:
                        answer = await response.read()
                        good = check(response.status, answer)
                except (aiohttp.ClientError, TimeoutError):
                    good = False
                if record:
                    result.requests += 1
                    result.errors += not good
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)

        async def scraper(url: str) -> None:
            auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
            while True:
                await asyncio.sleep(SCRAPE_EVERY_S)
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(url, headers=auth) as response:
                        await response.read()

        scraping = asyncio.ensure_future(scraper(scrape_url)) if scrape_url else None
        try:
            clock = time.perf_counter
            if warmup_s:
                await asyncio.gather(
                    *(client(clock() + warmup_s, False) for _ in range(concurrency))
                )
            cpu_before = tree_cpu_s(server_pid) if server_pid else float("nan")
            started = clock()
            await asyncio.gather(*(client(started + seconds, True) for _ in range(concurrency)))
            result.seconds = clock() - started
            if server_pid:
                result.server_cpu_s = tree_cpu_s(server_pid) - cpu_before
        finally:
            if scraping is not None:
                scraping.cancel()
    return result


async def prime(
    url: str,
    bodies: list[bytes],
    concurrency: int = 50,
    extra_headers: dict[str, str] | None = None,
) -> None:
    """Send every search once before measuring.

    The simulators memoise their answers per exact request, and each design words its requests
    its own way; primed, every cell measures the design, not the simulators generating answers
    (which at 1 client would add ~15 ms to every design's critical path).
    """
    pending = iter(bodies)
    headers = {"Content-Type": "application/json", **(extra_headers or {})}
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def sender() -> None:
            for body in pending:  # shared: each body is sent once in all
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()

        await asyncio.gather(*(sender() for _ in range(concurrency)))


@dataclass(frozen=True)
class Design:
    name: str
    command: Callable[[int, dict[str, str]], list[str]]
    env: Callable[[dict[str, str]], dict[str, str]]
    path: str
    check: Check
    gateway: bool
    repeat: bool = False
    """Send the same search every time (to measure cache hits) instead of distinct ones."""
    headers: dict[str, str] = field(default_factory=dict)
    """Sent with every request (an API key)."""
    cwd: str | None = None
    """Where the server process starts: another checkout of the gateway (`--before`)."""
    metrics: bool = False
    """Keeps metrics: scraped every `SCRAPE_EVERY_S` while measured, as Prometheus would."""
    discard_logs: bool = False
    """Its log lines (a JSON line per request) go to /dev/null, not to the benchmark's
    terminal: formatted and written all the same, which is their cost."""
    method: str = "POST"
    """GET sends no body (the `gateway-healthz` floor)."""


COMPARED_PROVIDERS = ("amadeus", "duffel")
"""The providers the baseline designs call (bench/baselines/trip.py): the gateway's designs are
pointed at the same, so every design does the same upstream work."""


def gateway_env(
    upstreams: dict[str, str], extra: dict[str, str] | None = None, *, cached: bool = False
) -> dict[str, str]:
    """A gateway pointed at the simulators; the search cache off unless `cached`."""
    uncached = {"GATEWAY_CACHE_TTL_FLIGHTS_S": "0", "GATEWAY_CACHE_TTL_HOTELS_S": "0"}
    providers = {
        key: value
        for name, url in upstreams.items()
        if name in COMPARED_PROVIDERS
        for key, value in sim_registry.spec(name).simulated_env(url).items()
    }
    return {
        **providers,
        "GATEWAY_FX_URL": "",
        "GATEWAY_LOG_LEVEL": "WARNING",
        **({} if cached else uncached),
        **(extra or {}),
    }


def baseline(name: str) -> Design:
    return Design(
        name,
        lambda port, up: [
            sys.executable,
            "-m",
            "bench.baselines.app",
            "--design",
            name,
            "--port",
            str(port),
            "--amadeus",
            up["amadeus"],
            "--duffel",
            up["duffel"],
        ],
        lambda up: {},
        "/trip",
        ok_status,
        gateway=False,
    )


def serve_command(port: int, workers: int = 1) -> list[str]:
    """`travel-gateway serve` as a child process of this interpreter."""
    return [
        sys.executable,
        "-m",
        "gateway",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def gateway_design(
    name: str,
    workers: int = 1,
    repeat: bool = False,
    headers: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    **more_settings: str,
) -> Design:
    env = {**(settings or {}), **more_settings}
    return Design(
        name,
        lambda port, up: serve_command(port, workers),
        lambda up: gateway_env(up, env),
        "/graphql",
        ok_graphql,
        gateway=True,
        repeat=repeat,
        headers=headers or {},
        metrics="GATEWAY_METRICS_TOKEN" in env,
        discard_logs=env.get("GATEWAY_LOG_FORMAT") == "json",
    )


BENCH_KEY = new_key()
METRICS_TOKEN = secrets.token_urlsafe(32)
"""The `gateway-observed` design's metrics token: the benchmark scrapes with it."""
SCRAPE_EVERY_S = 1.0
"""How often `drive` scrapes /metrics of a design that keeps them (Prometheus: 15-60 s)."""
KEYS_FILE = Path(tempfile.gettempdir()) / f"travel-gateway-bench-keys-{os.getpid()}.toml"
"""The key file of the `gateway-limits` design (written when the benchmark starts)."""


def write_keys_file() -> None:
    KEYS_FILE.write_text(f'[[keys]]\nname = "bench"\nsha256 = "{digest(BENCH_KEY)}"\n')


async def run_design(
    design: Design,
    upstreams: dict[str, str],
    args: argparse.Namespace,
    items: list[dict[str, str]],
    redis_url: str | None,
) -> list[Result]:
    port = free_port()
    env = {**os.environ, **design.env(upstreams)}
    if design.name in REDIS_DESIGNS and redis_url:
        env["GATEWAY_CACHE_URL"] = redis_url
    process = await asyncio.create_subprocess_exec(
        *design.command(port, upstreams),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL if design.discard_logs else None,
        cwd=design.cwd,
    )
    try:
        await wait_for_port(port, process)
        chosen = items[:1] if design.repeat else items
        bodies = [gateway_body(s) if design.gateway else orjson.dumps(s) for s in chosen]
        url = f"http://127.0.0.1:{port}{design.path}"
        if design.method == "POST":
            await prime(url, bodies, extra_headers=design.headers)
        results = []
        for concurrency in args.concurrency:
            result = await drive(
                url,
                bodies,
                design.check,
                concurrency,
                args.seconds,
                args.warmup,
                design.headers,
                server_pid=process.pid,
                scrape_url=f"http://127.0.0.1:{port}/metrics" if design.metrics else None,
                method=design.method,
            )
            result.design = design.name
            results.append(result)
            print(
                f"  {design.name:18s} c={concurrency:<4d} {result.rps:8.1f} req/s  "
                f"p50 {result.percentile(0.5):7.1f}  p99 {result.percentile(0.99):8.1f} ms  "
                f"CPU {result.cpu_ms_per_request:5.2f} ms/req  errors {result.errors}",
                file=sys.stderr,
                flush=True,
            )
        return results
    finally:
        await stop(process)


def _median_cell(cells: list[Result]) -> Result:
    """The round whose requests/s is the median: one real cell stands for all rounds."""
    return sorted(cells, key=lambda r: r.rps)[len(cells) // 2]


def _ratios(values: list[float]) -> str:
    """The median of per-round ratios, with their range when there are several rounds."""
    ordered = sorted(values)
    median = ordered[len(ordered) // 2]
    if len(ordered) == 1:
        return f"{median:.3f}"
    return f"{median:.3f} ({ordered[0]:.3f}–{ordered[-1]:.3f})"


COMPARED_DESIGNS = (
    ("gateway-limits", "gateway"),
    ("gateway-before", "gateway"),
    ("gateway-cached-before", "gateway-cached"),
    ("gateway-cached", "gateway-healthz"),
    ("gateway-observed", "gateway-limits"),
)
"""Pairs whose ratio is a row of its own: what the optional limits, an older checkout, and
observability (metrics scraped, JSON logs) cost."""


def table(results: list[Result], concurrency: list[int]) -> str:
    rounds = max((r.round for r in results), default=0) + 1
    cells: dict[tuple[str, int], list[Result]] = {}
    for r in results:
        cells.setdefault((r.design, r.concurrency), []).append(r)
    lines = [
        "| design | clients | req/s | p50 ms | p90 ms | p99 ms | server CPU ms/req | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (design, c), runs in cells.items():
        r = _median_cell(runs)
        lines.append(
            f"| {design} | {c} | {r.rps:.1f} | {r.percentile(0.5):.1f} | "
            f"{r.percentile(0.9):.1f} | {r.percentile(0.99):.1f} | "
            f"{r.cpu_ms_per_request:.2f} | {sum(x.errors for x in runs)} |"
        )
    if rounds > 1:
        lines.append(f"\n(each row: the round with the median requests/s of {rounds} rounds)")
    by = {(r.design, r.concurrency, r.round): r for r in results}

    def ratios(design: str, other: str, c: int, measure: Callable[[Result], float]) -> str:
        values = [
            measure(by[design, c, n]) / measure(by[other, c, n])
            for n in range(rounds)
            if (design, c, n) in by and (other, c, n) in by
        ]
        return _ratios(values) if values else "-"

    lines += [
        "",
        "| clients | gateway/limit req/s | gateway/limit p99 | gateway/seed req/s |",
        "|---:|---:|---:|---:|",
    ]
    for c in concurrency:
        if ("gateway", c) not in cells:
            continue
        vs_limit = ratios("gateway", "limit", c, lambda r: r.rps)
        p99 = ratios("gateway", "limit", c, lambda r: r.percentile(0.99))
        vs_seed = ratios("gateway", "seed", c, lambda r: r.rps)
        lines.append(f"| {c} | {vs_limit} | {p99} | {vs_seed} |")
    for other, base in COMPARED_DESIGNS:
        compared = [c for c in concurrency if (other, c) in cells and (base, c) in cells]
        if compared:
            lines += [
                "",
                f"| clients | {other}/{base} req/s | {other}/{base} CPU per request |",
                "|---:|---:|---:|",
            ]
            for c in compared:
                rps = ratios(other, base, c, lambda r: r.rps)
                cpu = ratios(other, base, c, lambda r: r.cpu_ms_per_request)
                lines.append(f"| {c} | {rps} | {cpu} |")
    return "\n".join(lines)


LIMITS_ON = {
    "GATEWAY_API_KEYS_FILE": str(KEYS_FILE),
    "GATEWAY_RATE_LIMIT_REQUESTS": "1000000",
    "GATEWAY_RATE_LIMIT_SEARCHES": "1000000",
}
"""Every optional limit on, never reached: the `gateway-limits` and `gateway-observed` designs."""

DESIGNS = {
    "limit": baseline("limit"),
    "gateway": gateway_design("gateway"),
    "seed": baseline("seed"),
    "sequential": baseline("sequential"),
    "gateway-cached": gateway_design(
        "gateway-cached",
        repeat=True,
        GATEWAY_CACHE_TTL_FLIGHTS_S="600",
        GATEWAY_CACHE_TTL_HOTELS_S="600",
    ),
    # The HTTP floor: what a request costs the server when it does nothing (`GET /healthz`),
    # beside which `gateway-cached` (a search repeated, every answer from the cache) is read.
    "gateway-healthz": replace(
        gateway_design("gateway-healthz", repeat=True),
        path="/healthz",
        method="GET",
        check=ok_status,
    ),
    "gateway-2-workers": gateway_design("gateway-2-workers", workers=2),
    # Every optional limit on (and never reached): an API key checked on each request, and
    # requests and searches counted per client. The always-on checks run in every design.
    "gateway-limits": gateway_design(
        "gateway-limits", headers={"X-API-Key": BENCH_KEY}, settings=LIMITS_ON
    ),
    # gateway-limits with observability on: metrics kept (and scraped every second by
    # `drive`), JSON logs with a line per request; compare with gateway-limits for its cost.
    "gateway-observed": gateway_design(
        "gateway-observed",
        headers={"X-API-Key": BENCH_KEY},
        settings=LIMITS_ON,
        GATEWAY_METRICS_TOKEN=METRICS_TOKEN,
        GATEWAY_LOG_FORMAT="json",
        GATEWAY_LOG_LEVEL="INFO",
    ),
}
REDIS_DESIGNS = {"gateway-2-workers"}
"""Designs that share one Redis (started by the benchmark) between their processes."""


async def stop(process: Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=15)
        except TimeoutError:
            process.kill()
            await process.wait()


def tls_files(directory: Path) -> tuple[str, str]:
    """A throwaway CA and a certificate for 127.0.0.1: (server PEM, CA PEM for the clients)."""
    authority = trustme.CA()
    server = authority.issue_cert("127.0.0.1")
    server_pem, ca_pem = directory / "server.pem", directory / "ca.pem"
    server.private_key_and_cert_chain_pem.write_to_path(str(server_pem))
    authority.cert_pem.write_to_path(str(ca_pem))
    return str(server_pem), str(ca_pem)


async def main_async(args: argparse.Namespace) -> list[Result]:
    write_keys_file()
    with tempfile.TemporaryDirectory() as directory:
        tls = None if args.plain_http else tls_files(Path(directory))
        if tls is not None:
            # Every design's process trusts the throwaway CA (OpenSSL reads SSL_CERT_FILE).
            os.environ["SSL_CERT_FILE"] = tls[1]
        return await _run_all(args, tls[0] if tls else None)


async def _run_all(args: argparse.Namespace, tls_cert: str | None) -> list[Result]:
    upstream_process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.upstreams",
        "--latency-ms",
        str(args.latency_ms),
        *(["--tls-cert", tls_cert] if tls_cert else []),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert upstream_process.stdout is not None
        upstreams = json.loads(await upstream_process.stdout.readline())
        items = searches()
        results: list[Result] = []
        print(f"upstreams at {upstreams}, latency {args.latency_ms:g} ms", file=sys.stderr)
        with contextlib.ExitStack() as stack:
            redis_url = None
            if REDIS_DESIGNS & set(args.designs) and shutil.which("redis-server"):
                redis_url = stack.enter_context(redis_server())
            for round_number in range(args.rounds):
                # Each round starts with the next design, so none always runs first.
                shift = round_number % len(args.designs)
                for name in args.designs[shift:] + args.designs[:shift]:
                    for result in await run_design(
                        DESIGNS[name], upstreams, args, items, redis_url
                    ):
                        result.round = round_number
                        results.append(result)
    finally:
        await stop(upstream_process)
    print(
        f"\n{platform.node()} · {os.cpu_count()} cores · {platform.python_implementation()} "
        f"{platform.python_version()} · {date.today()} · upstream latency {args.latency_ms:g} ms "
        f"(critical path 2 calls = {2 * args.latency_ms:g} ms) · upstreams over "
        f"{'plain HTTP' if tls_cert is None else 'HTTPS'} · {args.seconds:g} s per cell "
        f"after {args.warmup:g} s warm-up\n"
    )
    print(table(results, args.concurrency))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 50, 200])
    parser.add_argument(
        "--designs",
        nargs="+",
        default=list(DESIGNS),
        choices=list(DESIGNS),
    )
    parser.add_argument(
        "--plain-http",
        action="store_true",
        help="upstreams over plain HTTP (default: HTTPS, as the real providers speak)",
    )
    parser.add_argument(
        "--before",
        metavar="CHECKOUT",
        help="also run each gateway design chosen from another checkout (e.g. a worktree of an "
        "older commit) as <design>-before; its dependencies must be installed in this "
        "environment",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every design this many times, interleaved (each round starting with the next "
        "design); ratios are the median of the rounds' ratios",
    )
    parser.add_argument("--json", help="also write the raw results here")
    args = parser.parse_args()
    if args.before:
        # Each gateway design chosen, also from the other checkout, as `<design>-before`.
        for name in [name for name in args.designs if DESIGNS[name].gateway]:
            before = f"{name}-before"
            DESIGNS[before] = replace(DESIGNS[name], name=before, cwd=args.before)
            args.designs.append(before)
    results = uvloop.run(main_async(args))
    if args.json:
        Path(args.json).write_text(
            json.dumps([asdict(r) | {"rps": r.rps} for r in results], indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
