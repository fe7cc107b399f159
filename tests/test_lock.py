"""Reproducible installs: uv.lock matches pyproject.toml, the virtualenv running these tests holds
exactly the locked versions (so a clean clone's `scripts/bootstrap dev`, which CI runs, installed
them), bootstrap is a no-op when current, and `scripts/outdated` reports what it should.

uv is the project's pinned one (`scripts/uv` installs it from PyPI on first use). These tests are
skipped only where it cannot be had (no registry); under CI, which has the registry, they fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
import time
import tomllib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parents[1]
UV = ROOT / "scripts" / "uv"
UNREACHABLE = re.compile(
    r"dns error|Failed to fetch|error sending request|Connection refused|Network is unreachable"
    r"|timed out|Could not connect",
    re.IGNORECASE,
)
"""What uv says when the registry cannot be reached (and nothing else is wrong)."""
SEEDED = {"pip", "setuptools", "wheel"}
"""What `python -m venv` seeds; uv leaves them where they are when the lock does not list them."""


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def run(
    command: Sequence[str | Path], cwd: Path = ROOT, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        check=False,
    )


@pytest.fixture(scope="module")
def uv() -> Path:
    """scripts/uv, with the pinned uv installed (from PyPI, the first time)."""
    version = run([UV, "--version"])
    if version.returncode != 0:
        unavailable(f"the pinned uv could not be installed: {version.stderr.strip()[-500:]}")
    return UV


def installed_extras() -> list[str]:
    """The extras scripts/bootstrap installed (its stamp), or "dev" where there is no stamp:
    these tests run, so the dev tools are there."""
    stamp = Path(sys.prefix) / ".installed"
    if stamp.is_file():
        return stamp.read_text().split()[1:]
    return ["dev"]


def locked_for_this_interpreter(uv: Path, extras: Sequence[str]) -> dict[str, str]:
    """Name -> version of every package uv.lock installs here (its markers evaluated by
    `packaging`, not by uv), the project itself left out."""
    flags = [part for extra in extras for part in ("--extra", extra)]
    export = ["export", "--frozen", "--no-hashes", "--no-annotate", "--no-header"]
    exported = run([uv, *export, "--offline", "--no-emit-project", *flags])
    assert exported.returncode == 0, exported.stderr
    locked: dict[str, str] = {}
    for line in exported.stdout.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, _, version = requirement.strip().partition("==")
        locked[canonicalize_name(name)] = version
    return locked


def installed_here() -> dict[str, str]:
    """Name -> version of every distribution in this virtualenv's site-packages."""
    paths = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    return {
        canonicalize_name(dist.metadata["Name"]): dist.version
        for dist in metadata.distributions(path=paths)
    }


def test_lock_matches_pyproject(uv: Path) -> None:
    """Offline: a lock that matches needs no registry to say so."""
    check = run([uv, "lock", "--check", "--offline"])
    assert check.returncode == 0, (
        f"uv.lock does not match pyproject.toml: run scripts/lock\n{check.stderr}"
    )


def test_lock_check_fails_when_pyproject_asks_for_more(uv: Path, tmp_path: Path) -> None:
    """The check above can fail: a dependency added without re-locking is caught."""
    project = probe_project(tmp_path, ["iniconfig==2.0.0"])
    lock_probe(uv, project)
    assert run([uv, "lock", "--check", "--project", project]).returncode == 0
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"iniconfig', '"pluggy==1.5.0", "iniconfig'))
    check = run([uv, "lock", "--check", "--project", project])
    assert check.returncode != 0
    assert "needs to be updated" in check.stderr


