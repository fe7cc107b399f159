"""Selling prices: what the traveller pays is the provider's selling price, or its net price plus
the seller's markup, never below a floor the provider sets; what the seller pays stays apart."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gateway.config import ConfigError, Settings
from gateway.domain import CheckedRate, Hotel, Money, RoomOffer
from gateway.providers import rates
from gateway.search import selling

pytestmark = pytest.mark.unit

DAY = date(2027, 3, 1)


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def room(offer_id: str, price: str, net: str | None = None, *, marked: bool = False) -> RoomOffer:
    return RoomOffer(
        id="",
        offer_id=offer_id,
        provider="hotelbeds",
        price=eur(price),
        check_in=DAY,
        check_out=date(2027, 3, 3),
        net_price=eur(net) if net is not None else None,
        markup_applies=marked,
    )


@pytest.mark.parametrize(
    ("net", "floor", "percent", "expected"),
    [
        ("100", "130", "0", "130"),  # a mandatory selling rate: never below it
        ("100", "130", "10", "130"),
        ("100", "130", "50", "150.00"),  # the markup clears the floor: the seller keeps it
        ("100", "100", "12.5", "112.50"),
        ("99.99", "99.99", "10", "109.99"),  # 109.989 to the cent
        ("100", "100", "0", "100"),
    ],
)
def test_selling_price_is_net_plus_markup_never_below_the_floor(
    net: str, floor: str, percent: str, expected: str
) -> None:
    assert selling.selling_price(eur(net), eur(floor), Decimal(percent)) == eur(expected)


def test_no_markup_across_currencies_and_without_a_net_price() -> None:
    usd = Money(Decimal(90), "USD")
    assert selling.selling_price(usd, eur("100"), Decimal(20)) == eur("100")
    assert selling.selling_price(None, eur("100"), Decimal(20)) == eur("100")


def test_rates_the_provider_prices_are_never_marked_up() -> None:
    priced = room("a", "150", "120")  # LiteAPI-like: its own retail price
    assert selling.priced_room(priced, Decimal(30)) is priced
    checked = CheckedRate(eur("150"), eur("120"))
    assert selling.priced_rate(checked, Decimal(30)) == eur("150")
    marked = CheckedRate(eur("100"), eur("100"), markup_applies=True)
    assert selling.priced_rate(marked, Decimal(30)) == eur("130.00")


def test_an_offer_follows_its_cheapest_room_once_marked_up() -> None:
    # A mandatory selling rate (floor 130 on net 100) beside a free one (net 110): at 0 % the
    # free one is cheapest; at 25 % the floored one is (max(130, 125) = 130 < 137.50).
    rooms = (room("floored", "130", "100", marked=True), room("free", "110", "110", marked=True))
    offer = rates.hotel_offer("hotelbeds", "1", Hotel("hotelbeds:1", "H"), rooms)
    assert (offer.price, offer.sources[0].offer_id) == (eur("110"), "free")
    assert offer.sources[0].net_price == eur("110")

    (priced,) = selling.priced_offers([offer], Decimal(25))
    assert [r.price for r in priced.rooms] == [eur("130"), eur("137.50")]
    assert priced.price == eur("130")
    source = priced.sources[0]
    assert (source.offer_id, source.price, source.net_price) == ("floored", eur("130"), eur("100"))

    assert selling.priced_offers([offer], Decimal(0)) == [offer]


@pytest.mark.parametrize("value", ["abc", "-1", "1000.5", "NaN", "Infinity"])
def test_the_markup_setting_is_checked_at_start(value: str) -> None:
    with pytest.raises(ConfigError, match="GATEWAY_HOTEL_MARKUP_PERCENT"):
        Settings.from_env({"GATEWAY_HOTEL_MARKUP_PERCENT": value})


def test_the_markup_setting_is_exact() -> None:
    settings = Settings.from_env({"GATEWAY_HOTEL_MARKUP_PERCENT": "12.5"})
    assert settings.hotel_markup_percent == Decimal("12.5")
    assert Settings.from_env({}).hotel_markup_percent == 0


def test_a_penalty_is_paid_in_proportion_to_the_price_never_above_it() -> None:
    stated = eur("50")  # against a net rate of 100
    assert rates.in_proportion(stated, eur("100"), eur("130")) == eur("65.00")
    assert rates.in_proportion(eur("100"), eur("100"), eur("130")) == eur("130.00")
    assert rates.in_proportion(eur("120"), eur("100"), eur("110")) == eur("110")  # capped
    assert rates.in_proportion(stated, eur("100"), eur("100")) is stated
    usd = Money(Decimal(50), "USD")
    assert rates.in_proportion(usd, eur("100"), eur("130")) is usd  # another currency: as is
    marked = RoomOffer(
        id="",
        offer_id="nrf",
        provider="hotelbeds",
        price=eur("100"),
        check_in=DAY,
        check_out=date(2027, 3, 3),
        net_price=eur("100"),
        markup_applies=True,
        cancellation_penalty=eur("100"),  # non-refundable: the whole stay
    )
    priced = selling.priced_room(marked, Decimal(20))
    assert (priced.price, priced.cancellation_penalty) == (eur("120.00"), eur("120.00"))
