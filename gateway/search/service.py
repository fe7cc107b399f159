"""The search service: validate, fan out, convert, merge, sort, store, and page.

The first page of a search calls the providers and keeps the merged, sorted result set; later
pages read that set, so they neither call providers again nor reshuffle offers.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from gateway import reference
from gateway.currency.rates import ReferenceRates
from gateway.domain import (
    FlightFilter,
    FlightOffer,
    FlightOfferCheck,
    FlightQuery,
    FlightSort,
    GeoPoint,
    HotelOffer,
    HotelOfferCheck,
    HotelQuery,
    HotelSort,
    Money,
    ProviderInfo,
    ProviderOutcome,
    ProviderStatus,
    plausible,
)
from gateway.errors import (
    AllProvidersFailed,
    BadUserInput,
    CursorExpired,
    CursorMismatch,
    NoProvidersConfigured,
    OfferNotFound,
)
from gateway.fleet.offers import SHARED_BYTES as SHARED_OFFER_BYTES
from gateway.fleet.offers import SharedOffers
from gateway.fleet.shared import Shared
from gateway.observe.events import NO_EVENTS, BreakerChanged, CacheUsed, Events, FieldSearched
from gateway.providers.base import needs_children_ages
from gateway.providers.registry import Providers
from gateway.search import (
    canonical,
    filters,
    fingerprint,
    identity,
    merge,
    naming,
    ordering,
    repricing,
    selling,
)
from gateway.search.breaker import BreakerState, CircuitBreaker
from gateway.search.cache import SearchCache
from gateway.search.entries import search_key
from gateway.search.fanout import ProviderCall, ProviderResult, fan_out
from gateway.search.pages import RenderedPages
from gateway.search.paging import (
    Cursor,
    Edge,
    PageRequest,
    SearchPage,
    check_page_request,
    page_of,
)
from gateway.search.refreshes import REUSE_S, Refresh, Refreshes
from gateway.search.repeats import RepeatedSearches
from gateway.search.results import ResultSet, ResultStore
from gateway.search.validation import check_flight_query, check_hotel_query

T = TypeVar("T", FlightOffer, HotelOffer)
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}\Z")
"""What of a provider's currency may reach a client's outcome message."""
S = TypeVar("S")


class SearchService:
    def __init__(
        self,
        providers: Providers,
        *,
        rates: Callable[[], ReferenceRates],
        default_currency: str = "EUR",
        deadline_s: float = 8.0,
        provider_timeout_s: float | None = None,
        results: ResultStore | None = None,
        cache: SearchCache | None = None,
        breaker_failures: int = 5,
        breaker_reset_s: float = 30.0,
        hotel_markup_percent: Decimal = Decimal(0),
        events: Events = NO_EVENTS,
        shared: Shared | None = None,
        refresh_reuse_s: float = REUSE_S,
        shared_offer_bytes: int = SHARED_OFFER_BYTES,
        repeats: RepeatedSearches | None = None,
    ) -> None:
        self._providers = providers
        self._events = events
        self._flight_providers = providers.flights
        self._hotel_providers = providers.hotels
        self._rates = rates
        self.default_currency = default_currency
        self.deadline_s = deadline_s
        self.provider_timeout_s = min(provider_timeout_s or deadline_s, deadline_s)
        """Each provider's own limit, inside the field's deadline."""
        self.results = results if results is not None else ResultStore()
        self.repeats = repeats if repeats is not None else RepeatedSearches()
        """The sets that answer a repeated search while their answers are fresh."""
        self.pages = RenderedPages()
        """Pages as served, built once per set, position and size."""
        self.offer_index = repricing.OfferIndex()
        """Where each served flight or hotel offer lies, for `flight_offer` and `hotel_offer`."""
        self.hotel_markup_percent = hotel_markup_percent
        """On rates whose provider sets no selling price (`selling`)."""
        self._repricers = providers.repricers
        self._checkers = providers.checkers
        self.shared_offers = (
            SharedOffers(
                shared,
                (p.info().name for p in providers.all),
                budget_bytes=shared_offer_bytes,
                window_s=self.results.ttl_s,
            )
            if shared is not None and shared_offer_bytes > 0
            else None
        )
        """Every served offer in the fleet's store too, so any process finds it by id (within
        the fleet's `shared_offer_bytes` per results TTL); None without one (`mem://`), or with
        a budget of 0: each process finds the offers it served."""
        self.refreshes = Refreshes(
            shared,
            reuse_s=refresh_reuse_s,
            deadline_s=self.deadline_s,
            ask_s=self.provider_timeout_s,
        )
        """Re-pricings reused for `refresh_reuse_s` and coalesced, in this process and across
        the fleet: one set of upstream calls per offer at a time."""
        self.cache = cache
        # One circuit per provider and field: Duffel's flights failing says nothing of Stays,
        # and a working endpoint must not keep resetting the circuit of a broken one.
        self.breakers = {
            (provider.name, field): CircuitBreaker(
                failure_threshold=breaker_failures,
                reset_timeout_s=breaker_reset_s,
                on_change=_reporting(events, provider.name, field) if events else None,
            )
            for provider in providers.all
            for field in provider.info().serves
        }
        self._breakers_of = {
            field: {name: breaker for (name, of), breaker in self.breakers.items() if of == field}
            for field in ("flights", "hotels")
        }
        """Each field's circuits by provider: what a re-pricing of that field's offers uses."""

    def provider_info(self) -> list[ProviderInfo]:
        return [provider.info() for provider in self._providers.all]

    def upstream_calls(self, field: str) -> int:
        """Most upstream calls one search of `field` makes, all its providers together (for
        `flightOffer` and `hotelOffer`, one re-pricing: a call per source or rate,
        `MAX_REPRICED_SOURCES` at most)."""
        if field == "flightOffer":
            return repricing.MAX_REPRICED_SOURCES if self._repricers else 0
        if field == "hotelOffer":
            return repricing.MAX_REPRICED_SOURCES if self._checkers else 0
        providers = self._flight_providers if field == "flights" else self._hotel_providers
        return sum(provider.upstream_calls(field) for provider in providers)

    async def search_flights(
        self,
        query: FlightQuery,
        order: FlightSort,
        page: PageRequest,
        flight_filter: FlightFilter = filters.NO_FILTER,
    ) -> SearchPage[FlightOffer]:
        needing = next((p.name for p in self._flight_providers if needs_children_ages(p)), None)
        check_flight_query(query, flight_filter=flight_filter, ages_needed_by=needing)
        # One search, one identity, however it was spelt (`search/canonical.py`): after the
        # checks, whose problems name what the client wrote where it wrote it.
        query = canonical.flight_query(query, self.default_currency)
        cursor = check_page_request(page)
        rates, currency = self._display(query.currency)
        kept = filters.canonical(flight_filter)
        # The filter is part of the result set, not of what providers are asked (nor of the
        # cache key): every filter of a search is answered from the same provider answers.
        search = ("flights", query, kept, order)
        repeated = (search, currency, rates.as_of, rates.source)

        async def result_set(result_id: str | None = None) -> ResultSet[merge.FlightCluster]:
            priced = msgspec.structs.replace(query, currency=currency)
            searches = [
                (p.name, functools.partial(p.search_flights, priced))
                for p in self._flight_providers
            ]
            offers, outcomes, fresh_until = await self._gather("flights", searches, priced, rates)
            # Itineraries are kept as clusters of provider offers: only those of a page served
            # are merged into offers (`merge.FlightCluster`).
            merged = merge.flight_clusters(offers, query.cabin, _converter(rates, currency))
            merged = filters.apply_clusters(merged, kept)
            if query.max_price is not None:
                merged = [offer for offer in merged if offer.price.amount <= query.max_price]
            # Quotes (what re-pricing sends back to a provider) for the first offers in the
            # set's order, the ones a traveller sees first, up to the set's byte bound.
            items = tuple(
                repricing.bounded_cluster_quotes(
                    ordering.sort_flight_clusters(merged, order), repricing.QUOTE_BYTES_PER_SET
                )
            )
            # The filter and order are in the fingerprint: a set rebuilt by another process
            # for another filter never matches a cursor of this one.
            made = fingerprint.flights((kept, order), items, outcomes)
            result = self.results.put(
                search,
                items,
                outcomes,
                digest=made.digest,
                size_bytes=made.size_bytes,
                result_id=result_id,
            )
            self._remember(repeated, result, fresh_until)
            return result

        if cursor is not None:
            stored = await self._stored(cursor, search, result_set)
            return self._page(stored, cursor.position + 1, page.first, _flight_offer, repeated)
        first = self._repeated("flights", repeated) or await result_set()
        return self._page(first, 0, page.first, _flight_offer, repeated)

    def _page(
        self,
        result: ResultSet[S],
        start: int,
        first: int,
        serve: Callable[[S], T],
        repeated: Hashable = None,
    ) -> SearchPage[T]:
        """The page as served, each offer's id remembered with where it lies, and each offer
        written to the fleet's store for the rest of its set's life, in the background: the
        page never waits for it, nor fails by it (`SharedOffers.share`). It says until when
        it holds: while its set answers `repeated`, the search (`SearchPage.fresh_until`)."""
        page = self.pages.get(result, start, first)
        if page is None:
            page = _served(page_of(result, start, first), serve)
            self.pages.put(result, start, first, page)
        fresh_until = self.repeats.answers_until(repeated, result.id)
        if fresh_until != page.fresh_until:
            page = dataclasses.replace(page, fresh_until=fresh_until)
        for position, edge in enumerate(page.edges, start):
            self.offer_index.remember(edge.node.id, result.id, position)
        if self.shared_offers is not None and page.edges:
            offers = [edge.node for edge in page.edges]
            self.shared_offers.share(offers, self.results.ttl_left(result))
        return page

    async def flush(self) -> None:
        """Wait for the offers being written to the fleet's store (before it closes; tests)."""
        if self.shared_offers is not None:
            await self.shared_offers.flush()

    def _local(self, offer_id: str, kind: type[S], serve: Callable[[S], T]) -> T | None:
        """The offer a page of this process served under `offer_id`, served again from its
        set; None when its set is gone (expired, evicted) or it was never served here."""
        place = self.offer_index.find(offer_id)
        result = self.results.get(place[0]) if place is not None else None
        if place is not None and result is not None and place[1] < len(result.items):
            item = result.items[place[1]]
            if isinstance(item, kind):
                offer = serve(item)
                if offer.id == offer_id:
                    return offer
        return None

    async def _found(
        self,
        offer_id: str,
        local: Callable[[], T | None],
        shared: Callable[[SharedOffers], Awaitable[T | None]],
        what: str,
    ) -> T:
        """The offer served under `offer_id`: from this process's sets first, then from the
        fleet's store (any process's page); else `OfferNotFound` (expired, or never served)."""
        if len(offer_id) > repricing.MAX_OFFER_ID_CHARS:
            raise BadUserInput.single(
                "id", f"must be at most {repricing.MAX_OFFER_ID_CHARS} characters"
            )
        offer = local()
        if offer is None and self.shared_offers is not None:
            offer = await shared(self.shared_offers)
        if offer is None:
            raise OfferNotFound(
                f"No {what} offer has this id: it has expired, or was never served; run the "
                "search again."
            )
        return offer

    async def flight_offer(self, offer_id: str, *, refresh: bool = False) -> FlightOfferCheck:
        """A flight offer a page served (in any process sharing the store), by its id, as
        served then; with `refresh`, each of its sources priced again by its provider, or an
        earlier refresh reused (`Refreshes`). `OfferNotFound` when no stored set holds it
        (never served, or expired): no provider is called then."""
        begun_at = self.refreshes.clock()
        offer = await self._found(
            offer_id,
            lambda: self._local(offer_id, merge.FlightCluster, _flight_offer),
            lambda offers: offers.flight(offer_id),
            "flight",
        )
        if not refresh:
            return FlightOfferCheck(offer)
        refreshed = await self.refreshes.run(
            offer,
            lambda timeout_s: repricing.reprice(
                offer,
                self._repricers,
                self._breakers_of["flights"],
                timeout_s,
                events=self._events,
            ),
            variant=self.refresh_variant(offer),
            begun_at=begun_at,
        )
        self._refreshed("flightOffer", refreshed)
        return FlightOfferCheck(
            offer, refreshed=True, sources=refreshed.sources, outcomes=refreshed.outcomes
        )

    async def hotel_offer(self, offer_id: str, *, refresh: bool = False) -> HotelOfferCheck:
        """A hotel offer a page served (in any process sharing the store), by its id, as
        served then; with `refresh`, each of its rates checked again with its provider (rates
        the provider requires checked first), or an earlier check reused. `OfferNotFound` when
        no stored set holds it: no provider is called then."""
        begun_at = self.refreshes.clock()
        offer = await self._found(
            offer_id,
            lambda: self._local(offer_id, merge.HotelCluster, _hotel_offer),
            lambda offers: offers.hotel(offer_id),
            "hotel",
        )
        if not refresh:
            return HotelOfferCheck(offer)
        refreshed = await self.refreshes.run(
            offer,
            lambda timeout_s: repricing.recheck(
                offer,
                self._checkers,
                self._breakers_of["hotels"],
                timeout_s,
                markup_percent=self.hotel_markup_percent,
                events=self._events,
            ),
            variant=self.refresh_variant(offer),
            begun_at=begun_at,
        )
        self._refreshed("hotelOffer", refreshed)
        return HotelOfferCheck(
            offer, refreshed=True, sources=refreshed.sources, outcomes=refreshed.outcomes
        )

    def refresh_variant(self, offer: FlightOffer | HotelOffer) -> str:
        """A digest of what of this gateway's settings changes a refresh of `offer`, so that
        gateways configured differently sharing a Redis never answer each other's: which of its
        sources this gateway asks (the providers it has, and which rates they check: Hotelbeds
        under a daily quota checks only those it must) and, for hotels, the markup on net
        rates. What the providers then answer is theirs to say."""
        if isinstance(offer, FlightOffer):
            asked = [
                (repricer := self._repricers.get(source.provider)) is not None
                and repricer.repriceable(source)
                for fare in offer.fares
                for source in fare.sources
            ]
            markup = ""
        else:
            asked = [
                (checker := self._checkers.get(room.provider)) is not None
                and checker.checkable(room)
                for room in offer.rooms
            ]
            markup = f"{self.hotel_markup_percent.normalize():f}"
        plan = "".join("1" if each else "0" for each in asked)
        return hashlib.sha256(f"{markup}|{plan}".encode()).hexdigest()[:16]

    def _refreshed(self, field: str, refreshed: Refresh[Any]) -> None:
        """Tell observers how a refresh went, and what reusing or awaiting one saved."""
        if not self._events:
            return
        if refreshed.how != "asked":
            use = "hit" if refreshed.how == "reused" else "coalesced"
            for outcome in refreshed.outcomes:
                self._events.emit(CacheUsed(field, outcome.provider, use))
        self._events.emit(FieldSearched(field, refreshed.outcomes))

    async def search_hotels(
        self, query: HotelQuery, order: HotelSort, page: PageRequest
    ) -> SearchPage[HotelOffer]:
        check_hotel_query(query)
        query = canonical.hotel_query(query, self.default_currency)
        cursor = check_page_request(page)
        rates, currency = self._display(query.currency)
        search = ("hotels", query, order)
        repeated = (search, currency, rates.as_of, rates.source)

        async def result_set(result_id: str | None = None) -> ResultSet[merge.HotelCluster]:
            city = reference.city(query.city_code)
            centre = GeoPoint(city.latitude, city.longitude) if city is not None else None
            located = msgspec.structs.replace(query, currency=currency, centre=centre)
            searches = [
                (p.name, functools.partial(p.search_hotels, located)) for p in self._hotel_providers
            ]
            offers, outcomes, fresh_until = await self._gather("hotels", searches, located, rates)
            offers = selling.priced_offers(offers, self.hotel_markup_percent)
            merged = merge.merge_hotels(offers, _converter(rates, currency), centre)
            items = tuple(ordering.sort_hotels(merged, order))
            made = fingerprint.hotels(order, items, outcomes)
            result = self.results.put(
                search,
                items,
                outcomes,
                digest=made.digest,
                size_bytes=made.size_bytes,
                result_id=result_id,
            )
            self._remember(repeated, result, fresh_until)
            return result

        if cursor is not None:
            stored = await self._stored(cursor, search, result_set)
            return self._page(stored, cursor.position + 1, page.first, _hotel_offer, repeated)
        first = self._repeated("hotels", repeated) or await result_set()
        return self._page(first, 0, page.first, _hotel_offer, repeated)

    def _remember(
        self, repeated: Hashable, result: ResultSet[Any], fresh_until: float | None
    ) -> None:
        """Let `result` answer its search again while the answers it was made from are fresh
        (None: some were not kept, or failed) and it has half its life left."""
        if fresh_until is not None:
            within_s = self.results.ttl_left(result) - self.results.ttl_s / 2
            self.repeats.remember(repeated, result.id, fresh_until, within_s=within_s)

    def _repeated(self, field: str, repeated: Hashable) -> ResultSet[Any] | None:
        """The set that answers a repeated search, its outcomes as the cache's would be (no
        provider called, as for a cache hit: reported so); None: search as usual."""
        result_id = self.repeats.find(repeated)
        if result_id is None:
            return None
        result = self.results.get(result_id)
        if result is None:
            self.repeats.forget(repeated)
            return None
        outcomes = tuple(
            msgspec.structs.replace(outcome, latency_ms=0, cached=True)
            for outcome in result.outcomes
        )
        if self._events:
            for outcome in outcomes:
                self._events.emit(CacheUsed(field, outcome.provider, "hit"))
            self._events.emit(FieldSearched(field, outcomes))
        return dataclasses.replace(result, outcomes=outcomes)

    def _display(self, requested: str | None) -> tuple[ReferenceRates, str]:
        """The rates in force and the currency prices are compared and shown in."""
        rates = self._rates()
        currency = requested or self.default_currency
        if not rates.has(currency):
            raise BadUserInput.single(
                "search.currency",
                f"no exchange rate for {currency}; supported: {', '.join(sorted(rates.per_eur))}",
            )
        return rates, currency

    async def _stored(
        self,
        cursor: Cursor,
        search: Hashable,
        rebuild: Callable[[str], Awaitable[ResultSet[S]]],
    ) -> ResultSet[S]:
        """The set a cursor points into: kept here, or rebuilt from the shared cache.

        With several processes sharing a Redis cache, page 2 may reach a process that never saw
        page 1. It rebuilds the set from the providers' cached answers (no upstream call while
        they are fresh) and uses it only if its fingerprint matches the cursor's: the same
        offers in the same order. Otherwise the cursor has expired.
        """
        result = self.results.get(cursor.result_set)
        if result is None and self.cache is not None and self.cache.shared and cursor.digest:
            rebuilt = await rebuild(cursor.result_set)
            if rebuilt.digest == cursor.digest:
                return rebuilt
            self.results.discard(cursor.result_set)
        if result is None:
            raise CursorExpired.single("after", "this cursor has expired; run the search again")
        if result.search != search:
            raise CursorMismatch.single(
                "after", "this cursor belongs to a different search, filter or order"
            )
        return result  # type: ignore[return-value]

    async def _gather(
        self,
        field: str,
        searches: Sequence[tuple[str, Callable[[], Awaitable[list[Any]]]]],
        query: FlightQuery | HotelQuery,
        rates: ReferenceRates,
    ) -> tuple[list[Any], tuple[ProviderOutcome, ...], float | None]:
        """Each provider's search of `field` (its name and the typed call that runs it, on
        `query`) at once; their offers, outcomes, and until when all their answers are fresh
        (None: one failed, or is not kept)."""
        if not searches:
            raise NoProvidersConfigured(f"No provider serving {field} is configured.")
        calls: list[ProviderCall[Any]] = [
            ProviderCall(
                name,
                search,
                self.breakers[name, field],
                search_key(field, name, query),
            )
            for name, search in searches
        ]
        fetch = self.cache.fetch if self.cache is not None else None
        results = await fan_out(
            calls, self.provider_timeout_s, field=field, fetch=fetch, events=self._events
        )
        outcomes = tuple(result.outcome for result in results)
        if self._events:
            self._events.emit(FieldSearched(field, outcomes))
        if all(outcome.status is not ProviderStatus.OK for outcome in outcomes):
            raise AllProvidersFailed(field, [_public(outcome) for outcome in outcomes])
        offers: list[Any] = []
        kept_outcomes = []
        for result in results:
            kept, outcome = _convertible(result, rates)
            offers.extend(kept)
            kept_outcomes.append(outcome)
        fresh = [result.fresh_until for result in results]
        fresh_until = min(f for f in fresh if f is not None) if None not in fresh else None
        return offers, tuple(kept_outcomes), fresh_until


