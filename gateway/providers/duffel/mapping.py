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
        raise MalformedResponse(f"duffel flight offer could not be read: {exc}") from exc


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
