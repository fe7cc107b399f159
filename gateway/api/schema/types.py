"""GraphQL output types of the public contract.

Leaf fields are plain attributes (no resolvers), so the executor never awaits per field. The
offer types (`FlightOffer`, `HotelOffer` and everything inside them) declare the schema only: at
run time their values are the domain records themselves (`gateway.domain`), whose attribute
names are the fields' Python names, so a page is returned without copying an offer into a
second set of objects (tests/test_schema_and_cli.py checks that every field has its attribute).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any, Generic, Self, TypeVar

import strawberry

from gateway import domain
from gateway.api.schema import enums  # noqa: F401  (registers the enums first)
from gateway.api.schema.scalars import LocalDateTime
from gateway.search.paging import SearchPage

_ID = (
    "Gateway id: a digest of every value of this object, so equal ids mean equal values. The "
    "same search repeated gives the same ids; a change in anything shown (travellers, "
    "currency, dates, a price) gives new ones. Safe as a normalised cache key."
)


@strawberry.type(description="An amount of money in one currency.")
class Money:
    amount: decimal.Decimal = strawberry.field(description="Exact amount, as a string.")
    currency: str = strawberry.field(description="ISO 4217 currency code, such as EUR.")


@strawberry.type(description="An airline.")
class Carrier:
    code: str = strawberry.field(description="IATA airline designator, such as AF.")
    name: str | None = strawberry.field(description="Airline name, when the provider gives it.")


@strawberry.type(description="Where and when a flight departs or arrives.")
class FlightPoint:
    airport: str = strawberry.field(description="IATA airport code.")
    terminal: str | None = strawberry.field(description="Terminal, when published.")
    at: LocalDateTime = strawberry.field(description="Local time at the airport, no offset.")


@strawberry.type(description="One flight of an itinerary.")
class Segment:
    carrier: Carrier = strawberry.field(description="Marketing carrier (who sells the flight).")
    flight_number: str = strawberry.field(description="Flight number, without carrier code.")
    operating_carrier: Carrier | None = strawberry.field(
        description="Operating carrier, when different or known."
    )
    departure: FlightPoint = strawberry.field(description="Departure airport and local time.")
    arrival: FlightPoint = strawberry.field(description="Arrival airport and local time.")
    duration_minutes: int = strawberry.field(description="Flight time in minutes.")
    aircraft: str | None = strawberry.field(description="Aircraft type, when published.")
    cabin: domain.CabinClass | None = strawberry.field(description="Cabin booked on this flight.")


@strawberry.type(description="One way of a trip: the outbound or the return.")
class Itinerary:
    duration_minutes: int = strawberry.field(
        description="Door-to-door time from first departure to last arrival, in minutes."
    )
    stops: int = strawberry.field(description="Connections: number of segments minus one.")
    segments: list[Segment] = strawberry.field(description="Flights in order.")


@strawberry.type(description="One provider's offer behind a merged offer, at its own price.")
class OfferSource:
    provider: str = strawberry.field(description="Provider name, such as amadeus.")
    offer_id: str = strawberry.field(description="The provider's own offer id, for booking.")
    price: Money = strawberry.field(
        description="What the traveller pays this provider's offer, in the provider's currency."
    )
    net_price: Money | None = strawberry.field(
        description=(
            "What the seller pays the provider for it, where the provider states it (hotel "
            "rates) and this client may see it (a supplier's net rate is confidential: "
            "docs/pricing.md); null otherwise. Never shown in `price`'s place."
        )
    )


@strawberry.type(description="Bags included in a fare, per traveller: pieces, or a weight.")
class BagAllowance:
    quantity: int | None = strawberry.field(
        description="Pieces included (0: none); null when the allowance is a weight."
    )
    weight: int | None = strawberry.field(
        description="Total weight included, in `weightUnit`; null when counted in pieces."
    )
    weight_unit: str | None = strawberry.field(
        description="KG or LB, with `weight`; null otherwise."
    )


@strawberry.type(description="Whether a ticket may be refunded, or changed, before departure.")
class FareCondition:
    allowed: bool | None = strawberry.field(
        description="Whether it is allowed; null when the provider does not say (unknown)."
    )
    penalty: Money | None = strawberry.field(
        description=(
            "The charge for doing it, in the provider's currency; null when not allowed or "
            "not stated."
        )
    )


@strawberry.type(description="How one flight of the offer is sold in a fare.")
class FareSegment:
    cabin: domain.CabinClass | None = strawberry.field(
        description="Cabin on this flight; null when the provider does not say."
    )
    booking_class: str | None = strawberry.field(
        description="Booking class (RBD), such as Y; null when the provider does not say."
    )
    fare_basis: str | None = strawberry.field(
        description="Fare basis code; null when the provider does not say."
    )


@strawberry.type(description="What each traveller of one kind pays within a provider's total.")
class TravellerPrice:
    traveller_type: domain.TravellerType = strawberry.field(description="Kind of traveller.")
    count: int = strawberry.field(description="Travellers of this kind at this price.")
    price: Money = strawberry.field(
        description="Per person, in the provider's currency, taxes included."
    )


@strawberry.type(description="One provider's offer of a fare, in the provider's own currency.")
class FareSource:
    provider: str = strawberry.field(description="Provider name, such as duffel.")
    offer_id: str = strawberry.field(description="The provider's own offer id, for booking.")
    price: Money = strawberry.field(description="Total for every traveller.")
    base: Money | None = strawberry.field(
        description="The fare before taxes; null when the provider does not say."
    )
    taxes: Money | None = strawberry.field(
        description=(
            "Taxes, fees and charges (what the total holds beyond the base); null when the "
            "provider does not say."
        )
    )
    per_traveller: list[TravellerPrice] = strawberry.field(
        description=(
            "The total split by kind of traveller; empty when the provider prices the offer "
            "as a whole only (Duffel)."
        )
    )
    expires_at: dt.datetime | None = strawberry.field(
        description="When the provider stops honouring this price; null when it does not say."
    )
    last_ticketing_date: dt.date | None = strawberry.field(
        description="Last day to issue the ticket at this price; null when it does not say."
    )


@strawberry.type(
    description=(
        "One fare of an itinerary, as a traveller chooses it: a brand with its bags and "
        "conditions. The same fare sold by several providers is one fare with several sources."
    )
)
class Fare:
    id: strawberry.ID = strawberry.field(description=_ID)
    brand_name: str | None = strawberry.field(
        description="Fare brand, such as Basic or Flex; null for an unbranded fare."
    )
    price: Money = strawberry.field(
        description="Total for all passengers in the requested currency: the cheapest source's."
    )
    sources: list[FareSource] = strawberry.field(
        description="Each provider selling this fare, cheapest first."
    )
    segments: list[FareSegment] = strawberry.field(
        description="One per flight of the offer's itineraries, in the same order."
    )
    included_checked_bags: BagAllowance | None = strawberry.field(
        description=(
            "Checked bags included per traveller on every flight; null when the provider "
            "does not say, or the flights differ."
        )
    )
    included_cabin_bags: BagAllowance | None = strawberry.field(
        description=(
            "Cabin bags included per traveller on every flight; null when the provider "
            "does not say, or the flights differ."
        )
    )
    refund: FareCondition = strawberry.field(description="Refund before departure.")
    change: FareCondition = strawberry.field(description="Change before departure.")
    co2_kg: decimal.Decimal | None = strawberry.field(
        description=(
            "CO2 emitted for all travellers, in kilograms, as the provider estimates it; "
            "null when it does not say."
        )
    )


@strawberry.type(
    description=(
        "A bookable itinerary for all requested passengers: the same flights in the same "
        "cabin, whoever sells them, with the fares they are sold in."
    )
)
class FlightOffer:
    id: strawberry.ID = strawberry.field(description=_ID)
    price: Money = strawberry.field(
        description=(
            "Total price for all passengers from: the cheapest fare's, in the requested currency."
        )
    )
    fares: list[Fare] = strawberry.field(
        description="The fares this itinerary is sold in, cheapest first; never empty."
    )
    itineraries: list[Itinerary] = strawberry.field(
        description="Outbound, then return for a round trip."
    )
    validating_carrier: Carrier | None = strawberry.field(
        description="Airline that issues the ticket."
    )
    seats_available: int | None = strawberry.field(
        description="Seats left at this price, when the provider says."
    )
    last_ticketing_date: dt.date | None = strawberry.field(
        description="Last day to issue the ticket at this price, when the provider says."
    )
    sources: list[OfferSource] = strawberry.field(
        description=(
            "Each provider offer behind this itinerary, every fare's, cheapest first (the "
            "same as `fares { sources }`, flattened)."
        )
    )


@strawberry.type(description="A point on the globe (WGS 84).")
class GeoPoint:
    latitude: float = strawberry.field(description="Degrees north.")
    longitude: float = strawberry.field(description="Degrees east.")


@strawberry.type(
    description=(
        "A place to search from or to, as a search box offers it: an airport, or a city with "
        "several airports (a metropolitan area such as LON, NYC, PAR)."
    )
)
class Location:
    code: str = strawberry.field(
        description=(
            "IATA code: the airport's (LHR) or the city's (LON). Either is a flight search's "
            "origin or destination."
        )
    )
    name: str = strawberry.field(
        description="The airport's name (London Heathrow Airport), or the city's (London)."
    )
    kind: domain.LocationKind = strawberry.field(description="An airport, or a city.")
    city_code: str = strawberry.field(
        description=(
            "The code to search hotels with (`HotelSearchInput.cityCode`): for an airport of a "
            "metropolitan area, the area's (LHR: LON); otherwise the location's own code."
        )
    )
    city_name: str | None = strawberry.field(
        description="The city an airport serves, when the data names one; a city's own name."
    )
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2 country code, e.g. GB.")
    location: GeoPoint = strawberry.field(
        description="Coordinates: the airport's, or the centre of a city's airports."
    )
    airports: list[str] = strawberry.field(
        description="A city's airport codes, main airport first; empty for an airport."
    )


@strawberry.type(description="A hotel's postal address, each part as the provider gives it.")
class Address:
    line: str | None = strawberry.field(
        description="Street and number (first line); null when the provider does not give it."
    )
    postal_code: str | None = strawberry.field(
        description="Postal or ZIP code; null when not given."
    )
    city_name: str | None = strawberry.field(description="City; null when not given.")
    country_code: str | None = strawberry.field(
        description="ISO 3166-1 alpha-2 country code; null when not given or not a valid code."
    )


@strawberry.type(description="Guests' aggregated review score, on the provider's own scale.")
class ReviewScore:
    score: float = strawberry.field(description="The score, such as 8.4.")
    scale: float = strawberry.field(description="The best possible score, such as 10.")
    count: int | None = strawberry.field(
        description="Reviews the score is aggregated from; null when the provider does not say."
    )


@strawberry.type(description="A hotel property.")
class Hotel:
    id: strawberry.ID = strawberry.field(description=_ID)
    name: str = strawberry.field(description="Hotel name.")
    chain_code: str | None = strawberry.field(description="Two-letter chain code, if any.")
    city_code: str | None = strawberry.field(description="IATA city code.")
    location: GeoPoint | None = strawberry.field(description="Coordinates, when known.")
    rating: int | None = strawberry.field(
        description="Star rating, 1 to 5; null when no provider gives one (or an unrated hotel)."
    )
    distance_km: float | None = strawberry.field(
        description="Distance from the city centre in kilometres, when known."
    )
    address: Address | None = strawberry.field(
        description="Postal address; null when no provider selling the hotel gives one."
    )
    review_score: ReviewScore | None = strawberry.field(
        description="Guests' review score; null when no provider selling the hotel gives one."
    )
    amenities: list[domain.Amenity] | None = strawberry.field(
        description=(
            "Amenities, each once; null when no provider selling the hotel lists them (so "
            "unknown, not none), empty when one says there are none."
        )
    )


@strawberry.type(description="One room rate for the whole stay.")
class RoomOffer:
    id: strawberry.ID = strawberry.field(description=_ID)
    offer_id: str = strawberry.field(description="The provider's own id of this rate, for booking.")
    provider: str = strawberry.field(description="Provider selling this rate.")
    description: str | None = strawberry.field(description="Room description.")
    board_type: domain.BoardType | None = strawberry.field(
        description="Meals included; null when the provider does not say."
    )
    price: Money = strawberry.field(
        description=(
            "What the traveller pays for the stay and all rooms, in the provider's currency: "
            "the provider's selling price (never below a minimum it sets), or its net price "
            "plus the gateway's markup where it sets none (docs/pricing.md)."
        )
    )
    net_price: Money | None = strawberry.field(
        description=(
            "What the seller pays the provider for this rate, where the provider states it "
            "and this client may see it (docs/pricing.md); null otherwise."
        )
    )
    rate_check_required: bool = strawberry.field(
        description=(
            "The provider requires this rate to be checked again before booking "
            "(`hotelOffer(id, refresh: true)`): its price may change."
        ),
    )
    price_per_night: Money = strawberry.field(
        description="`price` divided by the nights, rounded to the currency's minor unit."
    )
    included_taxes: Money | None = strawberry.field(
        description=("Taxes and fees already inside `price`; null when the provider does not say.")
    )
    due_at_hotel: Money | None = strawberry.field(
        description=(
            "Taxes and fees not in `price`, paid at the hotel; zero when the provider says there "
            "are none, null when it does not say."
        )
    )
    check_in: dt.date = strawberry.field(description="Check-in date.")
    check_out: dt.date = strawberry.field(description="Check-out date.")
    refundable: bool | None = strawberry.field(
        description=(
            "Whether it can be cancelled for a refund (of some of it, at least, at some point); "
            "null when the provider does not say."
        )
    )
    free_cancellation_until: dt.datetime | None = strawberry.field(
        description=(
            "Cancelling before this instant costs nothing. Null when there is no free "
            "cancellation (`refundable` false, or a charge from booking on) or when the "
            "provider does not say when it ends."
        )
    )
    cancellation_penalty: Money | None = strawberry.field(
        description=(
            "What cancelling costs after `freeCancellationUntil` (or at any time, when that is "
            "null); null when the provider does not say."
        )
    )


@strawberry.type(description="A hotel with its rooms on sale for the requested stay.")
class HotelOffer:
    id: strawberry.ID = strawberry.field(description=_ID)
    hotel: Hotel = strawberry.field(description="The property.")
    price: Money = strawberry.field(description="Cheapest total for the stay.")
    rooms: list[RoomOffer] = strawberry.field(description="Room rates on sale.")
    sources: list[OfferSource] = strawberry.field(description="Each provider selling this hotel.")


@strawberry.type(description="How one provider's part of a search went.")
class ProviderOutcome:
    provider: str = strawberry.field(description="Provider name.")
    status: domain.ProviderStatus = strawberry.field(description="How the call ended.")
    latency_ms: int = strawberry.field(description="Time the call took, in milliseconds.")
    offer_count: int = strawberry.field(description="Offers the provider returned.")
    message: str | None = strawberry.field(description="Why it failed, when it did.")
    cached: bool = strawberry.field(
        description="Served from the gateway's search cache, without calling the provider."
    )

    @classmethod
    def of(cls, outcome: domain.ProviderOutcome) -> ProviderOutcome:
        return cls(
            provider=outcome.provider,
            status=outcome.status,
            latency_ms=outcome.latency_ms,
            offer_count=outcome.offer_count,
            message=outcome.message,
            cached=outcome.cached,
        )


@strawberry.type(description="A provider this gateway searches.")
class ProviderInfo:
    name: str = strawberry.field(description="Provider name, as in outcomes and sources.")
    serves: list[str] = strawberry.field(description="Root fields it serves: flights, hotels.")
    mode: str = strawberry.field(
        description="live (production), test (the provider's sandbox) or simulated (built-in)."
    )

    @classmethod
    def of(cls, info: domain.ProviderInfo) -> ProviderInfo:
        return cls(name=info.name, serves=list(info.serves), mode=info.mode)


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more offers follow this page.")
    has_previous_page: bool = strawberry.field(description="Whether offers precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge; pass it as `after` for the next page."
    )

    @classmethod
    def of(cls, page: SearchPage[Any]) -> PageInfo:
        return cls(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.edges[0].cursor if page.edges else None,
            end_cursor=page.edges[-1].cursor if page.edges else None,
        )


NodeT = TypeVar("NodeT")
EdgeT = TypeVar("EdgeT")
ConnectionT = TypeVar("ConnectionT")


@strawberry.type
class OfferEdge(Generic[NodeT]):
    """An offer with its cursor; declares the schema only: at run time its values are the
    page's own `search.paging.Edge` records."""

    cursor: str = strawberry.field(description="Opaque position of this offer.")
    node: NodeT = strawberry.field(description="The offer.")


