"""City centres come from the gazetteer (GeoNames), not from the mean of a city's airports."""

from __future__ import annotations

import pytest

from gateway import reference

pytestmark = pytest.mark.unit

KNOWN_CENTRES = {
    # code: (latitude, longitude) of the city centre (GeoNames; Wikipedia agrees within 1 km)
    "PAR": (48.8566, 2.3522),
    "NYC": (40.7128, -74.0060),
    "TYO": (35.6895, 139.6917),
    "LON": (51.5074, -0.1278),
    "ROM": (41.9028, 12.4964),
    "MIL": (45.4642, 9.1900),
    "BER": (52.5200, 13.4050),  # one airport (BER), the city of Berlin
    "MAD": (40.4168, -3.7038),
    "SIN": (1.2897, 103.8501),
}


@pytest.mark.parametrize(("code", "centre"), KNOWN_CENTRES.items())
def test_cities_are_searched_around_their_own_centre(
    code: str, centre: tuple[float, float]
) -> None:
    """Found: the mean of a city's airports was used: 7.6 km off for PAR, 15 for NYC, 29 for TYO."""
    city = reference.city(code)
    assert city is not None
    assert reference.distance_km(city.latitude, city.longitude, *centre) < 2.0


def test_the_airports_mean_was_far_off_where_it_matters() -> None:
    for code, off_km in (("PAR", 5), ("NYC", 10), ("TYO", 20)):
        city = reference.city(code)
        assert city is not None
        mean = (
            sum(a.latitude for a in city.airports) / len(city.airports),
            sum(a.longitude for a in city.airports) / len(city.airports),
        )
        assert reference.distance_km(city.latitude, city.longitude, *mean) > off_km


def test_a_place_the_gazetteer_does_not_know_keeps_its_airport() -> None:
    # Longyearbyen (LYR) has ~2,500 people: below the gazetteer's 15,000.
    airport = reference.airport("LYR")
    city = reference.city("LYR")
    assert airport is not None
    assert city is not None
    assert (city.latitude, city.longitude) == (airport.latitude, airport.longitude)
