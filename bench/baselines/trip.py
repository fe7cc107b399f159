"""The upstream calls of one trip search, as every baseline makes them.

The same calls the gateway makes for the benchmark's query: Amadeus flight offers, Duffel offer
request, Amadeus hotel list then hotel offers in batches of 20 (60 hotels at most), Duffel Stays
search then the rates of the results that come without rooms (`fetch_all_rates`, as the gateway's
Duffel adapter does, `MAX_RATE_FETCHES` at most).
`session_for_call` decides the HTTP client per call: a new one (the seed design) or one shared
session (the Python limit). The JSON answers are returned untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from gateway import reference
from gateway.providers.duffel.adapter import MAX_RATE_FETCHES

SessionFor = Callable[[], AbstractAsyncContextManager[aiohttp.ClientSession]]
AMADEUS_JSON = "application/vnd.amadeus+json, application/json"


@dataclass(frozen=True)
class Upstreams:
    amadeus: str
    duffel: str
    amadeus_token: str


async def token(session: aiohttp.ClientSession, amadeus: str) -> str:
    async with session.post(
        f"{amadeus}/v1/security/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": "bench", "client_secret": "bench"},
    ) as response:
        return str((await response.json())["access_token"])


async def _get(session_for: SessionFor, url: str, params: dict[str, str], bearer: str) -> Any:
    async with (
        session_for() as session,
        session.get(
            url,
            params=params,
            headers={"Authorization": f"Bearer {bearer}", "Accept": AMADEUS_JSON},
        ) as response,
    ):
        return orjson.loads(await response.read())


async def _post(session_for: SessionFor, url: str, payload: object) -> Any:
    headers = {
        "Authorization": "Bearer duffel_test_bench",
        "Duffel-Version": "v2",
        "Content-Type": "application/json",
    }
    body = orjson.dumps(payload) if payload is not None else None
    async with (
        session_for() as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        return orjson.loads(await response.read())


async def flights(up: Upstreams, session_for: SessionFor, q: dict[str, str]) -> list[Any]:
    amadeus = _get(
        session_for,
        f"{up.amadeus}/v2/shopping/flight-offers",
        {
            "originLocationCode": q["origin"],
            "destinationLocationCode": q["destination"],
            "departureDate": q["date"],
            "adults": "1",
            "max": "100",
        },
        up.amadeus_token,
    )
    duffel = _post(
        session_for,
        f"{up.duffel}/air/offer_requests?return_offers=true",
        {
            "data": {
                "slices": [
                    {
                        "origin": q["origin"],
                        "destination": q["destination"],
                        "departure_date": q["date"],
                    }
                ],
                "passengers": [{"type": "adult"}],
                "cabin_class": "economy",
            }
        },
    )
    return list(await asyncio.gather(amadeus, duffel))


async def hotels(up: Upstreams, session_for: SessionFor, q: dict[str, str]) -> list[Any]:
    async def amadeus() -> list[Any]:
        listing = await _get(
            session_for,
            f"{up.amadeus}/v1/reference-data/locations/hotels/by-city",
            {"cityCode": q["city"]},
            up.amadeus_token,
        )
        ids = [item["hotelId"] for item in listing["data"][:60]]
        batches = [ids[i : i + 20] for i in range(0, len(ids), 20)]
        return list(
            await asyncio.gather(
                *(
                    _get(
                        session_for,
                        f"{up.amadeus}/v3/shopping/hotel-offers",
                        {
                            "hotelIds": ",".join(batch),
                            "checkInDate": q["date"],
                            "checkOutDate": q["checkout"],
                            "adults": "1",
                        },
                        up.amadeus_token,
                    )
                    for batch in batches
                )
            )
        )

    city = reference.city(q["city"])
    assert city is not None

    async def stays() -> list[Any]:
        found = await _post(
            session_for,
            f"{up.duffel}/stays/search",
            {
                "data": {
                    "check_in_date": q["date"],
                    "check_out_date": q["checkout"],
                    "rooms": 1,
                    "guests": [{"type": "adult"}],
                    "location": {
                        "radius": 10,
                        "geographic_coordinates": {
                            "latitude": city.latitude,
                            "longitude": city.longitude,
                        },
                    },
                }
            },
        )
        lacking = [
            result["id"]
            for result in found["data"]["results"]
            if not result["accommodation"].get("rooms")
        ][:MAX_RATE_FETCHES]
        rates = await asyncio.gather(
            *(
                _post(
                    session_for,
                    f"{up.duffel}/stays/search_results/{result_id}/actions/fetch_all_rates",
                    None,
                )
                for result_id in lacking
            )
        )
        return [found, *rates]

    return list(await asyncio.gather(amadeus(), stays()))


def new_session_per_call() -> AbstractAsyncContextManager[aiohttp.ClientSession]:
    """The seed design: a new HTTP client (and connection) for every upstream call."""
    return aiohttp.ClientSession()


class SharedSession:
    """The Python limit: one pooled session for every call."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    def __call__(self) -> AbstractAsyncContextManager[aiohttp.ClientSession]:
        return _Borrowed(self.session)


class _Borrowed:
    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: object) -> None:
        return None