def test_environment_holds_exactly_the_locked_versions(uv: Path) -> None:
    """What `pip freeze` would list equals the lock's packages for this interpreter and the
    extras installed: nothing missing, nothing extra, no other version."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("not running in a virtualenv: scripts/bootstrap dev makes .venv")
    locked = locked_for_this_interpreter(uv, installed_extras())
    installed = installed_here()
    project = canonicalize_name(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    )
    assert project in installed, "the project itself is not installed (scripts/bootstrap dev)"
    installed.pop(project)
    for seeded in SEEDED - locked.keys():
        installed.pop(seeded, None)
    assert len(locked) > 40
    differences = {
        name: (locked.get(name), installed.get(name))
        for name in locked.keys() | installed.keys()
        if locked.get(name) != installed.get(name)
    }
    assert differences == {}, (
        f"(locked, installed) differ; run scripts/bootstrap dev: {differences}"
    )


def test_requirements_txt_matches_the_lock(uv: Path) -> None:
    """requirements.txt (installs without uv, the image's packages) is uv.lock's export."""
    check = run([ROOT / "scripts" / "export-requirements", "--check"])
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-1000:]


def test_requirements_txt_check_fails_when_it_drifts(uv: Path, tmp_path: Path) -> None:
    """The check above can fail: a hand-edited pin is caught."""
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        (copy / name).write_bytes((ROOT / name).read_bytes())
    for name in ("export-requirements", "uv", "uv-requirements.txt"):
        (copy / "scripts" / name).write_bytes((ROOT / "scripts" / name).read_bytes())
        (copy / "scripts" / name).chmod(0o755)
    (copy / ".cache").mkdir()
    (copy / ".cache" / "uv-tool").symlink_to(ROOT / ".cache" / "uv-tool")  # the pinned uv, once
    exported = (ROOT / "requirements.txt").read_text()
    drifted = re.sub(r"^redis==\S+", "redis==8.0.0", exported, count=1, flags=re.MULTILINE)
    (copy / "requirements.txt").write_text(drifted)
    check = run([copy / "scripts" / "export-requirements", "--check"], cwd=copy)
    assert check.returncode == 1
    assert "-redis==8.0.0" in check.stdout


def test_pip_installs_exactly_the_lock_from_requirements_txt(uv: Path, tmp_path: Path) -> None:
    """`pip install --require-hashes -r requirements.txt` in a new virtualenv gives the lock's
    versions for this interpreter with the otel extra: nothing missing, nothing extra."""
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", venv])
    assert made.returncode == 0, made.stderr
    pip = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check"]
    installed = run([*pip, "install", "--quiet", "--require-hashes", "-r",
                     ROOT / "requirements.txt"])  # fmt: skip
    if installed.returncode != 0 and UNREACHABLE.search(installed.stderr):
        unavailable(f"the package registry cannot be reached: {installed.stderr[-500:]}")
    assert installed.returncode == 0, installed.stderr[-2000:]
    listed = run([*pip, "list", "--format", "json"])
    assert listed.returncode == 0, listed.stderr
    there = {canonicalize_name(p["name"]): p["version"] for p in json.loads(listed.stdout)}
    locked = locked_for_this_interpreter(uv, ["otel"])
    for seeded in SEEDED - locked.keys():
        there.pop(seeded, None)
    assert there == locked


def test_bootstrap_is_a_no_op_when_current(uv: Path) -> None:
    stamp = ROOT / ".venv" / ".installed"
    if Path(sys.prefix) != ROOT / ".venv" or not stamp.is_file():
        pytest.skip("these tests do not run in the .venv scripts/bootstrap made")
    before = stamp.read_text()
    extras = before.split()[1:]
    started = time.monotonic()
    again = run([ROOT / "scripts" / "bootstrap", *extras])
    elapsed = time.monotonic() - started
    if stamp.read_text() != before:
        pytest.fail(f"bootstrap was not current and installed again: {again.stderr}")
    assert again.returncode == 0, again.stderr
    assert again.stdout == again.stderr == ""
    assert elapsed < 15  # an install takes minutes; generous for a loaded machine


def test_direct_dependencies_have_lower_bounds() -> None:
    """Every dependency pyproject.toml names has a lower bound (what was tested), so a re-lock
    never moves below it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    named = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        named.extend(extra)
    unbounded = [
        text
        for text in named
        if not any(spec.operator in (">=", "==", "~=") for spec in Requirement(text).specifier)
    ]
    assert named
    assert unbounded == []


def load_outdated() -> Any:
    """scripts/outdated.py, a script rather than a package module, loaded by its path."""
    spec = importlib.util.spec_from_file_location(
        "scripts_outdated", ROOT / "scripts" / "outdated.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


outdated = load_outdated()


def tree_node(
    name: str, version: str, *deps: str, kind: Any = "package", latest: str | None = None
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "name": name,
        "version": version,
        "kind": kind,
        "dependencies": [{"id": dep} for dep in deps],
    }
    if latest is not None:
        node["latest_version"] = latest
    return node


def test_outdated_marks_direct_dependencies() -> None:
    """The shape of `uv tree --outdated --format json` (uv 0.13.9): the project's nodes (itself
    and one per extra) name its direct dependencies; a package's `latest_version` is there when
    a newer release exists."""
    tree = {
        "members": [{"name": "app", "id": "app==0@editable+/p"}],
        "resolution": {
            "app==0@editable+/p": tree_node("app", "0", "web[fast]==1.0", "data==2024.1"),
            "app[dev]==0@editable+/p": tree_node(
                "app",
                "0",
                "app==0@editable+/p",
                "check==5.0",
                "data==2024.1",
                kind={"extra": "dev"},
            ),
            "web[fast]==1.0": tree_node(
                "web", "1.0", "web==1.0", "speed==0.1", kind={"extra": "fast"}
            ),
            "web==1.0": tree_node("web", "1.0", latest="2.0"),
            "speed==0.1": tree_node("speed", "0.1", latest="0.3"),
            "data==2024.1": tree_node("data", "2024.1", latest="2026.6"),
            "check==5.0": tree_node("check", "5.0", latest="5.0"),
        },
    }
    rows = outdated.outdated(tree)
    assert [(row.name, row.locked, row.latest, row.direct) for row in rows] == [
        ("data", "2024.1", "2026.6", "runtime,dev"),
        ("web", "1.0", "2.0", "runtime"),
        ("speed", "0.1", "0.3", ""),
    ]
    lines = outdated.table(rows).splitlines()
    assert lines[0].split() == ["package", "locked", "latest", "direct"]
    assert lines[3].split() == ["speed", "0.1", "0.3", "-"]


def test_outdated_command_reports_an_old_pin(uv: Path, tmp_path: Path) -> None:
    """scripts/outdated against a project locked on old releases, asking the registry."""
    project = probe_project(tmp_path, ["iniconfig==2.0.0"], dev=["pluggy==1.5.0"])
    lock_probe(uv, project)
    report = run([ROOT / "scripts" / "outdated", "--project", project])
    assert report.returncode == 0, report.stderr
    rows = {line.split()[0]: line.split()[1:] for line in report.stdout.splitlines()[1:]}
    assert rows["iniconfig"][0] == "2.0.0"
    assert rows["iniconfig"][1] != "2.0.0"
    assert rows["iniconfig"][2] == "runtime"
    assert rows["pluggy"][0] == "1.5.0"
    assert rows["pluggy"][2] == "dev"


def lock_probe(uv: Path, project: Path) -> None:
    """Lock the probe project; it asks the registry (the project's own check does not)."""
    locked = run([uv, "lock", "--project", project])
    if locked.returncode != 0 and UNREACHABLE.search(locked.stderr):
        unavailable(f"the package registry cannot be reached: {locked.stderr.strip()[-500:]}")
    assert locked.returncode == 0, locked.stderr


def probe_project(tmp_path: Path, dependencies: list[str], dev: Sequence[str] = ()) -> Path:
    """A small project of its own (no build, no package), to lock in a temporary directory."""
    project = tmp_path / "probe"
    project.mkdir()
    quoted = ", ".join(f'"{d}"' for d in dependencies)
    dev_quoted = ", ".join(f'"{d}"' for d in dev)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "probe"\nversion = "0"\nrequires-python = ">=3.11"\n'
        f"dependencies = [{quoted}]\n\n[project.optional-dependencies]\ndev = [{dev_quoted}]\n"
    )
    return project
