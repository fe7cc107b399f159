"""Hotelbeds' amounts and its rate check: children asked for by age, what the traveller and the
seller pay (`net`, a mandatory `sellingRate`), rates told apart by occupancy, and
`POST /checkrates` on the wire: the request, the rate it answers, a rate gone, a failure."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec
import pytest
from aioresponses import CallbackResult, aioresponses

from gateway import domain
from gateway.providers.errors import MalformedResponse, UpstreamStatusError
from gateway.providers.hotelbeds import HotelbedsConfig, HotelbedsProvider, mapping, ratecheck, wire
from gateway.providers.hotelbeds.auth import signature
from gateway.providers.hotelbeds.errors import rate_gone
from gateway.providers.hotelbeds.occupancy import Occupancy, occupancies, request
from gateway.providers.hotelbeds.quota import QuotaSpent

pytestmark = pytest.mark.unit

URL = "https://api.test.hotelbeds.com/hotel-api/1.0/hotels"
CHECK_URL = "https://api.test.hotelbeds.com/hotel-api/1.0/checkrates"
KEY, SECRET = "4f0a8c1e2b7d9e3f5a6b7c8d", "Z9y8X7w6V5"
NOW = 1_800_000_000.0
PARIS = domain.GeoPoint(48.8566, 2.3522)
CHECK_IN, CHECK_OUT = date(2027, 3, 10), date(2027, 3, 12)
AUDIT = {"processTime": "41", "timestamp": "2027-01-15 08:00:01.012"}

FAMILY_KEY = "20270310|20270312|W|59|3424|FAM.ST|ID_B2B_26|BB||1~2~3|1~4~9|N@05~~2608a"
DOUBLE_KEY = "20270310|20270312|W|59|3424|DBL.ST|ID_B2B_26|RO||1~1~2|1~9|N@05~~44e1"
TWIN_KEY = "20270310|20270312|W|59|3424|TWN.ST|ID_B2B_26|RO||1~1~1|4|N@05~~77c0"
SPACED_KEY = "20240402|20240403|W|164|6619|DBL.ST|GS-BAR COMMISSI|RO||1~1~0||N@06"
"""Some of Hotelbeds' rate names have spaces (hotel-api-sdk-php#138)."""


def family(rooms: int, adults: int = 2, ages: tuple[int, ...] = (4, 9, 1)) -> domain.HotelQuery:
    return domain.HotelQuery(
        "PAR", CHECK_IN, CHECK_OUT, adults, rooms, centre=PARIS, children_ages=tuple(sorted(ages))
    )


def rate(key: str, net: str | float, **fields: Any) -> dict[str, Any]:
    return {
        "rateKey": key,
        "rateClass": "NOR",
        "rateType": "BOOKABLE",
        "net": net,
        "boardCode": "RO",
        "cancellationPolicies": [{"amount": net, "from": "2027-03-07T23:59:00+01:00"}],
        "rooms": 1,
        "adults": 2,
        "children": 0,
        **fields,
    }


def answer(*rates: dict[str, Any]) -> dict[str, Any]:
    hotel = {
        "code": 3424,
        "name": "Hotel Lutetia",
        "currency": "EUR",
        "rooms": [{"code": "DBL.ST", "name": "DOUBLE STANDARD", "rates": list(rates)}],
    }
    return {"auditData": AUDIT, "hotels": {"total": 1, "hotels": [hotel]}}


def checked(*rates: dict[str, Any]) -> dict[str, Any]:
    hotel = {
        "code": 3424,
        "name": "Hotel Lutetia",
        "currency": "EUR",
        "rooms": [{"code": "DBL.ST", "name": "DOUBLE STANDARD", "rates": list(rates)}],
    }
    return {"auditData": AUDIT, "hotel": hotel}


def error(code: str, message: str) -> dict[str, Any]:
    return {"auditData": AUDIT, "error": {"code": f"{code}-5F0A1B2C3D", "message": message}}


def eur(amount: str) -> domain.Money:
    return domain.Money(Decimal(amount), "EUR")


@dataclass
class Sent:
    headers: list[dict[str, str]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)

    def answer(
        self, payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
    ) -> Callable[..., CallbackResult]:
        def callback(url: Any, **kwargs: Any) -> CallbackResult:
            self.headers.append(dict(kwargs["headers"]))
            self.bodies.append(json.loads(kwargs["data"]))
            return CallbackResult(status=status, payload=payload, headers=headers)

        return callback


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


