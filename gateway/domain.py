"""Plain data the layers exchange: search queries, offers, money and provider outcomes.

Nothing here knows about GraphQL or any provider's wire format, so every layer can use it. Its
one import of the project is ISO 4217's table of minor units (`gateway.currency.units`, a leaf
module), to round a price per night as the currency is quoted.

Records are frozen msgspec Structs with garbage collection off (`Record`), not dataclasses: a
gateway keeps thousands of offers alive for paging and caching, and tracked instances made
CPython's cycle collector walk all of them again and again (measured: ~40 % of the CPU under
load, docs/performance.md). Offers are trees of records, tuples and scalars, so they can never
form the reference cycles the collector exists for.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import msgspec

from gateway.currency.units import is_currency, round_to_minor_units


class CabinClass(enum.Enum):
    ECONOMY = "ECONOMY"
    PREMIUM_ECONOMY = "PREMIUM_ECONOMY"
    BUSINESS = "BUSINESS"
    FIRST = "FIRST"


class FlightSort(enum.Enum):
    PRICE = "PRICE"
    PRICE_WITH_BAGS = "PRICE_WITH_BAGS"
    DURATION = "DURATION"
    DEPARTURE = "DEPARTURE"


class HotelSort(enum.Enum):
    PRICE = "PRICE"
    DISTANCE = "DISTANCE"
    NAME = "NAME"


class BoardType(enum.Enum):
    """Meals a room rate includes, in the words every provider's codes are mapped to."""

    ROOM_ONLY = "ROOM_ONLY"
    BREAKFAST = "BREAKFAST"
    HALF_BOARD = "HALF_BOARD"
    FULL_BOARD = "FULL_BOARD"
    ALL_INCLUSIVE = "ALL_INCLUSIVE"
    OTHER = "OTHER"
    """The provider named a board that is none of the above (Amadeus's `FAMILY_PLAN`, a
    Hotelbeds code we do not know): said, but not placeable. No board said at all is None."""


class Amenity(enum.Enum):
    """What a hotel offers its guests: Duffel Stays' amenity types, the one provider that sends
    them in a search answer (a closed set, so no provider text reaches a client)."""

    WIFI = "WIFI"
    PARKING = "PARKING"
    GYM = "GYM"
    POOL = "POOL"
    SPA = "SPA"
    RESTAURANT = "RESTAURANT"
    ROOM_SERVICE = "ROOM_SERVICE"
    LOUNGE = "LOUNGE"
    LAUNDRY = "LAUNDRY"
    CONCIERGE = "CONCIERGE"
    FRONT_DESK_24H = "FRONT_DESK_24H"
    BUSINESS_CENTRE = "BUSINESS_CENTRE"
    CASH_MACHINE = "CASH_MACHINE"
    CHILDCARE = "CHILDCARE"
    PETS_ALLOWED = "PETS_ALLOWED"
    ADULTS_ONLY = "ADULTS_ONLY"
    ACCESSIBLE_MOBILITY = "ACCESSIBLE_MOBILITY"
    ACCESSIBLE_HEARING = "ACCESSIBLE_HEARING"


class TravellerType(enum.Enum):
    ADULT = "ADULT"
    CHILD = "CHILD"
    INFANT = "INFANT"


class LocationKind(enum.Enum):
    AIRPORT = "AIRPORT"
    CITY = "CITY"


class Record(msgspec.Struct, frozen=True, gc=False):
    """Immutable, hashable, untracked by the cycle collector (subclasses repeat `frozen=True` for
    type checkers; msgspec would inherit it)."""


class ProviderStatus(enum.Enum):
    OK = "OK"
    TIMEOUT = "TIMEOUT"
    ERROR = "ERROR"
    UNAVAILABLE = "UNAVAILABLE"
    UNSUPPORTED = "UNSUPPORTED"
    """The provider cannot take the search as asked (Amadeus hotels take no children): it was
    not asked, rather than asked for something else."""


MAX_CHILD_AGE = 17
"""Travellers under 18 are given by their age (Duffel's rule; the others' age bands lie inside)."""
LAP_INFANT_AGE = 1
"""At this age or under, a child travels on an adult's lap (airlines' infants: under 2)."""
ADULT_FARE_AGE = 12
"""Airlines' adult fare starts at this age; their child fare covers the years between."""


def fare_bands(adults: int, ages: tuple[int, ...]) -> tuple[int, int, int]:
    """(adults, children, lap infants) as airlines' fares count a party: everyone from
    `ADULT_FARE_AGE` at the adult fare, lap infants up to `LAP_INFANT_AGE`, children between."""
    grown = sum(1 for age in ages if age >= ADULT_FARE_AGE)
    lap = sum(1 for age in ages if age <= LAP_INFANT_AGE)
    return adults + grown, len(ages) - grown - lap, lap


