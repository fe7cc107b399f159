"""Every test module says which kind it is, so a run can pick the kinds it needs.

`scripts/test --quick` runs `pytest -m unit`: a module without its kind would never run there,
and a module marked unit that started servers would make the quick run slow and flaky (the
`unit` guard in tests/conftest.py refuses sockets and subprocesses to unit tests).
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TESTS = Path(__file__).parent
KINDS = ("unit", "e2e", "edge", "tooling")


def marks_of(path: Path) -> list[str]:
    """The `pytest.mark.<name>` names in the module's top-level `pytestmark`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if not any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in targets):
            continue
        assert node.value is not None
        for inner in ast.walk(node.value):
            if (
                isinstance(inner, ast.Attribute)
                and isinstance(inner.value, ast.Attribute)
                and inner.value.attr == "mark"
            ):
                names.append(inner.attr)
    return names


def kinds_of(path: Path) -> list[str]:
    return [name for name in marks_of(path) if name in KINDS]


def test_every_test_module_carries_exactly_one_kind() -> None:
    modules = sorted(TESTS.glob("test_*.py"))
    assert len(modules) > 50
    wrong = {path.name: kinds_of(path) for path in modules if len(kinds_of(path)) != 1}
    assert wrong == {}, f"each needs exactly one of {KINDS} in its pytestmark"


def test_the_kinds_are_registered() -> None:
    config = tomllib.loads((TESTS.parent / "pyproject.toml").read_text())
    registered = {line.split(":")[0] for line in config["tool"]["pytest"]["ini_options"]["markers"]}
    assert set(KINDS) | {"container"} <= registered


def test_marks_of_reads_one_mark_and_a_list() -> None:
    assert marks_of(TESTS / "test_container.py") == ["tooling", "container"]
    assert marks_of(Path(__file__)) == ["unit"]