def provider(session: aiohttp.ClientSession, **config: Any) -> HotelbedsProvider:
    return HotelbedsProvider(
        session, HotelbedsConfig(api_key=KEY, secret=SECRET, **config), clock=lambda: NOW
    )


def room_offer(offer_id: str, price: str = "100.00", **extra: Any) -> domain.RoomOffer:
    return domain.RoomOffer(
        id="",
        offer_id=offer_id,
        provider="hotelbeds",
        price=eur(price),
        check_in=CHECK_IN,
        check_out=CHECK_OUT,
        **extra,
    )


# -------------------------------------------------------------------------------- travellers


def test_a_family_in_one_room_is_one_occupancy_with_each_child_by_age() -> None:
    [asked] = occupancies(family(1).parties())
    assert request(asked) == {
        "rooms": 1,
        "adults": 2,
        "children": 3,
        "paxes": [{"type": "CH", "age": 1}, {"type": "CH", "age": 4}, {"type": "CH", "age": 9}],
    }


def test_rooms_of_different_parties_are_separate_occupancies() -> None:
    # 2 adults and ages 1, 4, 9 in 2 rooms: one adult each; 9 into the first room, 4 into the
    # second, 1 into the first again (fewest guests, the first of those).
    asked = occupancies(family(2).parties())
    assert [request(each) for each in asked] == [
        {
            "rooms": 1,
            "adults": 1,
            "children": 2,
            "paxes": [{"type": "CH", "age": 1}, {"type": "CH", "age": 9}],
        },
        {"rooms": 1, "adults": 1, "children": 1, "paxes": [{"type": "CH", "age": 4}]},
    ]


def test_identical_rooms_are_one_occupancy_listing_every_room_s_children() -> None:
    [asked] = occupancies(family(2, adults=4, ages=(6, 6)).parties())
    assert asked == Occupancy(2, 2, (6,))
    assert request(asked) == {
        "rooms": 2,
        "adults": 2,
        "children": 1,
        "paxes": [{"roomId": 1, "type": "CH", "age": 6}, {"roomId": 2, "type": "CH", "age": 6}],
    }


def test_adults_alone_carry_no_paxes() -> None:
    asked = occupancies(family(3, adults=5, ages=()).parties())
    assert [request(each) for each in asked] == [
        {"rooms": 2, "adults": 2, "children": 0},
        {"rooms": 1, "adults": 1, "children": 0},
    ]


async def test_the_family_request_on_the_wire(session: aiohttp.ClientSession) -> None:
    sent = Sent()
    with aioresponses() as mocked:
        mocked.post(URL, callback=sent.answer({"auditData": AUDIT, "hotels": {"total": 0}}))
        assert await provider(session).search_hotels(family(1)) == []
    [body] = sent.bodies
    assert body["occupancies"] == [
        {
            "rooms": 1,
            "adults": 2,
            "children": 3,
            "paxes": [{"type": "CH", "age": 1}, {"type": "CH", "age": 4}, {"type": "CH", "age": 9}],
        }
    ]


# ----------------------------------------------------------------------------- selling prices


async def search(session: aiohttp.ClientSession, payload: object, query: domain.HotelQuery) -> Any:
    with aioresponses() as mocked:
        mocked.post(URL, payload=payload)
        return await provider(session).search_hotels(query)


async def test_a_mandatory_selling_rate_is_the_floor(session: aiohttp.ClientSession) -> None:
    query = family(1, ages=())
    [offer] = await search(
        session,
        answer(
            rate("floor", "100.00", sellingRate="130.00", hotelMandatory=True),
            rate("advice", "100.00", sellingRate="130.00", hotelMandatory=False),
            rate("below", "100.00", sellingRate="90.00", hotelMandatory=True),
            rate("numbers", 95.5, sellingRate=120.25, hotelMandatory=True),  # numbers as numbers
            rate("recheck", "140.00", rateType="RECHECK"),
        ),
        query,
    )
    rooms = {room.offer_id: room for room in offer.rooms}
    summary = {
        key: (room.price, room.net_price, room.markup_applies, room.rate_check_required)
        for key, room in rooms.items()
    }
    assert summary == {
        "floor": (eur("130.00"), eur("100.00"), True, False),
        "advice": (eur("100.00"), eur("100.00"), True, False),  # Hotelbeds' advice only
        "below": (eur("100.00"), eur("100.00"), True, False),  # never below what it costs
        "numbers": (eur("120.25"), eur("95.5"), True, False),
        "recheck": (eur("140.00"), eur("140.00"), True, True),
    }
    # The offer and its source are at the cheapest price for the traveller, with its net.
    assert offer.price == eur("100.00")
    [source] = offer.sources
    assert (source.price, source.net_price) == (eur("100.00"), eur("100.00"))


