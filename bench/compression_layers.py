"""Two compression layers (Starlette's gzip outside brotli-asgi) against one (brotli-asgi with its
gzip fallback): CPU per repeated trip query in process, for a client that takes brotli and for
one that takes only gzip, variants in turns.

    .venv/bin/python -m bench.compression_layers [--rounds 3] [--requests 600]

Issue 21 asked for one compression middleware instead of two; this measures what it would save
(docs/decisions/0019-two-compression-layers.md).
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
from asgi_lifespan import LifespanManager
from brotli_asgi import BrotliMiddleware
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware

from bench.run import gateway_body, searches
from gateway.app import create_app
from gateway.config import Settings
from simulators.common.faults import FaultConfig
from tests.helpers import simulators

ENCODINGS = ("gzip, deflate, br", "gzip, deflate")


def one_layer(app: Starlette) -> None:
    """The app's middleware with brotli-asgi alone, falling back to gzip itself."""
    gzip: object = GZipMiddleware
    brotli: object = BrotliMiddleware
    kept = [m for m in app.user_middleware if m.cls is not gzip]
    for i, middleware in enumerate(kept):
        if middleware.cls is brotli:
            kept[i] = Middleware(
                BrotliMiddleware,
                minimum_size=int(str(middleware.kwargs["minimum_size"])),
                quality=int(str(middleware.kwargs["quality"])),
                gzip_fallback=True,
            )
    app.user_middleware[:] = kept


async def measure(variant: str, encoding: str, requests: int) -> tuple[float, str | None]:
    """CPU ms per request (the gateway and this client, in process) and the encoding answered."""
    async with simulators(FaultConfig(latency_ms=0, jitter_ms=0)) as sims:
        app = create_app(Settings().with_simulators(sims.configs()))
        if variant == "one":
            one_layer(app)
        async with (
            LifespanManager(app, startup_timeout=60) as lifespan,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=lifespan.app),
                base_url="http://gateway.bench",
                headers={"Accept-Encoding": encoding, "Content-Type": "application/json"},
            ) as client,
        ):
            body = gateway_body(searches(1)[0])
            for _ in range(20):  # the set made, the page kept: every later one repeats
                response = await client.post("/graphql", content=body)
            started = time.process_time()
            for _ in range(requests):
                response = await client.post("/graphql", content=body)
            took = time.process_time() - started
            return took / requests * 1000, response.headers.get("content-encoding")


async def main(rounds: int, requests: int) -> None:
    for round_ in range(rounds):
        for encoding in ENCODINGS:
            for variant in ("two", "one"):
                ms, answered = await measure(variant, encoding, requests)
                print(f"round {round_}  {encoding:18s} {variant} layer(s)  {ms:.3f} ms  {answered}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=600)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.requests))
