"""Duffel wire structs to domain offers."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from decimal import Decimal

from gateway import domain
from gateway.providers import fare_parts, rates
from gateway.providers.duffel import wire
from gateway.providers.durations import parse_minutes
from gateway.providers.errors import MalformedResponse

PROVIDER = "duffel"

_CABINS = {cabin.value.lower(): cabin for cabin in domain.CabinClass}

BOARDS = {
    "room_only": domain.BoardType.ROOM_ONLY,
    "breakfast": domain.BoardType.BREAKFAST,
    "half_board": domain.BoardType.HALF_BOARD,
    "full_board": domain.BoardType.FULL_BOARD,
    "all_inclusive": domain.BoardType.ALL_INCLUSIVE,
}
"""Stays' `board_type` values, one for one; a value it adds later is OTHER."""
AMENITIES = {
    "wifi": domain.Amenity.WIFI,
    "parking": domain.Amenity.PARKING,
    "gym": domain.Amenity.GYM,
    "pool": domain.Amenity.POOL,
    "spa": domain.Amenity.SPA,
    "restaurant": domain.Amenity.RESTAURANT,
    "room_service": domain.Amenity.ROOM_SERVICE,
    "lounge": domain.Amenity.LOUNGE,
    "laundry": domain.Amenity.LAUNDRY,
    "concierge": domain.Amenity.CONCIERGE,
    "24_hour_front_desk": domain.Amenity.FRONT_DESK_24H,
    "business_centre": domain.Amenity.BUSINESS_CENTRE,
    "cash_machine": domain.Amenity.CASH_MACHINE,
    "childcare_service": domain.Amenity.CHILDCARE,
    "pets_allowed": domain.Amenity.PETS_ALLOWED,
    "adult_only": domain.Amenity.ADULTS_ONLY,
    "accessibility_mobility": domain.Amenity.ACCESSIBLE_MOBILITY,
    "accessibility_hearing": domain.Amenity.ACCESSIBLE_HEARING,
}
"""Stays' amenity `type`s (its SDK's `StaysAmenity`); others are left out."""
REVIEW_SCALE = 10.0


def flight_offers(answer: wire.OfferRequestResponse) -> list[domain.FlightOffer]:
    try:
        return [_flight_offer(offer) for offer in answer.data.offers]
    except ValueError as exc:
        raise MalformedResponse("duffel flight offer could not be read", detail=str(exc)) from exc


def _carrier(company: wire.Company | None) -> domain.Carrier | None:
    if company is None or not company.iata_code:
        return None
    return domain.Carrier(code=company.iata_code, name=company.name)


def _segment(seg: wire.Segment) -> domain.Segment:
    marketing = _carrier(seg.marketing_carrier)
    if marketing is None:
        raise ValueError("segment without marketing carrier code")
    cabin = seg.passengers[0].cabin_class if seg.passengers else None
    if seg.duration is not None:
        minutes = parse_minutes(seg.duration)
    else:
        raise ValueError("segment without duration")
    return domain.Segment(
        carrier=marketing,
        flight_number=seg.marketing_carrier_flight_number,
        departure=domain.FlightPoint(
            airport=seg.origin.iata_code, at=_local(seg.departing_at), terminal=seg.origin_terminal
        ),
        arrival=domain.FlightPoint(
            airport=seg.destination.iata_code,
            at=_local(seg.arriving_at),
            terminal=seg.destination_terminal,
        ),
        duration_minutes=minutes,
        operating_carrier=_carrier(seg.operating_carrier),
        aircraft=seg.aircraft.name if seg.aircraft else None,
        cabin=_CABINS.get(cabin) if cabin else None,
    )


def _local(moment: datetime) -> datetime:
    """Duffel sends local times without offset; drop one if a server adds it anyway."""
    return moment if moment.tzinfo is None else moment.replace(tzinfo=None)


def _slice(sl: wire.Slice) -> domain.Itinerary:
    if not sl.segments:
        raise ValueError("slice without segments")
    segments = tuple(_segment(seg) for seg in sl.segments)
    if sl.duration is not None:
        minutes = parse_minutes(sl.duration)
    else:
        minutes = sum(seg.duration_minutes for seg in segments)
    return domain.Itinerary(duration_minutes=minutes, segments=segments)


def _flight_offer(offer: wire.Offer) -> domain.FlightOffer:
    if not offer.slices:
        raise ValueError(f"offer {offer.id} has no slices")
    price = domain.Money(offer.total_amount, offer.total_currency)
    return domain.FlightOffer(
        id=f"{PROVIDER}:{offer.id}",
        price=price,
        itineraries=tuple(_slice(sl) for sl in offer.slices),
        sources=(domain.OfferSource(provider=PROVIDER, offer_id=offer.id, price=price),),
        fares=(_fare(offer, price),),
        validating_carrier=_carrier(offer.owner),
    )


