"""Looking a served offer up by its id, and asking its providers for its price now: a flight
offer's fares priced again, a hotel offer's rates checked again, before booking.

Ids are digests of an offer's values (`search/identity.py`), computed only for the offers of a
page being served, so they cannot be looked up in the result sets directly. Each served flight
or hotel offer's id is remembered with where it lies (result set id, position) in a bounded index; a
lookup reads the set, serves that item again, and answers it only if the id comes out the same.
When the set has expired (or been evicted), so has the offer: `OfferNotFound`.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import msgspec

from gateway.domain import (
    Fare,
    FareSource,
    FlightOffer,
    HotelOffer,
    Money,
    ProviderOutcome,
    ProviderStatus,
    RecheckedRoom,
    RepricedSource,
    RepricingStatus,
    RoomOffer,
    plausible,
)
from gateway.observe.events import NO_EVENTS, Events
from gateway.providers.base import FlightRepricer, HotelRateChecker
from gateway.providers.errors import MalformedResponse, Unsupported
from gateway.search import selling
from gateway.search.breaker import CircuitBreaker
from gateway.search.fanout import ProviderCall, fan_out
from gateway.search.merge import FlightCluster

MAX_OFFER_ID_CHARS = 64
"""An id longer than this is refused before any work (ours are 21 characters)."""
INDEX_ENTRIES = 40_000
"""Served offer ids remembered at most (~150 bytes each: ~6 MB), flights' and hotels' together,
least recently served dropped first: 1,000 first pages of 20 of each kind, beyond which sets
are evicted anyway (500 kept)."""
MAX_REPRICED_SOURCES = 6
"""Provider offers re-priced (a flight's fare sources, a hotel's rates) per offer at most: each
is one upstream call (three brands from two providers in the demo). The search budget charges
this many calls per re-pricing."""
QUOTE_BYTES_PER_SET = 256 * 1024
"""Bytes of provider quotes (Amadeus offer JSON) a result set keeps at most: ~120 offers of
~2 KB. Sets are kept 500 at most, so quotes hold 125 MiB at worst (typical: 100 Amadeus offers,
~200 KB a set). Sources past the bound lose their quote and are reported SKIPPED."""


class OfferIndex:
    """Served offer id → (result set id, position), bounded, least recently served dropped."""

    def __init__(self, max_entries: int = INDEX_ENTRIES) -> None:
        self._entries: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._max_entries = max_entries

    def remember(self, offer_id: str, result_set: str, position: int) -> None:
        self._entries[offer_id] = (result_set, position)
        self._entries.move_to_end(offer_id)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def find(self, offer_id: str) -> tuple[str, int] | None:
        return self._entries.get(offer_id)

    def __len__(self) -> int:
        return len(self._entries)


def bounded_quotes(offers: Iterable[FlightOffer], max_bytes: int) -> list[FlightOffer]:
    """`offers` (in their order) with quotes kept until `max_bytes` of them are held; later
    sources lose theirs."""
    left = max_bytes
    kept: list[FlightOffer] = []
    for offer in offers:
        offer, left = _bounded(offer, left)
        kept.append(offer)
    return kept


def bounded_cluster_quotes(
    clusters: Iterable[FlightCluster], max_bytes: int
) -> list[FlightCluster]:
    """`bounded_quotes` on the offers clusters would build, building only those that lose a
    quote: a cluster whose quotes all fit is kept as is, whatever their order."""
    left = max_bytes
    kept: list[FlightCluster] = []
    for cluster in clusters:
        if cluster.built is None and cluster.quote_bytes <= left:
            left -= cluster.quote_bytes
        else:
            built, left = _bounded(cluster.offer(), left)
            cluster = msgspec.structs.replace(cluster, built=built)
        kept.append(cluster)
    return kept


def _bounded(offer: FlightOffer, left: int) -> tuple[FlightOffer, int]:
    """`offer` with the quotes that fit in `left` bytes, in fare then source order; the bytes
    left after them."""
    changed = False
    fares: list[Fare] = []
    for fare in offer.fares:
        sources: list[FareSource] = []
        for source in fare.sources:
            if source.quote is not None:
                if len(source.quote) <= left:
                    left -= len(source.quote)
                else:
                    source = msgspec.structs.replace(source, quote=None)
                    changed = True
            sources.append(source)
        fares.append(msgspec.structs.replace(fare, sources=tuple(sources)))
    return (msgspec.structs.replace(offer, fares=tuple(fares)) if changed else offer), left


class _Priced(msgspec.Struct, frozen=True, gc=False):
    price: Money | None


Ask = Callable[[], Awaitable[Money | None]]
"""One upstream call answering an offer's price now, or None when it is no longer sold."""


@dataclass(frozen=True, slots=True)
class Question:
    """One provider offer to price again: whose it is, what it cost, and the call (None: it
    cannot be asked, and is SKIPPED)."""

    provider: str
    previous: Money
    ask: Ask | None


