"""ISO 4217 rounding, ECB reference rates, the background feed, and currency in searches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from gateway.currency.feed import RatesFeed
from gateway.currency.rates import FeedError, NoRate, bundled_rates, parse_ecb
from gateway.currency.units import minor_units, round_to_minor_units
from gateway.domain import Money
from tests.helpers import GraphQLClient, days_ahead

pytestmark = pytest.mark.e2e

RATES = bundled_rates()

FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
  xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time='2030-01-02'>
<Cube currency='USD' rate='1.2000'/><Cube currency='GBP' rate='0.80'/>
<Cube currency='JPY' rate='150'/>
</Cube></Cube></gesmes:Envelope>"""


def test_minor_units() -> None:
    assert [minor_units(code) for code in ("EUR", "JPY", "BHD", "XAU")] == [2, 0, 3, 2]
    assert round_to_minor_units(Decimal("10.005"), "EUR") == Decimal("10.00")  # half-even
    assert round_to_minor_units(Decimal("10.015"), "EUR") == Decimal("10.02")
    assert round_to_minor_units(Decimal("99.5"), "JPY") == Decimal("100")


def test_bundled_rates_are_dated_and_cover_the_majors() -> None:
    assert RATES.as_of == date(2026, 3, 13)
    assert {"EUR", "USD", "GBP", "JPY", "CHF"} <= set(RATES.per_eur)


def test_conversion_goes_through_the_euro_and_rounds_once() -> None:
    rates = parse_ecb(FEED, "test")
    assert rates.convert(Money(Decimal("100"), "GBP"), "USD") == Money(Decimal("150.00"), "USD")
    assert rates.convert(Money(Decimal("10.00"), "USD"), "JPY") == Money(Decimal("1250"), "JPY")
    same = Money(Decimal("1.234"), "EUR")
    assert rates.convert(same, "EUR") is same
    with pytest.raises(NoRate):
        rates.convert(Money(Decimal(1), "AED"), "EUR")


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2))
def test_round_trip_stays_within_a_cent(amount: Decimal) -> None:
    there = RATES.convert(Money(amount, "EUR"), "USD")
    back = RATES.convert(there, "EUR")
    assert there.amount.as_tuple().exponent == -2
    assert abs(back.amount - amount) <= Decimal("0.01")


@pytest.mark.parametrize(
    "document",
    [
        b"<html>maintenance</html>",
        FEED.replace(b"</gesmes:Envelope>", b""),  # cut short
        FEED.replace(b"rate='0.80'", b"rate='0'"),
        b"x" * 70_000,
    ],
)
def test_bad_feeds_are_refused(document: bytes) -> None:
    with pytest.raises(FeedError):
        parse_ecb(document, "test")


async def test_feed_refreshes_from_its_url_and_survives_failures(
    aiohttp_server: Callable[..., Any],
) -> None:
    answers = [web.Response(body=FEED), web.Response(status=503), web.Response(body=b"<oops/>")]

    async def handler(request: web.Request) -> web.Response:
        return answers.pop(0)

    app = web.Application()
    app.router.add_get("/eurofxref-daily.xml", handler)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as session:
        feed = RatesFeed(session, str(server.make_url("/eurofxref-daily.xml")))
        assert feed.rates.as_of == date(2026, 3, 13)  # bundled until the first read
        assert await feed.refresh() is True
        assert feed.rates.as_of == date(2030, 1, 2)
        assert await feed.refresh() is False  # 503: keeps what it had
        assert await feed.refresh() is False  # not a rate document
        assert feed.rates.as_of == date(2030, 1, 2)


async def test_feed_off_keeps_the_bundled_rates() -> None:
    async with aiohttp.ClientSession() as session:
        feed = RatesFeed(session, None)
        assert await feed.refresh() is False
        feed.start()
        await feed.stop()
        assert feed.rates.source == "bundled ECB reference rates"


FLIGHTS = """query($s: FlightSearchInput!) { flights(search: $s, first: 100) {
  offers { nodes { price { amount currency } sources { provider price { currency } } } } } }"""


async def test_offers_are_priced_and_sorted_in_the_requested_currency(
    client: GraphQLClient,
) -> None:
    search = {
        "origin": "LON",
        "destination": "NYC",
        "departureDate": days_ahead(25),
        "currency": "JPY",
    }
    status, body = await client.post(FLIGHTS, {"s": search})
    assert status == 200
    nodes = body["data"]["flights"]["offers"]["nodes"]
    assert {node["price"]["currency"] for node in nodes} == {"JPY"}
    assert all("." not in node["price"]["amount"] for node in nodes)  # JPY has no minor unit
    amounts = [int(node["price"]["amount"]) for node in nodes]
    assert amounts == sorted(amounts)
    # Duffel quotes in GBP: its sources keep that.
    currencies = {s["provider"]: s["price"]["currency"] for n in nodes for s in n["sources"]}
    assert currencies == {"amadeus": "JPY", "duffel": "GBP"}


async def test_default_currency_when_none_is_asked(client: GraphQLClient) -> None:
    search = {"origin": "LON", "destination": "NYC", "departureDate": days_ahead(25)}
    _, body = await client.post(FLIGHTS, {"s": search})
    assert {n["price"]["currency"] for n in body["data"]["flights"]["offers"]["nodes"]} == {"EUR"}


@pytest.mark.parametrize(
    ("currency", "words"),
    [
        ("AED", "no exchange rate for AED"),
        ("ABC", "must be an ISO 4217 currency code, got 'ABC'"),
        ("EURO", "must be an ISO 4217 currency code, got 'EURO'"),
    ],
)
async def test_currency_without_a_rate_is_bad_input(
    client: GraphQLClient, currency: str, words: str
) -> None:
    search = {
        "origin": "LON",
        "destination": "NYC",
        "departureDate": days_ahead(25),
        "currency": currency,
    }
    _, body = await client.post(FLIGHTS, {"s": search})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "$s.currency" in error["message"]  # the client's own path: the variable's
    assert words in error["message"]
