"""The simulators' world looks like the real one: who flies where and when, how many fares, what
things are called. The demo and the benchmarks are only as honest as this inventory."""

from __future__ import annotations

from collections import Counter
from datetime import date, time

import aiohttp
import pytest

from gateway import airlines, reference
from gateway.casing import display_case
from gateway.search import merge
from simulators.common import inventory, lodging
from simulators.common.schedule import NARROW_BODY_KM, route_schedule
from tests.helpers import GraphQLClient, Simulators, days_ahead

pytestmark = pytest.mark.e2e

DAY = date(2027, 3, 10)
"""A Wednesday outside any daylight-saving change."""

ROUTES = [
    ("LHR", "JFK"),
    ("JFK", "LHR"),
    ("CDG", "HND"),
    ("MAD", "BCN"),
    ("ZRH", "VIE"),
    ("SYD", "LHR"),
    ("BER", "LIS"),
    ("FRA", "SIN"),
    ("AMS", "ATL"),
    ("DXB", "LHR"),
    ("IST", "ORD"),
    ("HEL", "NRT"),
]


def _km(leg: inventory.Leg) -> float:
    o, d = leg.origin, leg.destination
    return reference.distance_km(o.latitude, o.longitude, d.latitude, d.longitude)


@pytest.mark.parametrize(("origin", "destination"), ROUTES)
def test_nonstops_are_flown_by_carriers_based_at_one_end(origin: str, destination: str) -> None:
    journeys = inventory.journeys(origin, destination, DAY)
    assert journeys
    for journey in journeys:
        if len(journey.legs) == 1:
            leg = journey.legs[0]
            ends = (leg.origin.code, leg.destination.code)
            based = {carrier for end in ends for carrier in airlines.based_at(end)}
            assert any(airlines.allied(leg.airline, other) for other in based), journey.key
        else:
            # A one-stop: one carrier on both legs, through one of its own hubs.
            first, second = journey.legs
            assert first.airline == second.airline
            assert first.destination.code in first.airline.bases
            assert first.destination == second.origin


@pytest.mark.parametrize(("origin", "destination"), ROUTES)
def test_legs_are_flown_on_aircraft_that_reach(origin: str, destination: str) -> None:
    for journey in inventory.journeys(origin, destination, DAY):
        for leg in journey.legs:
            assert leg.aircraft in inventory.AIRCRAFT
            assert leg.aircraft in leg.airline.narrow_bodies + leg.airline.wide_bodies
            if _km(leg) > NARROW_BODY_KM:
                assert leg.aircraft in leg.airline.wide_bodies or leg.aircraft == "32Q"


@pytest.mark.parametrize(
    ("origin", "destination", "earliest", "latest"),
    [
        # Europe to North America leaves by day; back overnight; Europe to Asia in the evening.
        ("LHR", "JFK", time(8), time(17)),
        ("JFK", "LHR", time(17), time(23)),
        ("CDG", "HND", time(17), time(23, 30)),
    ],
)
def test_long_haul_nonstops_leave_in_their_windows(
    origin: str, destination: str, earliest: time, latest: time
) -> None:
    nonstops = [j for j in inventory.journeys(origin, destination, DAY) if len(j.legs) == 1]
    assert nonstops
    for journey in nonstops:
        assert earliest <= journey.legs[0].departs.time() <= latest, journey.key


def test_short_haul_departures_spread_through_the_day() -> None:
    departures = sorted(j.legs[0].departs.time() for j in inventory.journeys("MAD", "BCN", DAY))
    assert departures[0] >= time(6)
    assert departures[-1] <= time(21, 45)
    assert departures[0] < time(9)
    assert departures[-1] > time(18)


@pytest.mark.parametrize(
    ("origin", "destination"),
    [("CDG", "ORY"), ("LHR", "LGW"), ("JFK", "EWR"), ("HND", "NRT"), ("PAR", "ORY")],
)
def test_no_positioning_flights_between_a_citys_own_airports(origin: str, destination: str) -> None:
    assert route_schedule(origin, destination) == ()
    assert inventory.journeys(origin, destination, DAY) == []


