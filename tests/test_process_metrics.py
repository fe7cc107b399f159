"""Process and garbage-collector metrics under prometheus-client's standard names: its own
collectors in one process; under `serve --workers N`, each worker's values with a `pid` label,
gone with the worker. And no `_created` series."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.config import Settings
from tests.helpers import Simulators, gateway
from tests.served import served_gateway

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "metrics-token-" + "p" * 40
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DASHBOARD = ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds")
"""What the operations dashboard queries by `pid`: these names must not change."""
PER_WORKER = (
    *DASHBOARD,
    "process_virtual_memory_bytes",
    "process_start_time_seconds",
    "process_max_fds",
)
TYPES = {
    "process_cpu_seconds": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_virtual_memory_bytes": "gauge",
    "process_start_time_seconds": "gauge",
    "process_open_fds": "gauge",
    "process_max_fds": "gauge",
    "python_gc_collections": "counter",
    "python_gc_objects_collected": "counter",
    "python_gc_objects_uncollectable": "counter",
}


def families(text: str) -> dict[str, str]:
    """Each family's type, by name, as Prometheus' own parser reads it."""
    return {family.name: family.type for family in text_string_to_metric_families(text)}


def series(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def pids_of(text: str, name: str) -> set[str]:
    return {dict(labels)["pid"] for (n, labels) in series(text) if n == name}


async def test_one_process_exports_prometheus_clients_standard_collectors_and_no_created(
    sims: Simulators,
) -> None:
    async with gateway(Settings(provider_timeout_s=5.0, metrics_token=TOKEN), sims) as client:
        await client.post("query Ping { __typename }")
        status, _, body = await client.raw("GET", "/metrics", headers=AUTH)
    assert status == 200
    text = body.decode()
    found = families(text)
    assert {name: found.get(name) for name in TYPES} == TYPES
    assert "python_info" in found
    values = series(text)
    assert values[("process_cpu_seconds_total", frozenset())] > 0
    assert values[("process_open_fds", frozenset())] > 0
    assert ("python_gc_collections_total", frozenset({("generation", "2")})) in values
    # Counters and histograms carry no second series of their start time.
    assert "_created" not in text
    assert found["gateway_requests"] == "counter"


WORKERS = """
import multiprocessing, os, sys
from gateway.observe.metrics import MetricsObserver, mark_dead

def worker(ready):
    MetricsObserver().watch([], lambda: 0)  # a worker's lifespan: its values written
    ready.put(os.getpid())

if __name__ == "__main__":
    observer = MetricsObserver()
    observer.watch([], lambda: 0)
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Queue()
    other = spawn.Process(target=worker, args=(ready,))
    other.start()
    other_pid = ready.get(timeout=60)
    other.join(60)
    sys.stdout.write(f"{os.getpid()} {other_pid}\\n")
    sys.stdout.write(observer.exposition().decode())
    sys.stdout.write("-- marked dead --\\n")
    mark_dead(other_pid)
    sys.stdout.write(observer.exposition().decode())
"""


def test_each_worker_has_its_own_series_until_it_is_marked_dead(tmp_path: Path) -> None:
    """Multiprocess mode (a fresh interpreter: prometheus-client chooses at import): a scrape
    answered by one worker holds every live worker's values under its pid, as standard names
    and types; a worker marked dead leaves no series behind."""
    script = tmp_path / "workers.py"
    script.write_text(WORKERS)
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    (tmp_path / "metrics").mkdir()
    done = subprocess.run(
        [sys.executable, str(script)], env=env, cwd=ROOT, capture_output=True, text=True,
        check=True, timeout=120,
    )  # fmt: skip
    first, rest = done.stdout.split("\n", 1)
    both, after = rest.split("-- marked dead --\n")
    me, other = first.split()
    for name in PER_WORKER:
        assert pids_of(both, name) == {me, other}, name
    assert pids_of(both, "python_gc_collections_total") == {me, other}
    assert {name: families(both).get(name) for name in TYPES} == TYPES
    for name in PER_WORKER:
        assert pids_of(after, name) == {me}, name
    assert pids_of(after, "python_gc_collections_total") == {me}
    assert "_created" not in both


def worker_pids(parent: int) -> set[str]:
    """The uvicorn workers of `serve` (its children started by multiprocessing's spawn)."""
    found = set()
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            found.add(child)
    return found


async def test_serve_with_two_workers_exports_each_workers_process_by_pid() -> None:
    """A real `serve --workers 2`: every scrape, whichever worker answers it, holds both
    workers' process series by pid; a worker killed and replaced takes its series with it."""
    async with served_gateway({"GATEWAY_METRICS_TOKEN": TOKEN}, ["--workers", "2"]) as served:
        connector = aiohttp.TCPConnector(force_close=True)  # a new connection each: both answer
        async with aiohttp.ClientSession(connector=connector) as session:

            async def scrape() -> str:
                async with session.get(f"{served.url}/metrics", headers=AUTH) as response:
                    assert response.status == 200
                    return await response.text()

            workers = worker_pids(served.pid)
            for _ in range(100):  # both workers' lifespans have started
                text = await scrape()
                if pids_of(text, "process_cpu_seconds_total") == workers:
                    break
                await asyncio.sleep(0.1)
            for text in [await scrape() for _ in range(4)]:
                for name in DASHBOARD:
                    assert pids_of(text, name) == workers, name
                assert "_created" not in text
            assert families(text)["process_cpu_seconds"] == "counter"

            dead = min(workers)
            os.kill(int(dead), signal.SIGKILL)
            for _ in range(200):  # uvicorn replaces it; the supervisor marks it dead
                text = await scrape()
                now = worker_pids(served.pid)
                if len(now) == 2 and dead not in now and pids_of(text, DASHBOARD[0]) == now:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"{pids_of(text, DASHBOARD[0])} against {now}")
            for name in DASHBOARD:
                assert dead not in pids_of(text, name), name
