"""Fares within one itinerary: the same fare sold twice is one fare, different fares never are."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

import msgspec
import pytest

from gateway import domain
from gateway.providers import fare_parts
from gateway.search import identity
from gateway.search.merge import merge_fares, merge_flights
from tests.test_merge import money, to_eur

pytestmark = pytest.mark.unit

ECONOMY = domain.CabinClass.ECONOMY
UNKNOWN = domain.FareCondition()
NO = domain.FareCondition(allowed=False)


def yes(penalty: str | None = None, currency: str = "GBP") -> domain.FareCondition:
    return domain.FareCondition(True, money(penalty, currency) if penalty is not None else None)


def offer(
    provider: str,
    price: domain.Money,
    brand: str | None,
    *,
    bags: int | None = 0,
    refund: domain.FareCondition = UNKNOWN,
    change: domain.FareCondition = UNKNOWN,
    co2: str | None = None,
    cabin_bags: int | None = None,
    booking_class: str | None = None,
) -> domain.FlightOffer:
    """One provider offer of flight XX101: exactly one fare with one source, as mapped."""
    segment = domain.Segment(
        carrier=domain.Carrier("XX"),
        flight_number="101",
        departure=domain.FlightPoint("JFK", datetime(2027, 1, 10, 19)),
        arrival=domain.FlightPoint("LHR", datetime(2027, 1, 11, 7, 5)),
        duration_minutes=425,
        cabin=ECONOMY,
    )
    offer_id = f"{provider}-{brand}-{price.amount}-{refund.allowed}-{change.allowed}"
    return domain.FlightOffer(
        id=f"{provider}:{offer_id}",
        price=price,
        itineraries=(domain.Itinerary(425, (segment,)),),
        sources=(domain.OfferSource(provider, offer_id, price),),
        fares=(
            domain.Fare(
                id="",
                price=price,
                sources=(domain.FareSource(provider, offer_id, price),),
                brand_name=brand,
                segments=(domain.FareSegment(ECONOMY, booking_class),),
                included_checked_bags=domain.BagAllowance(quantity=bags)
                if bags is not None
                else None,
                included_cabin_bags=domain.BagAllowance(quantity=cabin_bags)
                if cabin_bags is not None
                else None,
                refund=refund,
                change=change,
                co2_kg=Decimal(co2) if co2 is not None else None,
            ),
        ),
    )


def merged(*offers: domain.FlightOffer) -> domain.FlightOffer:
    [one] = merge_flights(offers, ECONOMY, to_eur)
    return one


def test_different_brands_of_one_flight_are_never_merged() -> None:
    result = merged(
        offer("amadeus", money("700.00"), "FLEX", bags=1),
        offer("amadeus", money("400.00"), "BASIC", bags=1),
        offer("duffel", money("350.00", "GBP"), "Standard", bags=1),
    )
    assert [f.brand_name for f in result.fares] == ["BASIC", "Standard", "FLEX"]
    assert [f.price for f in result.fares] == [money("400.00"), money("404.61"), money("700.00")]
    assert result.price == result.fares[0].price  # a "from" price: the cheapest fare's
    assert [s.provider for s in result.sources] == ["amadeus", "duffel", "amadeus"]


def test_the_same_fare_sold_by_both_providers_is_one_fare_with_two_sources() -> None:
    amadeus = offer("amadeus", money("410.20"), "BASIC", co2=None, booking_class="O")
    duffel = offer(
        "duffel", money("350.00", "GBP"), "Basic", refund=NO, change=NO, co2="460", cabin_bags=1
    )
    result = merged(amadeus, duffel)
    [fare] = result.fares
    assert [s.provider for s in fare.sources] == ["duffel", "amadeus"]  # cheapest first
    assert fare.sources[0].price == money("350.00", "GBP")  # each in its own currency
    assert fare.price == money("404.61")  # the cheapest, in the display currency
    assert result.price == fare.price
    # Names compare folded; the mixed-case spelling is shown.
    assert fare.brand_name == "Basic"
    # What one seller leaves out, another fills: Duffel states conditions, emissions and cabin
    # bags; Amadeus the booking class.
    assert fare.refund == NO
    assert fare.change == NO
    assert fare.co2_kg == Decimal(460)
    assert fare.included_cabin_bags == domain.BagAllowance(quantity=1)
    assert fare.segments == (domain.FareSegment(ECONOMY, "O"),)


@pytest.mark.parametrize(
    "other",
    [
        offer("duffel", money("350.00", "GBP"), "Basic", bags=1),  # another bag allowance
        offer("duffel", money("350.00", "GBP"), None),  # unbranded
        offer("duffel", money("350.00", "GBP"), "Basic light"),
    ],
)
def test_fares_that_differ_in_what_a_traveller_gets_stay_apart(
    other: domain.FlightOffer,
) -> None:
    result = merged(offer("amadeus", money("410.20"), "BASIC"), other)
    assert len(result.fares) == 2
    assert all(len(f.sources) == 1 for f in result.fares)


def test_known_conditions_that_differ_keep_fares_apart() -> None:
    refundable = offer("duffel", money("500.00", "GBP"), "Saver", refund=yes("50"), change=NO)
    not_refundable = offer("duffel", money("400.00", "GBP"), "Saver", refund=NO, change=NO)
    result = merged(refundable, not_refundable)
    assert [f.refund.allowed for f in result.fares] == [False, True]


def test_unknown_conditions_join_the_one_fare_they_can_be() -> None:
    """Amadeus states no conditions: its fare is the same as the one Duffel fare of that brand
    and bags, whatever Duffel says of refunds; if Duffel sells two, unknown cannot say which."""
    amadeus = offer("amadeus", money("410.20"), "BASIC")
    one = merged(amadeus, offer("duffel", money("350.00", "GBP"), "Basic", refund=yes("10")))
    assert len(one.fares) == 1
    assert one.fares[0].refund == yes("10")

    partly = offer("duffel", money("360.00", "GBP"), "Basic", refund=NO, change=UNKNOWN)
    assert len(merged(amadeus, partly).fares) == 1  # unknown agrees with unknown

    two = merged(
        amadeus,
        offer("duffel", money("350.00", "GBP"), "Basic", refund=NO, change=NO),
        offer("duffel", money("380.00", "GBP"), "Basic", refund=yes("10"), change=NO),
    )
    assert len(two.fares) == 3  # Amadeus's could be either: it stays a fare of its own
    assert sorted(str(f.refund.allowed) for f in two.fares) == ["False", "None", "True"]


def test_the_merge_does_not_depend_on_the_order_offers_arrive_in() -> None:
    offers = [
        offer("amadeus", money("410.20"), "BASIC"),
        offer("amadeus", money("520.00"), "STANDARD", bags=1),
        offer("duffel", money("350.00", "GBP"), "Basic", refund=NO, change=NO),
        offer("duffel", money("440.00", "GBP"), "Standard", bags=1, refund=NO, change=yes("60")),
        offer("duffel", money("690.00", "GBP"), "Flex", bags=2, refund=yes("0"), change=yes("0")),
    ]
    results = {identity.flight_offer(merged(*order)) for order in itertools.permutations(offers)}
    assert len(results) == 1
    [result] = results
    assert [f.brand_name for f in result.fares] == ["Basic", "Standard", "Flex"]
    assert [len(f.sources) for f in result.fares] == [2, 2, 1]


def test_fares_merge_without_an_offer_around_them() -> None:
    fares = [f for o in (offer("amadeus", money("1"), "A"), offer("duffel", money("2"), "a"))
             for f in o.fares]  # fmt: skip
    [fare] = merge_fares(fares, to_eur)
    assert [s.provider for s in fare.sources] == ["amadeus", "duffel"]


def test_fare_ids_follow_their_values() -> None:
    """A fare's id is a digest of its values, like an offer's: the same fare again gets the
    same id, any change a new one, and the offer's id changes with its fares'."""
    base = merged(
        offer("amadeus", money("410.20"), "BASIC"),
        offer("duffel", money("350.00", "GBP"), "Basic", refund=NO, change=NO),
    )
    served = identity.flight_offer(base)
    again = identity.flight_offer(base)
    assert served.fares[0].id == again.fares[0].id
    assert served.fares[0].id.startswith("P")
    changed_fare = msgspec.structs.replace(base.fares[0], co2_kg=Decimal(461))
    changed = identity.flight_offer(msgspec.structs.replace(base, fares=(changed_fare,)))
    assert changed.fares[0].id != served.fares[0].id
    assert changed.id != served.id


def test_a_fare_shows_one_brand_and_one_allowance_only_where_its_parts_agree() -> None:
    """Brands and bags come per segment (Amadeus) or per slice (Duffel)."""
    assert fare_parts.brand_name(["Basic", "Basic"]) == "Basic"
    assert fare_parts.brand_name(["Basic", " Flex "]) == "Basic / Flex"  # outbound, return
    assert fare_parts.brand_name([None, "Flex"]) == "Flex"
    assert fare_parts.brand_name([None, ""]) is None
    one = domain.BagAllowance(quantity=1)
    assert fare_parts.common([one, domain.BagAllowance(quantity=1)]) == one
    assert fare_parts.common([one, domain.BagAllowance(quantity=0)]) is None
    assert fare_parts.common([one, None]) is None  # unknown on one flight: no one allowance
    assert fare_parts.common([]) is None
