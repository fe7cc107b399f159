"""Location search: ranking, normalisation, bounds, the index's shortcuts, and the field over
HTTP (its cost, and no provider called)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.api.schema.query import DEFAULT_LOCATIONS
from gateway.config import Settings
from gateway.domain import LocationKind
from gateway.errors import BadUserInput
from gateway.search import locations
from gateway.search.locations import LocationIndex, build, find, normalise
from gateway.search.validation import MAX_LOCATION_QUERY, check_location_search
from tests.helpers import GraphQLClient, Simulators, gateway

pytestmark = pytest.mark.e2e


def codes(query: str, first: int = 10) -> list[str]:
    return [place.code for place in find(query, first)]


def test_an_exact_code_comes_first() -> None:
    assert codes("LHR")[0] == "LHR"
    assert codes("lhr")[0] == "LHR"
    assert codes("jfk")[0] == "JFK"


def test_a_city_comes_right_before_its_airports() -> None:
    found = find("lon", 10)
    assert [(p.code, p.kind) for p in found[:2]] == [
        ("LON", LocationKind.CITY),
        ("LHR", LocationKind.AIRPORT),
    ]
    assert {p.code for p in found[2:6]} == {"LGW", "STN", "LTN", "LCY"}
    assert all(p.city_code == "LON" for p in found[:6])
    assert found[0].airports[0] == "LHR"
    assert set(found[0].airports) == {"LHR", "LGW", "STN", "LTN", "LCY"}
    assert codes("par")[:3] == ["PAR", "CDG", "ORY"]
    assert codes("new york")[:3] == ["NYC", "JFK", "LGA"]


def test_a_city_found_by_name_comes_before_another_citys_airport() -> None:
    # Nagoya's Chubu Centrair is in Tokoname: found by "tok", but after Tokyo and its airports.
    assert codes("tok")[:4] == ["TYO", "HND", "NRT", "NGO"]


def test_a_city_and_an_airport_sharing_a_code_both_come_first_city_before() -> None:
    found = find("DXB", 5)
    assert [(p.code, p.kind) for p in found[:2]] == [
        ("DXB", LocationKind.CITY),
        ("DXB", LocationKind.AIRPORT),
    ]


@pytest.mark.parametrize("query", ["zur", "Zür", "ZURICH", "zurich airport"])
def test_names_match_without_case_or_accents(query: str) -> None:
    assert codes(query)[0] == "ZRH"


@pytest.mark.parametrize("query", ["sao", "São", "são paulo", "SAO  PAULO"])
def test_sao_finds_sao_paulo_and_its_airports(query: str) -> None:
    assert codes(query)[:4] == ["SAO", "GRU", "CGH", "VCP"]


def test_a_later_word_of_a_name_finds_it_after_the_names_that_start_with_the_query() -> None:
    assert codes("heathrow") == ["LHR"]
    assert codes("gatwick") == ["LGW"]
    assert codes("kennedy")[0] == "JFK"
    assert codes("orly") == ["ORY"]


def test_filler_words_find_nothing_by_themselves() -> None:
    """ "air" must not find every airport by the word "Airport": only the code AIR and names
    with another word starting with it (Buenos Aires and its airports, Aircenter)."""
    found = find("air", 20)
    assert 0 < len(found) < 20
    for place in found:
        area = find(place.city_code, 1)[0].name  # a metropolitan area's airports go by its name
        words = normalise(f"{place.name} {place.city_name} {area}").split()
        assert place.code == "AIR" or any(
            word.startswith("air") and word not in ("airport", "airpark") for word in words
        ), place


@pytest.mark.parametrize("query", ["Lodnon", "xqzv", "!!!", "zurich x", "ー"])
def test_no_match_is_an_empty_list(query: str) -> None:
    assert find(query, 20) == []


def test_first_bounds_the_answer_and_places_never_repeat() -> None:
    for query in ["a", "an", "ank", "s", "lon", "san", "new", "par", "dxb", "international"]:
        for first in (1, 3, 20):
            found = [(place.code, place.kind) for place in find(query, first)]
            assert len(found) <= first
            assert len(set(found)) == len(found), query
    assert len(codes("a", 20)) == 20


def test_precomputed_prefixes_answer_as_a_full_scan_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wide prefixes are answered from lists built in advance; with none built, every query
    scans its whole range: both must agree."""
    index = locations.index()
    monkeypatch.setattr(locations, "SCAN_LIMIT", 10**9)
    scanning: LocationIndex = build()
    letters = "abcdefghijklmnopqrstuvwxyz"
    queries = [*letters, *(a + b for a in "aeilmnoprst" for b in letters), "lon", "san", "new"]
    for query in queries:
        for first in (1, 10, 20):
            assert index.find(query, first) == scanning.find(query, first), (query, first)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("São Paulo-Guarulhos", "sao paulo guarulhos"),
        ("ZÜRICH", "zurich"),
        ("Ísafjörður", "isafjordur"),
        ("Łódź", "lodz"),
        ("  New   York ", "new york"),
        ("Nice-Cote d'Azur", "nice cote d azur"),
        ("Straße", "strasse"),
    ],
)
def test_normalise_folds_case_accents_and_punctuation(text: str, key: str) -> None:
    assert normalise(text) == key