@strawberry.type
class OfferConnection(Generic[EdgeT, NodeT]):
    """A page of offers (a Relay connection), the same for every kind of offer."""

    edges: list[EdgeT] = strawberry.field(description="Offers with cursors.")
    nodes: list[NodeT] = strawberry.field(description="Offers of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="Offers in the whole result set.")

    @classmethod
    def of(cls, page: SearchPage[Any]) -> Self:
        edges: Any = list(page.edges)  # the paging records themselves (`OfferEdge`)
        return cls(
            edges=edges,
            nodes=[edge.node for edge in page.edges],
            page_info=PageInfo.of(page),
            total_count=page.total_count,
        )


@strawberry.type
class OfferSearch(Generic[ConnectionT]):
    """A search's page of offers and each provider's outcome, the same for every kind."""

    offers: ConnectionT = strawberry.field(description="Merged, sorted offers.")
    providers: list[ProviderOutcome] = strawberry.field(description="One outcome per provider.")


# Each kind of offer names its types and says what they hold; the fields are the generics'.


@strawberry.type(name="FlightOfferEdge", description="A flight offer with its cursor.")
class FlightOfferEdge(OfferEdge[FlightOffer]):
    pass


@strawberry.type(
    name="FlightOfferConnection", description="A page of flight offers (Relay connection)."
)
class FlightOfferConnection(OfferConnection[FlightOfferEdge, FlightOffer]):
    pass


@strawberry.type(
    name="FlightSearch", description="Flight search results with each provider's outcome."
)
class FlightSearch(OfferSearch[FlightOfferConnection]):
    @classmethod
    def of(cls, page: SearchPage[domain.FlightOffer]) -> FlightSearch:
        outcomes = [ProviderOutcome.of(outcome) for outcome in page.outcomes]
        return cls(offers=FlightOfferConnection.of(page), providers=outcomes)


@strawberry.type(name="HotelOfferEdge", description="A page of hotel offers with its cursor.")
class HotelOfferEdge(OfferEdge[HotelOffer]):
    pass


@strawberry.type(
    name="HotelOfferConnection", description="A page of hotel offers (Relay connection)."
)
class HotelOfferConnection(OfferConnection[HotelOfferEdge, HotelOffer]):
    pass


@strawberry.type(
    name="HotelSearch", description="Hotel search results with each provider's outcome."
)
class HotelSearch(OfferSearch[HotelOfferConnection]):
    @classmethod
    def of(cls, page: SearchPage[domain.HotelOffer]) -> HotelSearch:
        outcomes = [ProviderOutcome.of(outcome) for outcome in page.outcomes]
        return cls(offers=HotelOfferConnection.of(page), providers=outcomes)


@strawberry.type(description="One provider offer of a fare, priced again by its provider.")
class RepricedSource:
    fare_id: strawberry.ID = strawberry.field(description="The fare's id, in `fares`.")
    provider: str = strawberry.field(description="Provider name.")
    offer_id: str = strawberry.field(description="The provider's own offer id.")
    status: domain.RepricingStatus = strawberry.field(description="What the provider said.")
    previous_price: Money = strawberry.field(
        description="The total the search found, in the provider's currency."
    )
    current_price: Money | None = strawberry.field(
        description="The provider's total now; null unless UNCHANGED or CHANGED."
    )


@strawberry.type(description="One room rate of a hotel offer, checked again with its provider.")
class RecheckedRate:
    room_id: strawberry.ID = strawberry.field(description="The rate's id, in `rooms`.")
    provider: str = strawberry.field(description="Provider name.")
    offer_id: str = strawberry.field(description="The provider's own id of the rate.")
    status: domain.RepricingStatus = strawberry.field(description="What the provider said.")
    previous_price: Money = strawberry.field(
        description="What the traveller paid when the search found it, in the provider's currency."
    )
    current_price: Money | None = strawberry.field(
        description="What the traveller pays now; null unless UNCHANGED or CHANGED."
    )


@strawberry.type(
    description=(
        "A stored hotel offer looked up by its id; with `refresh`, each of its room rates "
        "checked again with its provider, as booking requires for some (`rateCheckRequired`)."
    )
)
class HotelOfferCheck:
    offer: domain.HotelOffer = strawberry.field(
        graphql_type=HotelOffer, description="The offer, as the search served it."
    )
    refreshed: bool = strawberry.field(description="Whether the providers were asked again.")
    sources: list[RecheckedRate] = strawberry.field(
        description=(
            "Every room rate, in the order of `offer.rooms`, when refreshed; else empty. Rates "
            "the provider requires checked are asked first."
        )
    )
    providers: list[ProviderOutcome] = strawberry.field(
        description="One outcome per provider asked, as a search reports them."
    )

    @classmethod
    def of(cls, check: domain.HotelOfferCheck) -> HotelOfferCheck:
        return cls(
            offer=check.offer,
            refreshed=check.refreshed,
            sources=list(check.sources),  # type: ignore[arg-type]
            providers=[ProviderOutcome.of(outcome) for outcome in check.outcomes],
        )


@strawberry.type(
    description=(
        "A stored flight offer looked up by its id; with `refresh`, each of its sources priced "
        "again by its provider."
    )
)
class FlightOfferCheck:
    offer: domain.FlightOffer = strawberry.field(
        graphql_type=FlightOffer, description="The offer, as the search served it."
    )
    refreshed: bool = strawberry.field(description="Whether the providers were asked again.")
    sources: list[RepricedSource] = strawberry.field(
        description="Every source of every fare, in fare order, when refreshed; else empty."
    )
    providers: list[ProviderOutcome] = strawberry.field(
        description="One outcome per provider asked, as a search reports them."
    )

    @classmethod
    def of(cls, check: domain.FlightOfferCheck) -> FlightOfferCheck:
        return cls(
            offer=check.offer,
            refreshed=check.refreshed,
            sources=list(check.sources),  # type: ignore[arg-type]
            providers=[ProviderOutcome.of(outcome) for outcome in check.outcomes],
        )
