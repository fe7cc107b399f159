"""docs/operations.md lists every setting the gateway reads: a variable that is read but not in
the table is a setting no operator can find."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.providers import registry

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parents[1]
PREFIXES = (
    "GATEWAY",
    *sorted({name.split("_")[0] for s in registry.SPECS for name in s.variables}),
)
"""The gateway's own and each provider's (from the variables its spec declares)."""
SETTING = re.compile(rf'"((?:{"|".join(PREFIXES)})_[A-Z0-9_]+)"')


def test_every_setting_read_is_in_the_operations_table() -> None:
    read = {
        name
        for source in (ROOT / "gateway").rglob("*.py")
        for name in SETTING.findall(source.read_text(encoding="utf-8"))
    }
    table = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert len(read) > 40  # the scan found the settings (config.py and each provider's spec)
    for spec in registry.SPECS:
        assert set(spec.variables) <= read, f"the scan missed {spec.name}'s settings"
    assert sorted(name for name in read if f"`{name}`" not in table) == []