def test_every_airport_and_metropolitan_area_is_indexed() -> None:
    from gateway import reference

    index = locations.index()
    assert len(index) == len(list(reference.airports())) + len(list(reference.metro_areas()))
    zurich = find("ZRH", 1)[0]
    assert (zurich.kind, zurich.city_code, zurich.city_name, zurich.country_code) == (
        LocationKind.AIRPORT,
        "ZRH",
        "Zurich",
        "CH",
    )
    assert zurich.airports == ()
    assert 47 < zurich.location.latitude < 48


@pytest.mark.parametrize(
    ("query", "first", "fields"),
    [
        ("", 10, ["query"]),
        ("   ", 10, ["query"]),
        ("x" * (MAX_LOCATION_QUERY + 1), 10, ["query"]),
        ("lon", 0, ["first"]),
        ("lon", 21, ["first"]),
        ("", -1, ["query", "first"]),
    ],
)
def test_arguments_out_of_bounds_are_bad_user_input(
    query: str, first: int, fields: list[str]
) -> None:
    with pytest.raises(BadUserInput) as raised:
        check_location_search(query, first)
    assert [problem.field for problem in raised.value.problems] == fields
    assert len(raised.value.message) < 120  # an excerpt of the input, never all of it


def test_arguments_in_bounds_are_trimmed() -> None:
    assert check_location_search("  lon ", 1) == "lon"
    longest = "y" * MAX_LOCATION_QUERY
    assert check_location_search(f" {longest} ", 20) == longest


PLACES = """
query Places($q: String!, $n: Int) {
  locations(query: $q, first: $n) {
    code name kind cityCode cityName countryCode location { latitude longitude } airports
  }
}
"""


def upstream_calls(sims: Simulators) -> int:
    return sum(sum(state.calls.values()) for state in sims.states.values())


async def test_locations_over_http_never_call_a_provider(
    client: GraphQLClient, sims: Simulators
) -> None:
    status, body = await client.post(PLACES, {"q": "lon", "n": 6})
    assert status == 200
    assert "errors" not in body
    london, heathrow, *others = body["data"]["locations"]
    assert london == {
        "code": "LON",
        "name": "London",
        "kind": "CITY",
        "cityCode": "LON",
        "cityName": "London",
        "countryCode": "GB",
        "location": london["location"],
        "airports": ["LHR", "LCY", "LGW", "LTN", "STN"],
    }
    assert london["location"] == {"latitude": 51.50853, "longitude": -0.12574}  # its centre
    assert heathrow == {
        "code": "LHR",
        "name": "London Heathrow Airport",
        "kind": "AIRPORT",
        "cityCode": "LON",
        "cityName": "London",
        "countryCode": "GB",
        "location": {"latitude": 51.4706, "longitude": -0.46194},
        "airports": [],
    }
    assert [place["code"] for place in others] == ["LCY", "LGW", "LTN", "STN"]
    _, defaulted = await client.post(PLACES, {"q": "a"})
    assert len(defaulted["data"]["locations"]) == DEFAULT_LOCATIONS
    _, misspelt = await client.post(PLACES, {"q": "Lodnon"})
    assert misspelt == {"data": {"locations": []}}
    assert upstream_calls(sims) == 0


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"q": ""}, "query"),
        ({"q": "  "}, "query"),
        ({"q": "x" * (MAX_LOCATION_QUERY + 1)}, "query"),
        ({"q": "lon", "n": 0}, "first"),
        ({"q": "lon", "n": 21}, "first"),
    ],
)
async def test_arguments_out_of_bounds_over_http(
    client: GraphQLClient, sims: Simulators, variables: dict[str, Any], field: str
) -> None:
    status, body = await client.post(
        "query($q: String!, $n: Int) { locations(query: $q, first: $n) { code } "
        "providers { name } }",
        variables,
    )
    assert status == 200
    assert body["data"]["locations"] is None
    assert body["data"]["providers"]  # a sibling field is still answered
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert [problem["field"] for problem in error["extensions"]["problems"]] == [field]
    assert error["message"].startswith(f"{field}: ")
    assert "x" * 30 not in error["message"]
    assert upstream_calls(sims) == 0


async def test_a_locations_list_costs_its_own_first(sims: Simulators) -> None:
    """Each place costs 2 (itself and its GeoPoint): 20 places are 40."""
    query = '{ locations(query: "lon", first: %d) { code location { latitude } } }'
    async with gateway(Settings(max_cost=30), sims) as client:
        allowed = await client.post(query % 10)
        refused = await client.post(query % 20)
        by_variable = await client.post(
            'query($n: Int) { locations(query: "lon", first: $n) { location { latitude } } }',
            {"n": 1},
        )
    assert allowed[0] == 200
    assert len(allowed[1]["data"]["locations"]) == 10
    assert refused[0] == 400
    [error] = refused[1]["errors"]
    assert error["extensions"]["code"] == "OPERATION_TOO_EXPENSIVE"
    assert error["extensions"]["cost"]["estimated"] == 40
    # Measured before its variables are known: a variable `first` counts as the largest page.
    assert by_variable[0] == 400
    assert by_variable[1]["errors"][0]["extensions"]["cost"]["estimated"] == 200