class Money(Record, frozen=True):
    amount: Decimal
    currency: str


MAX_AMOUNT = Decimal("1e12")
"""No real offer costs this much in any currency: a larger amount is a fault or a forgery."""


def plausible(money: Money) -> bool:
    """Whether `money` can be shown: finite, from 0 to under `MAX_AMOUNT`, in an ISO 4217 code
    (a provider's or a cache's text is never a currency until the standard lists it)."""
    amount = money.amount
    return amount.is_finite() and 0 <= amount < MAX_AMOUNT and is_currency(money.currency)


class GeoPoint(Record, frozen=True):
    latitude: float
    longitude: float


class Location(Record, frozen=True):
    """A place a traveller picks in a search box: an airport, or a city with several airports."""

    code: str
    name: str
    kind: LocationKind
    country_code: str
    location: GeoPoint
    city_code: str
    """The code to search hotels in: the metropolitan area's for its airports, else its own."""
    city_name: str | None = None
    airports: tuple[str, ...] = ()
    """A city's airports, main one first; empty for an airport."""


class FlightQuery(Record, frozen=True):
    origin: str
    destination: str
    departure_date: date
    return_date: date | None = None
    adults: int = 1
    """Travellers of 18 or more."""
    children: int = 0
    """Deprecated count of travellers aged 2 to 11, for providers that take counts only."""
    infants: int = 0
    """Deprecated count of lap infants, likewise."""
    cabin: CabinClass = CabinClass.ECONOMY
    non_stop: bool = False
    currency: str | None = None
    max_price: Decimal | None = None
    children_ages: tuple[int, ...] = ()
    """Each traveller under 18, by age (0–17) on the date of the last flight (Duffel's rule);
    `LAP_INFANT_AGE` and under on a lap. Sorted once checked, so one party is one search."""

    @property
    def lap_infants(self) -> int:
        return self.infants + sum(1 for age in self.children_ages if age <= LAP_INFANT_AGE)

    @property
    def seated(self) -> int:
        """Travellers with a seat of their own."""
        minors = sum(1 for age in self.children_ages if age > LAP_INFANT_AGE)
        return self.adults + self.children + minors

    @property
    def counted_only(self) -> bool:
        """Whether some travellers are given only by the deprecated counts (no ages)."""
        return bool(self.children or self.infants)


class FlightFilter(Record, frozen=True):
    """What the gateway keeps of a flight search's merged offers (`gateway.search.filters`).

    Apart from `FlightQuery`, which is what providers are asked: a filter is applied to their
    answers, so every filter of one search is served from the same provider answers.
    """

    included_checked_bags: int | None = None
    """Fares with at least this many checked bags per traveller; None: any."""
    refundable_only: bool = False
    """Fares stated refundable only (unknown is not refundable)."""
    max_stops: int | None = None
    """Offers whose every itinerary has at most this many stops; None: any."""
    included_carriers: tuple[str, ...] = ()
    """Offers whose every segment is marketed by one of these; empty: any."""
    excluded_carriers: tuple[str, ...] = ()
    """Offers with no segment marketed by one of these."""

    @property
    def on_fares(self) -> bool:
        """Whether it narrows each offer's fares (not only whole offers)."""
        return bool(self.included_checked_bags) or self.refundable_only


class RoomParty(Record, frozen=True):
    """Who sleeps in one room."""

    adults: int
    children_ages: tuple[int, ...] = ()

    @property
    def guests(self) -> int:
        return self.adults + len(self.children_ages)


class HotelQuery(Record, frozen=True):
    city_code: str
    check_in: date
    check_out: date
    adults: int = 1
    rooms: int = 1
    currency: str | None = None
    centre: GeoPoint | None = None
    """The city's centre, from reference data: providers that search by coordinates use it."""
    children_ages: tuple[int, ...] = ()
    """Each guest under 18, by age (0–17) at check-in; sorted once checked."""

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    def parties(self) -> tuple[RoomParty, ...]:
        """The guests spread over the rooms, as every provider is asked: adults as evenly as
        can be, larger shares first (5 in 2 rooms: 3 + 2); then each child, oldest first, into
        the room with the fewest guests (the first of those)."""
        rooms = max(self.rooms, 1)
        share, extra = divmod(self.adults, rooms)
        adults = [share + (1 if index < extra else 0) for index in range(rooms)]
        children: list[list[int]] = [[] for _ in range(rooms)]
        for age in sorted(self.children_ages, reverse=True):
            room = min(range(rooms), key=lambda i: (adults[i] + len(children[i]), i))
            children[room].append(age)
        return tuple(RoomParty(adults[i], tuple(sorted(children[i]))) for i in range(rooms))


class Carrier(Record, frozen=True):
    code: str
    name: str | None = None


class FlightPoint(Record, frozen=True):
    airport: str
    at: datetime
    """Local time at the airport, without offset, as carriers publish it."""
    terminal: str | None = None


