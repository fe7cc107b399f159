"""LiteAPI's selling prices and its rate check (`POST /rates/prebook`), replayed by aioresponses.

What the traveller pays is the offer's retail rate, never below its suggested selling price;
what the seller pays is the retail rate less the rooms' commissions (docs/pricing.md). A prebook
prices the offer now by the same rules; LiteAPI's "outdated offerId" (4040) and "no
availability" (2001) mean the offer is gone, any other failure that it could not be checked.
Fixtures follow LiteAPI's booking.json and search.json (liteapi-travel/mcp-server).
"""

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

from gateway import domain
from gateway.providers.deadline import deadline_in
from gateway.providers.errors import MalformedResponse, UpstreamStatusError
from gateway.providers.liteapi import LiteApiConfig, LiteApiProvider, prices, wire
from gateway.providers.liteapi.adapter import prebook_request
from tests.contracts import problems, query_problems

pytestmark = pytest.mark.unit

KEY = "sand_0f3a7c2e-5b1d-4e8a-9c6f-2d4b8a1e7f90"
PREBOOK = "https://book.liteapi.travel/v3.0/rates/prebook"
OFFER_ID = "GE5ESNBSIZKVMQ2QJJNEERSPKIZEMR2OIRKVOVCTKNFVMRCWKNLUWVKKGVDVMRKWGJEEWRSOIVEVCS2P"
DAY = date(2027, 1, 15)


def usd(amount: str) -> domain.Money:
    return domain.Money(Decimal(amount), "USD")


def room(offer_id: str = OFFER_ID, provider: str = "liteapi") -> domain.RoomOffer:
    return domain.RoomOffer(
        id="R1",
        offer_id=offer_id,
        provider=provider,
        price=usd("191.52"),
        check_in=DAY,
        check_out=date(2027, 1, 17),
        net_price=usd("157.38"),
    )


def room_type(**fields: Any) -> wire.RoomType:
    return msgspec.convert({"offerId": "O", **fields}, wire.RoomType)


def rate(total: float | None = None, **fields: Any) -> dict[str, Any]:
    retail: dict[str, Any] = {}
    if total is not None:
        retail["total"] = [{"amount": total, "currency": "USD"}]
    return {"rateId": "r", "retailRate": retail, **fields}


def commission(*amounts: float, currency: str = "USD") -> list[dict[str, Any]]:
    return [{"amount": amount, "currency": currency} for amount in amounts]


# -------------------------------------------------------------------------- selling prices


@pytest.mark.parametrize(
    ("fields", "price", "net"),
    [
        # The spec's example: retail 163.66 under its suggested selling price of 191.52.
        (
            {
                "offerRetailRate": {"amount": 163.66, "currency": "USD"},
                "suggestedSellingPrice": {"amount": 191.52, "currency": "USD", "source": "x"},
                "rates": [rate(163.66, commission=commission(6.28))],
            },
            usd("191.52"),
            usd("157.38"),
        ),
        # A retail rate over the floor is the price: the floor is a minimum, not the price.
        (
            {
                "offerRetailRate": [{"amount": 200, "currency": "USD"}],
                "suggestedSellingPrice": [{"amount": 180, "currency": "USD"}],
                "rates": [rate(200, commission=commission(12.5))],
            },
            usd("200"),
            usd("187.5"),
        ),
        # No offer-level amounts: the rooms' totals, floors and commissions are added.
        (
            {
                "rates": [
                    rate(
                        100.1,
                        commission=commission(5),
                        retailRate={
                            "total": [{"amount": 100.1, "currency": "USD"}],
                            "suggestedSellingPrice": [{"amount": 110, "currency": "USD"}],
                        },
                    ),
                    rate(
                        100.2,
                        commission=commission(4, 1.5),  # parts of one commission, added
                        retailRate={
                            "total": [{"amount": 100.2, "currency": "USD"}],
                            "suggestedSellingPrice": [{"amount": 110.2, "currency": "USD"}],
                        },
                    ),
                ]
            },
            usd("220.2"),
            usd("189.8"),
        ),
        # Several floors (the schema's list): each is a minimum, so the largest holds.
        (
            {
                "offerRetailRate": {"amount": 100, "currency": "USD"},
                "suggestedSellingPrice": [
                    {"amount": 110, "currency": "USD"},
                    {"amount": 125, "currency": "USD"},
                    {"amount": 140, "currency": "EUR"},  # another currency: not this floor
                ],
                "rates": [rate(100, commission=commission(9))],
            },
            usd("125"),
            usd("91"),
        ),
        # No floor for the offer: its rooms', each at least its own total (150 + 100).
        (
            {
                "offerRetailRate": {"amount": 200, "currency": "USD"},
                "rates": [
                    rate(
                        100,
                        commission=commission(5),
                        retailRate={
                            "total": [{"amount": 100, "currency": "USD"}],
                            "suggestedSellingPrice": [{"amount": 150, "currency": "USD"}],
                        },
                    ),
                    rate(100, commission=commission(5)),
                ],
            },
            usd("250"),
            usd("190"),
        ),
        # A commission of 0 is a net rate: the seller pays the retail rate.
        (
            {
                "offerRetailRate": {"amount": 150, "currency": "USD"},
                "rates": [rate(150, commission=commission(0))],
            },
            usd("150"),
            usd("150"),
        ),
    ],
)
def test_what_the_traveller_and_the_seller_pay(
    fields: dict[str, Any], price: domain.Money, net: domain.Money
) -> None:
    assert prices.offer_prices(room_type(**fields)) == (price, net)


