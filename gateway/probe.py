"""`python -m gateway.probe [PATH]`: the container's health check, with no curl in the image.

Asks the gateway this container serves (`GATEWAY_PORT`, else `PORT`, else 8000, on loopback)
for `PATH` (`/readyz` by default) and exits 0 on a 200 answer, 1 otherwise (refused, timed
out, 503 while draining or not ready). Imports only the standard library: a check runs every
few seconds, and importing the gateway would cost ~1 s of CPU each time.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

TIMEOUT_S = 3.0
"""A probe gives up before a platform's own check timeout (the image's HEALTHCHECK: 5 s)."""
DEFAULT_PORT = 8000


def probe_url(env: Mapping[str, str], path: str = "/readyz") -> str:
    """Where the probe asks: loopback, on the port `travel-gateway serve` listens on."""
    port = (env.get("GATEWAY_PORT") or env.get("PORT") or str(DEFAULT_PORT)).strip()
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("GATEWAY_PORT / PORT must be a port number")
    if not path.startswith("/"):
        raise ValueError("the path must start with /")
    return f"http://127.0.0.1:{int(port)}{path}"


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        url = probe_url(os.environ, *args[:1])
    except ValueError as exc:
        print(f"probe: {exc}", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"probe: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"probe: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
