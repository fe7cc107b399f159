"""Duffel's flight documents as its v2 API writes them, for the simulator: offer requests and
offers with every field the JS SDK's types require (`OfferRequest`, `Offer`, `OfferSlice`,
`OfferSliceSegment`, `Airport`, `Airline`, `Aircraft`: duffel-api-javascript v4.28.0), over the
shared inventory.

Places, airlines and aircraft are rendered once each and shared by every offer (answers are
memoised too): a search's offers repeat the same few of them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import airportsdata

from gateway import reference
from gateway.airlines import Airline
from simulators.common import inventory
from simulators.common.inventory import FareBrand, Journey, Leg

Json = dict[str, Any]

ADULT_AGE = 18
"""From this age a passenger is an adult to Duffel (`type: adult`); younger ones by `age`."""
ADULT_FARE_AGE = 12
"""Airlines price a passenger of this age or more at the adult fare (the offer says `adult`)."""
LAP_AGE = 1
"""At this age or under, a passenger travels on a lap (`infant_without_seat`)."""
HOLD_SHARE = 0.25
"""Share of airlines whose offers can be held before paying (`requires_instant_payment` false)."""
LOYALTY_SHARE = 0.5
"""Share of airlines whose offers take their own loyalty programme."""
DOCUMENTS_SHARE = 0.3
"""Share of airlines that want identity documents at booking on international journeys."""


@dataclass(frozen=True, slots=True)
class Passenger:
    """One passenger as an offer request gives it: `adult` by type (`age` None), or an age."""

    id: str
    age: int | None = None

    @property
    def offered_as(self) -> str:
        """The passenger type the airline prices it as (what an offer's passengers say)."""
        if self.age is None or self.age >= ADULT_FARE_AGE:
            return "adult"
        return "child" if self.age > LAP_AGE else "infant_without_seat"

    @property
    def on_lap(self) -> bool:
        return self.age is not None and self.age <= LAP_AGE


@dataclass(frozen=True, slots=True)
class Sold:
    """How an offer is sold: its total, to whom, in which cabin, from and until when."""

    total: Decimal
    currency: str
    cabin: str
    passengers: tuple[Passenger, ...]
    created: datetime
    expires: datetime


def party(passengers: tuple[Passenger, ...]) -> tuple[int, int, int]:
    """Adults, children and lap infants as the fares count them (`inventory.flight_party`)."""
    adults = sum(1 for passenger in passengers if passenger.age is None)
    ages = tuple(passenger.age for passenger in passengers if passenger.age is not None)
    return inventory.flight_party(adults, ages)


def timestamp(moment: datetime, *, micro: bool = True) -> str:
    """UTC as Duffel writes it: `2020-02-12T15:21:01.927000Z`."""
    spec = "microseconds" if micro else "seconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


def digest(*parts: object, size: int = 11) -> str:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=size).hexdigest()


@functools.cache
def _icao() -> dict[str, str]:
    return {code: row["icao"] for code, row in airportsdata.load("IATA").items()}


@functools.cache
def _city(code: str) -> Json | None:
    city = reference.city(code)
    if city is None:
        return None
    return {
        "type": "city",
        "id": f"cit_{city.code.lower()}_{city.country.lower()}",
        "iata_code": city.code,
        "iata_country_code": city.country,
        "name": city.name,
    }


@functools.cache
def airport(code: str) -> Json:
    """An airport as Duffel's `Airport`: its metropolitan city when it has one (LHR's London),
    else `city` null with its own code as the city's (as Duffel answers Cork)."""
    found = reference.airport(code)
    assert found is not None, code
    city_code = reference.city_code_of(code)
    return {
        "type": "airport",
        "id": f"arp_{code.lower()}_{found.country.lower()}",
        "iata_code": code,
        "icao_code": _icao().get(code, ""),
        "name": found.name,
        "city_name": found.city,
        "iata_city_code": city_code,
        "iata_country_code": found.country,
        "latitude": found.latitude,
        "longitude": found.longitude,
        "time_zone": found.timezone,
        "city": _city(city_code) if city_code != code else None,
    }


@functools.cache
def place(code: str) -> tuple[str, Json]:
    """What a searched code names, as an offer request's slice echoes it: (type, place)."""
    if reference.airport(code) is not None:
        return "airport", airport(code)
    city = _city(code)
    if city is None:
        raise LookupError(code)
    found = reference.city(code)
    airports = [airport(a.code) for a in found.airports] if found else []
    return "city", {**city, "airports": airports}


