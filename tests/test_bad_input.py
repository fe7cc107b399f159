"""Bad input over HTTP: a GraphQL error, code BAD_USER_INPUT, naming the field; never a 500."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from gateway.search.service import SearchService
from tests.helpers import GraphQLClient, days_ahead

pytestmark = pytest.mark.edge

FLIGHTS = """query($s: FlightSearchInput!) {
  flights(search: $s) { offers { totalCount } } }"""
HOTELS = """query($s: HotelSearchInput!) {
  hotels(search: $s) { offers { totalCount } } }"""


def flight(**changes: Any) -> dict[str, Any]:
    return {"origin": "LON", "destination": "NYC", "departureDate": days_ahead(20), **changes}


def hotel(**changes: Any) -> dict[str, Any]:
    return {"cityCode": "PAR", "checkIn": days_ahead(20), "checkOut": days_ahead(22), **changes}


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    return error


@pytest.mark.parametrize(
    ("variables", "field", "words"),
    [
        (flight(destination="LON"), "$s.destination", "must differ from origin"),
        (
            flight(origin="LHR", destination="LON"),
            "$s.destination",
            "same city as the origin (LON)",
        ),
        (flight(origin="LGW", destination="LCY"), "$s.destination", "same city as the origin"),
        (flight(origin="JFK", destination="LGA"), "$s.destination", "same city as the origin"),
        (flight(childrenAges=[0, 1]), "$s.childrenAges", "at most one per adult"),
        (flight(origin="LONDON"), "$s.origin", "3-letter IATA code"),
        (flight(origin="ZZQ"), "$s.origin", "not a known airport or city"),
        (flight(departureDate="2001-01-01"), "$s.departureDate", "in the past"),
        (flight(adults=7, childrenAges=[3, 4, 5]), "$s.adults", "at most 9 seated"),
        (flight(returnDate=days_ahead(10)), "$s.returnDate", "before departureDate"),
        (flight(maxPrice="-5"), "$s.maxPrice", "positive"),
        (flight(currency="EURO"), "$s.currency", "ISO 4217"),
    ],
)
async def test_flight_search_problems(
    client: GraphQLClient, variables: dict[str, Any], field: str, words: str
) -> None:
    status, body = await client.post(FLIGHTS, {"s": variables})
    assert status == 200
    assert body["data"] == {"flights": None}
    error = only_error(body)
    assert error["path"] == ["flights"]
    assert field in error["message"]
    assert words in error["message"]
    assert error["extensions"]["problems"][0]["field"] == field


@pytest.mark.parametrize(
    ("variables", "field", "words"),
    [
        (hotel(checkOut=days_ahead(20)), "$s.checkOut", "after checkIn"),
        (hotel(cityCode="P1"), "$s.cityCode", "3-letter"),
        (hotel(rooms=0), "$s.rooms", "from 1 to 9"),
        (hotel(checkOut=days_ahead(60)), "$s.checkOut", "at most 30 nights"),
    ],
)
async def test_hotel_search_problems(
    client: GraphQLClient, variables: dict[str, Any], field: str, words: str
) -> None:
    status, body = await client.post(HOTELS, {"s": variables})
    assert status == 200
    assert body["data"] == {"hotels": None}
    error = only_error(body)
    assert field in error["message"]
    assert words in error["message"]


async def test_every_problem_is_reported_at_once(client: GraphQLClient) -> None:
    variables = flight(origin="X", destination="X", childrenAges=[0, 0, 1])
    _, body = await client.post(FLIGHTS, {"s": variables})
    problems = only_error(body)["extensions"]["problems"]
    assert [p["field"] for p in problems] == [
        "$s.origin",
        "$s.destination",
        "$s.destination",
        "$s.childrenAges",
    ]


async def test_invalid_date_names_the_variable(client: GraphQLClient) -> None:
    status, body = await client.post(FLIGHTS, {"s": flight(departureDate="2027-02-30")})
    assert status == 400
    assert "data" not in body  # nothing ran
    error = only_error(body)
    assert "departureDate" in error["message"]
    assert "'2027-02-30' is not a valid date" in error["message"]


async def test_invalid_date_literal(client: GraphQLClient) -> None:
    query = (
        '{ flights(search: {origin: "LON", destination: "NYC", departureDate: "soon"}) '
        "{ offers { totalCount } } }"
    )
    status, body = await client.post(query)
    assert status == 400
    assert "'soon' is not a valid date" in only_error(body)["message"]


async def test_unknown_field(client: GraphQLClient) -> None:
    status, body = await client.post("{ flights { nonsense } }")
    assert status == 400
    messages = " ".join(e["message"] for e in body["errors"])
    assert "nonsense" in messages
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}


async def test_wrong_type(client: GraphQLClient) -> None:
    status, body = await client.post(FLIGHTS, {"s": flight(adults="two")})
    assert status == 400
    error = only_error(body)
    assert "adults" in error["message"]
    assert "Int" in error["message"]


async def test_syntax_error(client: GraphQLClient) -> None:
    status, body = await client.post("{ flights(")
    assert status == 400
    assert "Syntax Error" in only_error(body)["message"]


async def test_malformed_json_body(client: GraphQLClient) -> None:
    status, headers, raw = await client.raw(
        "POST",
        data=b'{"query": "{ providers { name } }"',
        headers={"Content-Type": "application/json"},
    )
    assert status == 400
    assert "json" in headers["content-type"]
    assert b"Malformed JSON body" in raw
    assert b'"code":"BAD_REQUEST"' in raw


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"[]", b"Batched requests are not supported"),
        (b'"just a string"', b"must be an object"),
        (b'{"query": 42}', b"must be a non-empty string"),
        (b'{"query": "{ providers { name } }", "variables": [1]}', b"must be a JSON object"),
    ],
)
async def test_malformed_requests(client: GraphQLClient, payload: bytes, words: bytes) -> None:
    status, _, raw = await client.raw(
        "POST", data=payload, headers={"Content-Type": "application/json"}
    )
    assert status == 400
    assert words in raw


async def test_wrong_content_type(client: GraphQLClient) -> None:
    status, _, raw = await client.raw(
        "POST", data=b"query=x", headers={"Content-Type": "text/plain"}
    )
    assert status == 415
    assert b"application/json" in raw


async def test_oversized_body(client: GraphQLClient) -> None:
    padding = "#" + "x" * 300_000 + "\n"
    status, _, raw = await client.raw("POST", json={"query": padding + "{ providers { name } }"})
    assert status == 413
    assert b"larger than" in raw


async def test_bad_cursor_and_page_size(client: GraphQLClient) -> None:
    query = """query($s: FlightSearchInput!, $first: Int!, $after: String) {
      flights(search: $s, first: $first, after: $after) { offers { totalCount } } }"""
    _, body = await client.post(query, {"s": flight(), "first": 20, "after": "not-a-cursor"})
    assert "$after: is not a valid cursor" in only_error(body)["message"]
    _, body = await client.post(query, {"s": flight(), "first": 0})
    assert "$first: must be from 1 to 100" in only_error(body)["message"]


async def test_too_many_aliases_are_refused(client: GraphQLClient) -> None:
    aliases = "{ " + " ".join(f"a{i}: providers {{ name }}" for i in range(25)) + " }"
    status, body = await client.post(aliases)
    assert status == 400
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "OPERATION_TOO_COMPLEX",
        "limit": "aliases",
        "measured": 25,
        "allowed": 20,
    }
    assert "25 aliases" in error["message"]


def test_query_depth_is_limited() -> None:
    from gateway.api.admission.documents import DocumentSettings
    from gateway.api.admission.measure import DocumentLimits
    from gateway.api.schema.build import build_schema

    schema = build_schema(DocumentSettings(limits=DocumentLimits(max_depth=3)))
    shallow = schema.execute_sync("{ providers { name } }")
    assert shallow.errors is None or "deep" not in str(shallow.errors)  # (no context to run)
    deep = schema.execute_sync(
        '{ flights(search: {origin: "LON", destination: "NYC", departureDate: "2030-01-01"}) '
        "{ offers { edges { node { id } } } } }"
    )
    assert deep.errors
    assert "5 fields deep; at most 3 are allowed" in deep.errors[0].message


async def test_unexpected_error_is_masked_and_logged_once(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("db password is hunter2 at https://internal.example/api")

    monkeypatch.setattr(SearchService, "search_flights", explode)
    with caplog.at_level(logging.ERROR, logger="gateway.errors"):
        status, body = await client.post(FLIGHTS, {"s": flight()})
    assert status == 200
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    request_id = error["extensions"]["requestId"]
    assert "hunter2" not in str(body)
    assert "internal.example" not in str(body)
    records = [r for r in caplog.records if request_id in r.getMessage()]
    assert len(records) == 1
    assert records[0].exc_info is not None


async def test_coercion_and_semantic_problems_have_one_shape(client: GraphQLClient) -> None:
    """Found: errors from variable coercion (a bad date) lacked the `extensions.problems` that
    semantic validation has, so a form needed two code paths. Both now list `{field, message}`
    under the path the client wrote: the variable's."""
    coerced_status, coerced = await client.post(
        HOTELS, {"s": hotel(checkIn="2027-02-30", rooms="two", spa=True)}
    )
    semantic_status, semantic = await client.post(HOTELS, {"s": hotel(rooms=0)})
    assert coerced_status == 400  # a request error: nothing ran
    assert semantic_status == 200  # a field error: the search ran its checks
    for body in (coerced, semantic):
        error = only_error(body)
        assert error["message"] == "; ".join(
            f"{p['field']}: {p['message']}" for p in error["extensions"]["problems"]
        )
    assert only_error(coerced)["extensions"]["problems"] == [
        {
            "field": "$s.checkIn",
            "message": "'2027-02-30' is not a valid date (expected YYYY-MM-DD)",
        },
        {"field": "$s.rooms", "message": "Int cannot represent non-integer value: 'two'"},
        {"field": "$s.spa", "message": "is not a field of this input"},
    ]
    assert only_error(semantic)["extensions"]["problems"] == [
        {"field": "$s.rooms", "message": "must be from 1 to 9"}
    ]


async def test_a_missing_variable_is_a_problem_of_its_own(client: GraphQLClient) -> None:
    status, body = await client.post(HOTELS, {})
    assert status == 400
    assert only_error(body)["extensions"]["problems"] == [{"field": "$s", "message": "is required"}]


async def test_problems_in_literals_and_nested_variables_keep_their_paths(
    client: GraphQLClient,
) -> None:
    dates = f'checkIn: "{days_ahead(20)}", checkOut: "{days_ahead(22)}"'
    literal = f'{{ hotels(search: {{cityCode: "PAR", {dates}, rooms: 0}}) {{ __typename }} }}'

    _, body = await client.post(literal)
    assert only_error(body)["extensions"]["problems"][0]["field"] == "search.rooms"
    nested = (
        f'query($rooms: Int!) {{ hotels(search: {{cityCode: "PAR", {dates}, rooms: $rooms}}) '
        "{ __typename } }"
    )
    _, body = await client.post(nested, {"rooms": 0})
    assert only_error(body)["extensions"]["problems"][0]["field"] == "$rooms"
