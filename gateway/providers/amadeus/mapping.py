"""Amadeus wire structs to domain offers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from gateway import domain
from gateway.currency.units import round_to_minor_units
from gateway.providers import fare_parts, rates
from gateway.providers.amadeus import wire
from gateway.providers.durations import parse_minutes
from gateway.providers.errors import MalformedResponse

PROVIDER = "amadeus"

_CABINS = {cabin.value: cabin for cabin in domain.CabinClass}

BOARDS = {
    "ROOM_ONLY": domain.BoardType.ROOM_ONLY,
    "SELF_CATERING": domain.BoardType.ROOM_ONLY,
    "BREAKFAST": domain.BoardType.BREAKFAST,
    "BUFFET_BREAKFAST": domain.BoardType.BREAKFAST,
    "CARIBBEAN_BREAKFAST": domain.BoardType.BREAKFAST,
    "CONTINENTAL_BREAKFAST": domain.BoardType.BREAKFAST,
    "ENGLISH_BREAKFAST": domain.BoardType.BREAKFAST,
    "FULL_BREAKFAST": domain.BoardType.BREAKFAST,
    "BERMUDA": domain.BoardType.BREAKFAST,
    "HALF_BOARD": domain.BoardType.HALF_BOARD,
    "DINNER_BED_AND_BREAKFAST": domain.BoardType.HALF_BOARD,
    "MODIFIED": domain.BoardType.HALF_BOARD,
    "FULL_BOARD": domain.BoardType.FULL_BOARD,
    "AMERICAN": domain.BoardType.FULL_BOARD,
    "FAMILY_AMERICAN": domain.BoardType.FULL_BOARD,
    "ALL_INCLUSIVE": domain.BoardType.ALL_INCLUSIVE,
}
"""Hotel Search v3's `BoardType` values (its spec's enum). Bermuda plan is a full breakfast;
Modified American plan breakfast and dinner; American plan three meals. The rest (`LUNCH`,
`DINNER`, `FAMILY_PLAN`, `AS_BROCHURED`, anything new) is OTHER."""


def flight_offers(
    answer: wire.FlightOffersResponse, quotes: Sequence[bytes | None] = ()
) -> list[domain.FlightOffer]:
    """The answer's offers; `quotes[i]`, when given, is kept on the i-th offer's source for
    re-pricing."""
    dictionaries = answer.dictionaries or wire.Dictionaries()
    kept = list(quotes) + [None] * (len(answer.data) - len(quotes))
    try:
        return [
            _flight_offer(offer, dictionaries, quote)
            for offer, quote in zip(answer.data, kept, strict=False)
        ]
    except ValueError as exc:
        raise MalformedResponse("amadeus flight offer could not be read", detail=str(exc)) from exc


def _flight_offer(
    offer: wire.FlightOffer, dictionaries: wire.Dictionaries, quote: bytes | None = None
) -> domain.FlightOffer:
    cabins: dict[str, str | None] = {}
    if offer.travelerPricings:
        for fare in offer.travelerPricings[0].fareDetailsBySegment:
            cabins[fare.segmentId] = fare.cabin

    def carrier(code: str) -> domain.Carrier:
        return domain.Carrier(code=code, name=dictionaries.carriers.get(code))

    def segment(seg: wire.Segment) -> domain.Segment:
        if seg.duration is None:
            raise ValueError(f"segment {seg.id} has no duration")
        operating = seg.operating.carrierCode if seg.operating else None
        aircraft_code = seg.aircraft.code if seg.aircraft else None
        cabin = cabins.get(seg.id) if seg.id is not None else None
        return domain.Segment(
            carrier=carrier(seg.carrierCode),
            flight_number=seg.number,
            departure=domain.FlightPoint(
                airport=seg.departure.iataCode,
                at=seg.departure.at,
                terminal=seg.departure.terminal,
            ),
            arrival=domain.FlightPoint(
                airport=seg.arrival.iataCode, at=seg.arrival.at, terminal=seg.arrival.terminal
            ),
            duration_minutes=parse_minutes(seg.duration),
            operating_carrier=carrier(operating) if operating else None,
            aircraft=dictionaries.aircraft.get(aircraft_code, aircraft_code)
            if aircraft_code
            else None,
            cabin=_CABINS.get(cabin) if cabin else None,
        )

    def itinerary(it: wire.Itinerary) -> domain.Itinerary:
        if not it.segments:
            raise ValueError("itinerary without segments")
        segments = tuple(segment(seg) for seg in it.segments)
        if it.duration is not None:
            minutes = parse_minutes(it.duration)
        else:
            minutes = sum(seg.duration_minutes for seg in segments)
        return domain.Itinerary(duration_minutes=minutes, segments=segments)

    if not offer.itineraries:
        raise ValueError(f"offer {offer.id} has no itineraries")
    price = flight_price(offer.price)
    if price is None:
        raise ValueError(f"offer {offer.id} has no usable price")
    validating = offer.validatingAirlineCodes[0] if offer.validatingAirlineCodes else None
    itineraries = tuple(itinerary(it) for it in offer.itineraries)
    return domain.FlightOffer(
        id=f"{PROVIDER}:{offer.id}",
        price=price,
        itineraries=itineraries,
        sources=(domain.OfferSource(provider=PROVIDER, offer_id=offer.id, price=price),),
        fares=(_fare(offer, price, itineraries, quote),),
        validating_carrier=carrier(validating) if validating else None,
        seats_available=offer.numberOfBookableSeats,
        last_ticketing_date=offer.lastTicketingDate,
    )


def _fare(
    offer: wire.FlightOffer,
    price: domain.Money,
    itineraries: tuple[domain.Itinerary, ...],
    quote: bytes | None = None,
) -> domain.Fare:
    """The offer as one fare. Flight Offers Search states no refund or change conditions and no
    emissions for the offer: those stay None (unknown), not False. Its brand is the label live
    answers add (`brandedFareLabel`), else the code (`brandedFare`); cabin bags only where live
    answers state them (`wire.py`, LIVE_ONLY)."""
    details = _fare_details(offer, [seg for it in offer.itineraries for seg in it.segments])
    segments = tuple(
        domain.FareSegment(
            cabin=_CABINS.get(detail.cabin) if detail and detail.cabin else seg.cabin,
            booking_class=detail.booking_class if detail else None,
            fare_basis=detail.fareBasis if detail else None,
        )
        for detail, seg in zip(
            details, (seg for it in itineraries for seg in it.segments), strict=True
        )
    )
    source = domain.FareSource(
        provider=PROVIDER,
        offer_id=offer.id,
        price=price,
        base=_money(offer.price.base, offer.price.currency),
        taxes=_taxes(offer.price, price.amount),
        per_traveller=_per_traveller(offer.travelerPricings, offer.price.currency),
        last_ticketing_date=offer.lastTicketingDate,
        quote=quote,
    )
    return domain.Fare(
        id="",
        price=price,
        sources=(source,),
        brand_name=fare_parts.brand_name(
            (detail.brandedFareLabel or detail.brandedFare) if detail else None
            for detail in details
        ),
        segments=segments,
        included_checked_bags=fare_parts.common(
            _bags(detail.includedCheckedBags) if detail else None for detail in details
        ),
        included_cabin_bags=fare_parts.common(
            _bags(detail.includedCabinBags) if detail else None for detail in details
        ),
    )


def _fare_details(
    offer: wire.FlightOffer, segments: list[wire.Segment]
) -> list[wire.FareDetail | None]:
    """The first traveller's fare details of each segment, in the segments' order (adults come
    first; an infant's details often carry no bags)."""
    if not offer.travelerPricings:
        return [None] * len(segments)
    by_segment = {d.segmentId: d for d in offer.travelerPricings[0].fareDetailsBySegment}
    return [by_segment.get(seg.id) if seg.id is not None else None for seg in segments]


def _bags(bags: wire.BagAllowance | None) -> domain.BagAllowance | None:
    if bags is None or (bags.quantity is None and bags.weight is None):
        return None
    unit = bags.weightUnit.upper() if bags.weight is not None and bags.weightUnit else None
    return domain.BagAllowance(quantity=bags.quantity, weight=bags.weight, weight_unit=unit)


def _money(amount: Decimal | None, currency: str) -> domain.Money | None:
    return domain.Money(amount, currency) if amount is not None else None


def _taxes(price: wire.Price, total: Decimal) -> domain.Money | None:
    """The `taxes` Amadeus lists, summed; else what the total holds beyond the base (taxes and
    fees, which search answers do not itemise); None without either."""
    if price.taxes is not None:
        return domain.Money(sum((tax.amount for tax in price.taxes), Decimal(0)), price.currency)
    if price.base is None:
        return None
    return domain.Money(total - price.base, price.currency)


_TRAVELLER_TYPES = {
    "ADULT": domain.TravellerType.ADULT,
    "CHILD": domain.TravellerType.CHILD,
    "HELD_INFANT": domain.TravellerType.INFANT,
    "SEATED_INFANT": domain.TravellerType.INFANT,
}


def _per_traveller(
    pricings: list[wire.TravelerPricing], currency: str
) -> tuple[domain.TravellerPrice, ...]:
    """Travellers of one type at one price, counted; empty unless every traveller has a price
    and a type the gateway knows (a partial split would mislead)."""
    counts: dict[tuple[domain.TravellerType, Decimal, str], int] = {}
    for pricing in pricings:
        kind = _TRAVELLER_TYPES.get(pricing.travelerType or "")
        if kind is None or pricing.price is None or pricing.price.total is None:
            return ()
        key = (kind, pricing.price.total, pricing.price.currency or currency)
        counts[key] = counts.get(key, 0) + 1
    return tuple(
        domain.TravellerPrice(traveller_type=kind, count=count, price=domain.Money(amount, code))
        for (kind, amount, code), count in sorted(
            counts.items(), key=lambda item: (_TYPE_ORDER[item[0][0]], item[0][1])
        )
    )


_TYPE_ORDER = {kind: index for index, kind in enumerate(domain.TravellerType)}
"""Adults, children, infants: the order travellers are listed in."""


def hotel_offers(
    listed: dict[str, wire.HotelListItem], answers: list[wire.HotelOffers]
) -> list[domain.HotelOffer]:
    """Join offers with the by-city list, which alone carries distance and rating."""
    results = []
    for answer in answers:
        if not answer.available or not answer.offers:
            continue
        listing = listed.get(answer.hotel.hotelId)
        zone = listing.timeZoneName if listing is not None else None
        rooms = tuple(room for item in answer.offers if (room := _room(item, zone)) is not None)
        if not rooms:
            continue
        hotel = _hotel(answer.hotel, listing)
        results.append(rates.hotel_offer(PROVIDER, answer.hotel.hotelId, hotel, rooms))
    return results


def checked_rate(
    answer: wire.HotelOfferPricingResponse, offer_id: str
) -> domain.CheckedRate | None:
    """The offer as Amadeus sells it now: its `price.total`, what the traveller pays (no net
    price stated, no markup of ours). None when the answer holds no available offer: "an empty
    response ... the hotel is fully booked" (Amadeus's hotel guide, amadeus4dev/developer-guides
    docs/resources/hotels.md, Common Errors). An answer for some other offer, or a price that
    is no price, is malformed."""
    data = answer.data
    if data is None or not data.available or not data.offers:
        return None
    offer = next((item for item in data.offers if item.id == offer_id), None)
    if offer is None and len(data.offers) == 1:
        offer = data.offers[0]  # the one offer asked for, whatever id it is given now
    if offer is None:
        raise MalformedResponse("amadeus offer check answered other offers")
    price = _price(offer.price.total, offer.price.currency)
    if price is None:
        raise MalformedResponse("amadeus offer check has no usable price")
    return domain.CheckedRate(price=price)


def flight_price(price: wire.Price) -> domain.Money | None:
    """What the traveller pays for a flight offer: `grandTotal` (the total with the fees
    Amadeus adds), else `total`; None when it is no usable price."""
    amount = price.grandTotal if price.grandTotal is not None else price.total
    return _price(amount, price.currency)


def _price(amount: Decimal | None, currency: str | None) -> domain.Money | None:
    """A price that can be shown (`rates.money`); else None."""
    return rates.money(amount, currency)


def _hotel(hotel: wire.OfferHotel, listed: wire.HotelListItem | None) -> domain.Hotel:
    """The hotel as the offers name it, placed by the list (`geoCode`, `distance`, `address`):
    Hotel Search v3's `Hotel` declares no coordinates. Stars where the list's live answers give
    them (`rating`, LIVE_ONLY)."""
    location = None
    if listed is not None and listed.geoCode is not None:
        location = _place(listed.geoCode)
    address = None
    if listed is not None and listed.address is not None:
        address = rates.address(country_code=listed.address.countryCode)
    return domain.Hotel(
        id=f"{PROVIDER}:{hotel.hotelId}",
        name=hotel.name,
        chain_code=hotel.chainCode,
        city_code=hotel.cityCode or (listed.iataCode if listed else None),
        location=location,
        distance_km=distance_km(listed.distance) if listed is not None else None,
        address=address,
        rating=stars(listed.rating) if listed is not None else None,
    )


def stars(rating: int | str | None) -> int | None:
    """A star rating of 1 to 5, given as a number or its digits; None otherwise."""
    if isinstance(rating, str):
        rating = int(rating) if rating.strip().isdigit() else None
    return rating if rating is not None and 1 <= rating <= 5 else None


def _place(code: wire.GeoCode) -> domain.GeoPoint | None:
    if not (-90 <= code.latitude <= 90 and -180 <= code.longitude <= 180):
        return None
    return domain.GeoPoint(code.latitude, code.longitude)


KM_UNITS = frozenset({"KM", "KILOMETERS"})
"""Kilometres: `KILOMETERS` in the Hotel List spec's enum, `KM` in its examples (and the
`radiusUnit` parameter's enum)."""
MILE_UNITS = frozenset({"MI", "MILE", "MILES"})
"""Miles: `MILES` in the enum, `MILE` in `radiusUnit`'s."""
KM_PER_MILE = 1.609344
MAX_DISTANCE_KM = 20_000.0
"""Half the Earth's circumference: a larger distance is not a distance from a city centre."""


def distance_km(distance: wire.Distance | None) -> float | None:
    """The listed distance in kilometres; None for a unit that is not one of these, or a
    value that is not a distance (never a guess)."""
    if distance is None or distance.value is None or distance.unit is None:
        return None
    unit = distance.unit.strip().upper()
    if unit in KM_UNITS:
        km = distance.value
    elif unit in MILE_UNITS:
        km = distance.value * KM_PER_MILE
    else:
        return None
    return km if math.isfinite(km) and 0 <= km <= MAX_DISTANCE_KM else None


def board_type(code: str | None) -> domain.BoardType | None:
    if not code or not code.strip():
        return None
    return BOARDS.get(code.strip().upper(), domain.BoardType.OTHER)


def _room(item: wire.HotelOfferItem, zone: str | None = None) -> domain.RoomOffer | None:
    """One offer as a room rate, priced at its `total` (what the traveller pays, Amadeus's
    selling price: no net price, no markup); None when it has no usable price."""
    price = _price(item.price.total, item.price.currency)
    if price is None:
        return None
    description = item.room.description.text if item.room and item.room.description else None
    nights = (item.checkOutDate - item.checkInDate).days
    refundable, free_until, penalty = cancellation(item.policies, price, zone, nights)
    included, due = taxes(item.price)
    return domain.RoomOffer(
        id="",
        offer_id=item.id,
        provider=PROVIDER,
        price=price,
        check_in=item.checkInDate,
        check_out=item.checkOutDate,
        description=rates.text(description, rates.MAX_DESCRIPTION_CHARS),
        board_type=board_type(item.boardType),
        refundable=refundable,
        free_cancellation_until=free_until,
        cancellation_penalty=penalty,
        included_taxes=included,
        due_at_hotel=due,
    )


def cancellation(
    policies: wire.Policies | None, price: domain.Money, zone: str | None = None, nights: int = 1
) -> tuple[bool | None, datetime | None, domain.Money | None]:
    """(refundable, free until, penalty), from the spec's cancellation policies (the list, or
    the one policy the spec's examples show). A policy with a `deadline` makes the rate free
    to cancel until the earliest one, then costs its `amount` (or `percentage` of the total,
    `numberOfNights` of the stay, or the whole of it for `FULL_STAY`). A `FULL_STAY` policy
    without a deadline is a non-refundable rate: the whole price, at once. Anything else
    leaves refundability unknown."""
    if policies is None:
        return None, None, None
    found = policies.cancellations or (
        [policies.cancellation] if policies.cancellation is not None else []
    )
    if not any(policy.deadline is not None for policy in found):
        if any((policy.type or "").upper() == "FULL_STAY" for policy in found):
            return False, None, price
        first = next(iter(found), None)
        return None, None, _penalty(first, price, nights) if first else None
    dated = sorted(
        (
            (moment, policy)
            for policy in found
            if (moment := rates.utc(policy.deadline, zone)) is not None
        ),
        key=lambda pair: pair[0],
    )
    first = dated[0][1] if dated else found[0]
    free_until = dated[0][0] if dated else None
    return True, free_until, _penalty(first, price, nights)


def _penalty(policy: wire.Cancellation, price: domain.Money, nights: int) -> domain.Money | None:
    if (policy.type or "").upper() == "FULL_STAY":
        return price
    if policy.amount is not None:
        return rates.money(policy.amount, price.currency)
    if policy.percentage is not None and 0 <= policy.percentage <= 100:
        amount = round_to_minor_units(price.amount * policy.percentage / 100, price.currency)
        return rates.money(amount, price.currency)
    if policy.numberOfNights is not None and 0 <= policy.numberOfNights <= nights:
        each = price.amount * policy.numberOfNights / max(nights, 1)
        return rates.money(round_to_minor_units(each, price.currency), price.currency)
    return None


def taxes(price: wire.HotelPrice) -> tuple[domain.Money | None, domain.Money | None]:
    """(included, due at the hotel): the `taxes[]` as each says, or `total - base` (the spec's
    definition of the total) when there is no list."""
    if price.taxes is None:
        if price.base is None or price.base > price.total:
            return None, None
        return rates.money(price.total - price.base, price.currency), None
    included = [t for t in price.taxes if t.included is True]
    excluded = [t for t in price.taxes if t.included is False]

    def summed(items: list[wire.HotelTax]) -> domain.Money | None:
        if not items:
            return None
        return rates.total(rates.money(t.amount, t.currency or price.currency) for t in items)

    return summed(included), summed(excluded)
