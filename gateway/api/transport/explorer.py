"""The explorer: GraphiQL served by the gateway itself, so it works offline and under a strict
Content-Security-Policy (docs/security.md, docs/architecture.md).

The page (GET /graphql asking for text/html) loads nothing but files served here, under
`/graphql/explorer/assets/`: GraphiQL, React and React DOM as scripts/fetch-explorer pinned,
checked and listed in `explorer_assets/manifest.json`, and the page's own bootstrap script and
stylesheet. It has no inline script: the example it opens with, dated from today, rides in a
data attribute that the bootstrap reads.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import html
import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from importlib.resources.abc import Traversable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.api.transport.errors import request_error

ASSET_PATH = "/graphql/explorer/assets/"
"""Where the explorer's files are served, each under its own name."""
ASSET_DIRECTORY = "explorer_assets"
"""The package directory holding them (package data of `gateway.api`)."""
OWN_FILES = ("explorer.js", "explorer.css")
"""The page's own bootstrap and stylesheet, served as `explorer-<sha256 prefix>.js|css`."""
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'{style_nonce}; connect-src 'self'; "
    "img-src 'self' data:; font-src data:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
"""Nothing from elsewhere, no inline script or style, no framing. GraphiQL's stylesheet embeds
its fonts and a few images as data: URLs; its scripts set styles through the DOM (which CSP
allows), except one `<style>` element its dialogs add (Radix's scroll lock), which gets the
page's nonce (`page`). `{style_nonce}` is ` 'nonce-…'` on the page and empty on its files."""
ASSET_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY.format(style_nonce=""),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "public, max-age=31536000, immutable",
    "Vary": "Accept-Encoding",
}
"""Every asset name carries its version or content hash (new bytes, new URL): cached for good."""
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
ENDPOINT = "/graphql"
"""Where the explorer's requests go (POST, application/json: CSRF prevention lets them in)."""
DEPARTURE_IN_DAYS = 30
NIGHTS = 2

EXAMPLE_QUERY = """\
# Flights London to New York, and two nights in Paris.
# Run it with Ctrl-Enter or the ▶ button.
# What a search leaves out takes its default
# (adults 1, children 0, nonStop false…: see Docs).
# Only fares with a checked bag: add "filter": {"includedCheckedBags": 1}
# to the flight variables; the cheapest with a bag first: sort: PRICE_WITH_BAGS.
query Trip($flight: FlightSearchInput!, $hotel: HotelSearchInput!, $first: Int! = 5) {
  flights(search: $flight, first: $first) {
    offers {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        price { amount currency }
        itineraries {
          durationMinutes
          stops
          segments {
            carrier { code name }
            flightNumber
            departure { airport at }
            arrival { airport at }
          }
        }
        fares {
          brandName
          price { amount currency }
          includedCheckedBags { quantity weight weightUnit }
          refund { allowed }
          change { allowed }
          sources { provider price { amount currency } }
        }
      }
    }
    providers { provider status latencyMs offerCount message }
  }
  hotels(search: $hotel, first: $first) {
    offers {
      totalCount
      nodes {
        hotel { name distanceKm }
        price { amount currency }
        sources { provider price { amount currency } }
      }
    }
    providers { provider status latencyMs offerCount message }
  }
}
"""
"""What the explorer opens with; its variables are dated at each request (`example`)."""


class AssetError(RuntimeError):
    """A shipped file is missing or differs from its manifest: the install is damaged."""


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    sha256: bytes

    @property
    def integrity(self) -> str:
        """Subresource Integrity for the page's tag: the browser checks the bytes too."""
        return "sha256-" + base64.b64encode(self.sha256).decode()

    @functools.cached_property
    def gzipped(self) -> bytes:
        return gzip.compress(self.body, compresslevel=9, mtime=0)


@dataclass(frozen=True, slots=True)
class Assets:
    by_name: dict[str, Asset]
    """Every file served, by the name in its URL."""
    page_files: tuple[str, ...]
    """Names in the order the page loads them: React, React DOM, GraphiQL, ours."""


def _media_type(name: str) -> str:
    for suffix, media_type in MEDIA_TYPES.items():
        if name.endswith(suffix):
            return media_type
    raise AssetError(f"{name}: not a script or a stylesheet")


