"""Flight filters and the PRICE_WITH_BAGS sort: each filter alone, then properties over generated
offers through the search service (every offer returned meets every filter, none that meets
them is dropped, the order holds, paging yields exactly the filtered set)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from gateway.currency.rates import bundled_rates
from gateway.domain import (
    BagAllowance,
    Carrier,
    Fare,
    FareCondition,
    FareSource,
    FlightFilter,
    FlightOffer,
    FlightPoint,
    FlightQuery,
    FlightSort,
    Itinerary,
    Money,
    OfferSource,
    ProviderInfo,
    Segment,
)
from gateway.errors import BadUserInput, CursorMismatch
from gateway.providers.registry import Providers
from gateway.search import filters, ordering
from gateway.search.paging import PageRequest
from gateway.search.service import SearchService
from gateway.search.validation import check_flight_query

pytestmark = pytest.mark.unit

# --- Building offers ----------------------------------------------------------------------------


def segment(carrier: str, number: int, hour: int = 8, day: int = 1) -> Segment:
    at = datetime(2027, 1, day, hour)
    return Segment(
        carrier=Carrier(carrier),
        flight_number=str(number),
        departure=FlightPoint("LHR", at),
        arrival=FlightPoint("JFK", at + timedelta(hours=8)),
        duration_minutes=480,
    )


def fare(
    amount: str,
    *,
    bags: BagAllowance | None = None,
    refund: bool | None = None,
    brand: str | None = None,
    provider: str = "amadeus",
    offer_id: str | None = None,
    currency: str = "EUR",
) -> Fare:
    price = Money(Decimal(amount), currency)
    return Fare(
        id="",
        price=price,
        sources=(FareSource(provider, offer_id or f"{provider}-{amount}", price),),
        brand_name=brand,
        included_checked_bags=bags,
        refund=FareCondition(refund),
    )


def offer(*fares: Fare, segments: tuple[Segment, ...] = (), name: str = "F1") -> FlightOffer:
    """An offer as merged: fares cheapest first, its price the first's, every seller a source."""
    ordered = tuple(sorted(fares, key=lambda f: f.price.amount))
    return FlightOffer(
        id=name,
        price=ordered[0].price if ordered else Money(Decimal(100), "EUR"),
        itineraries=(Itinerary(480, segments or (segment("BA", 1),)),),
        sources=tuple(
            OfferSource(s.provider, s.offer_id, s.price) for f in ordered for s in f.sources
        ),
        fares=ordered,
    )


def pieces(n: int) -> BagAllowance:
    return BagAllowance(quantity=n)


# --- Each filter --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowance", "bags"),
    [
        (None, None),
        (BagAllowance(), None),
        (pieces(0), 0),
        (pieces(2), 2),
        (BagAllowance(weight=23, weight_unit="KG"), 1),
        (BagAllowance(weight=0, weight_unit="KG"), 0),
        (BagAllowance(quantity=2, weight=23, weight_unit="KG"), 2),  # pieces say more
    ],
)
def test_checked_bags_counts_pieces_and_a_weight_as_one(
    allowance: BagAllowance | None, bags: int | None
) -> None:
    assert filters.checked_bags(allowance) == bags


def test_a_bag_minimum_keeps_the_fares_with_enough_bags_and_reprices_the_offer() -> None:
    basic = fare("100", bags=pieces(0), brand="Basic", offer_id="a1")
    standard = fare("130", bags=pieces(1), brand="Standard", offer_id="a2")
    flex = fare("180", bags=pieces(2), brand="Flex", offer_id="a3")
    unknown = fare("90", bags=None, brand="Mystery", offer_id="a4")
    weight = fare("120", bags=BagAllowance(weight=23, weight_unit="KG"), offer_id="a5")
    whole = offer(basic, standard, flex, unknown, weight)

    [one_bag] = filters.apply([whole], FlightFilter(included_checked_bags=1))
    assert [f.brand_name for f in one_bag.fares] == [None, "Standard", "Flex"]  # 120, 130, 180
    assert one_bag.price == weight.price
    assert [s.offer_id for s in one_bag.sources] == ["a5", "a2", "a3"]

    [two_bags] = filters.apply([whole], FlightFilter(included_checked_bags=2))
    assert two_bags.fares == (flex,)  # a weight allowance does not promise a second bag
    assert two_bags.price == flex.price
    assert filters.apply([whole], FlightFilter(included_checked_bags=3)) == []
    # A minimum of 0 asks for nothing: the offer is untouched, unknown allowances included.
    assert filters.apply([whole], FlightFilter(included_checked_bags=0)) == [whole]