@pytest.mark.parametrize(
    "rates",
    [
        [rate(150)],  # no commission stated
        [rate(75, commission=commission(5)), rate(75)],  # one room's is not stated
        [rate(150, commission=commission(9, currency="EUR"))],  # not in the retail currency
        [rate(150, commission=commission(150))],  # all of it, or more: not a commission
        [rate(150, commission=commission(-3))],  # a negative amount is no amount
        [rate(150, commission=[])],
    ],
)
def test_net_price_is_unknown_unless_every_room_states_its_commission(
    rates: list[dict[str, Any]],
) -> None:
    offer = room_type(offerRetailRate={"amount": 150, "currency": "USD"}, rates=rates)
    assert prices.offer_prices(offer) == (usd("150"), None)


@pytest.mark.parametrize(
    "fields",
    [
        {},  # no retail rate at all
        {"offerRetailRate": {"amount": 0, "currency": "USD"}},
        {"offerRetailRate": {"amount": -10, "currency": "USD"}},
        {"offerRetailRate": {"amount": 100, "currency": "usd"}},  # not an ISO 4217 code
        {"offerRetailRate": {"amount": 100, "currency": "DOLLARS"}},
        {"offerRetailRate": []},
        # Two amounts in a list: which one is meant is not said.
        {
            "offerRetailRate": [
                {"amount": 100, "currency": "USD"},
                {"amount": 90, "currency": "EUR"},
            ]
        },
        # A floor that cannot be compared (another currency only) is not undercut: not priced.
        {
            "offerRetailRate": {"amount": 150, "currency": "USD"},
            "suggestedSellingPrice": {"amount": 170, "currency": "EUR"},
        },
        {
            "offerRetailRate": {"amount": 150, "currency": "USD"},
            "suggestedSellingPrice": {"amount": 170, "currency": "dollars"},
        },
        # A floor over three times the retail rate is a fault, not a floor: not priced at all.
        {
            "offerRetailRate": {"amount": 100, "currency": "USD"},
            "suggestedSellingPrice": {"amount": 300.01, "currency": "USD"},
        },
    ],
)
def test_offers_without_a_usable_price_are_not_priced(fields: dict[str, Any]) -> None:
    assert prices.offer_prices(room_type(**fields)) is None


# ------------------------------------------------------------------------------ the prebook


def prebook_answer(**data: Any) -> dict[str, Any]:
    """A prebook's answer, trimmed from booking.json's example (without add-ons or voucher)."""
    return {
        "data": {
            "prebookId": "zzWkJcdgk",
            "offerId": OFFER_ID,
            "hotelId": "lp1897",
            "checkin": "2027-01-15",
            "checkout": "2027-01-17",
            "currency": "USD",
            "termsAndConditions": "",
            "roomTypes": [
                {
                    "rates": [
                        {
                            "rateId": "I42F",
                            "occupancyNumber": 1,
                            "adultCount": 2,
                            "childCount": 1,
                            "childrenAges": [7],
                            "boardType": "RO",
                            "commission": [{"amount": 6.28, "currency": "USD"}],
                            "retailRate": {
                                "total": [{"amount": 163.66, "currency": "USD"}],
                                "suggestedSellingPrice": [{"amount": 185.7, "currency": "USD"}],
                            },
                        }
                    ]
                }
            ],
            "suggestedSellingPrice": {"amount": 191.52, "currency": "USD", "source": "x"},
            "commission": 6.28,
            "price": 163.66,
            "priceType": "commission",
            "priceDifferencePercent": 0,
            "cancellationChanged": False,
            "boardChanged": False,
            "supplier": "nuitee",
            "supplierId": 2,
            **data,
        },
        "guestLevel": 0,
    }


