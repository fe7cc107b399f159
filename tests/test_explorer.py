"""The explorer's page and files over HTTP: only the manifest's files, each with its sha256, the
Content-Security-Policy exactly as docs/security.md states it, and an example dated today."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from yarl import URL

from gateway.api.transport import explorer
from gateway.config import Settings
from tests.helpers import GraphQLClient, Simulators, gateway

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(served_client: GraphQLClient) -> GraphQLClient:
    """The explorer as a browser reaches it: its files over a real connection, URLs as sent."""
    return served_client


ASSETS = Path(explorer.__file__).parent / explorer.ASSET_DIRECTORY
MANIFEST = json.loads((ASSETS / "manifest.json").read_text())
SECURITY_DOC = (Path(__file__).resolve().parents[1] / "docs" / "security.md").read_text()

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-<nonce>'; "
    "connect-src 'self'; img-src 'self' data:; font-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
"""As docs/security.md states it, `<nonce>` standing for the fresh one of each response."""
ASSET_POLICY = PAGE_POLICY.replace(" 'nonce-<nonce>'", "")
NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{22})'")


def served_names(body: str) -> list[str]:
    return re.findall(r'(?:src|href)="/graphql/explorer/assets/([^"]+)"', body)


async def get_page(client: GraphQLClient) -> tuple[dict[str, str], str]:
    status, headers, body = await client.raw("GET", headers={"Accept": "text/html"})
    assert status == 200
    return dict(headers), body.decode()


async def test_the_page_has_the_documented_policy_and_loads_only_our_files(
    client: GraphQLClient,
) -> None:
    headers, body = await get_page(client)
    policy = headers["Content-Security-Policy"]
    nonce = NONCE.search(policy)
    assert nonce is not None, policy
    assert policy.replace(nonce.group(1), "<nonce>") == PAGE_POLICY
    assert PAGE_POLICY in SECURITY_DOC.splitlines()
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    # The nonce is fresh per response, and only our bootstrap carries it.
    assert body.count(f'nonce="{nonce.group(1)}"') == 1
    _, again = await get_page(client)
    assert nonce.group(1) not in again
    # No inline script or style, nothing from elsewhere.
    assert re.findall(r"<script(?![^>]*\ssrc=)", body) == []
    assert "<style" not in body
    assert " style=" not in body
    assert re.findall(r'(?:src|href)="(?!/graphql/explorer/assets/|data:)', body) == []
    names = served_names(body)
    assert set(MANIFEST["files"]) <= set(names)
    assert len(names) == len(MANIFEST["files"]) + len(explorer.OWN_FILES)


async def test_every_served_file_matches_the_manifest(client: GraphQLClient) -> None:
    _, body = await get_page(client)
    integrity = dict(re.findall(r'assets/([^"]+)" integrity="(sha256-[^"]+)"', body))
    for name in served_names(body):
        status, headers, raw = await client.raw(
            "GET", f"/graphql/explorer/assets/{name}", headers={"Accept-Encoding": "identity"}
        )
        assert status == 200, name
        digest = hashlib.sha256(raw).hexdigest()
        if name in MANIFEST["files"]:
            assert digest == MANIFEST["files"][name]["sha256"], name
        else:  # ours: the name carries the start of its sha256
            stem, suffix = name.rsplit(".", 1)
            assert f"{stem.split('-')[0]}.{suffix}" in explorer.OWN_FILES
            assert stem.endswith("-" + digest[:16]), name
            assert raw == (ASSETS / f"{stem.split('-')[0]}.{suffix}").read_bytes()
        assert integrity[name] == explorer.Asset(raw, "", hashlib.sha256(raw).digest()).integrity
        assert headers["Content-Security-Policy"] == ASSET_POLICY
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Type"].startswith(
            "text/css" if name.endswith(".css") else "text/javascript"
        )
        assert "Content-Encoding" not in headers
    # Compressed for clients that take gzip (aiohttp decompresses it again).
    graphiql = next(name for name in MANIFEST["files"] if name.endswith(".min.js"))
    _, headers, raw = await client.raw("GET", f"/graphql/explorer/assets/{graphiql}")
    assert headers["Content-Encoding"] == "gzip"
    assert hashlib.sha256(raw).hexdigest() == MANIFEST["files"][graphiql]["sha256"]


@pytest.mark.parametrize(
    "path",
    [
        "manifest.json",
        "explorer.js",  # ours only under their hashed names
        "graphiql-0.0.0.min.js",
        "..%2Fexplorer.py",
        "%2e%2e%2f%2e%2e%2fapp.py",
        "..%2F..%2F..%2Fpyproject.toml",
        "../explorer.py",
        "",
        "react-18.3.1.min.js/",
        "react-18.3.1.min.js%00.css",
    ],
)
async def test_nothing_else_is_served(client: GraphQLClient, path: str) -> None:
    url = URL(f"{client.base_url}/graphql/explorer/assets/{path}", encoded=True)
    async with client.session.get(url, allow_redirects=False) as response:
        body = await response.read()
    assert response.status in (404, 307), (path, response.status)
    if response.status == 404:
        assert json.loads(body)["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    else:  # a trailing slash is redirected to the name, which is served as that name alone
        assert response.headers["location"].endswith("/graphql/explorer/assets/react-18.3.1.min.js")


async def test_switched_off_the_files_are_not_served_either(sims: Simulators) -> None:
    name = next(iter(MANIFEST["files"]))
    async with gateway(Settings(explorer=False), sims) as client:
        status, _, raw = await client.raw("GET", f"/graphql/explorer/assets/{name}")
        page_status, _, _ = await client.raw("GET", headers={"Accept": "text/html"})
    assert (status, page_status) == (404, 404)
    assert json.loads(raw)["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_the_example_is_dated_from_today_and_finds_offers(client: GraphQLClient) -> None:
    _, body = await get_page(client)
    attribute = re.search(r'data-example="([^"]*)"', body)
    assert attribute is not None
    example = json.loads(html.unescape(attribute.group(1)))
    variables = json.loads(example["variables"])
    departure = date.today() + timedelta(days=30)
    assert variables["flight"]["departureDate"] == departure.isoformat()
    assert variables["hotel"]["checkIn"] == departure.isoformat()
    assert variables["hotel"]["checkOut"] == (departure + timedelta(days=2)).isoformat()
    # It leaves the zero and false defaults to the schema: what GraphiQL's lint got wrong.
    assert not {"children", "infants", "nonStop"} & set(variables["flight"])
    assert example["endpoint"] == "/graphql"

    status, result = await client.post(example["query"], variables)
    assert status == 200
    assert "errors" not in result
    for field in ("flights", "hotels"):
        offers = result["data"][field]["offers"]
        assert offers["totalCount"] > 0
        assert offers["nodes"][0]["price"]["currency"] == "EUR"


def test_the_shipped_graphiql_counts_a_default_of_0_or_false_as_a_default() -> None:
    """codemirror-graphql's variables lint had `!field.defaultValue` (so 0 and false were no
    default, and `children`, `infants`, `nonStop` "missing"); scripts/fetch-explorer patches it
    to `void 0===field.defaultValue`, and the manifest records it."""
    name = next(name for name in MANIFEST["files"] if name.startswith("graphiql-"))
    entry = MANIFEST["files"][name]
    code = (ASSETS / name).read_text()
    missing = (
        r"&&(!|void 0===)\w+\.defaultValue&&\w+\.push\(\[\w+,"
        r"`Object of type \"\$\{\w+\}\" is missing required field"
    )
    assert [found.group(1) for found in re.finditer(missing, code)] == ["void 0==="]
    assert entry["patches"]
    assert entry["upstream_sha256"] != entry["sha256"]


def test_a_changed_file_stops_the_explorer_from_starting(tmp_path: Path) -> None:
    directory = tmp_path / "assets"
    shutil.copytree(ASSETS, directory)
    assert set(explorer.read_assets(directory).by_name) >= set(MANIFEST["files"])
    name = next(iter(MANIFEST["files"]))
    with (directory / name).open("ab") as file:
        file.write(b"\n")
    with pytest.raises(explorer.AssetError, match="does not match its manifest"):
        explorer.read_assets(directory)
    (directory / name).unlink()
    with pytest.raises(explorer.AssetError, match="missing"):
        explorer.read_assets(directory)