def test_refundable_only_leaves_out_fares_that_do_not_say() -> None:
    refundable = fare("300", refund=True, offer_id="r1")
    not_refundable = fare("100", refund=False, offer_id="r2")
    unknown = fare("90", refund=None, offer_id="r3")
    [kept] = filters.apply(
        [offer(refundable, not_refundable, unknown)], FlightFilter(refundable_only=True)
    )
    assert kept.fares == (refundable,)
    assert kept.price == refundable.price
    assert filters.apply([offer(unknown)], FlightFilter(refundable_only=True)) == []


def test_fare_filters_combine_on_the_same_fare() -> None:
    """Refundable and one bag must be true of one fare, not of two different ones."""
    bag_only = fare("100", bags=pieces(1), refund=False)
    refund_only = fare("200", bags=pieces(0), refund=True)
    both = FlightFilter(included_checked_bags=1, refundable_only=True)
    assert filters.apply([offer(bag_only, refund_only)], both) == []
    flex = fare("300", bags=pieces(2), refund=True)
    [kept] = filters.apply([offer(bag_only, refund_only, flex)], both)
    assert kept.fares == (flex,)


def test_an_offer_without_fares_meets_no_fare_filter_but_any_offer_filter() -> None:
    bare = offer()
    assert filters.apply([bare], FlightFilter(included_checked_bags=1)) == []
    assert filters.apply([bare], FlightFilter(max_stops=0)) == [bare]


def test_max_stops_counts_each_direction() -> None:
    nonstop = segment("BA", 1)
    via = (segment("KL", 2), segment("KL", 3, hour=12))
    out_and_back = FlightOffer(
        id="R",
        price=Money(Decimal(500), "EUR"),
        itineraries=(Itinerary(480, (nonstop,)), Itinerary(700, via)),
        sources=(),
    )
    assert filters.apply([out_and_back], FlightFilter(max_stops=1)) == [out_and_back]
    assert filters.apply([out_and_back], FlightFilter(max_stops=0)) == []
    assert filters.apply([offer(segments=via)], FlightFilter(max_stops=0)) == []


def test_included_carriers_need_every_segment_and_excluded_any() -> None:
    ba = offer(fare("100"), segments=(segment("BA", 1),), name="BA")
    mixed = offer(fare("100"), segments=(segment("BA", 2), segment("AA", 3, hour=13)), name="M")
    aa = offer(fare("100"), segments=(segment("AA", 4),), name="AA")
    everything = [ba, mixed, aa]

    def names(kept: list[FlightOffer]) -> list[str]:
        return [o.id for o in kept]

    assert names(filters.apply(everything, FlightFilter(included_carriers=("BA",)))) == ["BA"]
    included = FlightFilter(included_carriers=("AA", "BA"))
    assert names(filters.apply(everything, included)) == ["BA", "M", "AA"]
    assert names(filters.apply(everything, FlightFilter(excluded_carriers=("BA",)))) == ["AA"]
    # Only the marketing carrier counts: an operating carrier is not what is sold.
    operated = FlightOffer(
        id="OP",
        price=Money(Decimal(1), "EUR"),
        itineraries=(
            Itinerary(480, (replace(segment("AA", 5), operating_carrier=Carrier("BA")),)),
        ),
        sources=(),
    )
    assert names(filters.apply([operated], FlightFilter(excluded_carriers=("BA",)))) == ["OP"]


def test_canonical_writes_one_filter_one_way() -> None:
    given = FlightFilter(
        included_checked_bags=0, included_carriers=("BA", "AA", "BA"), excluded_carriers=()
    )
    assert filters.canonical(given) == FlightFilter(included_carriers=("AA", "BA"))
    assert filters.canonical(FlightFilter(included_checked_bags=0)) == filters.NO_FILTER