async def ask_again(
    questions: Sequence[Question],
    breakers: Mapping[str, CircuitBreaker],
    timeout_s: float,
    *,
    field: str,
    events: Events = NO_EVENTS,
) -> tuple[list[tuple[RepricingStatus, Money | None]], tuple[ProviderOutcome, ...]]:
    """The first `MAX_REPRICED_SOURCES` questions that can be asked, at once, each under its
    provider's circuit (`breakers`, by provider); each question's status and price now, in
    order, and each provider's outcome as a search reports them."""
    asked = [i for i, question in enumerate(questions) if question.ask is not None]
    asked = asked[:MAX_REPRICED_SOURCES]

    def call(question: Question) -> ProviderCall[_Priced]:
        ask = question.ask
        assert ask is not None

        async def run() -> list[_Priced]:
            price = await ask()
            if price is not None and not plausible(price):
                raise MalformedResponse(f"{question.provider} answered an unusable price")
            return [_Priced(price)]

        return ProviderCall(question.provider, run, breakers.get(question.provider))

    calls = [call(questions[i]) for i in asked]
    results = await fan_out(calls, timeout_s, field=field, events=events) if asked else []
    answered = dict(zip(asked, results, strict=True))
    verdicts: list[tuple[RepricingStatus, Money | None]] = []
    for index, question in enumerate(questions):
        result = answered.get(index)
        if result is None:
            verdicts.append((RepricingStatus.SKIPPED, None))
        elif result.outcome.status is not ProviderStatus.OK:
            verdicts.append((RepricingStatus.FAILED, None))
        else:
            current = result.offers[0].price
            verdicts.append((_compared(question.previous, current), current))
    return verdicts, _per_provider([r.outcome for r in results])


async def reprice(
    offer: FlightOffer,
    repricers: Mapping[str, FlightRepricer],
    breakers: Mapping[str, CircuitBreaker],
    timeout_s: float,
    *,
    events: Events = NO_EVENTS,
) -> tuple[tuple[RepricedSource, ...], tuple[ProviderOutcome, ...]]:
    """Every source of every fare of `offer` priced again by its provider, the first
    `MAX_REPRICED_SOURCES` that can be at once, under its provider's flights circuit
    (`breakers`, by provider); each provider's outcome, as a search's."""
    pairs = [(fare, source) for fare in offer.fares for source in fare.sources]

    def question(source: FareSource) -> Question:
        repricer = repricers.get(source.provider)
        if repricer is None or not repricer.repriceable(source):
            return Question(source.provider, source.price, None)
        return Question(
            source.provider, source.price, functools.partial(repricer.current_price, source)
        )

    verdicts, outcomes = await ask_again(
        [question(source) for _, source in pairs],
        breakers,
        timeout_s,
        field="flightOffer",
        events=events,
    )
    repriced = tuple(
        RepricedSource(
            fare_id=fare.id,
            provider=source.provider,
            offer_id=source.offer_id,
            status=status,
            previous_price=source.price,
            current_price=current,
        )
        for (fare, source), (status, current) in zip(pairs, verdicts, strict=True)
    )
    return repriced, outcomes


async def recheck(
    offer: HotelOffer,
    checkers: Mapping[str, HotelRateChecker],
    breakers: Mapping[str, CircuitBreaker],
    timeout_s: float,
    *,
    markup_percent: Decimal = Decimal(0),
    events: Events = NO_EVENTS,
) -> tuple[tuple[RecheckedRoom, ...], tuple[ProviderOutcome, ...]]:
    """Every room rate of `offer` checked again with its provider, the first
    `MAX_REPRICED_SOURCES` that can be at once, rates the provider requires checked first, under
    its provider's hotels circuit (`breakers`, by provider); each priced as a search prices it
    (`selling`), and each provider's outcome."""

    def question(room: RoomOffer) -> Question:
        checker = checkers.get(room.provider)
        if checker is None:
            return Question(room.provider, room.price, None)
        if not checker.checkable(room):
            if not room.rate_check_required:
                return Question(room.provider, room.price, None)

            async def refused() -> Money | None:
                # A rate that must be checked and cannot be is FAILED, not SKIPPED.
                raise Unsupported(f"{room.provider} cannot check this rate")

            return Question(room.provider, room.price, refused)

        async def ask() -> Money | None:
            rate = await checker.current_rate(room)
            return None if rate is None else selling.priced_rate(rate, markup_percent)

        return Question(room.provider, room.price, ask)

    order = sorted(range(len(offer.rooms)), key=lambda i: not offer.rooms[i].rate_check_required)
    verdicts, outcomes = await ask_again(
        [question(offer.rooms[i]) for i in order],
        breakers,
        timeout_s,
        field="hotelOffer",
        events=events,
    )
    by_room = dict(zip(order, verdicts, strict=True))
    rechecked = tuple(
        RecheckedRoom(
            room_id=room.id,
            provider=room.provider,
            offer_id=room.offer_id,
            status=by_room[index][0],
            previous_price=room.price,
            current_price=by_room[index][1],
        )
        for index, room in enumerate(offer.rooms)
    )
    return rechecked, outcomes


def _compared(previous: Money, current: Money | None) -> RepricingStatus:
    if current is None:
        return RepricingStatus.GONE
    if current.currency == previous.currency and current.amount == previous.amount:
        return RepricingStatus.UNCHANGED
    return RepricingStatus.CHANGED


def _per_provider(outcomes: Sequence[ProviderOutcome]) -> tuple[ProviderOutcome, ...]:
    """One outcome per provider, in the order first asked: OK only if every call was, else the
    first failure's status and message; the slowest call's latency; `offerCount` the offers
    priced."""
    grouped: dict[str, list[ProviderOutcome]] = {}
    for outcome in outcomes:
        grouped.setdefault(outcome.provider, []).append(outcome)
    merged = []
    for provider, own in grouped.items():
        failed = next((o for o in own if o.status is not ProviderStatus.OK), None)
        merged.append(
            ProviderOutcome(
                provider=provider,
                status=failed.status if failed is not None else ProviderStatus.OK,
                latency_ms=max(o.latency_ms for o in own),
                offer_count=sum(o.offer_count for o in own if o.status is ProviderStatus.OK),
                message=failed.message if failed is not None else None,
            )
        )
    return tuple(merged)
