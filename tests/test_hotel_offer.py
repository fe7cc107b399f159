"""A served hotel offer looked up by its id, and its rates checked again before booking: at the
service (providers that check rates as told) and through the public API (every simulator)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from gateway.config import Settings
from gateway.currency.rates import bundled_rates
from gateway.domain import (
    CheckedRate,
    GeoPoint,
    Hotel,
    HotelOffer,
    HotelQuery,
    HotelSort,
    Money,
    ProviderInfo,
    RepricingStatus,
    RoomOffer,
)
from gateway.errors import BadUserInput, OfferNotFound
from gateway.providers import rates
from gateway.providers.errors import UpstreamStatusError
from gateway.providers.registry import Providers
from gateway.search import repricing
from gateway.search.paging import PageRequest
from gateway.search.service import SearchService
from tests.helpers import GraphQLClient, days_ahead, gateway
from tests.recorded import recorded_simulators
from tests.test_selling import DAY, eur

pytestmark = pytest.mark.e2e

QUERY = HotelQuery("PAR", DAY, DAY + timedelta(days=2))

Answer = CheckedRate | None | Exception


class Checking:
    """A hotel provider listing fixed offers and checking rates as `answers` say (by the
    rate's `offer_id`; a missing one is answered unchanged)."""

    def __init__(self, name: str, offers: list[HotelOffer], checks: bool = True) -> None:
        self.name = name
        self.offers = offers
        self.answers: dict[str, Answer] = {}
        self.asked: list[str] = []
        self.checks = checks

    def info(self) -> ProviderInfo:
        return ProviderInfo(self.name, ("hotels",), "test")

    def upstream_calls(self, field: str) -> int:
        return 1

    async def search_hotels(self, query: HotelQuery) -> list[HotelOffer]:
        return self.offers

    def checkable(self, room: RoomOffer) -> bool:
        return self.checks and room.provider == self.name

    async def current_rate(self, room: RoomOffer) -> CheckedRate | None:
        self.asked.append(room.offer_id)
        answer = self.answers.get(room.offer_id, CheckedRate(room.price, room.net_price))
        if isinstance(answer, Exception):
            raise answer
        return answer


def rate(provider: str, offer_id: str, price: str, **extra: Any) -> RoomOffer:
    return RoomOffer(
        id="",
        offer_id=offer_id,
        provider=provider,
        price=eur(price),
        check_in=QUERY.check_in,
        check_out=QUERY.check_out,
        **extra,
    )


def hotel_offer(provider: str, *rooms: RoomOffer, name: str = "Hotel Lutetia") -> HotelOffer:
    place = GeoPoint(48.8512, 2.3269)  # both providers' hotel at one spot: merged
    return rates.hotel_offer(
        provider, name, Hotel(f"{provider}:{name}", name, location=place), rooms
    )


async def served(service: SearchService) -> HotelOffer:
    page = await service.search_hotels(QUERY, HotelSort.PRICE, PageRequest(20))
    return page.edges[0].node


def service_of(*providers: Checking, markup: str = "0") -> SearchService:
    """Each refresh asks again: no reuse (`refresh_reuse_s`, tested in test_fleet_repricing)."""
    return SearchService(
        Providers(tuple(providers)),
        rates=bundled_rates,
        hotel_markup_percent=Decimal(markup),
        refresh_reuse_s=0,
    )


async def test_found_by_its_id_as_served_without_calling_providers() -> None:
    provider = Checking("liteapi", [hotel_offer("liteapi", rate("liteapi", "a", "200"))])
    service = service_of(provider)
    offer = await served(service)
    found = await service.hotel_offer(offer.id)
    assert found.offer == offer
    assert (found.refreshed, found.sources, found.outcomes) == (False, (), ())
    assert provider.asked == []


async def test_unknown_and_oversized_ids() -> None:
    service = service_of(Checking("liteapi", [hotel_offer("liteapi", rate("liteapi", "a", "1"))]))
    with pytest.raises(OfferNotFound):
        await service.hotel_offer("O" + "0" * 20)
    with pytest.raises(BadUserInput):
        await service.hotel_offer("O" * (repricing.MAX_OFFER_ID_CHARS + 1))
    flight_like = (await served(service)).id.replace("O", "F", 1)
    with pytest.raises(OfferNotFound):
        await service.hotel_offer(flight_like)


async def test_each_rate_unchanged_changed_gone_failed_or_skipped() -> None:
    liteapi = Checking(
        "liteapi",
        [
            hotel_offer(
                "liteapi",
                rate("liteapi", "same", "200"),
                rate("liteapi", "dearer", "210"),
                rate("liteapi", "gone", "220"),
                rate("liteapi", "broken", "230"),
            )
        ],
    )
    amadeus = Checking("amadeus", [hotel_offer("amadeus", rate("amadeus", "x", "205"))], False)
    liteapi.answers = {
        "dearer": CheckedRate(eur("231.00")),
        "gone": None,
        "broken": UpstreamStatusError("liteapi", 500, detail="Internal <secret> error"),
    }
    service = service_of(liteapi, amadeus)
    offer = await served(service)
    assert {source.provider for source in offer.sources} == {"liteapi", "amadeus"}

    check = await service.hotel_offer(offer.id, refresh=True)
    by_offer = {source.offer_id: source for source in check.sources}
    assert [source.room_id for source in check.sources] == [room.id for room in offer.rooms]
    assert by_offer["same"].status is RepricingStatus.UNCHANGED
    assert by_offer["same"].current_price == eur("200")
    assert by_offer["dearer"].status is RepricingStatus.CHANGED
    assert by_offer["dearer"].current_price == eur("231.00")
    assert by_offer["gone"].status is RepricingStatus.GONE
    assert by_offer["gone"].current_price is None
    assert by_offer["broken"].status is RepricingStatus.FAILED
    assert by_offer["x"].status is RepricingStatus.SKIPPED  # amadeus here cannot check
    (outcome,) = check.outcomes
    assert outcome.provider == "liteapi"
    assert outcome.status.value == "ERROR"
    assert "secret" not in (outcome.message or "")


async def test_rates_that_must_be_checked_go_first_within_the_limit() -> None:
    count = repricing.MAX_REPRICED_SOURCES + 3
    rooms = [rate("hotelbeds", f"r{i}", str(100 + i)) for i in range(count)]
    rooms[-1] = rate("hotelbeds", "recheck", "999", rate_check_required=True)
    provider = Checking("hotelbeds", [hotel_offer("hotelbeds", *rooms)])
    service = service_of(provider)
    check = await service.hotel_offer((await served(service)).id, refresh=True)
    assert len(provider.asked) == repricing.MAX_REPRICED_SOURCES
    assert provider.asked[0] == "recheck"
    statuses = {source.offer_id: source.status for source in check.sources}
    assert statuses["recheck"] is RepricingStatus.UNCHANGED
    assert list(statuses.values()).count(RepricingStatus.SKIPPED) == 3


async def test_a_checked_net_rate_is_priced_as_a_search_prices_it() -> None:
    net = rate("hotelbeds", "k", "100", net_price=eur("100"), markup_applies=True)
    provider = Checking("hotelbeds", [hotel_offer("hotelbeds", net)])
    service = service_of(provider, markup="10")
    offer = await served(service)
    assert offer.price == eur("110.00")
    assert offer.rooms[0].net_price == eur("100")

    provider.answers["k"] = CheckedRate(eur("100"), eur("100"), markup_applies=True)
    (same,) = (await service.hotel_offer(offer.id, refresh=True)).sources
    assert (same.status, same.current_price) == (RepricingStatus.UNCHANGED, eur("110.00"))

    provider.answers["k"] = CheckedRate(eur("105"), eur("105"), markup_applies=True)
    (dearer,) = (await service.hotel_offer(offer.id, refresh=True)).sources
    assert (dearer.status, dearer.current_price) == (RepricingStatus.CHANGED, eur("115.50"))


async def test_the_budget_counts_distinct_refreshed_hotel_offers(client: GraphQLClient) -> None:
    query = """query($a: ID!, $b: ID!, $c: ID!) {
      a: hotelOffer(id: $a, refresh: true) { refreshed }
      b: hotelOffer(id: $b, refresh: true) { refreshed }
      c: hotelOffer(id: $c, refresh: true) { refreshed } }"""
    _, body = await client.post(query, {"a": "O1", "b": "O2", "c": "O3"})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "OPERATION_TOO_EXPENSIVE"
    assert "3 hotel rate checks (at most 2)" in error["message"]
    _, body = await client.post(query, {"a": "O1", "b": "O1", "c": "O1"})
    assert body["errors"][0]["extensions"]["code"] == "OFFER_NOT_FOUND"


async def test_refreshes_of_one_offer_at_once_make_one_set_of_calls() -> None:
    rooms = [rate("liteapi", f"r{i}", str(100 + i)) for i in range(4)]
    provider = Checking("liteapi", [hotel_offer("liteapi", *rooms)])
    service = service_of(provider)
    offer = await served(service)
    checks = await asyncio.gather(*(service.hotel_offer(offer.id, refresh=True) for _ in range(10)))
    assert len(provider.asked) == 4  # not 40
    assert all(check.sources == checks[0].sources for check in checks)
    await service.hotel_offer(offer.id, refresh=True)  # after them: asked again
    assert len(provider.asked) == 8


async def test_aliases_of_one_refresh_in_a_document_make_one_set_of_calls() -> None:
    """Found in review: ten aliases of one `hotelOffer(id, refresh: true)` passed the budget
    (one distinct id) and made ten times the calls (60 for a 12-rate offer)."""
    hotel = {"cityCode": "PAR", "checkIn": days_ahead(30), "checkOut": days_ahead(32)}
    search = """query($h: HotelSearchInput!) {
      hotels(search: $h, first: 30) { offers { nodes { id rooms { provider } } } } }"""
    aliases = " ".join(
        f"a{i}: hotelOffer(id: $id, refresh: true) {{ refreshed }}" for i in range(10)
    )
    async with recorded_simulators() as sims, gateway(Settings(), sims) as client:
        _, body = await client.post(search, {"h": hotel})
        nodes = body["data"]["hotels"]["offers"]["nodes"]
        offer = max(nodes, key=lambda node: len(node["rooms"]))
        before = len(sims.exchanges)
        _, checked = await client.post(f"query($id: ID!) {{ {aliases} }}", {"id": offer["id"]})
        assert "errors" not in checked, checked
        calls = len(sims.exchanges) - before
    assert 0 < calls <= repricing.MAX_REPRICED_SOURCES


async def test_an_unusable_checked_price_fails_without_reaching_the_client() -> None:
    """Found in review: a provider's currency text (1,400 characters of HTML) reached
    `currentPrice.currency` through a rate check, which the search path would have dropped."""
    provider = Checking("duffel", [hotel_offer("duffel", rate("duffel", "a", "100"))])
    service = service_of(provider)
    offer = await served(service)
    for unusable in (Money(Decimal(100), "<img src=x>"), Money(Decimal("1e27"), "EUR")):
        provider.answers["a"] = CheckedRate(unusable)
        check = await service.hotel_offer(offer.id, refresh=True)
        ((source,), (outcome,)) = (check.sources, check.outcomes)
        assert (source.status, source.current_price) == (RepricingStatus.FAILED, None)
        assert outcome.message == "duffel answered an unusable price"


async def test_one_providers_absurd_amount_leaves_the_others_searchable() -> None:
    """Found in review: with a markup, one rate of 1e27 made the markup raise and failed the
    whole `hotels` field for every provider."""
    absurd = rate("hotelbeds", "k", "1e27", net_price=eur("1e27"), markup_applies=True)
    hotelbeds = Checking("hotelbeds", [hotel_offer("hotelbeds", absurd, name="Absurd")])
    liteapi = Checking("liteapi", [hotel_offer("liteapi", rate("liteapi", "a", "200"))])
    service = service_of(hotelbeds, liteapi, markup="10")
    page = await service.search_hotels(QUERY, HotelSort.PRICE, PageRequest(20))
    assert [edge.node.price for edge in page.edges] == [eur("200")]
    outcomes = {outcome.provider: outcome for outcome in page.outcomes}
    assert outcomes["hotelbeds"].offer_count == 0
    assert "1 with an unusable amount" in (outcomes["hotelbeds"].message or "")


async def test_a_rate_that_must_be_checked_and_cannot_be_is_failed_not_skipped() -> None:
    must = rate("hotelbeds", "bad key", "100", rate_check_required=True)
    plain = rate("hotelbeds", "other", "120")
    provider = Checking("hotelbeds", [hotel_offer("hotelbeds", must, plain)], checks=False)
    service = service_of(provider)
    check = await service.hotel_offer((await served(service)).id, refresh=True)
    statuses = {source.offer_id: source.status for source in check.sources}
    assert statuses == {"bad key": RepricingStatus.FAILED, "other": RepricingStatus.SKIPPED}
    assert provider.asked == []  # nothing sent
    (outcome,) = check.outcomes
    assert (outcome.status.value, outcome.message) == (
        "UNSUPPORTED",
        "hotelbeds cannot check this rate",
    )
