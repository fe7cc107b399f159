"""The three baselines as HTTP endpoints: POST /trip with the search, answer the upstream JSON.

- seed: flights and hotels with `asyncio.gather`, a new HTTP client for every upstream call
  (the design the gateway replaces);
- sequential: the same, awaiting flights, then hotels;
- limit: one shared aiohttp session, everything concurrent, JSON passed through untouched, no
  GraphQL and no mapping: about what Python can do at all for this fan-out.

    python -m bench.baselines.app --design limit --port 8101 --amadeus URL --duffel URL
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.baselines.trip import (
    SessionFor,
    SharedSession,
    Upstreams,
    flights,
    hotels,
    new_session_per_call,
    token,
)

DESIGNS = ("seed", "sequential", "limit")


def create_app(design: str, amadeus: str, duffel: str) -> Starlette:
    state: dict[str, object] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=2000, limit_per_host=1000)
        ) as session:
            state["upstreams"] = Upstreams(amadeus, duffel, await token(session, amadeus))
            state["session_for"] = (
                SharedSession(session) if design == "limit" else new_session_per_call
            )
            yield

    async def trip(request: Request) -> Response:
        query = orjson.loads(await request.body())
        upstreams: Upstreams = state["upstreams"]  # type: ignore[assignment]
        session_for: SessionFor = state["session_for"]  # type: ignore[assignment]
        if design == "sequential":
            found_flights = await flights(upstreams, session_for, query)
            found_hotels = await hotels(upstreams, session_for, query)
        else:
            found_flights, found_hotels = await asyncio.gather(
                flights(upstreams, session_for, query), hotels(upstreams, session_for, query)
            )
        body = orjson.dumps({"flights": found_flights, "hotels": found_hotels})
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/trip", trip, methods=["POST"])], lifespan=lifespan)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--design", choices=DESIGNS, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--amadeus", required=True)
    parser.add_argument("--duffel", required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.design, args.amadeus, args.duffel),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