async def test_combined_rooms_add_nets_and_floors(session: aiohttp.ClientSession) -> None:
    query = family(2)  # (1 adult, ages 1 and 9) + (1 adult, age 4)
    [offer] = await search(
        session,
        answer(
            rate(
                DOUBLE_KEY,
                "150.00",
                adults=1,
                children=2,
                childrenAges="1,9",
                sellingRate="180.00",
                hotelMandatory=True,
                rateType="RECHECK",
            ),
            rate(TWIN_KEY, "90.00", adults=1, children=1, childrenAges="4"),
            # The same counts with other ages: another party's rate, never this one's.
            rate("wrong-ages", "10.00", adults=1, children=1, childrenAges="12"),
        ),
        query,
    )
    [room] = offer.rooms
    assert json.loads(room.offer_id) == [DOUBLE_KEY, TWIN_KEY]
    assert (room.price, room.net_price) == (eur("270.00"), eur("240.00"))
    assert (room.markup_applies, room.rate_check_required) == (True, True)


async def test_rates_are_placed_by_their_children(session: aiohttp.ClientSession) -> None:
    # Two rooms of one adult and one child each, aged 4 and 9: two occupancies alike but for
    # the ages. A rate that does not state its ages could be either's and is left out.
    query = family(2, ages=(4, 9))
    [offer] = await search(
        session,
        answer(
            rate("nine", "120.00", adults=1, children=1, childrenAges="9"),
            rate("four", "110.00", adults=1, children=1, childrenAges="4"),
            rate("either", "50.00", adults=1, children=1),
            rate("adults-only", "40.00", adults=1, children=0),
        ),
        query,
    )
    [room] = offer.rooms
    assert json.loads(room.offer_id) == ["nine", "four"]
    assert room.price == eur("230.00")


@pytest.mark.parametrize(
    "bad",
    [
        {"sellingRate": "NaN", "hotelMandatory": True},
        {"sellingRate": "-1", "hotelMandatory": True},
    ],
)
async def test_a_mandatory_selling_rate_that_is_not_a_price(
    session: aiohttp.ClientSession, bad: dict[str, Any]
) -> None:
    with pytest.raises(MalformedResponse, match="could not be read"):
        await search(session, answer(rate("k", "100.00", **bad)), family(1, ages=()))


async def test_a_selling_rate_that_is_not_a_number(session: aiohttp.ClientSession) -> None:
    with pytest.raises(MalformedResponse, match="unexpected shape"):
        await search(session, answer(rate("k", "100.00", sellingRate="lots")), family(1, ages=()))


# -------------------------------------------------------------------------------- rate check


@pytest.mark.parametrize(
    ("offer_id", "keys"),
    [
        (FAMILY_KEY, (FAMILY_KEY,)),
        (json.dumps([DOUBLE_KEY, TWIN_KEY]), (DOUBLE_KEY, TWIN_KEY)),
        (SPACED_KEY, (SPACED_KEY,)),
        ("", None),
        ("off_0000AgXhC8x", None),  # another provider's id
        ("20270310|20270312|W|\u0000", None),
        ("20270310|20270312|" + "x" * 481, None),
        ("[]", None),
        (json.dumps([FAMILY_KEY] * 10), None),
        (json.dumps([FAMILY_KEY, 7]), None),
        ("[not json", None),
    ],
)
def test_which_offer_ids_are_rate_keys(offer_id: str, keys: tuple[str, ...] | None) -> None:
    assert ratecheck.rate_keys(offer_id) == keys


def test_checkable_only_ours_with_rate_keys() -> None:
    hotelbeds = HotelbedsProvider(None, HotelbedsConfig(api_key=KEY, secret=SECRET))  # type: ignore[arg-type]
    assert hotelbeds.checkable(room_offer(FAMILY_KEY))
    assert hotelbeds.checkable(room_offer(json.dumps([DOUBLE_KEY, TWIN_KEY])))
    assert not hotelbeds.checkable(room_offer("k"))
    other = domain.RoomOffer(
        id="", offer_id=FAMILY_KEY, provider="liteapi", price=eur("1"),
        check_in=CHECK_IN, check_out=CHECK_OUT,
    )  # fmt: skip
    assert not hotelbeds.checkable(other)