def test_price_with_bags_orders_by_the_cheapest_fare_with_a_checked_bag() -> None:
    cheap_basic = offer(
        fare("100", bags=pieces(0)), fare("400", bags=pieces(1)), name="cheap-basic"
    )
    dearer_with_bag = offer(fare("250", bags=pieces(1)), name="bag-included")
    weight = offer(fare("300", bags=BagAllowance(weight=23, weight_unit="KG")), name="weight")
    no_bag_at_all = offer(fare("50", bags=pieces(0)), name="no-bag")
    unknown = offer(fare("60"), name="unknown")
    every = [cheap_basic, dearer_with_bag, weight, no_bag_at_all, unknown]
    by_price = ordering.sort_flights(every, FlightSort.PRICE)
    assert [o.id for o in by_price] == [
        "no-bag",
        "unknown",
        "cheap-basic",
        "bag-included",
        "weight",
    ]
    with_bags = ordering.sort_flights(every, FlightSort.PRICE_WITH_BAGS)
    assert [o.id for o in with_bags] == [
        "bag-included",  # 250 with a bag
        "weight",  # 300, a weight allowance is a bag
        "cheap-basic",  # 400 with a bag
        "no-bag",  # then those without one, by price
        "unknown",
    ]


# --- Bad values ---------------------------------------------------------------------------------


def _problems(flight_filter: FlightFilter) -> list[tuple[str, str]]:
    query = FlightQuery("LON", "NYC", date.today() + timedelta(days=30))
    with pytest.raises(BadUserInput) as caught:
        check_flight_query(query, flight_filter=flight_filter)
    return [(p.field, p.message) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("flight_filter", "field", "words"),
    [
        (
            FlightFilter(included_checked_bags=10),
            "search.filter.includedCheckedBags",
            "from 0 to 9",
        ),
        (
            FlightFilter(included_checked_bags=-1),
            "search.filter.includedCheckedBags",
            "from 0 to 9",
        ),
        (FlightFilter(max_stops=4), "search.filter.maxStops", "from 0 to 3"),
        (FlightFilter(max_stops=-1), "search.filter.maxStops", "from 0 to 3"),
        (
            FlightFilter(included_carriers=("BAW",)),
            "search.filter.includedCarriers[0]",
            "2-character",
        ),
        (
            FlightFilter(excluded_carriers=("BA", "B")),
            "search.filter.excludedCarriers[1]",
            "2-character",
        ),
        (FlightFilter(excluded_carriers=("B-",)), "search.filter.excludedCarriers[0]", "'B-'"),
        (
            FlightFilter(included_carriers=("U2",) * 21),
            "search.filter.includedCarriers",
            "at most 20",
        ),
        (
            FlightFilter(included_carriers=("BA", "AA"), excluded_carriers=("AA",)),
            "search.filter.excludedCarriers",
            "AA also included",
        ),
    ],
)
def test_bad_filter_values_name_their_field(
    flight_filter: FlightFilter, field: str, words: str
) -> None:
    [(named, message)] = _problems(flight_filter)
    assert named == field
    assert words in message


def test_every_filter_problem_comes_with_the_search_problems() -> None:
    query = FlightQuery("LON", "LON", date.today() + timedelta(days=30))
    with pytest.raises(BadUserInput) as caught:
        check_flight_query(query, flight_filter=FlightFilter(max_stops=9, included_checked_bags=99))
    assert [p.field for p in caught.value.problems] == [
        "search.destination",
        "search.filter.includedCheckedBags",
        "search.filter.maxStops",
    ]


def test_the_largest_valid_filter_passes() -> None:
    codes = tuple(f"A{n}" for n in range(10)) + tuple(f"{n}B" for n in range(10))
    query = FlightQuery("LON", "NYC", date.today() + timedelta(days=30))
    check_flight_query(
        query,
        flight_filter=FlightFilter(
            included_checked_bags=9, refundable_only=True, max_stops=3, included_carriers=codes
        ),
    )


# --- Properties, through the search service -----------------------------------------------------

CARRIERS = ("BA", "AA", "KL", "LH")
PROVIDERS = ("amadeus", "duffel")
DAY = date.today() + timedelta(days=30)


class Listed:
    """A flight provider answering a fixed list of offers, counting its calls."""

    def __init__(self, name: str, offers: list[FlightOffer]) -> None:
        self.name = name
        self.offers = offers
        self.calls = 0

    def info(self) -> ProviderInfo:
        return ProviderInfo(self.name, ("flights",), "test")

    def upstream_calls(self, field: str) -> int:
        return 1

    async def search_flights(self, query: FlightQuery) -> list[FlightOffer]:
        self.calls += 1
        return self.offers


