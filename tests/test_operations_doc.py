"""docs/operations.md lists every setting the gateway reads: a variable that is read but not in
the table is a setting no operator can find."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTING = re.compile(r'"((?:GATEWAY|AMADEUS|DUFFEL|HOTELBEDS|LITEAPI)_[A-Z0-9_]+)"')


def test_every_setting_read_is_in_the_operations_table() -> None:
    read = {
        name
        for source in (ROOT / "gateway").rglob("*.py")
        for name in SETTING.findall(source.read_text(encoding="utf-8"))
    }
    table = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert len(read) > 40  # the scan found the settings (config.py and each provider's spec)
    assert sorted(name for name in read if f"`{name}`" not in table) == []