def test_connections_never_pass_through_the_origin_or_destination_city() -> None:
    for origin, destination in ROUTES:
        ends = {reference.city_code_of(origin), reference.city_code_of(destination)}
        for journey in inventory.journeys(origin, destination, DAY):
            for leg in journey.legs[1:]:
                assert reference.city_code_of(leg.origin.code) not in ends, journey.key


def test_volumes_follow_the_size_of_the_route() -> None:
    """A trunk route between hubs has dozens of flights a day; a thin one a handful."""
    trunk = inventory.journeys("LHR", "JFK", DAY)
    thin = inventory.journeys("BER", "LIS", DAY)
    assert sum(len(j.legs) == 1 for j in trunk) >= 15
    assert len(trunk) >= 25
    assert sum(len(j.legs) == 1 for j in thin) <= 3
    carriers = Counter(j.legs[0].airline.code for j in trunk if len(j.legs) == 1)
    assert {"BA", "AA", "VS", "DL", "B6"} <= set(carriers)
    assert "UA" not in carriers  # based at Newark, not JFK
    # The home carriers fly it most often.
    assert carriers["BA"] >= carriers["B6"]


def test_a_flight_number_leaves_at_the_same_time_every_day() -> None:
    def times(day: date) -> dict[str, time]:
        return {
            f"{j.legs[0].airline.code}{j.legs[0].number}": j.legs[0].departs.time()
            for j in inventory.journeys("LHR", "JFK", day)
            if len(j.legs) == 1
        }

    assert times(DAY) == times(date(2027, 3, 11))


