"""List the packages in uv.lock that have newer releases on PyPI, direct dependencies marked.

Run as `scripts/outdated`. uv (pinned, scripts/uv) reads the lock for every platform and asks
the registry for each package's newest release; this only reads its answer and prints a table.
A newer release inside pyproject.toml's range comes with `scripts/lock --upgrade-package NAME`;
one outside it needs the range moved first (docs/development.md, "Ranges").
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TREE = [
    "tree",
    "--frozen",
    "--universal",
    "--outdated",
    "--format",
    "json",
    "--preview-features",
    "json-output",
]


@dataclass(frozen=True)
class Outdated:
    name: str
    locked: str
    latest: str
    direct: str
    """"runtime", an extra's name ("dev"), several joined by ",", or "" when only transitive."""


def direct_dependencies(tree: dict[str, Any]) -> dict[str, list[str]]:
    """Each package the project itself names, with where: "runtime" or the extra's name."""
    resolution: dict[str, Any] = tree["resolution"]
    members = {member["name"] for member in tree["members"]}
    direct: dict[str, list[str]] = {}
    for node in resolution.values():
        if node.get("name") not in members:
            continue
        kind = node.get("kind")
        where = kind["extra"] if isinstance(kind, dict) and "extra" in kind else "runtime"
        for dependency in node.get("dependencies", []):
            name = resolution[dependency["id"]]["name"]
            if name in members:
                continue
            places = direct.setdefault(name, [])
            if where not in places:
                places.append(where)
    return direct


def outdated(tree: dict[str, Any]) -> list[Outdated]:
    """Locked packages whose newest release is not the locked one, by name and version."""
    direct = direct_dependencies(tree)
    found: dict[tuple[str, str], Outdated] = {}
    for node in tree["resolution"].values():
        latest = node.get("latest_version")
        if not latest or latest == node.get("version"):
            continue
        name, version = node["name"], node["version"]
        found[(name, version)] = Outdated(name, version, latest, ",".join(direct.get(name, [])))
    return sorted(found.values(), key=lambda row: (row.direct == "", row.name, row.locked))


def table(rows: list[Outdated]) -> str:
    if not rows:
        return "every locked package is at its newest release"
    lines = [("package", "locked", "latest", "direct")] + [
        (row.name, row.locked, row.latest, row.direct or "-") for row in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line[:3], widths, strict=True))
        + "  "
        + line[3]
        for line in lines
    )


def main(arguments: list[str]) -> int:
    """Arguments go to `uv tree` (e.g. `--project DIR` for another project's lock)."""
    answer = subprocess.run(
        [str(ROOT / "scripts" / "uv"), *TREE, *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        check=False,
    )
    if answer.returncode != 0:
        print("outdated: `uv tree --outdated` failed (see above)", file=sys.stderr)
        return answer.returncode
    print(table(outdated(json.loads(answer.stdout))))
    return 0


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__)
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