def _fare(offer: wire.Offer, price: domain.Money) -> domain.Fare:
    """The offer as one fare. Bags and cabin are the first passenger's of each segment (Duffel
    lists them per passenger; adults come first)."""
    segments = [seg for sl in offer.slices for seg in sl.segments]
    passengers = [seg.passengers[0] if seg.passengers else None for seg in segments]
    conditions = offer.conditions or wire.Conditions()
    source = domain.FareSource(
        provider=PROVIDER,
        offer_id=offer.id,
        price=price,
        base=_money(offer.base_amount, offer.base_currency or offer.total_currency),
        taxes=_money(offer.tax_amount, offer.tax_currency or offer.total_currency),
        # Duffel prices the offer as a whole: what each traveller pays is not stated.
        per_traveller=(),
        expires_at=_utc(offer.expires_at),
    )
    return domain.Fare(
        id="",
        price=price,
        sources=(source,),
        brand_name=fare_parts.brand_name(sl.fare_brand_name for sl in offer.slices),
        segments=tuple(
            domain.FareSegment(
                cabin=_CABINS.get(p.cabin_class) if p and p.cabin_class else None,
                fare_basis=p.fare_basis_code if p else None,
            )
            for p in passengers
        ),
        included_checked_bags=fare_parts.common(_bags(p, "checked") for p in passengers),
        included_cabin_bags=fare_parts.common(_bags(p, "carry_on") for p in passengers),
        refund=_condition(conditions.refund_before_departure),
        change=_condition(conditions.change_before_departure),
        co2_kg=offer.total_emissions_kg,
    )


def _bags(passenger: wire.SegmentPassenger | None, kind: str) -> domain.BagAllowance | None:
    """Pieces of `kind` included; 0 when Duffel lists the bags and none is of that kind; None
    when it lists none at all."""
    if passenger is None or passenger.baggages is None:
        return None
    pieces = sum(bag.quantity for bag in passenger.baggages if bag.type == kind)
    return domain.BagAllowance(quantity=pieces)


def _condition(condition: wire.Condition | None) -> domain.FareCondition:
    """Duffel's null is "not known" (its docs: the airline did not say), not "not allowed"."""
    if condition is None:
        return domain.FareCondition()
    penalty = None
    if condition.penalty_amount is not None and condition.penalty_currency:
        penalty = domain.Money(condition.penalty_amount, condition.penalty_currency)
    return domain.FareCondition(allowed=condition.allowed, penalty=penalty)


def _money(amount: Decimal | None, currency: str) -> domain.Money | None:
    return domain.Money(amount, currency) if amount is not None else None


def _utc(moment: datetime | None) -> datetime | None:
    """`expires_at` is UTC (ISO 8601 with Z); a time without offset is read as UTC too."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def hotel_offers(
    results: list[wire.StaySearchResult], query: domain.HotelQuery
) -> list[domain.HotelOffer]:
    """One offer per result with rates; a rate whose total is not an amount (negative, not a
    number, no currency) cannot be sold, and is left out."""
    offers = []
    for result in results:
        rooms = tuple(
            _room(rate, price, room, result, query)
            for room in result.accommodation.rooms
            for rate in room.rates
            if (price := rates.money(rate.total_amount, rate.total_currency)) is not None
        )
        if not rooms:
            continue
        hotel = _accommodation(result.accommodation, query)
        offers.append(rates.hotel_offer(PROVIDER, result.id, hotel, rooms, result.id))
    return offers


def _accommodation(accommodation: wire.Accommodation, query: domain.HotelQuery) -> domain.Hotel:
    location = accommodation.location
    coordinates = location.geographic_coordinates if location else None
    postal = location.address if location else None
    rating = accommodation.rating
    return domain.Hotel(
        id=f"{PROVIDER}:{accommodation.id}",
        name=accommodation.name,
        # Stays names a chain (`{id, name}`) but gives no two-letter chain code.
        chain_code=None,
        city_code=query.city_code,
        location=domain.GeoPoint(coordinates.latitude, coordinates.longitude)
        if coordinates
        else None,
        rating=rating if rating is not None and 1 <= rating <= 5 else None,
        address=rates.address(
            postal.line_one, postal.postal_code, postal.city_name, postal.country_code
        )
        if postal
        else None,
        review_score=rates.review_score(
            accommodation.review_score, REVIEW_SCALE, accommodation.review_count
        ),
        amenities=amenities(accommodation.amenities),
    )


def amenities(listed: list[wire.Amenity] | None) -> tuple[str, ...] | None:
    """Known types, each once, in the enum's order (so equal sets give equal ids)."""
    if listed is None:
        return None
    return _known_amenities(tuple(item.type for item in listed))


