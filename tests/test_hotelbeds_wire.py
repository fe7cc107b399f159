"""Exact wire exchanges with Hotelbeds APItude, replayed by aioresponses, and its settings."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

from gateway import domain
from gateway.env import ConfigError
from gateway.providers.errors import MalformedResponse, ProviderError, UpstreamStatusError
from gateway.providers.hotelbeds import HotelbedsConfig, HotelbedsProvider
from gateway.providers.hotelbeds.auth import SignedHeaders, signature
from gateway.providers.hotelbeds.errors import Throttled
from gateway.providers.hotelbeds.quota import QuotaSpent
from gateway.providers.hotelbeds.spec import from_env

pytestmark = pytest.mark.unit

URL = "https://api.test.hotelbeds.com/hotel-api/1.0/hotels"
KEY, SECRET = "4f0a8c1e2b7d9e3f5a6b7c8d", "Z9y8X7w6V5"
NOON = 1_800_000_000 + 0.75
"""2027-01-15 08:00:00.75 UTC: a fixed clock, mid-second."""
DAY_S = 86_400

PARIS = domain.GeoPoint(48.8566, 2.3522)
QUERY = domain.HotelQuery(
    city_code="PAR",
    check_in=date(2027, 3, 10),
    check_out=date(2027, 3, 12),
    adults=4,
    rooms=2,
    centre=PARIS,
)
EMPTY = {
    "auditData": {"processTime": "21", "timestamp": "2027-01-15 08:00:01.012"},
    "hotels": {"total": 0},
}

FLEX_KEY = "20270310|20270312|W|59|3424|DBL.ST|ID_B2B_26|BB||2~2~0||N@05~~2608a"
NRF_KEY = "20270310|20270312|W|59|3424|DBL.ST|NRF-LES|RO||2~2~0||N@9806A35F55"
HALF_BOARD_KEY = "20270310|20270312|W|164|6619|TWN.ST|BAR FLEX 14|HB||2~2~0||N@06~~22efc"

# The documented shape (developer.hotelbeds.com, booking-api workflow: numbers as strings), and a
# second hotel as recorded test answers send it (numbers as numbers).
AVAILABILITY = {
    "auditData": {"processTime": "219", "timestamp": "2027-01-15 08:00:01.498", "token": "D8C2"},
    "hotels": {
        "checkIn": "2027-03-10",
        "checkOut": "2027-03-12",
        "total": 2,
        "hotels": [
            {
                "code": 3424,
                "name": "Hotel  Le Marais  Saint-Paul",
                "exclusiveDeal": 2,
                "categoryCode": "4EST",
                "categoryName": "4 STARS",
                "destinationCode": "PAR",
                "destinationName": "Paris",
                "zoneCode": 8,
                "zoneName": "Le Marais",
                "latitude": "48.8551230000",
                "longitude": "2.3612340000",
                "rooms": [
                    {
                        "code": "DBL.ST",
                        "name": "DOUBLE STANDARD",
                        "rates": [
                            {
                                "rateKey": FLEX_KEY,
                                "rateClass": "NOR",
                                "rateType": "RECHECK",
                                "net": "318.27",
                                "allotment": 5,
                                "paymentType": "AT_WEB",
                                "packaging": False,
                                "boardCode": "BB",
                                "boardName": "BED AND BREAKFAST",
                                "cancellationPolicies": [
                                    {"amount": "159.14", "from": "2027-03-07T23:59:00+01:00"}
                                ],
                                "rooms": 2,
                                "adults": 2,
                                "children": 0,
                            },
                            {
                                "rateKey": NRF_KEY,
                                "rateClass": "NRF",
                                "rateType": "BOOKABLE",
                                "net": "268.64",
                                "boardCode": "RO",
                                "boardName": "ROOM ONLY",
                                "cancellationPolicies": [
                                    {"amount": "268.64", "from": "2027-01-14T23:59:00+01:00"}
                                ],
                                "rooms": 2,
                                "adults": 2,
                                "children": 0,
                            },
                        ],
                    }
                ],
                "minRate": "268.64",
                "maxRate": "318.27",
                "currency": "EUR",
            },
            {
                "code": 6619,
                "name": "Millennium Hotel Paris Opera",
                "categoryCode": "3LL",
                "categoryName": "3 KEYS",
                "latitude": 48.873111,
                "longitude": 2.331234,
                "rooms": [
                    {
                        "code": "TWN.ST",
                        "name": "TWIN STANDARD",
                        "rates": [
                            {
                                "rateKey": HALF_BOARD_KEY,
                                "rateClass": "NOR",
                                "rateType": "BOOKABLE",
                                "net": 412.4,
                                "sellingRate": 447.22,
                                "boardCode": "HB",
                                "boardName": "HALF BOARD",
                                "cancellationPolicies": [],
                                "rooms": 2,
                                "adults": 2,
                                "children": 0,
                                "offers": None,
                            }
                        ],
                    }
                ],
                "minRate": "412.40",
                "maxRate": "412.40",
                "currency": "EUR",
            },
        ],
    },
}


@dataclass
class Clock:
    """A wall clock that moves only when a test moves it."""

    now: float = NOON

    def __call__(self) -> float:
        return self.now


@dataclass
class Sent:
    """Each request as it left: headers read at send time (as aiohttp reads them) and body."""

    headers: list[dict[str, str]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)

    def answer(
        self, status: int = 200, payload: object = EMPTY, headers: dict[str, str] | None = None
    ) -> Callable[..., CallbackResult]:
        def callback(url: Any, **kwargs: Any) -> CallbackResult:
            self.headers.append(dict(kwargs["headers"]))
            self.bodies.append(json.loads(kwargs["data"]))
            if isinstance(payload, bytes):
                return CallbackResult(status=status, body=payload, headers=headers)
            return CallbackResult(status=status, payload=payload, headers=headers)

        return callback


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


def provider(session: aiohttp.ClientSession, clock: Clock, **config: Any) -> HotelbedsProvider:
    return HotelbedsProvider(
        session, HotelbedsConfig(api_key=KEY, secret=SECRET, **config), clock=clock
    )


def test_signature_matches_a_known_vector() -> None:
    # printf 'abcdef1700000000' | sha256sum: the shell form in Hotelbeds' getting-started page.
    expected = "1075da902f4394eeb6b83ecdf038eab12370defb90c80580ebe85232f6b18480"
    assert signature("abc", "def", 1_700_000_000) == expected


async def test_availability_request_on_the_wire(
    session: aiohttp.ClientSession, clock: Clock
) -> None:
    sent = Sent()
    with aioresponses() as mocked:
        mocked.post(URL, callback=sent.answer())
        assert await provider(session, clock).search_hotels(QUERY) == []
        [((method, url), _)] = mocked.requests.items()

    assert method == "POST"
    assert url.path == "/hotel-api/1.0/hotels"
    [headers] = sent.headers
    assert headers == {
        "Api-key": KEY,
        "X-Signature": signature(KEY, SECRET, 1_800_000_000),
        "Accept": "application/json",
        "Accept-Encoding": "gzip",
        "Content-Type": "application/json",
    }
    assert sent.bodies == [
        {
            "stay": {"checkIn": "2027-03-10", "checkOut": "2027-03-12"},
            "occupancies": [{"rooms": 2, "adults": 2, "children": 0}],
            "geolocation": {"latitude": 48.8566, "longitude": 2.3522, "radius": 10.0, "unit": "km"},
            "filter": {"maxHotels": 100},
        }
    ]


async def test_an_uneven_party_is_two_occupancies(
    session: aiohttp.ClientSession, clock: Clock
) -> None:
    sent = Sent()
    query = domain.HotelQuery("PAR", date(2027, 3, 10), date(2027, 3, 12), 5, 3, centre=PARIS)
    with aioresponses() as mocked:
        mocked.post(URL, callback=sent.answer())
        await provider(session, clock).search_hotels(query)
    assert sent.bodies[0]["occupancies"] == [
        {"rooms": 2, "adults": 2, "children": 0},
        {"rooms": 1, "adults": 1, "children": 0},
    ]


async def test_every_attempt_is_signed_afresh(session: aiohttp.ClientSession, clock: Clock) -> None:
    signatures = []

    def busy_then_ok(url: Any, **kwargs: Any) -> CallbackResult:
        signatures.append(kwargs["headers"]["X-Signature"])  # read as it is sent
        clock.now += 1  # time passes before the retry
        if len(signatures) == 1:
            return CallbackResult(status=503, payload=EMPTY, headers={"Retry-After": "0"})
        return CallbackResult(payload=EMPTY)

    hotelbeds = provider(session, clock)
    with aioresponses() as mocked:
        mocked.post(URL, callback=busy_then_ok, repeat=True)
        assert await hotelbeds.search_hotels(QUERY) == []
    assert signatures == [
        signature(KEY, SECRET, 1_800_000_000),
        signature(KEY, SECRET, 1_800_000_001),
    ]


async def test_with_a_quota_nothing_is_retried(
    session: aiohttp.ClientSession, clock: Clock
) -> None:
    hotelbeds = provider(session, clock, daily_quota=50)
    with aioresponses() as mocked:
        mocked.post(URL, status=503, payload=EMPTY, headers={"Retry-After": "0"}, repeat=True)
        with pytest.raises(UpstreamStatusError, match=r"server error \(HTTP 503\)"):
            await hotelbeds.search_hotels(QUERY)
        assert sum(len(calls) for calls in mocked.requests.values()) == 1
    assert hotelbeds.quota.used == 1


async def test_a_realistic_answer_is_mapped(session: aiohttp.ClientSession, clock: Clock) -> None:
    with aioresponses() as mocked:
        mocked.post(URL, payload=AVAILABILITY)
        marais, opera = await provider(session, clock).search_hotels(QUERY)

    assert marais.id == "hotelbeds:3424"
    assert marais.hotel.name == "Hotel Le Marais Saint-Paul"
    assert marais.hotel.location == domain.GeoPoint(48.855123, 2.361234)
    assert marais.hotel.rating == 4
    assert marais.hotel.city_code == "PAR"
    assert marais.price == domain.Money(Decimal("268.64"), "EUR")
    net = domain.Money(Decimal("268.64"), "EUR")  # no selling price: the net, marked up later
    assert marais.sources == (domain.OfferSource("hotelbeds", NRF_KEY, net, net_price=net),)
    flexible, non_refundable = marais.rooms
    assert flexible.offer_id == FLEX_KEY
    assert flexible.price == domain.Money(Decimal("318.27"), "EUR")
    assert (flexible.net_price, flexible.markup_applies) == (flexible.price, True)
    assert (flexible.rate_check_required, non_refundable.rate_check_required) == (True, False)
    assert (flexible.board_type, flexible.refundable) == (domain.BoardType.BREAKFAST, True)
    assert (non_refundable.board_type, non_refundable.refundable) == (
        domain.BoardType.ROOM_ONLY,
        False,
    )
    # Free until the first charge starts (23:59 Paris time, in UTC), then that charge.
    assert flexible.free_cancellation_until == datetime(2027, 3, 7, 22, 59, tzinfo=UTC)
    assert flexible.cancellation_penalty == domain.Money(Decimal("159.14"), "EUR")
    assert non_refundable.free_cancellation_until is None
    assert non_refundable.cancellation_penalty == domain.Money(Decimal("268.64"), "EUR")
    assert (flexible.included_taxes, flexible.due_at_hotel) == (None, None)  # not given
    assert flexible.description == "DOUBLE STANDARD"
    assert (flexible.check_in, flexible.check_out) == (date(2027, 3, 10), date(2027, 3, 12))
    assert flexible.id == ""  # the search layer gives ids to the page it serves

    assert opera.hotel.location == domain.GeoPoint(48.873111, 2.331234)
    assert opera.hotel.rating is None  # apartments have keys, not stars
    [half_board] = opera.rooms
    # A selling rate the hotel does not make mandatory is Hotelbeds' advice: the net, marked up
    # by the seller's own markup later (gateway/search/selling.py).
    assert half_board.price == domain.Money(Decimal("412.4"), "EUR")
    assert (half_board.net_price, half_board.markup_applies) == (half_board.price, True)
    assert (half_board.board_type, half_board.refundable) == (domain.BoardType.HALF_BOARD, None)


async def test_free_cancellation_ends_when_the_first_charge_starts(
    session: aiohttp.ClientSession,
) -> None:
    later = Clock(now=1_804_000_000)  # 2027-03-03: the free cancellation (to 03-07) still runs
    too_late = Clock(now=1_804_500_000)  # 2027-03-08: it has ended
    with aioresponses() as mocked:
        mocked.post(URL, payload=AVAILABILITY, repeat=True)
        [before, _] = await provider(session, later).search_hotels(QUERY)
        [after, _] = await provider(session, too_late).search_hotels(QUERY)
    assert before.rooms[0].refundable is True
    assert after.rooms[0].refundable is False


async def test_an_uneven_party_gets_each_occupancy_priced_together(
    session: aiohttp.ClientSession, clock: Clock
) -> None:
    def rate(
        key: str, net: str, board: str, adults: int, rate_class: str = "NOR"
    ) -> dict[str, Any]:
        return {
            "rateKey": key,
            "rateClass": rate_class,
            "net": net,
            "boardCode": board,
            "cancellationPolicies": [{"amount": net, "from": "2027-03-07T23:59:00Z"}],
            "rooms": 1,
            "adults": adults,
            "children": 0,
        }

    hotel = {
        "code": 1,
        "name": "Hotel Lutetia",
        "currency": "EUR",
        "rooms": [
            {"code": "DBL.ST", "name": "DOUBLE", "rates": [
                rate("d-ro", "200.00", "RO", 2), rate("d-bb", "240.00", "BB", 2),
                rate("d-ro-cheap", "190.00", "RO", 2, "NRF"),
            ]},
            {"code": "SGL.ST", "name": "SINGLE", "rates": [
                rate("s-ro", "120.00", "RO", 1), rate("s-hb", "180.00", "HB", 1),
            ]},
        ],
    }  # fmt: skip
    query = domain.HotelQuery("PAR", date(2027, 3, 10), date(2027, 3, 12), 3, 2, centre=PARIS)
    with aioresponses() as mocked:
        mocked.post(URL, payload={"hotels": {"total": 1, "hotels": [hotel]}})
        [offer] = await provider(session, clock).search_hotels(query)
    # Only room-only is sold for both occupancies: the cheapest double with the cheapest single.
    [room] = offer.rooms
    assert json.loads(room.offer_id) == ["d-ro-cheap", "s-ro"]
    assert room.price == domain.Money(Decimal("310.00"), "EUR")
    assert (room.board_type, room.refundable) == (domain.BoardType.ROOM_ONLY, False)
    # The party's penalty is both rates' (one whole, one from 7 March); no free time is left
    # to the pair, since the non-refundable double has none.
    assert room.free_cancellation_until is None
    assert room.cancellation_penalty == domain.Money(Decimal("310.00"), "EUR")
    assert room.description == "DOUBLE + SINGLE"


async def test_empty_availability_is_an_empty_answer(
    session: aiohttp.ClientSession, clock: Clock
) -> None:
    with aioresponses() as mocked:
        mocked.post(URL, payload=EMPTY)
        assert await provider(session, clock).search_hotels(QUERY) == []


async def test_no_centre_no_call(session: aiohttp.ClientSession, clock: Clock) -> None:
    hotelbeds = provider(session, clock)
    with aioresponses() as mocked:
        assert (
            await hotelbeds.search_hotels(
                domain.HotelQuery("PAR", date(2027, 3, 10), date(2027, 3, 12))
            )
            == []
        )
        assert not mocked.requests
    assert hotelbeds.quota.used == 0


HOTELBEDS_ERROR = {
    "auditData": {"processTime": "4", "timestamp": "2027-01-15 08:00:00.120"},
    "error": {
        "code": "INVALID_DATA-AA504721418D4D13BD9B3CD0F9C9D0C4",
        "message": "The check-out date must be after the check-in date",
    },
}


@pytest.mark.parametrize(
    ("status", "message", "detail"),
    [
        (
            400,
            "hotelbeds rejected the search (HTTP 400)",
            "INVALID_DATA: The check-out date must be after the check-in date",
        ),
        (
            500,
            "hotelbeds server error (HTTP 500)",
            "INVALID_DATA: The check-out date must be after the check-in date",
        ),
        (
            403,  # Hotelbeds' own 403 (no gateway header): the credentials phrase
            "hotelbeds refused the gateway's credentials (HTTP 403)",
            "INVALID_DATA: The check-out date must be after the check-in date",
        ),
    ],
)
async def test_hotelbeds_error_bodies(
    session: aiohttp.ClientSession, clock: Clock, status: int, message: str, detail: str
) -> None:
    with aioresponses() as mocked:
        mocked.post(URL, payload=HOTELBEDS_ERROR, status=status)
        with pytest.raises(UpstreamStatusError) as caught:
            await provider(session, clock).search_hotels(QUERY)
    assert caught.value.message == message
    assert caught.value.detail == detail  # the opaque id after the code is left out


def gateway_refusal(code: str, reason: str, title: str) -> dict[str, Any]:
    """A 403 as Hotelbeds' API gateway (Mashery) sends it: the reason in its headers."""
    return {
        "status": 403,
        "body": f"<h1>{title}</h1>",
        "content_type": "text/xml",
        "headers": {"X-Mashery-Error-Code": code, "X-Error-Detail-Header": reason},
    }