@st.composite
def journeys(draw: st.DrawFn) -> tuple[Itinerary, ...]:
    """One or two directions of one to three segments."""
    directions = []
    for direction in range(draw(st.integers(1, 2))):
        count = draw(st.integers(1, 3))
        segments = tuple(
            segment(
                draw(st.sampled_from(CARRIERS)),
                draw(st.integers(1, 3)),
                hour=6 + 4 * n,
                day=1 + direction,
            )
            for n in range(count)
        )
        directions.append(Itinerary(480 * count + draw(st.integers(0, 90)), segments))
    return tuple(directions)


bag_allowances = st.one_of(
    st.none(),
    st.builds(BagAllowance, quantity=st.integers(0, 3)),
    st.builds(BagAllowance, weight=st.sampled_from([0, 20, 23]), weight_unit=st.just("KG")),
)


@st.composite
def provider_offers(draw: st.DrawFn) -> dict[str, list[FlightOffer]]:
    """What each provider answers: one offer per fare, as Amadeus and Duffel do; the same
    flights often sold by both, and by one in several fares."""
    flights = draw(st.lists(journeys(), min_size=1, max_size=8))
    answers: dict[str, list[FlightOffer]] = {name: [] for name in PROVIDERS}
    for index, itineraries in enumerate(flights):
        for provider in draw(st.sets(st.sampled_from(PROVIDERS), min_size=1)):
            for n in range(draw(st.integers(1, 3))):
                currency = "GBP" if provider == "duffel" else "EUR"
                price = Money(Decimal(draw(st.integers(3000, 90000))) / 100, currency)
                offer_id = f"{provider}-{index}-{n}"
                answers[provider].append(
                    FlightOffer(
                        id=offer_id,
                        price=price,
                        itineraries=itineraries,
                        sources=(OfferSource(provider, offer_id, price),),
                        fares=(
                            Fare(
                                id="",
                                price=price,
                                sources=(FareSource(provider, offer_id, price),),
                                brand_name=draw(st.sampled_from([None, "Basic", "Flex"])),
                                included_checked_bags=draw(bag_allowances),
                                refund=FareCondition(draw(st.sampled_from([None, True, False]))),
                            ),
                        ),
                    )
                )
    return answers


flight_filters = st.builds(
    FlightFilter,
    included_checked_bags=st.one_of(st.none(), st.integers(0, 3)),
    refundable_only=st.booleans(),
    max_stops=st.one_of(st.none(), st.integers(0, 3)),
    included_carriers=st.lists(st.sampled_from(CARRIERS), max_size=3).map(tuple),
    excluded_carriers=st.lists(st.sampled_from(CARRIERS[2:]), max_size=2).map(tuple),
).filter(lambda f: not set(f.included_carriers) & set(f.excluded_carriers))


def flights_of(offer: FlightOffer) -> tuple[str, ...]:
    return tuple(
        f"{s.carrier.code}{s.flight_number}@{s.departure.at.isoformat()}"
        for it in offer.itineraries
        for s in it.segments
    )


def bags_of(fare: Fare) -> int:
    """The test's own reading of an allowance (-1: unknown)."""
    allowance = fare.included_checked_bags
    if allowance is None or (allowance.quantity is None and allowance.weight is None):
        return -1
    if allowance.quantity is not None:
        return allowance.quantity
    return min(allowance.weight or 0, 1)


def fare_ok(fare: Fare, flight_filter: FlightFilter) -> bool:
    wanted = flight_filter.included_checked_bags or 0
    refund_ok = fare.refund.allowed is True or not flight_filter.refundable_only
    return refund_ok and (wanted == 0 or bags_of(fare) >= wanted)


def flights_ok(offer: FlightOffer, flight_filter: FlightFilter) -> bool:
    carriers = [s.carrier.code for it in offer.itineraries for s in it.segments]
    return (
        all(
            flight_filter.max_stops is None or len(it.segments) - 1 <= flight_filter.max_stops
            for it in offer.itineraries
        )
        and (
            not flight_filter.included_carriers
            or all(c in flight_filter.included_carriers for c in carriers)
        )
        and not any(c in flight_filter.excluded_carriers for c in carriers)
    )


