"""Duffel Stays' prices and its rate check, at the wire (aioresponses): what the traveller pays
(`total_amount`), what the seller pays (less `estimated_commission_amount`, in the same
currency), a rate quoted again (`POST /stays/quotes`), gone or failed, and malformed answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec
import pytest
from aioresponses import aioresponses
from yarl import URL

from gateway import domain
from gateway.providers.base import HotelRateChecker
from gateway.providers.duffel import DuffelConfig, DuffelProvider, mapping, wire
from gateway.providers.duffel.adapter import rate_gone
from gateway.providers.errors import MalformedResponse, UpstreamStatusError, UpstreamUnavailable

pytestmark = pytest.mark.unit

QUOTES = "https://api.duffel.com/stays/quotes"
STAYS = "https://api.duffel.com/stays/search"


def gbp(amount: str) -> domain.Money:
    return domain.Money(Decimal(amount), "GBP")


@pytest.fixture
async def provider() -> AsyncIterator[DuffelProvider]:
    async with aiohttp.ClientSession() as session:
        yield DuffelProvider(session, DuffelConfig(access_token="duffel_test_secret"))


ROOM = domain.RoomOffer(
    id="",
    offer_id="rat_0000ASuebQfixzpI2v20qe",
    provider="duffel",
    price=gbp("799.00"),
    check_in=date(2027, 3, 10),
    check_out=date(2027, 3, 12),
)


def quote(total: str, *rates: dict[str, Any], currency: str = "GBP") -> dict[str, Any]:
    """A quote as the SDK's `MOCK_QUOTE`, its accommodation holding `rates`."""
    return {
        "data": {
            "id": "quo_0000AS0NZdKjjnnHZmSUbI",
            "total_amount": total,
            "total_currency": currency,
            "check_in_date": "2027-03-10",
            "check_out_date": "2027-03-12",
            "rooms": 1,
            "guests": [{"type": "adult"}, {"type": "child", "age": 4}],
            "accommodation": {
                "id": "acc_0000AWr2VsUNIF1Vl91xg0",
                "name": "The Ritz London",
                "rooms": [{"name": "Double Suite", "rates": list(rates)}],
            },
        }
    }


def rate(
    rate_id: str, total: str, commission: str | None, currency: str | None = "GBP"
) -> dict[str, Any]:
    return {
        "id": rate_id,
        "total_amount": total,
        "total_currency": "GBP",
        "estimated_commission_amount": commission,
        "estimated_commission_currency": currency,
    }


def error(status: int, code: str, title: str = "Title") -> dict[str, Any]:
    return {
        "meta": {"status": status, "request_id": "FsJylo0rd"},
        "errors": [
            {
                "type": "invalid_request_error",
                "code": code,
                "title": title,
                "message": "secret internals",
                "documentation_url": "https://duffel.com/docs/api/overview/errors",
            }
        ],
    }


async def test_duffel_checks_its_own_rates_only(provider: DuffelProvider) -> None:
    assert isinstance(provider, HotelRateChecker)
    assert provider.checkable(ROOM)
    assert not provider.checkable(msgspec.structs.replace(ROOM, provider="liteapi"))
    for odd in ("rat_", "off_0000A", "rat_../x", "rat_a b", "rat_" + "a" * 61, ""):
        assert not provider.checkable(msgspec.structs.replace(ROOM, offer_id=odd)), odd


async def test_a_quote_is_the_rate_as_sold_now(provider: DuffelProvider) -> None:
    answer = quote("799.00", rate(ROOM.offer_id, "799.00", "10.00"))
    with aioresponses() as mocked:
        mocked.post(QUOTES, payload=answer, status=201)
        checked = await provider.current_rate(ROOM)
        [call] = mocked.requests[("POST", URL(QUOTES))]
    # The traveller pays Duffel's total (no markup: Duffel sets the price); the seller pays it
    # less the quoted rate's commission.
    assert checked == domain.CheckedRate(gbp("799.00"), gbp("789.00"), markup_applies=False)
    assert json.loads(call.kwargs["data"]) == {"data": {"rate_id": ROOM.offer_id}}
    headers = call.kwargs["headers"]
    assert (headers["Duffel-Version"], headers["Authorization"]) == (
        "v2",
        "Bearer duffel_test_secret",
    )


@pytest.mark.parametrize(
    ("rates", "net"),
    [
        ([rate("rat_1", "850.00", "12.50")], "837.50"),  # the only rate, whatever its id
        ([rate("rat_1", "850.00", "1"), rate(ROOM.offer_id, "850.00", "20")], "830.00"),
        ([rate("rat_1", "850.00", "1"), rate("rat_2", "850.00", "2")], None),  # which one?
        ([rate(ROOM.offer_id, "850.00", None, None)], None),  # not estimated
        ([rate(ROOM.offer_id, "850.00", "10.00", "EUR")], None),  # another currency
        ([rate(ROOM.offer_id, "850.00", "10.00", None)], None),  # no currency said
        ([rate(ROOM.offer_id, "850.00", "900.00")], None),  # more than the total
        ([rate(ROOM.offer_id, "850.00", "-5.00")], None),
        ([], None),
    ],
)
async def test_a_quotes_net_price(
    provider: DuffelProvider, rates: list[dict[str, Any]], net: str | None
) -> None:
    with aioresponses() as mocked:
        mocked.post(QUOTES, payload=quote("850.00", *rates), status=201)
        checked = await provider.current_rate(ROOM)
    assert checked is not None
    assert checked.price == gbp("850.00")
    assert checked.net_price == (gbp(net) if net is not None else None)