@pytest.mark.parametrize(
    ("refusal", "kind", "status", "message", "logged"),
    [
        (
            gateway_refusal("ERR_403_NOT_AUTHORIZED", "Not Authorized", "Not Authorized"),
            UpstreamStatusError,
            domain.ProviderStatus.ERROR,
            "hotelbeds refused the gateway's credentials (HTTP 403)",
            "API gateway 403_NOT_AUTHORIZED: "
            "signature refused; check HOTELBEDS_SECRET and this host's clock",
        ),
        (
            gateway_refusal("ERR_403_DEVELOPER_INACTIVE", "Account Inactive", "Developer Inactive"),
            UpstreamStatusError,
            domain.ProviderStatus.ERROR,
            "hotelbeds refused the gateway's credentials (HTTP 403)",
            "API gateway 403_DEVELOPER_INACTIVE: "
            "API key unknown or inactive; check HOTELBEDS_API_KEY",
        ),
        (
            gateway_refusal(
                "ERR_403_DEVELOPER_OVER_QPS",
                "Account Over Queries Per Second Limit",
                "Developer Over Qps",
            ),
            Throttled,
            domain.ProviderStatus.ERROR,
            "hotelbeds rate limited the gateway (HTTP 403)",
            "API gateway 403_DEVELOPER_OVER_QPS: over the per-second limit",
        ),
        (
            gateway_refusal(
                "ERR_403_DEVELOPER_OVER_RATE", "Account Over Rate Limit", "Developer Over Rate"
            ),
            QuotaSpent,
            domain.ProviderStatus.UNAVAILABLE,
            "hotelbeds daily quota of 50 requests spent; resets at 00:00 UTC",
            "API gateway 403_DEVELOPER_OVER_RATE: the daily quota is spent",
        ),
    ],
)
async def test_the_api_gateway_403s_are_told_apart(
    session: aiohttp.ClientSession,
    clock: Clock,
    refusal: dict[str, Any],
    kind: type[ProviderError],
    status: domain.ProviderStatus,
    message: str,
    logged: str,
) -> None:
    with aioresponses() as mocked:
        mocked.post(URL, **refusal)
        with pytest.raises(ProviderError) as caught:
            await provider(session, clock, daily_quota=50).search_hotels(QUERY)
    assert type(caught.value) is kind
    assert caught.value.status is status
    assert caught.value.message == message
    assert caught.value.detail == logged


