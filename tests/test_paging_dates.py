"""A cursor continues the same content on any process, or is refused: checked over 60
consecutive travel dates, since which itineraries the providers share changes with the date.

The finding (issue 18): a result set's fingerprint covered its itineraries only, so a set rebuilt
by another process while Duffel was failing (the same itineraries, sold by Amadeus alone at other
prices) passed as the same set; `test_paging.py::test_next_page_from_another_process_sharing_redis`
failed on the dates where every Duffel itinerary was also Amadeus's. Here every date is tried, at
the service (the simulators over loopback, processes as services sharing a store).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import aiohttp
import pytest

from gateway.currency.rates import bundled_rates
from gateway.domain import FlightQuery, FlightSort
from gateway.errors import CursorExpired
from gateway.providers import registry
from gateway.search.cache import SearchCache
from gateway.search.paging import PageRequest
from gateway.search.service import SearchService
from gateway.search.stores import MemoryStore
from simulators import registry as sim_registry
from simulators.common.faults import FaultConfig
from tests.helpers import Simulators, simulators

pytestmark = pytest.mark.e2e

DATES = 60
FLIGHT_PROVIDERS = ("amadeus", "duffel")


@pytest.fixture
async def flight_sims() -> AsyncIterator[Simulators]:
    async with simulators(FaultConfig()) as running:
        yield running


def process(session: aiohttp.ClientSession, sims: Simulators, store: MemoryStore) -> SearchService:
    """A gateway process's search service: its own result sets and circuits, the store shared
    (as Redis is between processes)."""
    configs = {
        name: sim_registry.spec(name).simulated(sims.base_urls[name]) for name in FLIGHT_PROVIDERS
    }
    cache = SearchCache(store, ttl_s={"flights": 600, "hotels": 600}, shared=True)
    providers = registry.build_providers(session, configs)
    return SearchService(providers, rates=bundled_rates, cache=cache, provider_timeout_s=5.0)


async def test_a_cursor_never_continues_other_content_on_any_date(flight_sims: Simulators) -> None:
    continued = refused = 0
    async with aiohttp.ClientSession() as session:
        for offset in range(30, 30 + DATES):
            day = date.today() + timedelta(days=offset)
            query = FlightQuery("PAR", "NYC", day)
            flight_sims.duffel.update({"error_rate": 0.0})
            shared = MemoryStore()
            one = process(session, flight_sims, shared)
            whole = await one.search_flights(query, FlightSort.PRICE, PageRequest(100))
            first = await one.search_flights(query, FlightSort.PRICE, PageRequest(3))
            cursor = first.edges[-1].cursor

            # Another process while the answers are cached: the same set, continued.
            two = process(session, flight_sims, shared)
            second = await two.search_flights(query, FlightSort.PRICE, PageRequest(3, cursor))
            assert [e.node.id for e in second.edges] == [e.node.id for e in whole.edges][3:6]

            # A third once the answers are gone and Duffel fails: refused, never other content.
            flight_sims.duffel.update({"error_rate": 1.0})
            three = process(session, flight_sims, MemoryStore())
            try:
                page = await three.search_flights(query, FlightSort.PRICE, PageRequest(3, cursor))
            except CursorExpired:
                refused += 1
            else:  # only if the set rebuilt is truly the same, which a failing provider rules out
                assert [e.node.id for e in page.edges] == [e.node.id for e in whole.edges][3:6]
                continued += 1
    assert refused == DATES, f"{continued} of {DATES} dates continued a set rebuilt without Duffel"
