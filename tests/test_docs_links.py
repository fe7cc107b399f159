"""The documentation holds together: every relative link in README.md, CHANGELOG.md and docs/
reaches a file that exists, and an anchor a heading of that file (GitHub's slugs); the README
stays short, starts with the two commands and links every document."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted(
    [ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").rglob("*.md")],
)

FENCE = re.compile(r"^ {0,3}(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(?P<text>.+?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:


def prose(text: str) -> str:
    """The text outside fenced code blocks (lines kept, so numbers stay meaningful)."""
    out, fenced = [], None
    for line in text.split("\n"):
        match = FENCE.match(line)
        if fenced is None and match:
            fenced = match.group(1)
            out.append("")
        elif fenced is not None:
            if line.strip().startswith(fenced):
                fenced = None
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def links(path: Path) -> list[str]:
    text = CODE_SPAN.sub("code", prose(path.read_text(encoding="utf-8")))
    return [match.group("target") for match in LINK.finditer(text)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text as shown, lower-cased, every character but
    letters, digits, marks, `-`, `_` and spaces dropped, each space a hyphen."""
    shown = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link shows its text
    shown = shown.replace("`", "").replace("*", "")
    kept = "".join(
        char for char in shown.lower() if char in "-_ " or unicodedata.category(char)[0] in "LNM"
    )
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor, repeated ones numbered as GitHub does (`-1`, `-2`…)."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose(path.read_text(encoding="utf-8")).split("\n"):
        match = HEADING.match(line)
        if match is None:
            continue
        base = slug(match.group("text"))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def test_the_slugs_are_githubs() -> None:
    assert slug("Deferred parts: @defer") == "deferred-parts-defer"
    assert slug("How `bench.run` measures") == "how-benchrun-measures"
    assert slug("Providers, and who can get keys") == "providers-and-who-can-get-keys"
    assert slug("Résumé – the *short* one") == "résumé--the-short-one"


def test_the_scan_finds_the_documents_and_their_links() -> None:
    assert len(DOCS) >= 10
    assert len([target for path in DOCS for target in links(path)]) > 100


@pytest.mark.parametrize("path", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    broken = []
    for target in links(path):
        if EXTERNAL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == [], f"{path.relative_to(ROOT)}: {broken}"


def test_the_readme_is_short_and_starts_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").split("\n")
    if lines[-1] == "":
        lines.pop()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines: move detail into docs/"
    first = "\n".join(lines[:40])
    assert "scripts/serve" in first
    assert "scripts/test" in first


def test_the_readme_links_every_document() -> None:
    linked = {
        (ROOT / target.partition("#")[0]).resolve()
        for target in links(ROOT / "README.md")
        if not EXTERNAL.match(target)
    }
    documents = {path.resolve() for path in (ROOT / "docs").glob("*.md")}
    documents |= {(ROOT / "docs" / "decisions" / "README.md").resolve(), ROOT / "CHANGELOG.md"}
    assert sorted(str(path.relative_to(ROOT)) for path in documents - linked) == []