async def test_a_quota_refusal_stops_calls_until_midnight_utc(
    session: aiohttp.ClientSession, clock: Clock
) -> None:
    hotelbeds = provider(session, clock)  # no quota of ours: Hotelbeds' word decides
    over = gateway_refusal(
        "ERR_403_DEVELOPER_OVER_RATE", "Account Over Rate Limit", "Developer Over Rate"
    )
    with aioresponses() as mocked:
        mocked.post(URL, **over)
        mocked.post(URL, payload=EMPTY)
        with pytest.raises(QuotaSpent) as first:
            await hotelbeds.search_hotels(QUERY)
        clock.now = (NOON // DAY_S + 1) * DAY_S - 1  # 23:59:59 UTC
        with pytest.raises(QuotaSpent) as again:
            await hotelbeds.search_hotels(QUERY)
        assert sum(len(calls) for calls in mocked.requests.values()) == 1  # no call made
        clock.now += 1  # 00:00:00 UTC: a new day
        assert await hotelbeds.search_hotels(QUERY) == []
    assert first.value.message == again.value.message
    assert first.value.message == "hotelbeds daily quota spent; resets at 00:00 UTC"
    assert not first.value.is_outage  # a healthy provider: its circuit stays closed


async def test_the_daily_quota_is_counted_before_calling(
    session: aiohttp.ClientSession, clock: Clock
) -> None:
    hotelbeds = provider(session, clock, daily_quota=2)
    with aioresponses() as mocked:
        mocked.post(URL, payload=EMPTY, repeat=True)
        await hotelbeds.search_hotels(QUERY)
        await hotelbeds.search_hotels(QUERY)
        with pytest.raises(QuotaSpent) as caught:
            await hotelbeds.search_hotels(QUERY)
        assert sum(len(calls) for calls in mocked.requests.values()) == 2
        clock.now = (NOON // DAY_S + 1) * DAY_S  # the next UTC day
        assert await hotelbeds.search_hotels(QUERY) == []
    assert caught.value.message == "hotelbeds daily quota of 2 requests spent; resets at 00:00 UTC"
    assert caught.value.status is domain.ProviderStatus.UNAVAILABLE
    assert hotelbeds.quota.used == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>502 Bad Gateway</html>", "not valid JSON"),
        (b'{"data": [{"unexpected": true}]}', "no `hotels`"),
        (
            b'{"hotels": {"hotels": [{"code": 1, "name": "X", "rooms": []}]}}',
            "has no currency",
        ),
        (
            b'{"hotels": {"hotels": [{"code": 1, "name": "X", "currency": "EUR", "rooms": '
            b'[{"rates": [{"rateKey": "k", "net": "NaN"}]}]}]}}',
            "price NaN",
        ),
        (
            b'{"hotels": {"hotels": [{"code": 1, "name": "X", "currency": "EUR", "rooms": '
            b'[{"rates": [{"rateKey": "k", "net": "twelve"}]}]}]}}',
            "unexpected shape",
        ),
        (
            b'{"hotels": {"hotels": [{"code": 1, "name": "X", "currency": "EUR", '
            b'"latitude": "148.1", "longitude": "2.1", "rooms": [{"rates": '
            b'[{"rateKey": "k", "net": "1"}]}]}]}}',
            "out of range",
        ),
    ],
)
async def test_malformed_answers(
    session: aiohttp.ClientSession, clock: Clock, body: bytes, message: str
) -> None:
    with aioresponses() as mocked:
        mocked.post(URL, body=body)
        with pytest.raises(MalformedResponse) as caught:
            await provider(session, clock).search_hotels(QUERY)
    assert message in f"{caught.value.message} {caught.value.detail}"