def _reporting(events: Events, provider: str, field: str) -> Callable[[BreakerState], None]:
    """A breaker's transitions, reported as `BreakerChanged`."""

    def changed(state: BreakerState) -> None:
        events.emit(BreakerChanged(provider, field, state.value))

    return changed


def _flight_offer(cluster: merge.FlightCluster) -> FlightOffer:
    """An offer as served: merged from its providers' offers, names shown one way, then its
    id."""
    return identity.flight_offer(naming.flight_offer(cluster.offer()))


def _hotel_offer(cluster: merge.HotelCluster) -> HotelOffer:
    """A hotel as served: built from its providers' offers (named as most of them spell it,
    `merge._display_name`), then its id."""
    return identity.hotel_offer(cluster.offer())


def _served(page: SearchPage[S], serve: Callable[[S], T]) -> SearchPage[T]:
    """The page's items as served: only these are built (hotels) and given their ids."""
    return SearchPage(
        edges=tuple(Edge(edge.cursor, serve(edge.node)) for edge in page.edges),
        total_count=page.total_count,
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        outcomes=page.outcomes,
    )


def _converter(rates: ReferenceRates, currency: str) -> Callable[[Money], Money]:
    """Conversion into `currency` for one search, each distinct amount converted once."""
    converted: dict[Money, Money] = {}

    def convert(money: Money) -> Money:
        found = converted.get(money)
        if found is None:
            found = converted[money] = rates.convert(money, currency)
        return found

    return convert