def sort_key(offer: FlightOffer, order: FlightSort) -> tuple[Any, ...]:
    if order is FlightSort.PRICE:
        return (offer.price.amount,)
    if order is FlightSort.DURATION:
        return (sum(it.duration_minutes for it in offer.itineraries),)
    with_bag = [f.price.amount for f in offer.fares if bags_of(f) >= 1]
    return (not with_bag, min(with_bag) if with_bag else offer.price.amount)


async def _serve_all(
    service: SearchService, flight_filter: FlightFilter, order: FlightSort, first: int
) -> tuple[list[FlightOffer], list[int]]:
    """Every page of a search, following the cursors; and each page's total count."""
    query = FlightQuery("LON", "NYC", DAY)
    served: list[FlightOffer] = []
    totals = []
    after = None
    while True:
        page = await service.search_flights(query, order, PageRequest(first, after), flight_filter)
        served.extend(edge.node for edge in page.edges)
        totals.append(page.total_count)
        if not page.has_next_page:
            return served, totals
        after = page.edges[-1].cursor


def _service(answers: dict[str, list[FlightOffer]]) -> tuple[SearchService, list[Listed]]:
    providers = [Listed(name, offers) for name, offers in answers.items()]
    return SearchService(Providers(tuple(providers)), rates=bundled_rates), providers


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answers=provider_offers(),
    flight_filter=flight_filters,
    order=st.sampled_from([FlightSort.PRICE, FlightSort.PRICE_WITH_BAGS, FlightSort.DURATION]),
    first=st.integers(1, 7),
)
def test_filtered_pages_hold_exactly_the_offers_and_fares_meeting_the_filter(
    answers: dict[str, list[FlightOffer]],
    flight_filter: FlightFilter,
    order: FlightSort,
    first: int,
) -> None:
    async def run() -> None:
        service, providers = _service(answers)
        everything, _ = await _serve_all(service, filters.NO_FILTER, order, 100)
        served, totals = await _serve_all(service, flight_filter, order, first)
        # Each search asked each provider once (no cache here): later pages, none.
        assert [p.calls for p in providers] == [2, 2]

        # Paging through every page yields the filtered set: no offer twice, the count exact.
        assert set(totals) == {len(served)}
        assert len({flights_of(o) for o in served}) == len(served)

        expected = {}
        for whole in everything:
            kept = [f for f in whole.fares if fare_ok(f, flight_filter)]
            if flights_ok(whole, flight_filter) and kept:
                expected[flights_of(whole)] = kept
        # No offer that meets the filter is dropped, and nothing else comes back.
        assert {flights_of(o) for o in served} == set(expected)
        for each in served:
            # Every fare kept meets every filter; every fare meeting them is kept.
            assert [f.sources for f in each.fares] == [
                f.sources for f in expected[flights_of(each)]
            ]
            assert all(fare_ok(f, flight_filter) for f in each.fares)
            assert flights_ok(each, flight_filter)
            assert (
                each.price
                == each.fares[0].price
                == min((f.price for f in each.fares), key=lambda m: m.amount)
            )
            sold = {(s.provider, s.offer_id) for f in each.fares for s in f.sources}
            assert {(s.provider, s.offer_id) for s in each.sources} == sold
        # The order holds across pages.
        keys = [sort_key(o, order) for o in served]
        assert keys == sorted(keys)

    asyncio.run(run())


@settings(max_examples=20, deadline=None)
@given(answers=provider_offers(), flight_filter=flight_filters)
def test_a_cursor_pages_only_its_own_filter(
    answers: dict[str, list[FlightOffer]], flight_filter: FlightFilter
) -> None:
    flight_filter = filters.canonical(flight_filter)

    async def run() -> None:
        service, _ = _service(answers)
        query = FlightQuery("LON", "NYC", DAY)
        page = await service.search_flights(
            query, FlightSort.PRICE, PageRequest(1), filters.NO_FILTER
        )
        after = page.edges[0].cursor
        if flight_filter != filters.NO_FILTER:
            with pytest.raises(CursorMismatch):
                await service.search_flights(
                    query, FlightSort.PRICE, PageRequest(1, after), flight_filter
                )
        # The same filter written another way is the same result set.
        same = FlightFilter(included_checked_bags=0, included_carriers=())
        await service.search_flights(query, FlightSort.PRICE, PageRequest(1, after), same)

    asyncio.run(run())
