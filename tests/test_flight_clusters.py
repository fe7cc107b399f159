"""Flight result sets kept as clusters of provider offers (`merge.FlightCluster`), merged only
for the page served: the pages, fares, prices, order and ids are the ones merging every offer
first gives (the reference below), for every filter, order and page size; quotes are cut at
the same sources; a page merges its own itineraries only."""

from __future__ import annotations

import asyncio
import hashlib
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec import msgpack

from gateway.currency.rates import bundled_rates
from gateway.domain import (
    BagAllowance,
    CabinClass,
    FlightFilter,
    FlightOffer,
    FlightQuery,
    FlightSort,
    Money,
)
from gateway.providers.registry import Providers
from gateway.search import filters, identity, merge, naming, ordering, repricing
from gateway.search.paging import PageRequest
from gateway.search.service import SearchService, _converter
from tests.test_filters import (
    DAY,
    Listed,
    fare,
    flight_filters,
    offer,
    provider_offers,
    segment,
)

pytestmark = pytest.mark.unit

RATES = bundled_rates()


def _eager(
    answers: dict[str, list[FlightOffer]],
    flight_filter: FlightFilter,
    order: FlightSort,
    max_price: Decimal | None = None,
    quote_bytes: int = repricing.QUOTE_BYTES_PER_SET,
) -> list[FlightOffer]:
    """The result set as served when every itinerary was merged first (the reference)."""
    offers = [o for provider in answers.values() for o in provider]
    merged = merge.merge_flights(offers, CabinClass.ECONOMY, _converter(RATES, "EUR"))
    merged = filters.apply(merged, filters.canonical(flight_filter))
    if max_price is not None:
        merged = [o for o in merged if o.price.amount <= max_price]
    ordered = repricing.bounded_quotes(ordering.sort_flights(merged, order), quote_bytes)
    return [identity.flight_offer(naming.flight_offer(o)) for o in ordered]


async def _served(
    answers: dict[str, list[FlightOffer]],
    flight_filter: FlightFilter,
    order: FlightSort,
    first: int,
    max_price: Decimal | None = None,
) -> list[FlightOffer]:
    providers = [Listed(name, offers) for name, offers in answers.items()]
    service = SearchService(Providers(tuple(providers)), rates=bundled_rates)
    query = FlightQuery("LON", "NYC", DAY, max_price=max_price)
    served: list[FlightOffer] = []
    after = None
    while True:
        page = await service.search_flights(query, order, PageRequest(first, after), flight_filter)
        served.extend(edge.node for edge in page.edges)
        if not page.has_next_page:
            return served
        after = page.edges[-1].cursor


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answers=provider_offers(),
    flight_filter=st.one_of(st.just(filters.NO_FILTER), flight_filters),
    order=st.sampled_from(list(FlightSort)),
    first=st.integers(1, 7),
    max_price=st.one_of(st.none(), st.integers(40, 900).map(Decimal)),
)
def test_pages_built_from_clusters_are_the_pages_of_every_offer_merged(
    answers: dict[str, list[FlightOffer]],
    flight_filter: FlightFilter,
    order: FlightSort,
    first: int,
    max_price: Decimal | None,
) -> None:
    served = asyncio.run(_served(answers, flight_filter, order, first, max_price))
    # The same offers, in the same order, with the same fares, prices and ids.
    assert served == _eager(answers, flight_filter, order, max_price)


def _with_quotes(answers: dict[str, list[FlightOffer]], sizes: list[int]) -> list[FlightOffer]:
    """Every offer, each fare source given a quote of one of `sizes` bytes (in turn)."""
    quoted = []
    for index, each in enumerate(o for provider in answers.values() for o in provider):
        fares = tuple(
            msgspec.structs.replace(
                fare,
                sources=tuple(
                    msgspec.structs.replace(s, quote=b"x" * sizes[(index + n) % len(sizes)])
                    for n, s in enumerate(fare.sources)
                ),
            )
            for fare in each.fares
        )
        quoted.append(msgspec.structs.replace(each, fares=fares))
    return quoted


@settings(max_examples=120, deadline=None)
@given(
    answers=provider_offers(),
    sizes=st.lists(st.integers(1, 60), min_size=1, max_size=5),
    budget=st.integers(0, 400),
    order=st.sampled_from(list(FlightSort)),
)
def test_quotes_are_cut_at_the_same_sources_as_on_merged_offers(
    answers: dict[str, list[FlightOffer]], sizes: list[int], budget: int, order: FlightSort
) -> None:
    offers = _with_quotes(answers, sizes)
    to_eur = _converter(RATES, "EUR")
    clusters = ordering.sort_flight_clusters(
        merge.flight_clusters(offers, CabinClass.ECONOMY, to_eur), order
    )
    merged = ordering.sort_flights(merge.merge_flights(offers, CabinClass.ECONOMY, to_eur), order)
    kept = repricing.bounded_cluster_quotes(clusters, budget)
    assert [c.offer() for c in kept] == repricing.bounded_quotes(merged, budget)
    # Only clusters losing a quote were built to find out.
    for cluster in kept:
        if cluster.built is not None:
            assert any(s.quote is None for f in cluster.built.fares for s in f.sources)


