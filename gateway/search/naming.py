"""Names shown one way, whichever provider sent them.

Amadeus names carriers and aircraft in capitals ("TURKISH AIRLINES", "BOEING 777-300ER") and
often hotels too; Duffel, Hotelbeds and LiteAPI write mixed case. One answer must not show
"TURKISH AIRLINES" next to "Lufthansa": a carrier is shown by its code's proper name
(`gateway.airlines`), an aircraft type by its maker's spelling, and any other all-capitals
name re-cased (`casing.display_case`), fare brands included ("BASIC" → "Basic"). Applied to
the flight offers of the page being served, after merging and sorting (which compare names
without case), so ids digest the names as shown. Hotels are named when merged
(`merge._display_name`: the spelling most of their providers use, re-cased).
"""

from __future__ import annotations

import functools

import msgspec

from gateway import airlines, casing
from gateway.domain import Carrier, Fare, FlightOffer, Itinerary, Segment
from gateway.providers import rates

MAX_NAME_CHARS = 100
"""Longest carrier, aircraft, fare brand or hotel name shown: a provider's text, so bounded."""


def shown(name: str | None) -> str | None:
    """A provider's name fit to show: printable, single-spaced, at most `MAX_NAME_CHARS`
    (`rates.text`), all-capitals re-cased; None when nothing printable is left."""
    if name is not None and len(name) <= _REMEMBERED_NAME_CHARS:
        return _shown_remembered(name)
    return _shown(name)


_REMEMBERED_NAME_CHARS = 2 * MAX_NAME_CHARS
"""Names up to this long are remembered as shown: the same few thousand hotel, carrier,
aircraft and brand names come back in every search, and re-casing them was a tenth of the
hotel merging. Longer ones (hostile or odd) are worked out each time, so the memo stays small
(`_shown_remembered`: 8,192 names of at most 200 characters, ~3 MB at worst)."""


def _shown(name: str | None) -> str | None:
    cleaned = rates.text(name, MAX_NAME_CHARS)
    return casing.display_case(cleaned) if cleaned else None


_shown_remembered = functools.lru_cache(maxsize=8192)(_shown)


@functools.lru_cache(maxsize=4096)
def _carrier(carrier: Carrier) -> Carrier:
    name = airlines.carrier_name(carrier.code, shown(carrier.name))
    return carrier if name == carrier.name else Carrier(code=carrier.code, name=name)


def _segment(segment: Segment) -> Segment:
    operating = segment.operating_carrier
    return msgspec.structs.replace(
        segment,
        carrier=_carrier(segment.carrier),
        operating_carrier=_carrier(operating) if operating is not None else None,
        aircraft=airlines.aircraft_name(shown(segment.aircraft)),
    )


def _fare(fare: Fare) -> Fare:
    name = shown(fare.brand_name)
    return fare if name == fare.brand_name else msgspec.structs.replace(fare, brand_name=name)


def flight_offer(offer: FlightOffer) -> FlightOffer:
    """The offer with its carriers, aircraft and fare brands named as the gateway shows them."""
    validating = offer.validating_carrier
    return msgspec.structs.replace(
        offer,
        fares=tuple(_fare(fare) for fare in offer.fares),
        itineraries=tuple(
            Itinerary(it.duration_minutes, tuple(_segment(s) for s in it.segments))
            for it in offer.itineraries
        ),
        validating_carrier=_carrier(validating) if validating is not None else None,
    )
