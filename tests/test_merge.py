"""Merging the same flight or hotel across providers, compared in one currency."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from msgspec.structs import replace

from gateway import domain
from gateway.currency.rates import bundled_rates
from gateway.search import naming
from gateway.search.merge import (
    SAME_HOTEL_METRES,
    merge_flights,
    merge_hotels,
    normalise_hotel_name,
)

pytestmark = pytest.mark.unit

RATES = bundled_rates()


def to_eur(money: domain.Money) -> domain.Money:
    return RATES.convert(money, "EUR")


def money(amount: str, currency: str = "EUR") -> domain.Money:
    return domain.Money(Decimal(amount), currency)


def flight(
    provider: str,
    price: domain.Money,
    *,
    number: str = "101",
    at: str = "2027-01-10T19:00",
    cabin: domain.CabinClass | None = domain.CabinClass.ECONOMY,
    seats: int | None = None,
) -> domain.FlightOffer:
    segment = domain.Segment(
        carrier=domain.Carrier("XX"),
        flight_number=number,
        departure=domain.FlightPoint("JFK", datetime.fromisoformat(at)),
        arrival=domain.FlightPoint("LHR", datetime(2027, 1, 11, 7, 5)),
        duration_minutes=425,
        cabin=cabin,
    )
    offer_id = f"{provider}-{number}-{price.amount}"
    return domain.FlightOffer(
        id=f"{provider}:{offer_id}",
        price=price,
        itineraries=(domain.Itinerary(425, (segment,)),),
        sources=(domain.OfferSource(provider, offer_id, price),),
        seats_available=seats,
    )


def test_same_flight_from_two_providers_is_one_offer_cheapest_first() -> None:
    amadeus = flight("amadeus", money("410.20"), seats=4)
    duffel = flight("duffel", money("350.00", "GBP"))  # 404.61 EUR at the bundled rates
    [merged] = merge_flights([amadeus, duffel], domain.CabinClass.ECONOMY, to_eur)
    assert merged.price == money("404.61")
    assert [s.provider for s in merged.sources] == ["duffel", "amadeus"]
    assert merged.sources[0].price == money("350.00", "GBP")  # original kept
    assert merged.seats_available == 4  # filled from the source that knows it


@pytest.mark.parametrize(
    "other",
    [
        flight("duffel", money("400"), number="102"),
        flight("duffel", money("400"), at="2027-01-10T19:05"),
        flight("duffel", money("400"), cabin=domain.CabinClass.BUSINESS),
    ],
)
def test_different_flights_stay_apart(other: domain.FlightOffer) -> None:
    merged = merge_flights(
        [flight("amadeus", money("410")), other], domain.CabinClass.ECONOMY, to_eur
    )
    assert len(merged) == 2


def test_leading_zeros_and_missing_cabin_still_match() -> None:
    merged = merge_flights(
        [
            flight("amadeus", money("410"), number="0101"),
            flight("duffel", money("400"), cabin=None),
        ],
        domain.CabinClass.ECONOMY,
        to_eur,
    )
    assert len(merged) == 1


def test_merged_ids_are_stable_and_distinct() -> None:
    first = merge_flights([flight("amadeus", money("1"))], domain.CabinClass.ECONOMY, to_eur)
    again = merge_flights([flight("duffel", money("2"))], domain.CabinClass.ECONOMY, to_eur)
    other = merge_flights(
        [flight("duffel", money("2"), number="7")], domain.CabinClass.ECONOMY, to_eur
    )
    assert first[0].id == again[0].id
    assert first[0].id != other[0].id


def hotel(
    provider: str, name: str, lat: float, lon: float, price: domain.Money
) -> domain.HotelOffer:
    room = domain.RoomOffer(
        id="", offer_id=f"{provider}-room", provider=provider, price=price,
        check_in=date(2027, 1, 10), check_out=date(2027, 1, 12),
    )  # fmt: skip
    return domain.HotelOffer(
        id=f"{provider}:{name}:{lat}",
        hotel=domain.Hotel(
            id=f"{provider}:{name}", name=name, location=domain.GeoPoint(lat, lon), rating=4
        ),
        price=price,
        rooms=(room,),
        sources=(domain.OfferSource(provider, f"{provider}-room", price),),
    )


def test_name_normalisation() -> None:
    assert normalise_hotel_name("HÔTEL Le Grand") == normalise_hotel_name("The Grand Hotel")
    assert normalise_hotel_name("Novotel Paris Centre") == "novotel paris centre"
    assert normalise_hotel_name("A&B Suites") == normalise_hotel_name("A and B Suites")


# 0.001 degrees of latitude is ~111 m.
@pytest.mark.parametrize(
    ("name", "offset", "same"),
    [
        ("MARRIOTT PARIS CENTRE", 0.0005, True),  # same name, ~55 m: geocoding noise
        ("Marriott Paris Centre", 0.002, True),  # ~222 m: inside the radius
        ("Marriott Paris Centre", 0.0025, False),  # ~278 m: two properties
        ("Marriott Paris Centre", 0.03, False),  # same chain name across town
        ("Marriott Paris Opera", 0.0001, False),  # next door, another hotel
    ],
)
def test_hotel_near_misses_both_ways(name: str, offset: float, same: bool) -> None:
    assert SAME_HOTEL_METRES == 250
    offers = [
        hotel("amadeus", "Marriott Paris Centre", 48.85, 2.35, money("200")),
        hotel("duffel", name, 48.85 + offset, 2.35, money("150", "GBP")),
    ]
    merged = merge_hotels(offers, to_eur, domain.GeoPoint(48.85, 2.35))
    assert (len(merged) == 1) == same


def test_merged_hotel_keeps_every_room_and_source() -> None:
    offers = [
        hotel("amadeus", "MARRIOTT PARIS CENTRE", 48.85, 2.35, money("200")),
        hotel("duffel", "Marriott Paris Centre", 48.8502, 2.35, money("150", "GBP")),
    ]
    [cluster] = merge_hotels(offers, to_eur, domain.GeoPoint(48.86, 2.35))
    merged = cluster.offer()
    assert merged.hotel.name == "Marriott Paris Centre"  # mixed case preferred
    assert merged.price == money("173.40")  # 150 GBP, the cheaper, in EUR
    assert [s.provider for s in merged.sources] == ["duffel", "amadeus"]
    assert {room.provider for room in merged.rooms} == {"amadeus", "duffel"}
    assert merged.hotel.distance_km == pytest.approx(1.09, abs=0.01)  # from the centre


def test_merged_hotel_keeps_each_providers_rate_terms_and_details() -> None:
    """Every provider's rates survive the merge with their own board, deadline and taxes; the
    hotel takes each detail from the cheapest provider giving it, and all amenities."""
    deadline = datetime(2027, 1, 8, 11, tzinfo=UTC)
    amadeus = hotel("amadeus", "MARRIOTT PARIS CENTRE", 48.85, 2.35, money("200"))
    duffel = hotel("duffel", "Marriott Paris Centre", 48.8502, 2.35, money("150", "GBP"))
    amadeus = replace(
        amadeus,
        hotel=replace(
            amadeus.hotel,
            address=domain.Address(country_code="FR"),
            amenities=("SPA",),
        ),
        rooms=(
            replace(
                amadeus.rooms[0],
                board_type=domain.BoardType.HALF_BOARD,
                free_cancellation_until=deadline,
                cancellation_penalty=money("100"),
            ),
        ),
    )
    duffel = replace(
        duffel,
        hotel=replace(
            duffel.hotel,
            address=domain.Address(line="1 Rue de Rivoli", country_code="FR"),
            review_score=domain.ReviewScore(8.6, 10.0, 120),
            amenities=("WIFI", "SPA"),
        ),
        rooms=(replace(duffel.rooms[0], board_type=domain.BoardType.ROOM_ONLY, refundable=False),),
    )
    [cluster] = merge_hotels([amadeus, duffel], to_eur, domain.GeoPoint(48.86, 2.35))
    merged = cluster.offer()
    by_provider = {room.provider: room for room in merged.rooms}
    assert by_provider["amadeus"] == amadeus.rooms[0]
    assert by_provider["duffel"] == duffel.rooms[0]
    assert merged.hotel.address == domain.Address(line="1 Rue de Rivoli", country_code="FR")
    assert merged.hotel.review_score == domain.ReviewScore(8.6, 10.0, 120)
    assert merged.hotel.amenities == ("WIFI", "SPA")
    alone = merge_hotels([replace(amadeus, hotel=replace(amadeus.hotel, amenities=None))], to_eur)
    assert alone[0].offer().hotel.amenities is None  # nobody said: unknown, not none


@pytest.mark.parametrize("cheapest", ["amadeus", "duffel", "hotelbeds", "liteapi"])
def test_a_merged_hotel_keeps_its_name_whichever_provider_is_cheapest(cheapest: str) -> None:
    """The name most of its providers use, not the cheapest one's: a hotel must not be renamed
    from one search to the next because another provider's rate went lower."""
    spellings = {
        "amadeus": "MAISON PICPUS",
        "duffel": "Maison Picpus",
        "hotelbeds": "Maison Picpus Hotel",
        "liteapi": "Maison Picpus",
    }
    offers = [
        hotel(provider, name, 48.84, 2.40, money("100" if provider == cheapest else "120"))
        for provider, name in spellings.items()
    ]
    [cluster] = merge_hotels(offers, to_eur, domain.GeoPoint(48.86, 2.35))
    assert cluster.offer().sources[0].provider == cheapest
    assert cluster.name == cluster.offer().hotel.name == "Maison Picpus"