async def test_the_rate_check_on_the_wire(session: aiohttp.ClientSession) -> None:
    sent = Sent()
    answered = checked(
        rate(DOUBLE_KEY, "155.00", sellingRate="180.00", hotelMandatory=True),
        rate(TWIN_KEY, "90.00", sellingRate="99.00", hotelMandatory=False),
    )
    with aioresponses() as mocked:
        mocked.post(CHECK_URL, callback=sent.answer(answered))
        current = await provider(session).current_rate(
            room_offer(json.dumps([DOUBLE_KEY, TWIN_KEY]))
        )
        [((method, url), _)] = mocked.requests.items()
    assert (method, str(url)) == ("POST", CHECK_URL)
    assert sent.headers == [
        {
            "Api-key": KEY,
            "X-Signature": signature(KEY, SECRET, int(NOW)),
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
            "Content-Type": "application/json",
        }
    ]
    assert sent.bodies == [{"rooms": [{"rateKey": DOUBLE_KEY}, {"rateKey": TWIN_KEY}]}]
    assert current == domain.CheckedRate(
        price=eur("270.00"), net_price=eur("245.00"), markup_applies=True
    )


async def test_a_re_keyed_answer_is_read_in_the_order_asked(
    session: aiohttp.ClientSession,
) -> None:
    with aioresponses() as mocked:
        mocked.post(CHECK_URL, payload=checked(rate("new-key", "101.00")))
        current = await provider(session).current_rate(room_offer(FAMILY_KEY))
    assert current == domain.CheckedRate(eur("101.00"), eur("101.00"), markup_applies=True)


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        (
            503,
            error(
                "PRODUCT_ERROR",
                "ProductException(5f61fb52-b67d-4212-bfe7-8759b015d1c0, CHECK_RATE, "
                "Hotel not Available)",
            ),
        ),
        (
            400,
            error(
                "INVALID_DATA",
                "Invalid data. Invalid rateKey: The rateKey value that you have entered does not "
                f"exist or it has expired (please note that rateKeys only last 30 minutes): "
                f"{FAMILY_KEY}",
            ),
        ),
    ],
)
async def test_a_rate_hotelbeds_no_longer_sells_is_gone(
    session: aiohttp.ClientSession, status: int, payload: dict[str, Any]
) -> None:
    hotelbeds = provider(session)
    with aioresponses() as mocked:
        mocked.post(CHECK_URL, status=status, payload=payload, repeat=True)
        assert await hotelbeds.current_rate(room_offer(FAMILY_KEY)) is None
        # A 503 that means "gone" is not asked again.
        assert sum(len(calls) for calls in mocked.requests.values()) == 1


@pytest.mark.parametrize(
    ("status", "payload", "headers", "message"),
    [
        (
            500,
            error(
                "PRODUCT_ERROR",
                "ProductException(bb8b8ffd, CHECK_RATE, Request restricted for Ttoo)",
            ),
            None,
            "hotelbeds server error (HTTP 500)",
        ),
        (
            400,
            error("INVALID_REQUEST", "The request is not compliant with the specified version"),
            None,
            "hotelbeds rejected the search (HTTP 400)",
        ),
        (503, {"auditData": AUDIT}, None, "hotelbeds server error (HTTP 503)"),
        (
            403,
            # The API gateway's refusal, whatever its body says: not Hotelbeds' word on a rate.
            error("PRODUCT_ERROR", "CHECK_RATE, Hotel not Available"),
            {"X-Mashery-Error-Code": "ERR_403_NOT_AUTHORIZED"},
            "hotelbeds refused the gateway's credentials (HTTP 403)",
        ),
    ],
)
async def test_other_errors_are_failures_not_gone(
    session: aiohttp.ClientSession,
    status: int,
    payload: dict[str, Any],
    headers: dict[str, str] | None,
    message: str,
) -> None:
    with aioresponses() as mocked:
        mocked.post(CHECK_URL, status=status, payload=payload, headers=headers)
        with pytest.raises(UpstreamStatusError) as caught:
            await provider(session).current_rate(room_offer(FAMILY_KEY))
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"auditData": AUDIT, "hotel": {}}, "has no rate"),  # hotel-api-sdk-php#153
        ({"auditData": AUDIT}, "has no rate"),
        (checked(rate("a", "1.00"), rate("b", "2.00")), "answered other rates"),
        ({"auditData": AUDIT, "hotel": {"rooms": [{"rates": [rate("k", "1")]}]}}, "currency"),
        (checked(rate(FAMILY_KEY, "NaN")), "could not be read"),
        (checked(rate(FAMILY_KEY, "-5.00")), "could not be read"),
        (checked(rate(FAMILY_KEY, "12", sellingRate="x")), "unexpected shape"),
    ],
)
async def test_malformed_check_answers_are_failures(
    session: aiohttp.ClientSession, payload: dict[str, Any], words: str
) -> None:
    with aioresponses() as mocked:
        mocked.post(CHECK_URL, payload=payload)
        with pytest.raises(MalformedResponse) as caught:
            await provider(session).current_rate(room_offer(FAMILY_KEY))
    assert words in f"{caught.value.message} {caught.value.detail}"


