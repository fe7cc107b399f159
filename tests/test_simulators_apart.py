"""The simulators are a package of their own beside the gateway (`simulators/`): a gateway with
credentials never loads them, demo mode starts every one, and a provider may have none."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway import cli
from gateway.app import create_app
from gateway.config import Settings
from gateway.providers import registry
from gateway.providers.spec import ProviderSpec
from simulators import registry as sim_registry
from tests.helpers import APOLLO_ACCEPT, GraphQLClient, serve

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION = """
import asyncio, importlib.util, sys
import gateway.app, gateway.cli
from gateway.app import create_app
from gateway.config import Settings

settings = Settings.from_env({env!r})
assert not settings.demo
app = create_app(settings)

async def main():
    async with app.router.lifespan_context(app) as state:
        print("providers:", sorted(state["settings"].providers))

asyncio.run(main())
gateway.cli._parser().parse_args(["serve"])  # every command builds the whole parser
assert importlib.util.find_spec("simulators") is not None  # there to load, had it been asked
print("simulators:", sorted(m for m in sys.modules if m.partition(".")[0] == "simulators"))
"""


def test_a_gateway_with_credentials_loads_no_simulator() -> None:
    """Settings for every provider, demo off: the app is built and started (its lifespan, the
    providers' adapters) in a fresh process, and not one `simulators` module is imported."""
    env = {
        **sim_registry.environment(dict.fromkeys(registry.names(), "http://127.0.0.1:9")),
        "GATEWAY_FX_URL": "",  # no rates feed: nothing leaves the machine
    }
    assert set(Settings.from_env(env).providers) == set(registry.names())
    done = subprocess.run(
        [sys.executable, "-c", PRODUCTION.format(env=env)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"providers: {sorted(registry.names())}",
        "simulators: []",
    ]


def lone_provider() -> ProviderSpec[Any]:
    """A provider no simulator stands in for."""
    return ProviderSpec(
        name="fakeair",
        serves=("flights",),
        variables=("FAKEAIR_TOKEN",),
        from_env=lambda env: env.get("FAKEAIR_TOKEN"),
        build=lambda session, token: pytest.fail("not configured, never built"),
    )


@pytest.mark.parametrize("without_simulator", [False, True], ids=["every", "one-without"])
async def test_the_demo_starts_every_simulator(
    without_simulator: bool, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if without_simulator:
        monkeypatch.setattr(registry, "SPECS", (*registry.SPECS, lone_provider()))
    settings = Settings.from_env({"GATEWAY_FX_URL": ""})
    assert settings.demo
    app = create_app(settings)
    with caplog.at_level(logging.INFO, logger="gateway.app"):
        async with (
            serve(app, settings) as url,
            aiohttp.ClientSession(headers={"Accept": APOLLO_ACCEPT}) as session,
        ):
            status, body = await GraphQLClient(session, url).post("{ providers { name mode } }")
    assert status == 200, body
    assert body["data"]["providers"] == [
        {"name": name, "mode": "simulated"} for name in sim_registry.names()
    ]
    [listening] = [r.getMessage() for r in caplog.records if "simulators listening" in r.msg]
    for name in sim_registry.names():
        assert f"{name} at http://127.0.0.1:" in listening
    left_out = [r.getMessage() for r in caplog.records if "has no simulator" in r.msg]
    expected = "demo: fakeair has no simulator, so the demo runs without it"
    assert left_out == ([expected] if without_simulator else [])


def test_simulate_offers_only_the_providers_with_a_simulator(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(registry, "SPECS", (*registry.SPECS, lone_provider()))
    with pytest.raises(SystemExit) as refused:
        cli.main(["simulate", "--provider", "fakeair"])
    assert refused.value.code == 2
    assert "invalid choice: 'fakeair'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as shown:
        cli.main(["simulate", "--help"])
    assert shown.value.code == 0
    assert "{" + ",".join(sim_registry.names()) + "}" in capsys.readouterr().out


def imports(path: Path) -> list[tuple[str, bool]]:
    """Each module `path` imports (`from a import b`: `a.b`, as b may be a module), and whether
    the import is at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(f"{node.module}.{alias.name}", id(node) in top) for alias in node.names]
    return found


def test_the_gateway_imports_the_simulators_only_inside_the_demo_and_simulate() -> None:
    at_top = {
        str(path.relative_to(ROOT)): name
        for path in (ROOT / "gateway").rglob("*.py")
        for name, top in imports(path)
        if top and name.partition(".")[0] == "simulators"
    }
    assert at_top == {}
    inside = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "gateway").rglob("*.py")
        for name, _ in imports(path)
        if name.partition(".")[0] == "simulators"
    }
    assert inside == {"gateway/app.py", "gateway/cli.py"}


SIMULATORS_READ = ("gateway.reference", "gateway.airlines", "gateway.domain")
"""What of the gateway a simulator's own code reads: reference data and the domain's enums."""


def test_the_simulators_read_only_reference_data_of_the_gateway() -> None:
    """No simulator imports the gateway's search layer (or anything above the providers); only
    the specs, which point the gateway's adapters at the simulators, name the providers'."""
    for path in (ROOT / "simulators").rglob("*.py"):
        bridge = path.name == "spec.py" or path.name == "registry.py"
        allowed = SIMULATORS_READ + (("gateway.providers",) if bridge else ())
        for name, _ in imports(path):
            if name.partition(".")[0] != "gateway":
                continue
            assert name.startswith(allowed), f"{path.relative_to(ROOT)} imports {name}"