@functools.cache
def airline(carrier: Airline) -> Json:
    code = carrier.code
    return {
        "id": f"arl_{digest('airline', code)}",
        "iata_code": code,
        "name": carrier.name,
        "logo_symbol_url": (
            f"https://assets.duffel.com/img/airlines/for-light-background/full-color-logo/{code}.svg"
        ),
        "logo_lockup_url": None,
        "conditions_of_carriage_url": None,
    }


@functools.cache
def aircraft(code: str) -> Json:
    return {
        "id": f"arc_{digest('aircraft', code)}",
        "iata_code": code,
        "name": inventory.AIRCRAFT[code],
    }


def condition(allowed: bool, penalty: Decimal | None, currency: str) -> Json:
    """Duffel's shape: a penalty only where allowed (0.00 when free); both null otherwise."""
    amount = (penalty if penalty is not None else Decimal("0.00")) if allowed else None
    return {
        "allowed": allowed,
        "penalty_amount": str(amount) if amount is not None else None,
        "penalty_currency": currency if amount is not None else None,
    }


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"PT{hours:02d}H{rest:02d}M"


def _distance_km(leg: Leg) -> str:
    km = reference.distance_km(
        leg.origin.latitude,
        leg.origin.longitude,
        leg.destination.latitude,
        leg.destination.longitude,
    )
    return f"{km:.1f}"


def _segment(segment_id: str, leg: Leg, brand: FareBrand, fare_basis: str, sold: Sold) -> Json:
    cabin = sold.cabin.lower()
    return {
        "id": segment_id,
        "origin": airport(leg.origin.code),
        "destination": airport(leg.destination.code),
        "origin_terminal": leg.origin_terminal,
        "destination_terminal": leg.destination_terminal,
        "departing_at": leg.departs.isoformat(),
        "arriving_at": leg.arrives.isoformat(),
        "duration": duration(leg.minutes),
        "distance": _distance_km(leg),
        "stops": [],
        "marketing_carrier": airline(leg.airline),
        "marketing_carrier_flight_number": leg.number,
        "operating_carrier": airline(leg.airline),
        "operating_carrier_flight_number": leg.number,
        "aircraft": aircraft(leg.aircraft),
        "passengers": [
            {
                "passenger_id": passenger.id,
                "cabin_class": cabin,
                "cabin_class_marketing_name": f"{_cabin_name(sold.cabin)} {brand.name}",
                "fare_basis_code": fare_basis,
                # A lap infant has no seat, and no allowance of its own here.
                "baggages": []
                if passenger.on_lap
                else [
                    {"type": "checked", "quantity": brand.checked_bags},
                    {"type": "carry_on", "quantity": brand.cabin_bags},
                ],
                "cabin": None,
            }
            for passenger in sold.passengers
        ],
    }


def _cabin_name(cabin: str) -> str:
    return cabin.replace("_", " ").title()


def _change_fee(brand: FareBrand, sold: Sold) -> Decimal | None:
    """The whole party's fee for a change, when one is charged (None: free, or not allowed)."""
    if brand.change_fee_eur is None:
        return None
    return inventory.convert_eur(brand.change_fee_eur * len(sold.passengers), sold.currency)


def _comparison_key(journey: Journey) -> str:
    """Equal for the same flights in any fare brand (Duffel's key to group an itinerary's
    brands): a short base64 digest, as Duffel writes it ("BRuasQ==")."""
    raw = hashlib.blake2b(journey.key.encode(), digest_size=4).digest()
    return base64.b64encode(raw).decode()


def _slice(
    offer_id: str, index: int, journey: Journey, brand: FareBrand, sold: Sold, fare_basis: str
) -> Json:
    rank = inventory.FARE_BRANDS.index(brand)
    change_fee = _change_fee(brand, sold)
    top = rank == len(inventory.FARE_BRANDS) - 1
    return {
        "id": f"sli_{offer_id[4:14]}{index}",
        "origin_type": "airport",
        "origin": airport(journey.legs[0].origin.code),
        "destination_type": "airport",
        "destination": airport(journey.legs[-1].destination.code),
        "duration": duration(journey.minutes),
        "fare_brand_name": brand.name,
        "comparison_key": _comparison_key(journey),
        "ngs_shelf": rank + 1,
        "conditions": {
            "change_before_departure": condition(brand.changeable, change_fee, sold.currency),
            "refund_before_departure": condition(brand.refundable, None, sold.currency),
            "advance_seat_selection": rank > 0,
            "priority_boarding": top,
            "priority_check_in": top,
        },
        "segments": [
            _segment(f"seg_{offer_id[4:14]}{index}{n}", leg, brand, fare_basis, sold)
            for n, leg in enumerate(journey.legs)
        ],
    }