async def test_a_check_counts_against_the_daily_quota(session: aiohttp.ClientSession) -> None:
    hotelbeds = provider(session, daily_quota=1)
    with aioresponses() as mocked:
        mocked.post(CHECK_URL, status=503, payload=error("SYSTEM_ERROR", "busy"), repeat=True)
        with pytest.raises(UpstreamStatusError):
            await hotelbeds.current_rate(room_offer(FAMILY_KEY))
        with pytest.raises(QuotaSpent):
            await hotelbeds.current_rate(room_offer(FAMILY_KEY))
        assert sum(len(calls) for calls in mocked.requests.values()) == 1  # no retry, no call
    assert hotelbeds.quota.used == 1


async def test_a_quota_refusal_of_a_check_spends_the_day(session: aiohttp.ClientSession) -> None:
    hotelbeds = provider(session)
    over = {"X-Mashery-Error-Code": "ERR_403_DEVELOPER_OVER_RATE"}
    with aioresponses() as mocked:
        mocked.post(CHECK_URL, status=403, body=b"<h1>Developer Over Rate</h1>", headers=over)
        with pytest.raises(QuotaSpent):
            await hotelbeds.current_rate(room_offer(FAMILY_KEY))
    assert hotelbeds.quota.spent


async def test_an_offer_id_that_is_not_ours_is_never_sent(
    session: aiohttp.ClientSession,
) -> None:
    with aioresponses() as mocked, pytest.raises(ValueError, match="rate key"):
        await provider(session).current_rate(room_offer("../../bookings"))
    assert not mocked.requests


def error_bytes(code: str, message: str) -> bytes:
    return json.dumps(error(code, message)).encode()


GONE = "ProductException(5f61fb52, CHECK_RATE, Hotel not Available)"


@pytest.mark.parametrize(
    ("headers", "body", "gone"),
    [
        ({}, error_bytes("PRODUCT_ERROR", GONE), True),
        ({}, error_bytes("PRODUCT_ERROR", GONE.replace("Available", "available")), True),
        ({}, error_bytes("PRODUCT_ERROR", GONE.replace("CHECK_RATE", "CONFIRM")), False),
        (
            {},
            error_bytes("PRODUCT_ERROR", "ProductException(x, CHECK_RATE, Request restricted)"),
            False,
        ),
        ({}, error_bytes("SYSTEM_ERROR", "An error has occurred"), False),
        ({"X-Mashery-Error-Code": "ERR_403_NOT_AUTHORIZED"}, error_bytes("P", GONE), False),
        ({}, b"<html>Service Unavailable</html>", False),
        ({}, b'{"error": "Hotel not Available"}', False),
        ({}, error_bytes("PRODUCT_ERROR", "x" * 2000 + GONE), False),  # past what is read
    ],
)
def test_gone_is_told_by_hotelbeds_own_words(
    headers: dict[str, str], body: bytes, gone: bool
) -> None:
    assert rate_gone(headers, body) is gone


@pytest.mark.parametrize(
    ("fields", "penalty"),
    [
        # A non-refundable rate sold at its mandatory 130 forfeits 130, not the net 100.
        ({"rateClass": "NRF", "sellingRate": "130.00", "hotelMandatory": True}, "130.00"),
        # A first night of 50 (net) is paid in proportion at the floor: 65.
        (
            {
                "sellingRate": "130.00",
                "hotelMandatory": True,
                "cancellationPolicies": [{"amount": "50.00", "from": "2099-01-01T00:00:00Z"}],
            },
            "65.00",
        ),
        # No mandatory floor: the charge as Hotelbeds states it (the markup scales it later).
        (
            {"cancellationPolicies": [{"amount": "50.00", "from": "2099-01-01T00:00:00Z"}]},
            "50.00",
        ),
    ],
)
def test_a_cancellation_charge_is_what_the_traveller_forfeits(
    fields: dict[str, Any], penalty: str
) -> None:
    decoded = msgspec.convert(rate("k", "100.00", **fields), wire.Rate, strict=False)
    now = datetime(2027, 1, 1, tzinfo=UTC)
    charged = mapping.cancellation(decoded, "EUR", now).penalty
    assert charged == domain.Money(Decimal(penalty), "EUR")
