"""The codegen set-ups of docs/clients.md generate and compile: graphql-codegen (TypeScript, for
Apollo Client) and ariadne-codegen (Python) run on the current schema.graphql and
examples/operations, in a temporary copy of examples/, and each usage file must type-check against
what they made.

The tools are pinned in examples/ (typescript/package-lock.json, python/requirements.txt) and
installed once into .cache/codegen/ (gitignored), again only when a pin changes: `npm ci` there,
and a virtualenv of its own for ariadne-codegen, whose graphql-core 3.2 and ruff 0.15 would clash
with ours. Skipped only where npm or the registry cannot be reached; under CI, which has both,
that fails instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest

from tests.helpers import GraphQLClient

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CACHE = ROOT / ".cache" / "codegen"
NPM_FILES = ("package.json", "package-lock.json", ".npmrc")
UNREACHABLE = re.compile(
    r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|NewConnectionError"
    r"|Temporary failure in name resolution|Network is unreachable|Connection refused"
)
"""What npm and pip say when the registry cannot be reached (and nothing else is wrong)."""
TOOL_TIMEOUT_S = 300


def unavailable(reason: str) -> NoReturn:
    """Skip where the tools cannot be had; in CI, which has the registries, fail."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def run(
    command: Sequence[str | Path], cwd: Path, *, timeout: float = TOOL_TIMEOUT_S, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"{result.stdout}\n{result.stderr}".strip()


def check(result: subprocess.CompletedProcess[str], what: str) -> None:
    """Fail with the tool's own words."""
    if result.returncode != 0:
        pytest.fail(f"{what} failed (exit {result.returncode}):\n{output(result)}", pytrace=False)


def install(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0 and UNREACHABLE.search(output(result)):
        unavailable(f"{what}: the package registry cannot be reached:\n{output(result)[-2000:]}")
    check(result, what)


def fingerprint(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """examples/typescript's locked packages, installed with `npm ci` into the cache."""
    npm = shutil.which("npm")
    node = shutil.which("node")
    if npm is None or node is None:
        unavailable("node and npm are needed for the TypeScript codegen set-up")
    target = CACHE / "npm"
    stamp = target / ".installed"
    sources = [(EXAMPLES / "typescript" / name).read_bytes() for name in NPM_FILES]
    node_version = run([node, "--version"], ROOT).stdout.encode()
    want = fingerprint(node_version, *sources)
    if not (stamp.is_file() and stamp.read_text() == want and (target / "node_modules").is_dir()):
        target.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)
        for name in NPM_FILES:
            shutil.copyfile(EXAMPLES / "typescript" / name, target / name)
        ci = run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], target, timeout=900)
        install(ci, "npm ci (examples/typescript/package-lock.json)")
        stamp.write_text(want)
    return target / "node_modules"