def _convertible(
    result: ProviderResult[T], rates: ReferenceRates
) -> tuple[list[T], ProviderOutcome]:
    """Offers whose price can be compared (plausible, with an exchange rate); the outcome says
    how many were left out and why."""
    kept = [o for o in result.offers if plausible(o.price) and rates.has(o.price.currency)]
    if len(kept) == len(result.offers):
        return kept, result.outcome
    unknown = Counter(
        _left_out(o.price, rates)
        for o in result.offers
        if not (plausible(o.price) and rates.has(o.price.currency))
    )
    note = ", ".join(f"{count} {why}" for why, count in sorted(unknown.items()))
    return kept, msgspec.structs.replace(
        result.outcome,
        offer_count=len(kept),
        message=f"offers without an exchange rate left out: {note}",
    )


def _left_out(price: Money, rates: ReferenceRates) -> str:
    """Why an offer's price cannot be compared, in words fit for a client (never the
    provider's text: a currency is named only when it is three capitals)."""
    if not rates.has(price.currency):
        code = price.currency
        return f"in {code}" if _CURRENCY_CODE.match(code) else "in an unreadable code"
    return "with an unusable amount"


def _public(outcome: ProviderOutcome) -> dict[str, object]:
    """An outcome with the field names GraphQL clients know (for the error's extensions)."""
    return {
        "provider": outcome.provider,
        "status": outcome.status.value,
        "latencyMs": outcome.latency_ms,
        "offerCount": outcome.offer_count,
        "message": outcome.message,
    }
