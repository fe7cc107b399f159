"""GraphQL over HTTP as the spec says: both response media types, their status codes, `data`.

Request errors (the document, the operation or the variables at fault: nothing ran) carry no
`data` entry; in `application/graphql-response+json` they are 400, in `application/json` 200.
"""

from __future__ import annotations

import gzip
from typing import Any

import aiohttp
import brotli
import orjson
import pytest
from graphql import get_introspection_query

from gateway.api.transport.media import GRAPHQL_RESPONSE, JSON, negotiate
from tests.helpers import GraphQLClient, days_ahead

pytestmark = pytest.mark.e2e

INVALID = {"query": "{ providers { nonsense } }"}
BAD_VARIABLE = {
    "query": "query($s: HotelSearchInput!) { hotels(search: $s) { offers { totalCount } } }",
    "variables": {"s": {"cityCode": "PAR", "checkIn": "2027-02-30", "checkOut": days_ahead(3)}},
}
RAN = {"query": "{ providers { name } }"}


async def post(
    client: GraphQLClient, payload: dict[str, Any], accept: str | None
) -> tuple[int, str, dict[str, Any]]:
    headers = {"Accept": accept} if accept is not None else {"Accept": ""}
    status, got, raw = await client.raw("POST", json=payload, headers=headers)
    return status, got["content-type"], orjson.loads(raw)


@pytest.mark.parametrize("payload", [INVALID, BAD_VARIABLE])
@pytest.mark.parametrize(
    ("accept", "status", "media_type"),
    [
        (GRAPHQL_RESPONSE, 400, GRAPHQL_RESPONSE),
        ("application/graphql-response+json, application/json;q=0.9", 400, GRAPHQL_RESPONSE),
        (JSON, 200, JSON),
        ("*/*", 200, JSON),
        (None, 200, JSON),
        ("application/json, application/graphql-response+json;q=0.5", 200, JSON),
    ],
)
async def test_a_request_error_in_either_media_type(
    client: GraphQLClient,
    payload: dict[str, Any],
    accept: str | None,
    status: int,
    media_type: str,
) -> None:
    got_status, content_type, body = await post(client, payload, accept)
    assert got_status == status
    assert content_type == f"{media_type}; charset=utf-8"
    assert "data" not in body  # execution never started
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_an_executed_request_is_200_in_either_media_type(
    client: GraphQLClient, accept: str
) -> None:
    status, content_type, body = await post(client, RAN, accept)
    assert (status, content_type) == (200, f"{accept}; charset=utf-8")
    assert body["data"]["providers"]


async def test_field_errors_keep_data_and_200(client: GraphQLClient) -> None:
    query = """query($s: FlightSearchInput!) { flights(search: $s) { offers { totalCount } } }"""
    variables = {"s": {"origin": "LON", "destination": "LON", "departureDate": days_ahead(9)}}
    status, _, body = await post(client, {"query": query, "variables": variables}, GRAPHQL_RESPONSE)
    assert status == 200
    assert body["data"] == {"flights": None}
    assert body["errors"][0]["path"] == ["flights"]


async def test_nothing_acceptable_is_406(client: GraphQLClient) -> None:
    status, content_type, body = await post(client, RAN, "text/plain")
    assert status == 406
    assert content_type.startswith(JSON)
    assert body["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("application/*", JSON),
        ("application/graphql-response+json;q=0", None),  # q=0: not acceptable
        ("text/html;q=0.9, application/graphql-response+json", GRAPHQL_RESPONSE),
        ("image/png", None),
        ("application/json;q=oops", None),
    ],
)
def test_negotiation(accept: str | None, chosen: str | None) -> None:
    assert negotiate(accept) == chosen


INTROSPECTION = {"query": get_introspection_query(descriptions=True)}


@pytest.mark.parametrize(
    "header",
    [
        "apollographql-client-name",
        "apollographql-client-version",
        "apollo-require-preflight",
        "x-apollo-operation-name",
        "traceparent",
        "sentry-trace",
        "baggage",
    ],
)
async def test_preflights_allow_the_headers_common_clients_send(
    client: GraphQLClient, header: str
) -> None:
    """Found: CORS preflights failed for headers that common clients send."""
    status, headers, _ = await client.raw(
        "OPTIONS",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": f"content-type,{header}",
        },
    )
    assert status == 200
    assert header in headers["access-control-allow-headers"].lower()


@pytest.mark.parametrize(
    ("accepted", "encoding", "decode"),
    [
        ("br, gzip, deflate", "br", brotli.decompress),
        ("gzip, deflate", "gzip", gzip.decompress),
        ("identity", None, lambda body: body),
    ],
)
async def test_large_answers_are_compressed_when_the_client_accepts(
    served_client: GraphQLClient, accepted: str, encoding: str | None, decode: Any
) -> None:
    """Found: no compression (57 KB of JSON for 42 hotels). The bytes on the wire, served."""
    client = served_client
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.post(
            f"{client.base_url}/graphql",
            json=INTROSPECTION,
            headers={"Accept-Encoding": accepted, "Accept": JSON},
        ) as response,
    ):
        raw = await response.read()
        headers = response.headers
    assert headers.get("content-encoding") == encoding
    plain = decode(raw)
    assert orjson.loads(plain)["data"]["__schema"]["queryType"]["name"] == "Query"
    if encoding is not None:
        assert len(raw) < len(plain) / 3
        assert "accept-encoding" in headers["vary"].lower()
    assert "accept" in [part.strip().lower() for part in headers["vary"].split(",")]


async def test_small_answers_are_not_compressed(served_client: GraphQLClient) -> None:
    client = served_client
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.post(
            f"{client.base_url}/graphql", json=RAN, headers={"Accept-Encoding": "br, gzip"}
        ) as response,
    ):
        assert "content-encoding" not in response.headers
