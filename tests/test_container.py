"""The image, built from the Containerfile and run as an operator runs it (issue 19).

Two containers of it share one Redis on this machine's loopback (host network): each becomes
ready, answers a search, and continues the other's pages; they run as the image's non-root
user; the image's own health check passes; SIGTERM drains (readiness 503, a request in flight
answered, a clean exit).

No image registry is reachable here, so the image is built FROM a Python base made from
Debian's packages (`scripts/container-base`, which also installs podman; docs/deploy.md). Where
podman cannot run (not root, no podman and no apt), the tests say why and skip; nothing else is
skipped with them. The build takes ~30 s and the base ~1 min the first time (scripts/test starts
making it in the background, and conftest.py runs these tests last).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import days_ahead
from tests.ports import free_port
from tests.redis_server import redis_server

ROOT = Path(__file__).resolve().parents[1]
PODMAN = ["podman", "--runtime", "runc"]
"""crun fails on these machines ("cgroups in hybrid mode not supported"): runc works."""
READY_WITHIN_S = 120.0
"""Start-up of a container on a busy machine: imports, simulators, the first Redis ping."""
SIGNING_KEY = "container-test-signing-key-0123456789abcdef"
DRAIN_S = 4
DEMO_LATENCY_MS = 1500
"""Container B answers searches this slowly, so one is surely in flight when it stops."""

pytestmark = [pytest.mark.tooling, pytest.mark.container]

QUERY = """query($s: FlightSearchInput!, $first: Int!, $after: String) {
  flights(search: $s, first: $first, after: $after) {
    offers { totalCount nodes { id price { amount currency } }
             pageInfo { hasNextPage endCursor } }
    providers { provider status } } }"""


def podman(
    *args: str, timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*PODMAN, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:3])}… failed: {done.stderr[-2000:]}")
    return done


def _cannot_run() -> str | None:
    """Why podman cannot be used here, or None."""
    if os.geteuid() != 0:
        return "podman's root storage and debootstrap need root"
    if shutil.which("podman") is None and shutil.which("apt-get") is None:
        return "no podman, and no apt-get to install it"
    return None


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    """The image built from this checkout (removed afterwards; the base image is kept)."""
    reason = _cannot_run()
    if reason is not None:
        pytest.skip(f"podman cannot run here: {reason}")
    base = subprocess.run(
        [ROOT / "scripts" / "container-base"], capture_output=True, text=True, timeout=900
    )
    if base.returncode != 0:
        pytest.skip(f"podman cannot run here: scripts/container-base: {base.stderr[-1000:]}")
    tag = f"localhost/travel-gateway:test-{uuid.uuid4().hex[:8]}"
    build = [
        "build", "--format", "docker", "--network", "host", "--layers=false",
        "--build-arg", f"BASE_IMAGE={base.stdout.strip()}", "-t", tag, str(ROOT),
    ]  # fmt: skip
    podman(*build, timeout=900)
    try:
        yield tag
    finally:
        podman("rmi", "--force", tag, check=False)


@dataclass
class Container:
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        done = podman("logs", self.name, check=False)
        return done.stdout + done.stderr


def start(image: str, redis_url: str, name: str, **env: str) -> Container:
    port = free_port()
    settings = {
        "PORT": str(port),
        "GATEWAY_HOST": "127.0.0.1",  # the host's network: loopback only
        "GATEWAY_CACHE_URL": redis_url,
        "GATEWAY_CACHE_SIGNING_KEY": SIGNING_KEY,
        **env,
    }
    flags = [part for key, value in settings.items() for part in ("-e", f"{key}={value}")]
    podman("run", "-d", "--name", name, "--network", "host", *flags, image)
    return Container(name, port)


def http(url: str, payload: dict[str, Any] | None = None, timeout: float = 5) -> tuple[int, Any]:
    """GET `url` (or POST `payload` as JSON): the status and the JSON answer (None if not JSON).
    OSError when nothing answers."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def wait_ready(container: Container) -> None:
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        try:
            if http(f"{container.url}/readyz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        state = podman("inspect", "--format", "{{.State.Status}}", container.name, check=False)
        if state.stdout.strip() == "exited":
            break
        time.sleep(0.2)
    pytest.fail(f"{container.name} never became ready:\n{container.logs()[-3000:]}")


def post(container: Container, variables: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
    status, body = http(
        f"{container.url}/graphql", {"query": QUERY, "variables": variables}, timeout=timeout
    )
    assert status == 200, body
    assert "errors" not in body, body["errors"]
    return dict(body)


def flights(first: int, after: str | None = None, days: int = 40) -> dict[str, Any]:
    search = {"origin": "PAR", "destination": "NYC", "departureDate": days_ahead(days)}
    return {"s": search, "first": first, "after": after}


@pytest.fixture(scope="module")
def pair(image: str) -> Iterator[tuple[Container, Container]]:
    """Two containers of the image, one Redis; B answers slowly and drains for `DRAIN_S`."""
    run = uuid.uuid4().hex[:8]
    names = [f"tgw-test-{run}-a", f"tgw-test-{run}-b"]
    with redis_server() as redis_url:
        try:
            a = start(image, redis_url, names[0])
            b = start(
                image,
                redis_url,
                names[1],
                GATEWAY_DRAIN_S=str(DRAIN_S),
                GATEWAY_DEMO_LATENCY_MS=str(DEMO_LATENCY_MS),
                GATEWAY_DEMO_JITTER_MS="0",
            )
            wait_ready(a)
            wait_ready(b)
            yield a, b
        finally:
            for name in names:
                podman("rm", "--force", "--time", "0", name, check=False)


def test_each_container_answers_a_search(pair: Sequence[Container]) -> None:
    for container in pair:
        body = post(container, flights(first=3))
        offers = body["data"]["flights"]["offers"]
        assert len(offers["nodes"]) == 3
        statuses = {p["provider"]: p["status"] for p in body["data"]["flights"]["providers"]}
        assert statuses, body
        assert set(statuses.values()) == {"OK"}


def test_page_two_from_the_other_container(pair: Sequence[Container]) -> None:
    """The result set lives in the shared Redis: B continues A's pages, as A does."""
    a, b = pair
    first = post(a, flights(first=2))["data"]["flights"]["offers"]
    cursor = first["pageInfo"]["endCursor"]
    assert first["pageInfo"]["hasNextPage"]
    on_b = post(b, flights(first=2, after=cursor))["data"]["flights"]["offers"]
    on_a = post(a, flights(first=2, after=cursor))["data"]["flights"]["offers"]
    assert on_b["nodes"] == on_a["nodes"]
    assert {n["id"] for n in on_b["nodes"]}.isdisjoint({n["id"] for n in first["nodes"]})


def test_runs_as_the_images_non_root_user(image: str, pair: Sequence[Container]) -> None:
    configured = podman("image", "inspect", "--format", "{{.Config.User}}", image)
    assert configured.stdout.strip() == "10001:10001"
    for container in pair:
        ids = podman("exec", container.name, "id", "-u").stdout.strip()
        assert ids == "10001"


def test_the_images_health_check_passes(image: str, pair: Sequence[Container]) -> None:
    """HEALTHCHECK runs `python -m gateway.probe` (no curl in the image) against /readyz."""
    declared = podman("image", "inspect", "--format", "{{json .Config.Healthcheck}}", image)
    assert "gateway.probe" in json.loads(declared.stdout)["Test"]
    for container in pair:
        assert podman("healthcheck", "run", container.name, check=False).returncode == 0


def test_sigterm_drains_then_exits_cleanly(pair: Sequence[Container]) -> None:
    """Readiness turns 503 first while requests are still served; a request in flight when
    the server stops is answered; the process exits 0. Runs last of the module (it stops B)."""
    _, b = pair
    podman("kill", "--signal", "TERM", b.name)
    deadline = time.monotonic() + 30
    while True:
        status, ready = http(f"{b.url}/readyz")
        if status == 503 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert status == 503
    assert any("draining" in reason for reason in ready["reasons"])
    assert http(f"{b.url}/healthz")[0] == 200  # still alive

    answered: list[dict[str, Any]] = []
    # A search no container made (the shared cache does not answer it) taking DEMO_LATENCY_MS,
    # sent during the drain: it is still in flight when the drain ends and the server stops.
    in_flight = threading.Thread(
        target=lambda: answered.append(post(b, flights(first=1, days=41), timeout=60))
    )
    in_flight.start()
    exited = podman("wait", b.name, timeout=60)
    in_flight.join(timeout=60)
    assert exited.stdout.strip() == "0", b.logs()[-3000:]
    assert len(answered) == 1
    assert answered[0]["data"]["flights"]["offers"]["nodes"]
    logs = b.logs()
    assert "draining" in logs
    assert "Traceback" not in logs, logs[-3000:]