@pytest.fixture(scope="session")
def codegen_python() -> Path:
    """A virtualenv of examples/python/requirements.txt (ariadne-codegen, mypy); its python."""
    target = CACHE / "venv"
    stamp = target / ".installed"
    requirements = EXAMPLES / "python" / "requirements.txt"
    want = fingerprint(sys.version.encode(), requirements.read_bytes())
    python = target / "bin" / "python"
    if not (stamp.is_file() and stamp.read_text() == want and python.exists()):
        shutil.rmtree(target, ignore_errors=True)
        venv.create(target, with_pip=True)
        pip = run([python, "-m", "pip", "install", "-q", "-r", requirements], ROOT, timeout=900)
        install(pip, "pip install -r examples/python/requirements.txt")
        stamp.write_text(want)
    return python


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The repository's layout, as far as codegen sees it: schema.graphql and examples/, without
    anything installed or generated."""
    shutil.copyfile(ROOT / "schema.graphql", tmp_path / "schema.graphql")
    skip = shutil.ignore_patterns(
        "node_modules", "__generated__", "travel_client", "__pycache__", ".mypy_cache"
    )
    shutil.copytree(EXAMPLES, tmp_path / "examples", ignore=skip)
    return tmp_path


def typescript(workspace: Path, node_modules: Path) -> Path:
    folder = workspace / "examples" / "typescript"
    (folder / "node_modules").symlink_to(node_modules, target_is_directory=True)
    return folder


def npm_run(folder: Path, script: str) -> subprocess.CompletedProcess[str]:
    npm = shutil.which("npm")
    assert npm is not None
    return run([npm, "run", "--silent", script], folder)


def without(path: Path, text: str) -> None:
    """Take one line of a committed config out, as a careless edit would."""
    content = path.read_text()
    assert content.count(text) == 1, f"{text!r} is not once in {path.name}"
    path.write_text(content.replace(text, ""))


def test_typescript_types_generate_and_compile(workspace: Path, node_modules: Path) -> None:
    folder = typescript(workspace, node_modules)
    check(npm_run(folder, "codegen"), "graphql-codegen (npm run codegen)")
    generated = (folder / "src" / "__generated__" / "graphql.ts").read_text()
    for name in ("TripDocument", "FlightsPageDocument", "LocationsDocument"):
        assert f"export const {name}" in generated
    check(npm_run(folder, "typecheck"), "tsc --noEmit --strict (npm run typecheck)")


def test_typescript_codegen_refuses_an_unmapped_scalar(workspace: Path, node_modules: Path) -> None:
    """strictScalars: a custom scalar without a mapping stops generation, not `unknown`."""
    folder = typescript(workspace, node_modules)
    without(folder / "codegen.ts", 'Decimal: "string",')
    result = npm_run(folder, "codegen")
    assert result.returncode != 0, output(result)
    assert "Unknown scalar type Decimal" in output(result)


def ariadne(workspace: Path, python: Path) -> Path:
    folder = workspace / "examples" / "python"
    check(run([python.parent / "ariadne-codegen"], folder), "ariadne-codegen")
    return folder


def mypy(folder: Path, python: Path) -> subprocess.CompletedProcess[str]:
    """`mypy usage.py`, strict by examples/python/pyproject.toml; the cache is kept between runs
    (pydantic and httpx take most of its time)."""
    return run([python, "-m", "mypy", "usage.py"], folder, MYPY_CACHE_DIR=str(CACHE / "mypy"))


def test_python_client_generates_and_type_checks(workspace: Path, codegen_python: Path) -> None:
    folder = ariadne(workspace, codegen_python)
    check(mypy(folder, codegen_python), "mypy --strict usage.py")
    check(run([codegen_python, "-c", "import usage, travel_client"], folder), "import")


def test_python_type_check_catches_a_lost_scalar_mapping(
    workspace: Path, codegen_python: Path
) -> None:
    """ariadne-codegen types an unmapped scalar `Any` without a word; usage.py's assert_type
    lines are what turn that into a failure."""
    config = workspace / "examples" / "python" / "pyproject.toml"
    section = re.search(
        r"^\[tool\.ariadne-codegen\.scalars\.Decimal\]\n(?:[^\[\n].*\n)*", config.read_text(), re.M
    )
    assert section is not None
    without(config, section.group())
    folder = ariadne(workspace, codegen_python)
    result = mypy(folder, codegen_python)
    assert result.returncode != 0, output(result)
    assert 'Expression is of type "Any", not "Decimal"' in output(result)


async def test_python_client_reads_the_gateway(
    workspace: Path, codegen_python: Path, served_client: GraphQLClient
) -> None:
    """The generated client against a real gateway: variables go out as the scalars' wire forms,
    and answers parse into dates, naive local times and exact decimals (usage.py checks them)."""
    folder = ariadne(workspace, codegen_python)
    process = await asyncio.create_subprocess_exec(
        codegen_python,
        "usage.py",
        f"{served_client.base_url}/graphql",
        cwd=folder,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    printed = stdout.decode()
    assert process.returncode == 0, printed
    assert re.search(r"^cheapest: \S+ \w+ LHR \S+ \S+ \d+\.\d\d EUR$", printed, re.M)
    assert re.search(r"^hotel: .+ \d+\.\d\d EUR \d{4}-\d\d-\d\d$", printed, re.M)
    assert "next page: ['F" in printed
    assert "cities: ['LON']" in printed
