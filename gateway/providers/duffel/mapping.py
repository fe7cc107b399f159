"""Duffel wire structs to domain offers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from gateway import domain
from gateway.providers import fare_parts
from gateway.providers.duffel import wire
from gateway.providers.durations import parse_minutes
from gateway.providers.errors import MalformedResponse

PROVIDER = "duffel"

_CABINS = {cabin.value.lower(): cabin for cabin in domain.CabinClass}


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
    return moment.replace(tzinfo=None)


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
    offers = []
    for result in results:
        rooms = tuple(
            _room(rate, room, result, query)
            for room in result.accommodation.rooms
            for rate in room.rates
        )
        if not rooms:
            continue
        cheapest = min(rooms, key=lambda room: room.price.amount)
        offers.append(
            domain.HotelOffer(
                id=f"{PROVIDER}:{result.id}",
                hotel=_accommodation(result.accommodation, query),
                price=cheapest.price,
                rooms=rooms,
                sources=(
                    domain.OfferSource(provider=PROVIDER, offer_id=result.id, price=cheapest.price),
                ),
            )
        )
    return offers


def _accommodation(accommodation: wire.Accommodation, query: domain.HotelQuery) -> domain.Hotel:
    location = accommodation.location
    coordinates = location.geographic_coordinates if location else None
    chain = (accommodation.chain or {}).get("code")
    return domain.Hotel(
        id=f"{PROVIDER}:{accommodation.id}",
        name=accommodation.name,
        chain_code=chain,
        city_code=query.city_code,
        location=domain.GeoPoint(coordinates.latitude, coordinates.longitude)
        if coordinates
        else None,
        rating=accommodation.rating,
    )


def _room(
    rate: wire.Rate, room: wire.StayRoom, result: wire.StaySearchResult, query: domain.HotelQuery
) -> domain.RoomOffer:
    return domain.RoomOffer(
        id="",
        offer_id=rate.id,
        provider=PROVIDER,
        price=domain.Money(rate.total_amount, rate.total_currency),
        check_in=result.check_in_date or query.check_in,
        check_out=result.check_out_date or query.check_out,
        description=room.name,
        board_type=rate.board_type.upper() if rate.board_type else None,
        refundable=bool(rate.cancellation_timeline),
    )