def test_a_providers_names_are_bounded_and_printable_when_shown() -> None:
    """Names are a provider's own text: a 5,000-character hotel name with control and bidi
    characters, or such a carrier, aircraft or fare brand, is shown cut and cleaned."""
    hostile = "GRAND\u202e HOTEL\x00\x1b[31m " + "X" * 5000
    [cluster] = merge_hotels(
        [hotel("duffel", hostile, 48.85, 2.35, money("100"))], to_eur, domain.GeoPoint(48.85, 2.35)
    )
    name = cluster.offer().hotel.name
    assert len(name) <= naming.MAX_NAME_CHARS
    assert name.isprintable()
    assert name.startswith("GRAND HOTEL ")  # control and bidi characters became spaces

    offer = flight("duffel", money("100"))
    segment = offer.itineraries[0].segments[0]
    strange = replace(segment, carrier=domain.Carrier(code="ZZ", name=hostile), aircraft=hostile)
    offer = replace(
        offer,
        itineraries=(domain.Itinerary(offer.itineraries[0].duration_minutes, (strange,)),),
    )
    shown = naming.flight_offer(offer).itineraries[0].segments[0]
    for value in (shown.carrier.name, shown.aircraft):
        assert value is not None
        assert len(value) <= naming.MAX_NAME_CHARS
        assert value.isprintable()


@pytest.mark.parametrize(
    "name",
    ["BEST WESTERN JARDIN DE CLUNY", "Hôtel Le Grand", "  TURKISH\tAIRLINES ", "", None],
)
def test_names_are_shown_the_same_whether_remembered_or_not(name: str | None) -> None:
    assert naming.shown(name) == naming._shown(name) == naming.shown(name)


def test_only_short_names_are_remembered_as_shown() -> None:
    """The memo of names as shown holds provider text: long names are never kept in it."""
    naming._shown_remembered.cache_clear()
    long_name = "GRAND HOTEL " + "X" * 5000
    assert naming.shown(long_name) == naming._shown(long_name)
    assert naming.shown("GRAND HOTEL") == "Grand Hotel"
    assert naming._shown_remembered.cache_info().currsize == 1
