"""The explorer in a real browser, offline: headless Chromium opens GraphiQL from the gateway,
runs the example it offers, and sees offers, while no request leaves loopback.

Chromium is Debian's (`scripts/test` installs it); Playwright drives it (its Python package
brings its own driver, and `executable_path` points it at that browser, so nothing is
downloaded). The browser is also kept from reaching anything but loopback (a dead proxy for
every other address, and no name resolution), and the test checks every request the page made.
A screenshot of the answered example is kept in `artifacts/explorer.png`.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

from gateway.config import Settings
from simulators.common.faults import FaultConfig
from tests.helpers import gateway, simulators

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
"""Debian's Chromium: `scripts/test` installs it with apt when it is missing."""
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
"""Where the screenshot is kept (gitignored)."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No network beyond loopback: every other address goes to a proxy that is not there, and
    # no host name resolves (loopback bypasses both).
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
WAIT_MS = 20_000
"""Generous: every wait polls and returns as soon as its condition holds."""

NO_CHROMIUM = "chromium is not installed and could not be (scripts/test installs it with apt)"


def setup_module() -> None:
    """Skipped only where Chromium cannot be installed; never in CI, which must run it."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(NO_CHROMIUM)
        pytest.skip(NO_CHROMIUM)


COLLECT_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
"""Run before the page's own scripts (through the DevTools protocol, which the page's CSP
does not govern): what the page's Content-Security-Policy refused, if anything."""

VARIABLE_LINT = """
() => {
  const editor = document.querySelector(".graphiql-editor-tool .graphiql-editor .CodeMirror");
  const cm = editor && editor.CodeMirror;
  const lint = cm && cm.getOption("lint");
  if (!lint || !lint.variableToType || !lint.variableToType.flight) return null;
  cm.performLint();
  return cm.state.lint.marked.map((mark) => mark.__annotation.message);
}
"""
"""The variables editor's lint messages once it knows the variables' types (the schema has
loaded), else null. GraphiQL's lint (codemirror-graphql) took a default of 0 or false for
absent, so `children`, `infants` and `nonStop` were "missing required field" in a search that
leaves them to their defaults, as the example does."""


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def _variable_lint(page: Page) -> list[str]:
    """Polls until the variables editor has the schema's types, then lints it."""
    handle = await page.wait_for_function(VARIABLE_LINT, timeout=WAIT_MS, polling=100)
    messages: Any = await handle.json_value()
    return list(messages)


async def test_the_explorer_runs_its_example_offline(browser: Browser) -> None:
    faults = FaultConfig(latency_ms=5)
    async with simulators(faults) as sims, gateway(Settings(), sims, served=True) as client:
        origin = client.base_url
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        await page.add_init_script(COLLECT_CSP_VIOLATIONS)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        console: list[ConsoleMessage] = []
        page.on("console", lambda message: console.append(message))

        await page.goto(f"{origin}/graphql")
        outside = [url for url in requested if not url.startswith((f"{origin}/", "data:"))]
        run = page.locator(".graphiql-execute-button")
        try:
            await expect(run).to_be_visible(timeout=WAIT_MS)
        except AssertionError:
            pytest.fail(f"GraphiQL did not render; requests outside the gateway: {outside}")

        assert await _variable_lint(page) == []
        await run.click()
        response = page.locator(".graphiql-response")
        await expect(response).to_contain_text('"totalCount"', timeout=WAIT_MS)
        await expect(response).to_contain_text('"amount"')
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=ARTIFACTS / "explorer.png")
        text = await response.inner_text()
        # A dialog adds GraphiQL's one <style> element, allowed by the page's nonce alone.
        await page.get_by_label("Open short keys dialog").click()
        await expect(page.get_by_role("dialog")).to_be_visible(timeout=WAIT_MS)
        await page.keyboard.press("Escape")
        await expect(page.get_by_role("dialog")).to_have_count(0, timeout=WAIT_MS)
        violations = await page.evaluate("window.__cspViolations")

    counts = [int(count) for count in re.findall(r'"totalCount":\s*(\d+)', text)]
    assert counts, text
    assert all(count > 0 for count in counts), text
    assert '"errors"' not in text
    outside = [url for url in requested if not url.startswith((f"{origin}/", "data:"))]
    assert outside == []
    assert f"{origin}/graphql" in requested
    assert violations == []
    assert [message.text for message in console if message.type == "error"] == []