@functools.lru_cache(maxsize=1024)
def _known_amenities(types: tuple[str | None, ...]) -> tuple[str, ...]:
    """Memoised: hotels repeat the same few lists, and walking the enum is slow."""
    found = {AMENITIES[kind].value for kind in types if kind in AMENITIES}
    return tuple(amenity.value for amenity in domain.Amenity if amenity.value in found)


def board_type(code: str | None) -> domain.BoardType | None:
    if not code or not code.strip():
        return None
    return BOARDS.get(code.strip().lower(), domain.BoardType.OTHER)


def _room(
    rate: wire.Rate,
    price: domain.Money,
    room: wire.StayRoom,
    result: wire.StaySearchResult,
    query: domain.HotelQuery,
) -> domain.RoomOffer:
    refundable, free_until, penalty = cancellation(rate.cancellation_timeline, price)
    return domain.RoomOffer(
        id="",
        offer_id=rate.id,
        provider=PROVIDER,
        price=price,
        net_price=net_price(price, rate),
        check_in=result.check_in_date or query.check_in,
        check_out=result.check_out_date or query.check_out,
        description=rates.text(room.name, rates.MAX_DESCRIPTION_CHARS),
        board_type=board_type(rate.board_type),
        refundable=refundable,
        free_cancellation_until=free_until,
        cancellation_penalty=penalty,
        included_taxes=included_taxes(rate),
        due_at_hotel=rates.money(
            rate.due_at_accommodation_amount,
            rate.due_at_accommodation_currency or rate.total_currency,
        ),
    )


def net_price(price: domain.Money, rate: wire.Rate) -> domain.Money | None:
    """What the seller pays Duffel: the total less Duffel's estimated commission, when it is
    stated in the total's currency and lies between nothing and the whole total; else None."""
    commission = rate.estimated_commission_amount
    if commission is None or rate.estimated_commission_currency != price.currency:
        return None
    if not commission.is_finite() or not 0 <= commission <= price.amount:
        return None
    return domain.Money(price.amount - commission, price.currency)


def checked_rate(quote: wire.Quote, rate_id: str) -> domain.CheckedRate:
    """A quote as the rate sold now: Duffel's total, which the traveller pays (`markup_applies`
    stays False: Duffel sets the selling price), and the net price from the quoted rate's
    commission (the quote's accommodation holds it: the rate of that id, or its only rate)."""
    price = rates.money(quote.total_amount, quote.total_currency)
    if price is None:
        raise MalformedResponse("duffel quote could not be read", detail="total is not an amount")
    quoted = _quoted_rate(quote, rate_id)
    return domain.CheckedRate(
        price=price, net_price=net_price(price, quoted) if quoted is not None else None
    )


def _quoted_rate(quote: wire.Quote, rate_id: str) -> wire.Rate | None:
    listed = [
        rate
        for room in (quote.accommodation.rooms if quote.accommodation else [])
        for rate in room.rates
    ]
    same = [rate for rate in listed if rate.id == rate_id]
    if same:
        return same[0]
    return listed[0] if len(listed) == 1 else None


def cancellation(
    timeline: list[wire.CancellationRefund] | None, price: domain.Money
) -> tuple[bool | None, datetime | None, domain.Money | None]:
    """(refundable, free until, penalty after it). An empty timeline is a non-refundable rate
    (the whole price kept); free cancellation lasts until the last `before` that still refunds
    everything, and after it cancelling costs what the next step does not refund (all of it
    when no step follows)."""
    if timeline is None:
        return None, None, None
    steps = sorted(
        (
            (moment, step.refund_amount)
            for step in timeline
            if (moment := rates.utc(step.before)) is not None
            and step.refund_amount is not None
            and (step.currency or price.currency) == price.currency
        ),
        key=lambda pair: pair[0],
    )
    if not timeline:
        return False, None, price
    if not steps:
        return True, None, None
    full = [index for index, (_, refund) in enumerate(steps) if refund >= price.amount]
    if not full:
        return True, None, rates.money(price.amount - steps[0][1], price.currency)
    last = full[-1]
    refund_after = steps[last + 1][1] if last + 1 < len(steps) else Decimal(0)
    return True, steps[last][0], rates.money(price.amount - refund_after, price.currency)


def included_taxes(rate: wire.Rate) -> domain.Money | None:
    """`tax_amount` plus `fee_amount` (both part of `total_amount`); None if the tax is unknown."""
    tax = rates.money(rate.tax_amount, rate.tax_currency or rate.total_currency)
    if tax is None or rate.fee_amount is None:
        return tax
    return rates.total([tax, rates.money(rate.fee_amount, rate.fee_currency or tax.currency)])
