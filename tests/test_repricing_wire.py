"""Exact wire exchanges of re-pricing: Amadeus Flight Offers Price and Duffel's single offer,
replayed by aioresponses (unchanged, changed, gone, error)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from gateway import domain
from gateway.providers.amadeus import AmadeusConfig, AmadeusProvider
from gateway.providers.base import FlightRepricer
from gateway.providers.duffel import DuffelConfig, DuffelProvider
from gateway.providers.errors import UpstreamStatusError
from tests.test_amadeus_wire import (
    AMADEUS_JSON,
    BASE,
    FLIGHT_OFFERS,
    FLIGHTS_URL,
    TOKEN_URL,
    token_body,
)
from tests.test_amadeus_wire import QUERY as AMADEUS_QUERY

pytestmark = pytest.mark.unit

PRICING_URL = f"{BASE}/v1/shopping/flight-offers/pricing"
DUFFEL_OFFER_URL = "https://api.duffel.com/air/offers/off_0000A"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def amadeus(session: aiohttp.ClientSession) -> AmadeusProvider:
    config = AmadeusConfig(client_id="id-1", client_secret="s3cret", base_url=BASE, rate_limit=0)
    return AmadeusProvider(session, config)


@pytest.fixture
def duffel(session: aiohttp.ClientSession) -> DuffelProvider:
    return DuffelProvider(session, DuffelConfig(access_token="duffel_test_x"))


def sent(mocked: aioresponses, method: str, url: str) -> list[Any]:
    return [
        call
        for (m, u), found in mocked.requests.items()
        if m == method and str(u).split("?")[0] == url
        for call in found
    ]


async def amadeus_source(amadeus: AmadeusProvider, mocked: aioresponses) -> domain.FareSource:
    """The source of the one offer of a search, as the adapter keeps it."""
    mocked.post(TOKEN_URL, payload=token_body(), repeat=True)
    mocked.get(FLIGHTS_URL, payload=FLIGHT_OFFERS, content_type=AMADEUS_JSON)
    [offer] = await amadeus.search_flights(AMADEUS_QUERY)
    [fare] = offer.fares
    [source] = fare.sources
    return source


def pricing_answer(total: str) -> dict[str, Any]:
    offer = json.loads(json.dumps(FLIGHT_OFFERS["data"][0]))
    offer["price"].update(total=total, grandTotal=total)
    return {"data": {"type": "flight-offers-pricing", "flightOffers": [offer]}}


async def test_amadeus_keeps_each_offer_exactly_as_the_search_returned_it(
    amadeus: AmadeusProvider,
) -> None:
    with aioresponses() as mocked:
        source = await amadeus_source(amadeus, mocked)
    assert source.quote is not None
    assert json.loads(source.quote) == FLIGHT_OFFERS["data"][0]
    assert isinstance(amadeus, FlightRepricer)
    assert amadeus.repriceable(source)
    assert not amadeus.repriceable(domain.FareSource("amadeus", "1", source.price))


async def test_amadeus_pricing_sends_the_offer_as_returned_and_reads_the_same_price(
    amadeus: AmadeusProvider,
) -> None:
    with aioresponses() as mocked:
        source = await amadeus_source(amadeus, mocked)
        mocked.post(PRICING_URL, payload=pricing_answer("410.20"), content_type=AMADEUS_JSON)
        price = await amadeus.current_price(source)
        [call] = sent(mocked, "POST", PRICING_URL)

    assert price == domain.Money(Decimal("410.20"), "EUR")
    headers = call.kwargs["headers"]
    assert headers["X-HTTP-Method-Override"] == "GET"
    assert headers["Authorization"] == "Bearer tok-1"
    body = json.loads(call.kwargs["data"])
    assert body == {
        "data": {"type": "flight-offers-pricing", "flightOffers": [FLIGHT_OFFERS["data"][0]]}
    }


async def test_amadeus_pricing_reads_a_changed_price(amadeus: AmadeusProvider) -> None:
    with aioresponses() as mocked:
        source = await amadeus_source(amadeus, mocked)
        mocked.post(PRICING_URL, payload=pricing_answer("455.90"), content_type=AMADEUS_JSON)
        assert await amadeus.current_price(source) == domain.Money(Decimal("455.90"), "EUR")


async def test_amadeus_segment_sell_failure_means_gone(amadeus: AmadeusProvider) -> None:
    gone = {
        "errors": [
            {
                "status": 400,
                "code": 34651,
                "title": "SEGMENT SELL FAILURE",
                "detail": "Could not sell segment 1",
            }
        ]
    }
    with aioresponses() as mocked:
        source = await amadeus_source(amadeus, mocked)
        mocked.post(PRICING_URL, status=400, payload=gone, content_type=AMADEUS_JSON)
        assert await amadeus.current_price(source) is None


async def test_amadeus_other_pricing_errors_fail_without_provider_text(
    amadeus: AmadeusProvider,
) -> None:
    error = {"errors": [{"status": 400, "code": 477, "title": "INVALID FORMAT", "detail": "x@y"}]}
    with aioresponses() as mocked:
        source = await amadeus_source(amadeus, mocked)
        mocked.post(PRICING_URL, status=400, payload=error, content_type=AMADEUS_JSON)
        with pytest.raises(UpstreamStatusError) as failed:
            await amadeus.current_price(source)
    assert failed.value.http_status == 400
    assert "x@y" not in failed.value.message
    assert "INVALID" not in failed.value.message


DUFFEL_SOURCE = domain.FareSource("duffel", "off_0000A", domain.Money(Decimal("45.00"), "GBP"))


def duffel_offer(total: str) -> dict[str, Any]:
    return {
        "data": {
            "id": "off_0000A",
            "total_amount": total,
            "total_currency": "GBP",
            "expires_at": "2027-01-10T10:42:14.545Z",
            "slices": [],
        }
    }


async def test_duffel_single_offer_reads_the_same_price(duffel: DuffelProvider) -> None:
    with aioresponses() as mocked:
        mocked.get(DUFFEL_OFFER_URL, payload=duffel_offer("45.00"))
        assert await duffel.current_price(DUFFEL_SOURCE) == DUFFEL_SOURCE.price
        [call] = sent(mocked, "GET", DUFFEL_OFFER_URL)
    assert call.kwargs["headers"]["Duffel-Version"] == "v2"
    assert call.kwargs["headers"]["Authorization"] == "Bearer duffel_test_x"


async def test_duffel_single_offer_reads_a_changed_price(duffel: DuffelProvider) -> None:
    with aioresponses() as mocked:
        mocked.get(DUFFEL_OFFER_URL, payload=duffel_offer("49.50"))
        assert await duffel.current_price(DUFFEL_SOURCE) == domain.Money(Decimal("49.50"), "GBP")


@pytest.mark.parametrize(
    ("status", "code"),
    [(404, "not_found"), (422, "offer_no_longer_available"), (422, "offer_expired")],
)
async def test_duffel_gone_offers(duffel: DuffelProvider, status: int, code: str) -> None:
    body = {
        "meta": {"status": status, "request_id": "r1"},
        "errors": [{"type": "invalid_request_error", "code": code, "title": "t", "message": "m"}],
    }
    with aioresponses() as mocked:
        mocked.get(DUFFEL_OFFER_URL, status=status, payload=body)
        assert await duffel.current_price(DUFFEL_SOURCE) is None


async def test_duffel_errors_fail(duffel: DuffelProvider) -> None:
    body = {"errors": [{"type": "api_error", "code": "internal_server_error", "message": "m"}]}
    with aioresponses() as mocked:
        mocked.get(DUFFEL_OFFER_URL, status=500, payload=body)
        with pytest.raises(UpstreamStatusError) as failed:
            await duffel.current_price(DUFFEL_SOURCE)
    assert failed.value.http_status == 500


async def test_duffel_never_puts_an_unexpected_offer_id_in_a_url(duffel: DuffelProvider) -> None:
    odd = domain.FareSource("duffel", "off_../../x", DUFFEL_SOURCE.price)
    assert not duffel.repriceable(odd)
    assert duffel.repriceable(DUFFEL_SOURCE)
    with aioresponses(), pytest.raises(ValueError, match="not a Duffel offer id"):
        await duffel.current_price(odd)