def test_credentials_stay_out_of_reprs() -> None:
    config = HotelbedsConfig(api_key=KEY, secret=SECRET)
    headers = SignedHeaders({}, api_key=KEY, secret=SECRET, clock=Clock())
    for text in (repr(config), repr(headers)):
        assert KEY not in text
        assert SECRET not in text


# ---------------------------------------------------------------------------------- settings


def test_settings_need_both_credentials() -> None:
    assert from_env({}) is None
    with pytest.raises(ConfigError, match="HOTELBEDS_SECRET"):
        from_env({"HOTELBEDS_API_KEY": KEY})
    with pytest.raises(ConfigError, match="HOTELBEDS_API_KEY"):
        from_env({"HOTELBEDS_SECRET": SECRET})


def test_the_test_host_counts_an_evaluation_quota_by_default() -> None:
    config = from_env({"HOTELBEDS_API_KEY": KEY, "HOTELBEDS_SECRET": SECRET})
    assert config is not None
    assert config.base_url == "https://api.test.hotelbeds.com"
    assert config.daily_quota == 50
    assert config.rate_limit is None
    assert HotelbedsProvider(None, config).info().mode == "test"  # type: ignore[arg-type]


def test_other_hosts_count_no_quota_unless_told() -> None:
    live = {"HOTELBEDS_API_KEY": KEY, "HOTELBEDS_SECRET": SECRET}
    live["HOTELBEDS_BASE_URL"] = "https://api.hotelbeds.com/hotel-api"
    config = from_env(live)
    assert config is not None
    assert config.daily_quota is None
    assert HotelbedsProvider(None, config).info().mode == "live"  # type: ignore[arg-type]
    assert HotelbedsProvider(None, config)._url == URL.replace(".test", "")  # type: ignore[arg-type]
    told = from_env({**live, "HOTELBEDS_DAILY_QUOTA": "2000", "HOTELBEDS_RATE_LIMIT": "4"})
    assert told is not None
    assert (told.daily_quota, told.rate_limit) == (2000, 4)
    off = from_env({**live, "HOTELBEDS_BASE_URL": "", "HOTELBEDS_DAILY_QUOTA": "0"})
    assert off is not None
    assert off.daily_quota is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HOTELBEDS_DAILY_QUOTA", "fifty"),
        ("HOTELBEDS_DAILY_QUOTA", "2.5"),
        ("HOTELBEDS_DAILY_QUOTA", "-1"),
        ("HOTELBEDS_RATE_LIMIT", "fast"),
        ("HOTELBEDS_BASE_URL", "api.hotelbeds.com"),
    ],
)
def test_malformed_settings_name_their_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        from_env({"HOTELBEDS_API_KEY": KEY, "HOTELBEDS_SECRET": SECRET, name: value})