class Segment(Record, frozen=True):
    carrier: Carrier
    flight_number: str
    departure: FlightPoint
    arrival: FlightPoint
    duration_minutes: int
    operating_carrier: Carrier | None = None
    aircraft: str | None = None
    cabin: CabinClass | None = None


class Itinerary(Record, frozen=True):
    duration_minutes: int
    segments: tuple[Segment, ...]

    @property
    def stops(self) -> int:
        return len(self.segments) - 1


class OfferSource(Record, frozen=True):
    provider: str
    offer_id: str
    price: Money
    """What the traveller pays."""
    net_price: Money | None = None
    """What the seller pays the provider, where the provider states it (hotels)."""


class BagAllowance(Record, frozen=True):
    """Bags included in a fare, per traveller: a number of pieces, or a total weight."""

    quantity: int | None = None
    weight: int | None = None
    weight_unit: str | None = None
    """KG or LB, as the provider writes it."""


class FareCondition(Record, frozen=True):
    """Whether a ticket may be refunded (or changed) before departure, and at what penalty."""

    allowed: bool | None = None
    """None: the provider does not say."""
    penalty: Money | None = None
    """In the provider's currency; None when not allowed or not stated."""


class FareSegment(Record, frozen=True):
    """How one segment of the offer's itineraries is sold in a fare (the same order)."""

    cabin: CabinClass | None = None
    booking_class: str | None = None
    fare_basis: str | None = None


class TravellerPrice(Record, frozen=True):
    """What each traveller of one type pays within a provider's total."""

    traveller_type: TravellerType
    count: int
    price: Money
    """Per person, in the provider's currency."""


class FareSource(Record, frozen=True):
    """One provider's offer of a fare, in the provider's own currency."""

    provider: str
    offer_id: str
    price: Money
    """The total for every traveller."""
    base: Money | None = None
    taxes: Money | None = None
    """Taxes, fees and charges: what the total holds beyond the base fare."""
    per_traveller: tuple[TravellerPrice, ...] = ()
    """Empty when the provider prices the offer as a whole only."""
    expires_at: datetime | None = None
    """UTC, aware: when the provider stops honouring the offer."""
    last_ticketing_date: date | None = None
    quote: bytes | None = None
    """What the provider needs to re-price this offer beyond its id (Amadeus: the offer's JSON
    exactly as its search returned it); never shown to clients. None when not needed or not
    kept (`gateway.search.repricing` bounds the bytes kept per result set)."""


class Fare(Record, frozen=True):
    """One choice a traveller makes for an itinerary: a brand of fare with what it includes.

    The same fare sold by several providers is one `Fare` with several sources (the rule is in
    `gateway.search.merge`); each provider offer maps to exactly one fare with one source.
    """

    id: str
    """The gateway's id, a digest of the values (`gateway.search.identity`); empty until a page
    is served."""
    price: Money
    """The cheapest source's total, in the display currency once merged."""
    sources: tuple[FareSource, ...]
    """Cheapest first."""
    brand_name: str | None = None
    """None: an unbranded fare, or the provider does not say."""
    segments: tuple[FareSegment, ...] = ()
    included_checked_bags: BagAllowance | None = None
    included_cabin_bags: BagAllowance | None = None
    refund: FareCondition = FareCondition()
    change: FareCondition = FareCondition()
    co2_kg: Decimal | None = None
    """Emissions for every traveller, in kilograms, where the provider states them."""


class FlightOffer(Record, frozen=True):
    id: str
    price: Money
    itineraries: tuple[Itinerary, ...]
    sources: tuple[OfferSource, ...]
    fares: tuple[Fare, ...] = ()
    """Cheapest first; `price` is the first's."""
    validating_carrier: Carrier | None = None
    seats_available: int | None = None
    last_ticketing_date: date | None = None

    @property
    def total_duration_minutes(self) -> int:
        return sum(itinerary.duration_minutes for itinerary in self.itineraries)

    @property
    def departure_at(self) -> datetime:
        return self.itineraries[0].segments[0].departure.at


class Address(Record, frozen=True):
    """A hotel's postal address, each part as the provider gives it (bounded), or None."""

    line: str | None = None
    postal_code: str | None = None
    city_name: str | None = None
    country_code: str | None = None


class ReviewScore(Record, frozen=True):
    """Guests' aggregated review score on the provider's scale (`score` of `scale`)."""

    score: float
    scale: float
    count: int | None = None
    """Reviews it is aggregated from, when the provider says."""