async def test_each_flight_is_sold_in_several_fares_at_rising_prices(sims: Simulators) -> None:
    """Amadeus answers one offer per fare brand of the same flights, with its bags."""
    base = sims.base_urls["amadeus"]
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{base}/v1/security/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "a",
                "client_secret": "b",
            },
        ) as response:
            token = (await response.json())["access_token"]
        params = {
            "originLocationCode": "LHR",
            "destinationLocationCode": "JFK",
            "departureDate": days_ahead(40),
            "adults": "1",
            "max": "250",
        }
        async with session.get(
            f"{base}/v2/shopping/flight-offers",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status == 200
            offers = (await response.json(content_type=None))["data"]
    assert len(offers) >= 60  # dozens of flights, each in three fares
    by_flights: dict[str, list[tuple[float, str, int]]] = {}
    for offer in offers:
        flights = "+".join(
            f"{s['carrierCode']}{s['number']}@{s['departure']['at']}"
            for it in offer["itineraries"]
            for s in it["segments"]
        )
        detail = offer["travelerPricings"][0]["fareDetailsBySegment"][0]
        by_flights.setdefault(flights, []).append(
            (
                float(offer["price"]["grandTotal"]),
                detail["brandedFare"],
                detail["includedCheckedBags"]["quantity"],
            )
        )
    complete = [fares for fares in by_flights.values() if len(fares) == 3]
    assert len(complete) >= len(by_flights) / 2
    for fares in complete:
        fares.sort()
        assert [brand for _, brand, _ in fares] == ["BASIC", "STANDARD", "FLEX"]
        assert fares[0][2] == 0
        assert fares[1][2] >= 1


# --------------------------------------------------------------------------------- names


def test_names_in_capitals_are_shown_in_mixed_case() -> None:
    assert display_case("BEST WESTERN JARDIN DE CLUNY") == "Best Western Jardin de Cluny"
    assert display_case("HOTEL L'EIXAMPLE") == "Hotel l'Eixample"
    assert display_case("Lufthansa") == "Lufthansa"
    assert airlines.carrier_name("TK", "TURKISH AIRLINES") == "Turkish Airlines"
    assert airlines.carrier_name("KL", "KLM") == "KLM Royal Dutch Airlines"
    assert airlines.carrier_name("ZZ", "ZED AIR") == "Zed Air"
    assert airlines.aircraft_name("BOEING 777-300ER") == "Boeing 777-300ER"
    assert airlines.aircraft_name("AIRBUS A350-900") == "Airbus A350-900"


async def test_carriers_are_named_one_way_whichever_provider_sold_them(
    client: GraphQLClient,
) -> None:
    """Amadeus names carriers in capitals, Duffel in mixed case: one answer shows one name."""
    query = """
    query($search: FlightSearchInput!) {
      flights(search: $search, first: 100) {
        offers { nodes {
          sources { provider }
          itineraries { segments { carrier { code name } aircraft } }
        } }
      }
    }"""
    search = {"origin": "LHR", "destination": "JFK", "departureDate": days_ahead(40)}
    status, body = await client.post(query, {"search": search})
    assert status == 200, body
    nodes = body["data"]["flights"]["offers"]["nodes"]
    assert {s["provider"] for n in nodes for s in n["sources"]} == {"amadeus", "duffel"}
    names: dict[str, set[str]] = {}
    aircraft = set()
    for node in nodes:
        for itinerary in node["itineraries"]:
            for segment in itinerary["segments"]:
                names.setdefault(segment["carrier"]["code"], set()).add(segment["carrier"]["name"])
                aircraft.add(segment["aircraft"])
    assert len(names) >= 5
    for code, seen in names.items():
        known = airlines.airline(code)
        assert known is not None
        assert seen == {known.name}
    assert aircraft <= set(inventory.AIRCRAFT.values())


CITIES = ["PAR", "LON", "NYC", "TYO", "BER", "MAD", "ROM", "BCN", "AMS", "SYD", "DXB", "LIS"]


@pytest.mark.parametrize("city", CITIES)
def test_no_two_hotels_of_a_city_share_a_name(city: str) -> None:
    hotels = inventory.hotels(city)
    assert len(hotels) >= 20
    names = Counter(merge.normalise_hotel_name(hotel.name) for hotel in hotels)
    assert names.most_common(1)[0][1] == 1
    for hotel in hotels:
        assert hotel.name.strip() == hotel.name
        assert "  " not in hotel.name
        if hotel.chain_code is not None:
            # A chain's branch carries its chain code and its brand's name.
            brands = [b for b in lodging.BRANDS if b.chain_code == hotel.chain_code]
            assert any(b.name.casefold() in hotel.name.casefold() for b in brands), hotel


def test_the_simulators_compare_hotel_names_as_the_gateway_merges_them() -> None:
    """The simulators keep a copy of the gateway's name comparison (they do not import its
    search layer): the two agree on every name the simulated hotels carry."""
    names = {hotel.name for city in CITIES for hotel in inventory.hotels(city)}
    names |= {"HÔTEL Le Grand", "The Grand Hotel", "A&B Suites", "Novotel Paris Centre"}
    assert len(names) > 300
    for name in names:
        assert lodging.normalise_hotel_name(name) == merge.normalise_hotel_name(name), name


def test_hotels_stand_in_the_citys_real_districts() -> None:
    districts = {d.name for d in reference.districts("PAR")}
    assert {"Montmartre", "Opéra", "Marais"} & districts
    hotels = inventory.hotels("PAR")
    assert sum(h.district in districts for h in hotels) >= len(hotels) * 0.8
    assert all(h.distance_km <= 10 for h in hotels)


async def test_four_providers_merge_into_one_list_of_hotels(client: GraphQLClient) -> None:
    query = """
    query($search: HotelSearchInput!) {
      hotels(search: $search, first: 100) {
        offers { nodes { hotel { name } rooms { provider } } }
        providers { provider status offerCount }
      }
    }"""
    search = {"cityCode": "PAR", "checkIn": days_ahead(30), "checkOut": days_ahead(32)}
    status, body = await client.post(query, {"search": search})
    assert status == 200, body
    hotels = body["data"]["hotels"]
    assert {p["provider"]: p["status"] for p in hotels["providers"]} == dict.fromkeys(
        ("amadeus", "duffel", "hotelbeds", "liteapi"), "OK"
    )
    nodes = hotels["offers"]["nodes"]
    names = [merge.normalise_hotel_name(node["hotel"]["name"]) for node in nodes]
    assert len(names) == len(set(names))  # each hotel once, however many sell it
    sellers = [len({room["provider"] for room in node["rooms"]}) for node in nodes]
    assert max(sellers) == 4
    assert sum(count >= 2 for count in sellers) >= len(nodes) / 3
    assert not any(node["hotel"]["name"].isupper() for node in nodes)