@settings(max_examples=150, deadline=None)
@given(answers=provider_offers())
def test_a_cluster_knows_its_merged_price_and_cheapest_price_with_a_bag_unmerged(
    answers: dict[str, list[FlightOffer]],
) -> None:
    offers = [o for provider in answers.values() for o in provider]
    to_eur = _converter(RATES, "EUR")
    for cluster in merge.flight_clusters(offers, CabinClass.ECONOMY, to_eur):
        assert cluster.built is None
        built = cluster.offer()
        assert cluster.price.amount == built.price.amount
        assert (cluster.total_duration_minutes, cluster.departure_at, cluster.id) == (
            built.total_duration_minutes,
            built.departure_at,
            built.id,
        )
        with_bag = filters.cheapest_with_bag(built)
        expected = with_bag.price.amount if with_bag is not None else None
        assert filters.cheapest_with_bag_amount(cluster) == expected


def test_an_offer_without_fares_is_priced_by_its_cheapest_member() -> None:
    whole = offer(fare("100"))
    bare = msgspec.structs.replace(whole, fares=(), price=Money(Decimal("90"), "GBP"))
    [cluster] = merge.flight_clusters([bare], CabinClass.ECONOMY, _converter(RATES, "EUR"))
    assert cluster.price == RATES.convert(bare.price, "EUR") == cluster.offer().price
    assert filters.cheapest_with_bag_amount(cluster) is None


@pytest.mark.parametrize("flight_filter", [filters.NO_FILTER, FlightFilter(max_stops=1)])
async def test_a_page_merges_the_fares_of_its_own_itineraries_only(
    monkeypatch: pytest.MonkeyPatch, flight_filter: FlightFilter
) -> None:
    answers = {
        name: [
            offer(fare(f"{100 + 7 * n + shift}", provider=name), segments=(segment("BA", n),))
            for n in range(5)
        ]
        for name, shift in (("amadeus", 0), ("duffel", 3))
    }
    merged: list[int] = []
    real = merge.merge_fares

    def counted(*args: object) -> object:
        merged.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(merge, "merge_fares", counted)
    providers = [Listed(name, offers) for name, offers in answers.items()]
    service = SearchService(Providers(tuple(providers)), rates=bundled_rates)
    page = await service.search_flights(
        FlightQuery("LON", "NYC", DAY), FlightSort.PRICE, PageRequest(2), flight_filter
    )
    assert len(page.edges) == 2
    assert len(merged) == 2


def test_a_fare_filter_builds_each_itinerary_it_keeps_and_serves_it_narrowed() -> None:
    whole = offer(fare("100"), fare("150", bags=BagAllowance(quantity=1)))
    [cluster] = filters.apply_clusters(
        merge.flight_clusters([whole], CabinClass.ECONOMY, _converter(RATES, "EUR")),
        FlightFilter(included_checked_bags=1),
    )
    assert cluster.built is not None
    assert cluster.price.amount == Decimal("150")
    assert [f.price.amount for f in cluster.offer().fares] == [Decimal("150")]


def _documented_id(record: Any) -> str:
    """The id as `identity` documents it: the blake2b digest of the record's msgpack with an
    empty id, personalised with its type's name, after its kind's letter."""
    kind = type(record)
    content = msgpack.Encoder(decimal_format="string").encode(
        msgspec.structs.replace(record, id="")
    )
    digest = hashlib.blake2b(content, digest_size=10, person=kind.__name__.encode()[:16])
    return identity._PREFIXES[kind] + digest.hexdigest()


@settings(max_examples=60, deadline=None)
@given(answers=provider_offers())
def test_served_ids_are_the_documented_digests(answers: dict[str, list[FlightOffer]]) -> None:
    """Ids are computed with fewer copies than the rule reads, never with other bytes."""
    offers = [o for provider in answers.values() for o in provider]
    for merged in merge.merge_flights(offers, CabinClass.ECONOMY, _converter(RATES, "EUR")):
        served = identity.flight_offer(naming.flight_offer(merged))
        for each in served.fares:
            assert each.id == _documented_id(each)
        assert served.id == _documented_id(served)