def _payment(owner: Airline, sold: Sold) -> Json:
    """Most airlines want paying at once; some hold the offer: its price for a day, the seat
    for three."""
    if inventory.seeded("duffel-hold", owner.code).random() >= HOLD_SHARE:
        return {
            "requires_instant_payment": True,
            "price_guarantee_expires_at": None,
            "payment_required_by": None,
        }
    return {
        "requires_instant_payment": False,
        "price_guarantee_expires_at": timestamp(sold.created + timedelta(days=1), micro=False),
        "payment_required_by": timestamp(sold.created + timedelta(days=3), micro=False),
    }


def offer(offer_id: str, combo: tuple[Journey, ...], brand: FareBrand, sold: Sold) -> Json:
    """One offer as an offer request lists it (the SDK's `Omit<Offer, 'available_services'>`):
    the journeys in one fare brand (each brand of the same flights is its own offer, as Duffel
    answers), priced for the passengers as asked."""
    total, currency = sold.total, sold.currency
    tax = (total * Decimal("0.18")).quantize(total)
    owner = combo[0].legs[0].airline
    seated = sum(1 for passenger in sold.passengers if not passenger.on_lap)
    change_fee = _change_fee(brand, sold)
    fare_basis = inventory.fare_basis(combo, sold.cabin, brand)
    countries = {leg.origin.country for journey in combo for leg in journey.legs} | {
        leg.destination.country for journey in combo for leg in journey.legs
    }
    carrier = inventory.seeded("duffel-carrier", owner.code)
    documents = len(countries) > 1 and carrier.random() < DOCUMENTS_SHARE
    loyalty = [owner.code] if carrier.random() < LOYALTY_SHARE else []
    return {
        "id": offer_id,
        "live_mode": False,
        "created_at": timestamp(sold.created),
        "updated_at": timestamp(sold.created),
        "expires_at": timestamp(sold.expires),
        "partial": False,
        "total_amount": str(total),
        "total_currency": currency,
        "base_amount": str(total - tax),
        "base_currency": currency,
        "tax_amount": str(tax),
        "tax_currency": currency,
        "total_emissions_kg": str(inventory.co2_kg(combo, sold.cabin, seated)),
        "owner": airline(owner),
        "passengers": [
            {
                "id": passenger.id,
                "type": passenger.offered_as,
                "age": passenger.age,
                "fare_type": None,
            }
            for passenger in sold.passengers
        ],
        "payment_requirements": _payment(owner, sold),
        "passenger_identity_documents_required": documents,
        "supported_passenger_identity_document_types": ["passport"] if len(countries) > 1 else [],
        "supported_loyalty_programmes": loyalty,
        "private_fares": [],
        "conditions": {
            "change_before_departure": condition(brand.changeable, change_fee, currency),
            "refund_before_departure": condition(brand.refundable, None, currency),
        },
        "slices": [
            _slice(offer_id, index, journey, brand, sold, fare_basis)
            for index, journey in enumerate(combo)
        ],
    }


EXTRA_BAG_EUR = Decimal("45")
"""What one more checked bag costs a passenger, each way."""


def services(offer: Json) -> list[Json]:
    """The offer's `available_services` (asked with `return_available_services=true`): one
    more checked bag for each seated passenger on each slice."""
    currency = str(offer["total_currency"])
    price = str(inventory.convert_eur(EXTRA_BAG_EUR, currency))
    seated = [p["id"] for p in offer["passengers"] if p["type"] != "infant_without_seat"]
    return [
        {
            "id": f"ase_{digest(offer['id'], sl['id'], passenger_id)}",
            "type": "baggage",
            "maximum_quantity": 1,
            "passenger_ids": [passenger_id],
            "segment_ids": [segment["id"] for segment in sl["segments"]],
            "total_amount": price,
            "total_currency": currency,
            "metadata": {
                "type": "checked",
                "maximum_weight_kg": 23,
                "maximum_length_cm": None,
                "maximum_height_cm": None,
                "maximum_depth_cm": None,
            },
        }
        for sl in offer["slices"]
        for passenger_id in seated
    ]
