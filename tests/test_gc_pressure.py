"""Offers stay out of the cycle collector's way, and a served process tunes the collector.

The gateway keeps thousands of offers alive (result sets for paging, the in-memory cache). If
they were tracked, CPython's cycle collector would walk them all again and again under load
(docs/performance.md measured ~40 % of the CPU): these tests keep it from coming back.
"""

from __future__ import annotations

import enum
import gc
from collections.abc import Iterator
from datetime import date, timedelta

import aiohttp
import msgspec
import pytest

from gateway import domain, gc_tuning
from gateway.app import create_app
from gateway.config import Settings
from gateway.currency.rates import bundled_rates
from gateway.providers.registry import build_providers
from gateway.search.merge import merge_flights, merge_hotels
from tests.helpers import serve, simulators

pytestmark = pytest.mark.e2e

RATES = bundled_rates()


def _tree(value: object) -> Iterator[object]:
    """The value and every struct or tuple inside it (leaves: str, Decimal, dates…)."""
    yield value
    if isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            yield from _tree(getattr(value, name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _tree(item)


def _tracked(values: object) -> list[str]:
    gc.collect()  # tuples of untracked objects are untracked by a collection
    return sorted(
        {
            type(v).__name__
            for v in _tree(values)
            if gc.is_tracked(v) and not isinstance(v, enum.Enum)  # enum members: module singletons
        }
    )


async def test_offers_from_real_answers_and_merged_results_are_untracked() -> None:
    departure = date.today() + timedelta(days=30)
    back = departure + timedelta(days=7)
    flights_query = domain.FlightQuery("LON", "NYC", departure, return_date=back)
    hotels_query = domain.HotelQuery(
        "PAR", departure, departure + timedelta(days=2), centre=domain.GeoPoint(48.86, 2.35)
    )
    settings = Settings()
    async with simulators() as sims, aiohttp.ClientSession() as session:
        configured = settings.with_simulators(sims.configs())
        providers = build_providers(session, configured.providers)
        flights = [o for p in providers.flights for o in await p.search_flights(flights_query)]
        hotels = [o for p in providers.hotels for o in await p.search_hotels(hotels_query)]

    def to_eur(money: domain.Money) -> domain.Money:
        return RATES.convert(money, "EUR")

    assert len(flights) > 10
    assert len(hotels) > 10
    assert _tracked(tuple(flights)) == []
    assert _tracked(tuple(hotels)) == []
    assert _tracked(tuple(merge_flights(flights, domain.CabinClass.ECONOMY, to_eur))) == []
    clusters = merge_hotels(hotels, to_eur, hotels_query.centre)
    assert not any(gc.is_tracked(cluster) for cluster in clusters)
    assert _tracked(tuple(cluster.offer() for cluster in clusters)) == []


async def test_a_served_app_freezes_its_start_up_objects_and_an_embedded_one_does_not() -> None:
    settings = Settings(fx_url="")
    threshold = gc.get_threshold()
    try:
        async with serve(create_app(settings), settings):
            assert gc.get_freeze_count() == 0
            assert gc.get_threshold() == threshold
        async with (
            serve(create_app(settings, tune_gc=True), settings) as url,
            aiohttp.ClientSession() as s,
        ):
            assert gc.get_freeze_count() > 10_000  # modules, schema, reference data
            assert gc.get_threshold()[0] == gc_tuning.YOUNG_THRESHOLD
            async with s.get(f"{url}/healthz") as response:
                assert response.status == 200
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