@pytest.fixture
async def provider() -> AsyncIterator[LiteApiProvider]:
    async with aiohttp.ClientSession() as session:
        yield LiteApiProvider(session, LiteApiConfig(api_key=KEY, rate_limit=None))


def sent(mocked: aioresponses) -> list[Any]:
    return [call for calls in mocked.requests.values() for call in calls]


async def test_prebook_wire_format(provider: LiteApiProvider) -> None:
    with aioresponses() as mocked:
        mocked.post(f"{PREBOOK}?timeout=6", payload=prebook_answer())
        with deadline_in(8.0):
            checked = await provider.current_rate(room())
        [(method, url)] = mocked.requests
        [call] = sent(mocked)
    assert method == "POST"
    assert str(url) == f"{PREBOOK}?timeout=6"  # the booking host; LiteAPI's own timeout
    assert call.kwargs["headers"] == {
        "X-API-Key": KEY,
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    body = json.loads(call.kwargs["data"])
    assert body == {"offerId": OFFER_ID, "usePaymentSdk": False}
    assert problems("liteapi", "rates_prebook", "body", body, strict=True) == []
    assert query_problems("liteapi", "rates_prebook", {"timeout": "6"}) == []
    # The example's offer: retail 163.66 under its floor of 191.52, commission 6.28.
    assert checked == domain.CheckedRate(usd("191.52"), usd("157.38"), markup_applies=False)


def test_the_prebook_request_is_the_definitions() -> None:
    body = prebook_request(OFFER_ID)
    assert problems("liteapi", "rates_prebook", "body", body, strict=True) == []
    assert problems("liteapi", "rates_prebook", "body", {"offerId": OFFER_ID}) == [
        "/usePaymentSdk: required property missing"  # booking.json requires it
    ]


@pytest.mark.parametrize(
    ("data", "price", "net"),
    [
        # Dearer now: over its floor, so the retail rate is the price.
        ({"price": 210.0, "priceDifferencePercent": 28}, usd("210.0"), usd("203.72")),
        # The rooms' commissions, where stated, else the booking's own `commission`.
        ({"roomTypes": [{"rates": [{"rateId": "r"}]}], "commission": 7.5}, usd("191.52"),
         usd("156.16")),
        # The rooms' floors when the booking states none.
        ({"suggestedSellingPrice": None}, usd("185.7"), usd("157.38")),
        ({"suggestedSellingPrice": None, "roomTypes": [], "commission": None}, usd("163.66"),
         None),
    ],
)  # fmt: skip
async def test_a_prebook_is_priced_as_a_search(
    provider: LiteApiProvider, data: dict[str, Any], price: domain.Money, net: domain.Money | None
) -> None:
    with aioresponses() as mocked:
        mocked.post(f"{PREBOOK}?timeout=30", payload=prebook_answer(**data))
        assert await provider.current_rate(room()) == domain.CheckedRate(price, net)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        # booking.json's own example of an outdated offer, under HTTP 408.
        (
            408,
            {
                "error": {
                    "code": 4040,
                    "description": "outdated offerId",
                    "message": "this offer is marked as not valid, please refetch rates for "
                    "this hotel",
                }
            },
        ),
        # The same code under another status: LiteAPI says to match on the code.
        (400, {"error": {"code": 4040, "message": "outdated offerId"}}),
        # "no prebook availability", as integrators report stale offers answered.
        (400, {"error": {"code": 2001, "description": "no prebook availability"}}),
        (200, {"error": {"code": 2001, "message": "no availability found"}}),
    ],
)
async def test_an_offer_no_longer_on_sale_is_gone(
    provider: LiteApiProvider, status: int, body: dict[str, Any]
) -> None:
    with aioresponses() as mocked:
        mocked.post(f"{PREBOOK}?timeout=30", status=status, payload=body)
        assert await provider.current_rate(room()) is None
        assert len(sent(mocked)) == 1


