"""Server time of a first page when providers answer with many offers.

Three flight providers answer 250 offers each (distinct flights, one-stop, real-looking data from
the simulator inventory), instantly; the gateway validates, merges, converts, sorts, stores the
set and completes a realistic GraphQL selection for a first page of 20 and of 100, in process.

    .venv/bin/python -m bench.result_size
"""

from __future__ import annotations

import statistics
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

import uvloop

from bench.run import GATEWAY_QUERY
from gateway import domain, gc_tuning
from gateway.api.schema.build import build_schema
from gateway.api.schema.context import Context
from gateway.currency.rates import bundled_rates
from gateway.providers.registry import Providers
from gateway.search.service import SearchService

PROVIDERS = 3
OFFERS = 250


class ManyOffers:
    """A provider answering `OFFERS` one-stop offers at once, in its own currency."""

    def __init__(self, name: str, currency: str, seed: int) -> None:
        self.name = name
        self.currency = currency
        self.seed = seed
        self._answer: list[domain.FlightOffer] | None = None

    def info(self) -> domain.ProviderInfo:
        return domain.ProviderInfo(self.name, ("flights",), "simulated")

    def upstream_calls(self, field: str) -> int:
        return 1

    async def search_flights(self, query: domain.FlightQuery) -> list[domain.FlightOffer]:
        """Built once: the provider's own work is not the gateway's to measure."""
        if self._answer is None:
            self._answer = self._build(query)
        return self._answer

    def _build(self, query: domain.FlightQuery) -> list[domain.FlightOffer]:
        offers = []
        start = datetime.combine(query.departure_date, datetime.min.time())
        for i in range(OFFERS):
            leaving = start + timedelta(minutes=5 * i)
            legs = tuple(
                domain.Segment(
                    carrier=domain.Carrier("XX", "EXAMPLE AIR"),
                    flight_number=str(self.seed * 10_000 + 1000 + i * 2 + n),
                    departure=domain.FlightPoint("CDG" if n == 0 else "FRA", leaving),
                    arrival=domain.FlightPoint("FRA" if n == 0 else "JFK", leaving),
                    duration_minutes=90 + 400 * n,
                    aircraft="A320",
                    cabin=domain.CabinClass.ECONOMY,
                )
                for n in range(2)
            )
            price = domain.Money(Decimal(300 + (i * 37 + self.seed) % 500), self.currency)
            offers.append(
                domain.FlightOffer(
                    id=f"{self.name}:{i}",
                    price=price,
                    itineraries=(domain.Itinerary(600, legs),),
                    sources=(domain.OfferSource(self.name, str(i), price),),
                    seats_available=4,
                )
            )
        return offers


async def measure(first: int, runs: int) -> list[float]:
    providers = Providers(
        tuple(ManyOffers(f"p{n}", ("EUR", "GBP", "USD")[n], n + 1) for n in range(PROVIDERS))
    )
    service = SearchService(providers, rates=bundled_rates)
    schema = build_schema()
    flights_only = GATEWAY_QUERY.split("  hotels(")[0] + "}"
    query = flights_only.replace("first: 20", f"first: {first}").replace(
        ", $h: HotelSearchInput!", ""
    )
    timings = []
    for run in range(runs + 3):
        day = (date.today() + timedelta(days=30 + run % 200)).isoformat()
        variables = {"f": {"origin": "PAR", "destination": "NYC", "departureDate": day}}
        started = time.perf_counter()
        context = Context(search=service, request_id="bench")
        result = await schema.execute(query, variable_values=variables, context_value=context)
        elapsed = (time.perf_counter() - started) * 1000
        assert not result.errors, result.errors
        assert result.data is not None
        offers = result.data["flights"]["offers"]
        assert offers["totalCount"] == PROVIDERS * OFFERS
        assert len(offers["edges"]) == first
        if run >= 3:
            timings.append(elapsed)
    return timings


async def main_async() -> None:
    gc_tuning.tune_for_serving()  # as in a served process (gateway/gc_tuning.py)
    print(f"{PROVIDERS} providers x {OFFERS} offers, server time in process (ms):")
    for first in (20, 100):
        timings = await measure(first, runs=30)
        print(
            f"  first {first:3d}: p50 {statistics.median(timings):6.2f}  "
            f"min {min(timings):6.2f}  max {max(timings):6.2f}"
        )


def main() -> int:
    uvloop.run(main_async())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