class Hotel(Record, frozen=True):
    id: str
    name: str
    chain_code: str | None = None
    city_code: str | None = None
    location: GeoPoint | None = None
    rating: int | None = None
    """Star rating, 1 to 5."""
    distance_km: float | None = None
    address: Address | None = None
    review_score: ReviewScore | None = None
    amenities: tuple[str, ...] | None = None
    """`Amenity` values (names, not members: a tuple of enum members is tracked by the cycle
    collector, which these records avoid), each once, in the enum's order. None when the
    provider does not say; empty when it says there are none."""


class RoomOffer(Record, frozen=True):
    id: str
    """The gateway's id, a digest of the values (`gateway.search.identity`); empty until a page
    is served."""
    offer_id: str
    """The provider's own id of this rate, for booking."""
    provider: str
    price: Money
    check_in: date
    check_out: date
    description: str | None = None
    board_type: BoardType | None = None
    refundable: bool | None = None
    free_cancellation_until: datetime | None = None
    """Cancelling before this moment (UTC, aware) costs nothing; None when there is no such
    moment (non-refundable) or the provider does not say."""
    cancellation_penalty: Money | None = None
    """What cancelling costs after `free_cancellation_until` (at any time, when there is none)."""
    included_taxes: Money | None = None
    """Taxes and fees inside `price`, when the provider says."""
    due_at_hotel: Money | None = None
    """Taxes and fees not in `price`, paid at the hotel; zero when the provider says none."""
    net_price: Money | None = None
    """What the seller pays the provider, where the provider states it; never in `price`'s
    place (`price` is what the traveller pays: what is shown, sorted, filtered)."""
    markup_applies: bool = False
    """`price` is the provider's net or minimum selling price until the gateway's markup is
    applied (`gateway.search.selling`): the provider sets no selling price of its own."""
    rate_check_required: bool = False
    """The provider requires the rate to be checked again before booking (Hotelbeds'
    `RECHECK`): its price may change."""

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    @property
    def price_per_night(self) -> Money:
        """`price` over the nights, rounded to the currency's minor unit. Derived, not stored:
        it can never disagree with the total, and ids cover it through the price and dates."""
        per_night = self.price.amount / max(self.nights, 1)
        return Money(round_to_minor_units(per_night, self.price.currency), self.price.currency)


class HotelOffer(Record, frozen=True):
    id: str
    hotel: Hotel
    price: Money
    rooms: tuple[RoomOffer, ...]
    sources: tuple[OfferSource, ...]


class ProviderOutcome(Record, frozen=True):
    provider: str
    status: ProviderStatus
    latency_ms: int
    offer_count: int = 0
    message: str | None = None
    cached: bool = False
    """Served from the gateway's search cache, without calling the provider."""


class RepricingStatus(enum.Enum):
    UNCHANGED = "UNCHANGED"
    CHANGED = "CHANGED"
    GONE = "GONE"
    """The provider no longer sells the offer (sold out, expired)."""
    FAILED = "FAILED"
    """The provider could not be asked or did not answer: its outcome says why."""
    SKIPPED = "SKIPPED"
    """Not asked: over the per-offer limit, or the provider cannot re-price it."""


class RepricedSource(Record, frozen=True):
    """One provider offer of a fare, priced again."""

    fare_id: str
    provider: str
    offer_id: str
    status: RepricingStatus
    previous_price: Money
    """As the search found it, in the provider's currency."""
    current_price: Money | None = None
    """The provider's price now; None unless UNCHANGED or CHANGED."""


class CheckedRate(Record, frozen=True):
    """A hotel rate as its provider sells it now (`HotelRateChecker.current_rate`)."""

    price: Money
    """What the traveller pays; before the gateway's markup when `markup_applies`."""
    net_price: Money | None = None
    markup_applies: bool = False


class RecheckedRoom(Record, frozen=True):
    """One room rate of a hotel offer, checked again with its provider."""

    room_id: str
    provider: str
    offer_id: str
    status: RepricingStatus
    previous_price: Money
    """As the search found it, in the provider's currency."""
    current_price: Money | None = None
    """What the traveller pays now; None unless UNCHANGED or CHANGED."""


class FlightOfferCheck(Record, frozen=True):
    """A stored offer looked up by its id, with its sources priced again when asked."""

    offer: FlightOffer
    refreshed: bool = False
    sources: tuple[RepricedSource, ...] = ()
    """Every source of every fare, in fare order, when refreshed; empty otherwise."""
    outcomes: tuple[ProviderOutcome, ...] = ()
    """One per provider asked, as a search reports them."""


class HotelOfferCheck(Record, frozen=True):
    """A stored hotel offer looked up by its id, with its rates checked again when asked."""

    offer: HotelOffer
    refreshed: bool = False
    sources: tuple[RecheckedRoom, ...] = ()
    """Every room rate, in the offer's order, when refreshed; empty otherwise."""
    outcomes: tuple[ProviderOutcome, ...] = ()


class ProviderInfo(Record, frozen=True):
    name: str
    serves: tuple[str, ...]
    mode: str
    """live | test | simulated"""