@pytest.mark.parametrize(
    ("status", "code", "title"),
    [
        (404, "not_found", "Not found"),  # Duffel knows no such rate
        (422, "rate_unavailable", "Rate unavailable"),
        (422, "some_new_code", "Rate Unavailable"),  # the Test Hotels guide's words
        (400, "rate_unavailable", "Title"),
    ],
)
async def test_gone_rates(provider: DuffelProvider, status: int, code: str, title: str) -> None:
    with aioresponses() as mocked:
        mocked.post(QUOTES, payload=error(status, code, title), status=status)
        assert await provider.current_rate(ROOM) is None


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (422, error(422, "rate_expired")),  # named by no Duffel source: not taken as gone
        (422, error(422, "validation_required", "Required field")),
        (404, {"message": "no such route"}),  # not Duffel's error document
        (500, error(500, "internal_server_error")),
        (503, error(503, "rate_unavailable", "Rate unavailable")),  # a 5xx is a failure
    ],
)
async def test_other_errors_fail_the_check(
    provider: DuffelProvider, status: int, body: dict[str, Any]
) -> None:
    with aioresponses() as mocked:
        mocked.post(QUOTES, payload=body, status=status)
        with pytest.raises(UpstreamStatusError) as failed:
            await provider.current_rate(ROOM)
        assert sum(len(calls) for calls in mocked.requests.values()) == 1  # a write: no retry
    assert failed.value.http_status == status
    assert "secret" not in failed.value.message
    assert "secret" not in (failed.value.detail or "")


def test_gone_detection_reads_only_duffel_error_documents() -> None:
    assert rate_gone(404, json.dumps(error(404, "not_found")).encode())
    assert not rate_gone(404, b"<html>Not Found</html>")
    assert not rate_gone(404, b"")
    assert rate_gone(422, json.dumps(error(422, "x", "  rate   UNAVAILABLE ")).encode())
    assert not rate_gone(200, json.dumps(error(422, "rate_unavailable")).encode())


async def test_a_quote_is_not_sent_twice_once_it_may_have_left(provider: DuffelProvider) -> None:
    """Creating a quote is a write: a connection lost after sending is not retried."""
    with aioresponses() as mocked:
        mocked.post(QUOTES, exception=aiohttp.ServerDisconnectedError())
        mocked.post(QUOTES, payload=quote("799.00"), status=201)
        with pytest.raises(UpstreamUnavailable):
            await provider.current_rate(ROOM)
        assert sum(len(calls) for calls in mocked.requests.values()) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"data": {"id": "quo_1", "total_currency": "GBP"}}',
        b'{"data": {"id": "quo_1", "total_amount": "x", "total_currency": "GBP"}}',
        b'{"data": {"id": "quo_1", "total_amount": "-1.00", "total_currency": "GBP"}}',
        b'{"data": {"id": "quo_1", "total_amount": "NaN", "total_currency": "GBP"}}',
        b'{"data": {"id": "quo_1", "total_amount": "1.00", "total_currency": ""}}',
    ],
)
async def test_malformed_quotes(provider: DuffelProvider, body: bytes) -> None:
    with aioresponses() as mocked:
        mocked.post(QUOTES, body=body, status=201)
        with pytest.raises(MalformedResponse):
            await provider.current_rate(ROOM)


async def test_an_unexpected_rate_id_is_never_sent(provider: DuffelProvider) -> None:
    odd = msgspec.structs.replace(ROOM, offer_id="rat_../../x")
    with aioresponses() as mocked, pytest.raises(ValueError, match="not a Duffel rate id"):
        await provider.current_rate(odd)
    assert not mocked.requests


@pytest.mark.parametrize(
    ("commission", "currency", "net"),
    [
        ("0.00", "GBP", "300.00"),
        ("300.00", "GBP", "0.00"),
        ("12.34", "GBP", "287.66"),
        ("12.34", "EUR", None),
        ("12.34", None, None),
        (None, "GBP", None),
        ("300.01", "GBP", None),
        ("Infinity", "GBP", None),
    ],
)
def test_net_price_from_the_commission(
    commission: str | None, currency: str | None, net: str | None
) -> None:
    rate_wire = wire.Rate(
        id="rat_1",
        total_amount=Decimal("300.00"),
        total_currency="GBP",
        estimated_commission_amount=Decimal(commission) if commission is not None else None,
        estimated_commission_currency=currency,
    )
    assert mapping.net_price(gbp("300.00"), rate_wire) == (gbp(net) if net else None)


async def test_a_rate_without_a_usable_total_is_not_offered(provider: DuffelProvider) -> None:
    result = {
        "id": "srr_1",
        "accommodation": {
            "id": "acc_1",
            "name": "Hotel Lutetia",
            "rooms": [
                {
                    "name": "Deluxe King",
                    "rates": [
                        rate("rat_ok", "300.00", "30.00"),
                        rate("rat_nan", "NaN", "30.00"),
                        rate("rat_negative", "-1.00", None),
                        {**rate("rat_nocurrency", "300.00", None), "total_currency": ""},
                    ],
                }
            ],
        },
    }
    query = domain.HotelQuery(
        "PAR", date(2027, 3, 10), date(2027, 3, 12), centre=domain.GeoPoint(48.85, 2.35)
    )
    with aioresponses() as mocked:
        mocked.post(STAYS, payload={"data": {"results": [result]}})
        [offer] = await provider.search_hotels(query)
    assert [room.offer_id for room in offer.rooms] == ["rat_ok"]
    assert (offer.rooms[0].price, offer.rooms[0].net_price) == (gbp("300.00"), gbp("270.00"))
