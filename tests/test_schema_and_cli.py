"""The schema file and the command line, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from gateway import domain
from gateway.api.schema.build import LIST_SIZES, build_schema, list_fields, schema_sdl
from tests.helpers import TRIP_QUERY, trip_variables
from tests.ports import free_port
from tests.served import clean_env, served_gateway

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent


def test_schema_file_matches_the_live_schema() -> None:
    assert (ROOT / "schema.graphql").read_text() == schema_sdl(), (
        "schema.graphql is stale: run `travel-gateway schema > schema.graphql`"
    )


def test_schema_command_prints_the_schema() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "gateway", "schema"], capture_output=True, text=True, check=True
    ).stdout
    assert printed == (ROOT / "schema.graphql").read_text()


def test_every_type_field_and_argument_is_described() -> None:
    from gateway.api.schema.build import build_schema

    schema = build_schema()._schema
    missing = []
    for name, gql_type in schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not gql_type.description:
            missing.append(name)
        for field_name, field in getattr(gql_type, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
            for arg_name, arg in getattr(field, "args", {}).items():
                if not arg.description:
                    missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []


def test_every_list_field_has_an_assumed_size() -> None:
    """The cost model prices a list by its assumed size (docs/security.md): a new list field
    missing from LIST_SIZES would be priced at a default guess."""
    fields = set(list_fields(build_schema()._schema))
    assert sorted(fields - set(LIST_SIZES)) == [], (
        "add them to gateway/api/schema/build.py LIST_SIZES"
    )
    assert sorted(set(LIST_SIZES) - fields) == [], "LIST_SIZES names fields the schema lacks"


async def test_serve_runs_the_demo_out_of_the_box() -> None:
    async with served_gateway() as served:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{served.url}/graphql",
                json={"query": TRIP_QUERY, "variables": trip_variables()},
            ) as response,
        ):
            assert response.status == 200
            body = await response.json()
        log = "".join(served.log)
    assert "Uvicorn running on" in log
    assert "Demo mode" in log
    assert f"{served.url}/graphql" in log
    assert "errors" not in body
    flight_providers = {o["provider"]: o["status"] for o in body["data"]["flights"]["providers"]}
    assert flight_providers == {"amadeus": "OK", "duffel": "OK"}
    hotel_providers = {o["provider"]: o["status"] for o in body["data"]["hotels"]["providers"]}
    assert hotel_providers == {"amadeus": "OK", "duffel": "OK", "hotelbeds": "OK", "liteapi": "OK"}
    assert body["data"]["hotels"]["offers"]["totalCount"] > 0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AMADEUS_CLIENT_ID": "x"}, "AMADEUS_CLIENT_SECRET is required"),
        ({"GATEWAY_PROVIDER_TIMEOUT_S": "soon"}, "GATEWAY_PROVIDER_TIMEOUT_S must be a number"),
        ({"DUFFEL_ACCESS_TOKEN": "t", "DUFFEL_BASE_URL": "ftp://x"}, "DUFFEL_BASE_URL must be"),
        (
            {"LITEAPI_API_KEY": "sand_x", "LITEAPI_GUEST_NATIONALITY": "UK"},
            "LITEAPI_GUEST_NATIONALITY must be an ISO 3166-1 alpha-2 country code",
        ),
    ],
)
def test_serve_refuses_bad_configuration(env: dict[str, str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--port", str(free_port())],
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert message in result.stderr


# GraphQL type → the domain record its values are at run time (gateway/api/schema/types.py).
RECORD_OF = {
    "FlightOffer": domain.FlightOffer,
    "Itinerary": domain.Itinerary,
    "Segment": domain.Segment,
    "Carrier": domain.Carrier,
    "FlightPoint": domain.FlightPoint,
    "OfferSource": domain.OfferSource,
    "Money": domain.Money,
    "HotelOffer": domain.HotelOffer,
    "Hotel": domain.Hotel,
    "GeoPoint": domain.GeoPoint,
    "RoomOffer": domain.RoomOffer,
    "Location": domain.Location,
}


@pytest.mark.parametrize("type_name", list(RECORD_OF))
def test_every_offer_field_is_an_attribute_of_its_domain_record(type_name: str) -> None:
    graphql_type = build_schema()._schema.type_map[type_name]
    record = RECORD_OF[type_name]
    attributes = set(record.__struct_fields__) | {
        name for name in dir(record) if isinstance(getattr(record, name), property)
    }
    fields = {
        definition.extensions["strawberry-definition"].python_name
        for definition in graphql_type.fields.values()  # type: ignore[union-attr]
    }
    assert fields <= attributes, fields - attributes


def test_keys_new_prints_a_loadable_entry(tmp_path: Path) -> None:
    from gateway.api.admission.clients import digest, load_keys

    result = subprocess.run(
        [sys.executable, "-m", "gateway", "keys", "new", "web frontend"],
        capture_output=True,
        text=True,
        check=True,
    )
    key = result.stdout.splitlines()[1].removeprefix("# ")
    assert key.startswith("tgw_")
    path = tmp_path / "keys.toml"
    path.write_text(result.stdout)
    [loaded] = load_keys(path).values()
    assert loaded.name == "web frontend"
    assert loaded.sha256 == digest(key)
    bad = subprocess.run([sys.executable, "-m", "gateway", "keys", "new", 'x"y'], check=False)
    assert bad.returncode == 2


def test_custom_scalars_say_what_they_are_specified_by() -> None:
    """Found: custom scalars had no `@specifiedBy`; code generators typed them unknown/Any."""
    from graphql import GraphQLScalarType, specified_scalar_types

    from gateway.api.schema.build import build_schema

    schema = build_schema()._schema
    custom = [
        t
        for name, t in schema.type_map.items()
        if isinstance(t, GraphQLScalarType) and name not in specified_scalar_types
    ]
    assert {t.name for t in custom} == {"Date", "LocalDateTime", "DateTime", "Decimal"}
    assert all(t.specified_by_url and t.specified_by_url.startswith("https://") for t in custom)


def test_date_time_is_an_instant_in_utc() -> None:
    """Found: nothing; the DateTime scalar (a fare's expiry) came with fares (issue 11)."""
    import datetime as dt

    from gateway.api.schema.scalars import SCALAR_MAP

    scalar = SCALAR_MAP[dt.datetime]
    paris = dt.timezone(dt.timedelta(hours=1))
    assert scalar.serialize is not None
    assert scalar.parse_value is not None
    moment = dt.datetime(2027, 1, 10, 19, 30, tzinfo=paris)
    assert scalar.serialize(moment) == "2027-01-10T18:30:00Z"
    with pytest.raises(ValueError, match="offset"):
        scalar.serialize(dt.datetime(2027, 1, 10, 19, 30))  # no instant without an offset
    assert scalar.parse_value("2027-01-10T18:30:00Z") == moment
    with pytest.raises(ValueError, match="offset"):
        scalar.parse_value("2027-01-10T18:30:00")