@pytest.mark.parametrize("changed", ["boardChanged", "cancellationChanged"])
async def test_another_rate_in_its_place_is_gone(provider: LiteApiProvider, changed: str) -> None:
    """LiteAPI may put a similar rate in place of one sold out: the rate the traveller chose,
    with its board and cancellation terms, is no longer sold, whatever its price."""
    with aioresponses() as mocked:
        mocked.post(f"{PREBOOK}?timeout=30", payload=prebook_answer(**{changed: True}))
        assert await provider.current_rate(room()) is None


@pytest.mark.parametrize(
    ("status", "body", "message", "calls"),
    [
        # booking.json's "invalid offerId": the check failed, the offer is not said to be gone.
        (
            400,
            {
                "error": {
                    "code": 4002,
                    "description": "invalid offerId",
                    "message": "required request field is missing or wrong input",
                }
            },
            "liteapi rejected the search (HTTP 400)",
            1,
        ),
        (
            408,
            {
                "error": {
                    "code": 4016,
                    "description": "prebook timeout exceeded, please consider increasing",
                }
            },
            "liteapi rejected the search (HTTP 408)",
            1,
        ),
        (401, {"error": {"code": 401, "message": "Unauthorized"}}, "liteapi refused", 1),
        # A prebook is a write: a 500 or a 503 may have created one, so it is not sent again.
        (500, {"error": {"code": 500, "message": "internal server error"}}, "server error", 1),
        (503, {"error": {"code": 503, "message": "service unavailable"}}, "server error", 1),
        # A 429 was refused before anything was done: retried, twice.
        (429, {"error": {"code": 429, "message": "Too many requests."}}, "rate limited", 3),
        (404, b"<html>not found</html>", "liteapi rejected the search (HTTP 404)", 1),
    ],
)
async def test_a_check_that_cannot_be_made_fails(
    provider: LiteApiProvider,
    status: int,
    body: dict[str, Any] | bytes,
    message: str,
    calls: int,
) -> None:
    with aioresponses() as mocked:
        kwargs: dict[str, Any] = {"body": body} if isinstance(body, bytes) else {"payload": body}
        headers = {"Retry-After": "0"}
        mocked.post(f"{PREBOOK}?timeout=30", status=status, headers=headers, repeat=True, **kwargs)
        with pytest.raises(UpstreamStatusError) as caught:
            await provider.current_rate(room())
        assert len(sent(mocked)) == calls
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "liteapi response is not valid JSON"),
        (b'{"guestLevel": 0}', "liteapi response has an unexpected shape"),
        (b'{"data": {"prebookId": "p", "currency": "USD"}}', "unexpected shape"),  # no price
        (json.dumps(prebook_answer(price=-1)).encode(), "unexpected shape"),
        (json.dumps(prebook_answer(price=0)).encode(), "unexpected shape"),
        (json.dumps(prebook_answer(currency="dollars")).encode(), "unexpected shape"),
        (
            json.dumps(
                prebook_answer(suggestedSellingPrice={"amount": 1e6, "currency": "USD"})
            ).encode(),
            "unexpected shape",
        ),
        (
            b'{"error": {"code": 4002, "message": "wrong input"}}',
            "liteapi answered an error with HTTP 200",
        ),
    ],
)
async def test_malformed_prebook_answers(
    provider: LiteApiProvider, body: bytes, message: str
) -> None:
    with aioresponses() as mocked:
        mocked.post(f"{PREBOOK}?timeout=30", body=body)
        with pytest.raises(MalformedResponse) as caught:
            await provider.current_rate(room())
    assert message in caught.value.message
    assert "163.66" not in caught.value.message  # provider words stay in `detail`


async def test_only_its_own_rates_with_liteapis_ids_are_checked(
    provider: LiteApiProvider,
) -> None:
    assert provider.checkable(room())
    assert not provider.checkable(room(provider="hotelbeds"))
    for offer_id in ("", "A B", "A/../B", "A\n", "é", "A" * 4097, '{"x":1}'):
        assert not provider.checkable(room(offer_id)), offer_id
    with aioresponses() as mocked:
        with pytest.raises(ValueError, match="not a LiteAPI offer"):
            await provider.current_rate(room("A/../B"))
        assert not mocked.requests


async def test_the_booking_host_is_a_setting() -> None:
    config = LiteApiConfig(KEY, book_base_url="https://book.example/v3.0/", rate_limit=None)
    async with aiohttp.ClientSession() as session:
        provider = LiteApiProvider(session, config)
        with aioresponses() as mocked:
            mocked.post(
                "https://book.example/v3.0/rates/prebook?timeout=30", payload=prebook_answer()
            )
            assert await provider.current_rate(room()) is not None
