"""Duffel wire structs to domain offers."""

from __future__ import annotations

from datetime import datetime

from gateway import domain
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
        validating_carrier=_carrier(offer.owner),
    )


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