def read_assets(directory: Traversable) -> Assets:
    """Read and check every file: the manifest's must have its sha256, or AssetError."""
    manifest = json.loads(directory.joinpath("manifest.json").read_text())
    by_name: dict[str, Asset] = {}
    for name, entry in manifest["files"].items():
        try:
            body = directory.joinpath(name).read_bytes()
        except OSError as exc:
            raise AssetError(f"explorer asset {name} is missing: {exc}") from None
        digest = hashlib.sha256(body).digest()
        if digest.hex() != entry["sha256"]:
            raise AssetError(f"explorer asset {name} does not match its manifest's sha256")
        by_name[name] = Asset(body, _media_type(name), digest)
    vendored = tuple(by_name)
    own: list[str] = []
    for file in OWN_FILES:
        body = directory.joinpath(file).read_bytes()
        digest = hashlib.sha256(body).digest()
        stem, _, suffix = file.rpartition(".")
        name = f"{stem}-{digest.hex()[:16]}.{suffix}"
        by_name[name] = Asset(body, _media_type(name), digest)
        own.append(name)
    # The manifest lists scripts in the order their globals need: React, React DOM, GraphiQL.
    scripts = [name for name in vendored if name.endswith(".js")]
    styles = [name for name in vendored if name.endswith(".css")]
    return Assets(by_name, tuple(styles + scripts + own))


@functools.cache
def load_assets() -> Assets:
    """The package's explorer files, read and checked once per process."""
    return read_assets(resources.files(__package__).joinpath(ASSET_DIRECTORY))


def example(today: date) -> dict[str, str]:
    """The operation the page opens with: a departure 30 days from `today`, two hotel nights."""
    departure = today + timedelta(days=DEPARTURE_IN_DAYS)
    variables = {
        "flight": {
            "origin": "LON",
            "destination": "NYC",
            "departureDate": departure.isoformat(),
            "currency": "EUR",
        },
        "hotel": {
            "cityCode": "PAR",
            "checkIn": departure.isoformat(),
            "checkOut": (departure + timedelta(days=NIGHTS)).isoformat(),
            "currency": "EUR",
        },
    }
    return {
        "endpoint": ENDPOINT,
        "query": EXAMPLE_QUERY,
        "variables": json.dumps(variables, indent=2),
    }


def _tag(name: str, asset: Asset, nonce: str) -> str:
    url = html.escape(ASSET_PATH + name)
    if name.endswith(".css"):
        return f'<link rel="stylesheet" href="{url}" integrity="{asset.integrity}">'
    # Our bootstrap hands the nonce on to the one <style> GraphiQL creates (explorer.js).
    nonce_attribute = f' nonce="{nonce}"' if name.startswith("explorer-") else ""
    return f'<script src="{url}" integrity="{asset.integrity}"{nonce_attribute}></script>'


def page_html(today: date, nonce: str) -> str:
    assets = load_assets()
    tags = [_tag(name, assets.by_name[name], nonce) for name in assets.page_files]
    styles = "\n    ".join(tag for tag in tags if tag.startswith("<link"))
    scripts = "\n    ".join(tag for tag in tags if tag.startswith("<script"))
    data = html.escape(json.dumps(example(today)), quote=True)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>travel-gateway explorer</title>
    <link rel="icon" href="data:,">
    {styles}
  </head>
  <body>
    <div id="graphiql" data-example="{data}">Loading GraphiQL…</div>
    {scripts}
  </body>
</html>
"""


def page(today: date | None = None) -> Response:
    """The explorer page, dated today, with a fresh style nonce; never cached."""
    nonce = secrets.token_urlsafe(16)
    policy = CONTENT_SECURITY_POLICY.format(style_nonce=f" 'nonce-{nonce}'")
    return Response(
        page_html(today or date.today(), nonce),
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


async def asset(request: Request) -> Response:
    """One of the explorer's files by its exact name; anything else is not found (a name is a
    dictionary key, never a path, so nothing outside the manifest can be reached)."""
    found = load_assets().by_name.get(request.path_params["name"])
    if found is None:
        return Response(
            orjson.dumps(request_error("Not found.", "NOT_FOUND")),
            status_code=404,
            media_type="application/json",
        )
    headers = dict(ASSET_HEADERS)
    body = found.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = found.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=found.media_type, headers=headers)


def routes() -> list[Route]:
    """The explorer's file route; reading the files here makes a damaged install fail at start."""
    load_assets()
    return [Route(ASSET_PATH + "{name}", asset, methods=["GET"])]
