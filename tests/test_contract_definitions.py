"""The provider contracts in tests/contracts/: every schema file is a valid, self-contained JSON
Schema 2020-12 document in the committed form, the manifest covers it, and the loader
(`tests.contracts`) reports, coerces, tolerates and tightens as documented. The known defects of
the providers' definitions (tests/contracts/README.md) are pinned here, so a re-derivation from a
corrected source shows up."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.contracts import (
    PARTS,
    ContractError,
    document,
    header_problems,
    operations,
    part_schema,
    parts,
    problems,
    query_problems,
    source,
)

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = ROOT / "tests" / "contracts"
FILES = sorted(CONTRACTS.glob("*/*.schema.json"))
PROSE = {"description", "example", "examples", "default", "markdownDescription", "x-example"}
REQUIRED_OPERATIONS = {
    ("amadeus", "flight_offers_search"): {"query", "response", "error"},
    ("amadeus", "flight_offers_price"): {"headers", "query", "body", "response", "error"},
    ("amadeus", "hotel_list_by_city"): {"query", "response", "error"},
    ("amadeus", "hotel_search"): {"query", "response", "error"},
    ("amadeus", "hotel_offer"): {"path", "query", "response", "error"},
    ("amadeus", "token"): {"body", "response", "error"},
    ("duffel", "offer_request_create"): {"headers", "query", "body", "response", "error"},
    ("duffel", "offer_get"): {"headers", "path", "query", "response", "error"},
    ("duffel", "stays_search"): {"headers", "body", "response", "error"},
    ("duffel", "stays_fetch_all_rates"): {"headers", "path", "response", "error"},
    ("duffel", "stays_quote"): {"headers", "body", "response", "error"},
    ("duffel", "error"): {"error"},
    ("hotelbeds", "availability"): {"headers", "body", "response", "error"},
    ("hotelbeds", "checkrates"): {"headers", "body", "response", "error"},
    ("hotelbeds", "error"): {"error"},
    ("liteapi", "hotels_rates"): {"headers", "body", "response", "error"},
    ("liteapi", "rates_prebook"): {"headers", "query", "body", "response", "error"},
    ("liteapi", "data_hotels"): {"headers", "query", "response", "error"},
    ("liteapi", "error"): {"error"},
}


def schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema object in a document (keywords' values, not property names)."""
    if not isinstance(node, dict):
        return
    yield node
    for name in ("properties", "$defs"):
        for sub in node.get(name, {}).values():
            yield from schemas(sub)
    for name in ("items", "additionalProperties", "not"):
        yield from schemas(node.get(name))
    for name in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(name, []):
            yield from schemas(sub)


# -- the files


def test_every_required_operation_has_its_parts() -> None:
    assert set(operations()) == set(REQUIRED_OPERATIONS)
    for (provider, operation), wanted in REQUIRED_OPERATIONS.items():
        assert set(parts(provider, operation)) == wanted, (provider, operation)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_schema_file_is_valid_2020_12_in_committed_form(path: Path) -> None:
    text = path.read_text()
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # Amadeus's "[[A-Z0-9]{1,18}"
        Draft202012Validator.check_schema(doc)
    assert doc["type"] == "object"
    assert doc["additionalProperties"] is False
    assert set(doc["properties"]) <= set(PARTS)
    for part, schema in doc["properties"].items():
        assert schema == {"$ref": f"#/$defs/op.{part}"}
    defs = doc["$defs"]
    for node in schemas(doc):
        target = node.get("$ref")
        if target is not None:
            assert target.startswith("#/$defs/"), target
            assert target[len("#/$defs/") :] in defs, target
        assert not PROSE & set(node), f"prose keyword in {node}"
    for name, schema in defs.items():
        assert name.startswith("op.") or "x-source-name" in schema, name
    x_source = doc["x-source"]
    assert x_source["provider"] == path.parent.name
    assert len(x_source["commit"]) == 40
    assert all(len(f["sha256"]) == 64 for f in x_source["files"])


def test_manifest_covers_every_schema_file() -> None:
    manifest = json.loads((CONTRACTS / "sources.json").read_text())["schemas"]
    assert set(manifest) == {f"{p.parent.name}/{p.name}" for p in FILES}
    for name, entry in manifest.items():
        x_source = json.loads((CONTRACTS / name).read_text())["x-source"]
        assert entry["repository"] == x_source["repository"]
        assert entry["commit"] == x_source["commit"]
        assert entry["files"] == x_source["files"]
        listed = {f["path"] for f in entry["files"]}
        for schema in json.loads((CONTRACTS / name).read_text())["$defs"].values():
            for named in [schema.get("x-source-name"), *schema.get("x-java-extends", [])]:
                assert named is None or named.split("#")[0] in listed, (name, named)


def test_source_files_are_not_in_the_repository() -> None:
    """The providers' files themselves are never committed: no file here has the bytes of one."""
    manifest = json.loads((CONTRACTS / "sources.json").read_text())["schemas"]
    sources = {f["sha256"] for entry in manifest.values() for f in entry["files"]}
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--others", "--cached", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        path = ROOT / name.decode()
        if path.is_file() and path.stat().st_size < 8_000_000:
            assert hashlib.sha256(path.read_bytes()).hexdigest() not in sources, path


def test_definitions_carry_their_provenance() -> None:
    x_source = source("duffel", "offer_request_create")
    assert x_source["repository"] == "duffelhq/duffel-api-javascript"
    assert x_source["commit"] == "462bc13a7912d42baecf8a1c7b423c8d1f1f4a70"
    defs = document("duffel", "offer_request_create")["$defs"]
    assert defs["CreateOfferRequest"]["x-source-name"] == (
        "src/booking/OfferRequests/OfferRequestsTypes.ts#CreateOfferRequest"
    )
    amadeus = document("amadeus", "hotel_search")["$defs"]["MultiResponse"]["x-source-name"]
    assert amadeus.endswith("HotelSearch_v3_swagger_specification.json#/definitions/MultiResponse")


# -- derivation decisions a test depends on


def test_duffel_passengers_are_an_adult_type_or_an_age() -> None:
    def body(*passengers: dict[str, Any]) -> dict[str, Any]:
        trip: dict[str, Any] = {"origin": "LHR", "destination": "JFK"}
        trip |= {"departure_date": "2027-01-10", "arrival_time": None, "departure_time": None}
        return {"data": {"slices": [trip], "passengers": list(passengers)}}

    def check(*passengers: dict[str, Any]) -> list[str]:
        return problems("duffel", "offer_request_create", "body", body(*passengers))

    assert check({"type": "adult"}, {"age": 8}) == []
    (child,) = check({"type": "child"})
    assert child.startswith("/data/passengers/0: matches none of the 3 alternatives")
    assert "/data/passengers/0/type: 'adult' was expected" in child
    (both,) = check({"type": "adult", "age": 30})  # `age?: never` on the adult passenger
    assert "/data/passengers/0/age: not allowed here" in both
    assert check({"age": 8, "fare_type": "student"}) == []


def test_duffel_optional_and_nullable_follow_the_types() -> None:
    slice_ = document("duffel", "offer_request_create")["$defs"]["CreateOfferRequestSlice"]
    # `arrival_time: TimeRangeFilter | null`: required, and null allowed.
    assert {"arrival_time", "departure_time"} <= set(slice_["required"])
    assert {"type": "null"} in slice_["properties"]["arrival_time"]["anyOf"]
    create = document("duffel", "offer_request_create")["$defs"]["CreateOfferRequest"]
    assert create["required"] == ["passengers", "slices"]  # cabin_class?: … is optional
    assert create["properties"]["max_connections"]["enum"] == [0, 1, 2]


def test_hotelbeds_follows_the_java_model() -> None:
    defs = document("hotelbeds", "availability")["$defs"]
    assert defs["Occupancy"]["required"] == ["adults", "children", "rooms"]  # @NotNull
    assert defs["Occupancy"]["properties"]["rooms"]["minimum"] == 1  # @Min(value = 1)
    assert defs["HotelbedsCustomerType"]["enum"] == ["AD", "CH"]  # enum constants' names
    assert "echo" in defs["AvailabilityRQ"]["properties"]  # @JsonProperty("echo") echoToken
    assert "hotels" in defs["AvailabilityRQ"]["properties"]  # @JsonProperty("hotels")
    # @JsonSerialize(using = RateSerializer.class) writes a JSON string; plain BigDecimal a number.
    assert defs["Rate"]["properties"]["net"]["type"] == "string"
    assert defs["Hotel"]["properties"]["cancellationAmount"]["type"] == "number"
    assert defs["Hotel"]["properties"]["latitude"]["type"] == "string"  # String in the model
    occupancy: dict[str, Any] = {"rooms": 1, "adults": 2, "children": 1}
    body = {"stay": {"checkIn": "2027-06-15", "checkOut": "2027-06-16"}, "occupancies": [occupancy]}
    assert problems("hotelbeds", "availability", "body", body, strict=True) == []
    occupancy["paxes"] = [{"type": "CHILD", "age": 7}]
    assert problems("hotelbeds", "availability", "body", body) == [
        "/occupancies/0/paxes/0/type: 'CHILD' is not one of ['AD', 'CH']"
    ]


# -- the loader


def test_amadeus_search_query_is_coerced_and_checked() -> None:
    query = {
        "originLocationCode": "LON",
        "destinationLocationCode": "NYC",
        "departureDate": "2027-01-10",
        "adults": "1",
        "nonStop": "false",
        "max": "250",
    }
    assert query_problems("amadeus", "flight_offers_search", query) == []
    without_adults = {k: v for k, v in query.items() if k != "adults"}
    assert query_problems("amadeus", "flight_offers_search", without_adults) == [
        "/adults: required parameter missing"
    ]
    assert query_problems("amadeus", "flight_offers_search", {**query, "adults": "10"}) == [
        "/adults: 10 is greater than the maximum of 9"
    ]
    assert query_problems("amadeus", "flight_offers_search", {**query, "nonStop": "yes"}) == [
        "/nonStop: 'yes' is not of type 'boolean'"
    ]
    assert query_problems("amadeus", "flight_offers_search", {**query, "page": "2"}) == [
        "/page: unknown parameter"
    ]


def test_array_parameters_are_comma_separated_or_repeated() -> None:
    assert query_problems("amadeus", "hotel_search", {"hotelIds": "A,B", "adults": "2"}) == []
    twenty = ",".join(f"H{n:07d}" for n in range(20))  # maxItems 20
    assert query_problems("amadeus", "hotel_search", {"hotelIds": twenty}) == []
    (problem,) = query_problems("amadeus", "hotel_search", {"hotelIds": twenty + ",H9999999"})
    assert problem.startswith("/hotelIds: ['H0000000', ")
    include = {"include": "bags,other-services"}
    assert query_problems("amadeus", "flight_offers_price", include) == []
    repeated = {"include": ["bags", "other"]}  # a list: the parameter repeated
    assert query_problems("amadeus", "flight_offers_price", repeated) == [
        "/include/1: 'other' is not one of "
        "['credit-card-fees', 'bags', 'other-services', 'detailed-fare-rules']"
    ]
    assert query_problems("amadeus", "hotel_offer", {"offerId": "ABC123"}, part="path") == []
    assert query_problems("amadeus", "hotel_offer", {"offerId": "abc"}, part="path") == [
        "/offerId: 'abc' does not match '^[A-Z0-9]*$'"
    ]


def test_headers_are_matched_case_insensitively() -> None:
    assert (
        header_problems("amadeus", "flight_offers_price", {"x-http-method-override": "GET"}) == []
    )
    assert header_problems("amadeus", "flight_offers_price", {"Accept": "*/*"}) == [
        "/X-HTTP-Method-Override: required parameter missing"
    ]
    duffel = {"authorization": "Bearer duffel_test_x", "DUFFEL-VERSION": "v2", "X-Other": "1"}
    assert header_problems("duffel", "offer_get", duffel) == []
    assert header_problems("duffel", "offer_get", {**duffel, "DUFFEL-VERSION": "v1"}) == [
        "/Duffel-Version: 'v2' was expected"
    ]
    assert header_problems("liteapi", "hotels_rates", {"x-api-key": "sand_x"}) == []


def test_strict_reports_undefined_properties() -> None:
    answer = {"error": {"code": 4000, "message": "bad request", "extra": 1}, "other": True}
    assert problems("liteapi", "error", "error", answer) == []
    assert problems("liteapi", "error", "error", answer, strict=True) == [
        "/error/extra: property not in the definition",
        "/other: property not in the definition",
    ]
    duffel = {"meta": {"status": 422, "request_id": "r"}, "errors": [], "note": 1}
    assert problems("duffel", "error", "error", duffel) == []
    assert problems("duffel", "error", "error", duffel, strict=True) == [
        "/note: property not in the definition"
    ]


def test_allow_tolerates_exactly_the_listed_paths() -> None:
    # Amadeus Hotel Search v3 declares `data` an object; the service sends an array.
    answer = {"data": [{"type": "hotel-offers", "available": True}]}
    found = problems("amadeus", "hotel_search", "response", answer)
    assert [p.split(":")[0] for p in found] == ["/data"]
    assert problems("amadeus", "hotel_search", "response", answer, allow=["/data"]) == []
    assert problems("amadeus", "hotel_search", "response", answer, allow=["/data/0"]) == found
    assert problems("amadeus", "hotel_search", "response", answer, allow=["/"]) == found
    # LiteAPI types offerRetailRate as an array; its examples (and the service) send an object.
    rate = {"amount": 163.66, "currency": "USD"}
    room = {"offerId": "o", "offerRetailRate": rate, "supplierId": "not an integer"}
    answer = {"data": [{"hotelId": "lp1", "roomTypes": [room]}]}
    found = problems("liteapi", "hotels_rates", "response", answer)
    assert [p.split(":")[0] for p in found] == [
        "/data/0/roomTypes/0/offerRetailRate",
        "/data/0/roomTypes/0/supplierId",
    ]
    allow = ["/data/*/roomTypes/*/offerRetailRate"]
    assert problems("liteapi", "hotels_rates", "response", answer, allow=allow) == found[1:]
    assert problems("liteapi", "hotels_rates", "response", answer, allow=["/data/**"]) == []


def test_unknown_contracts_and_parts_are_errors() -> None:
    with pytest.raises(ContractError):
        problems("amadeus", "no_such_operation", "response", {})
    with pytest.raises(ContractError):
        problems("amadeus", "hotel_search", "body", {})
    assert part_schema("amadeus", "hotel_search", "query")["required"] == ["hotelIds"]


# -- the known defects listed in tests/contracts/README.md


def test_known_defects_are_still_in_the_definitions() -> None:
    amadeus = document("amadeus", "hotel_search")["$defs"]
    assert amadeus["MultiResponse"]["properties"]["data"] == {"$ref": "#/$defs/HotelOffers"}
    hotel_list = document("amadeus", "hotel_list_by_city")["$defs"]["Hotel"]["properties"]
    assert "KM" not in hotel_list["distance"]["properties"]["unit"]["enum"]
    assert "KILOMETERS" in hotel_list["distance"]["properties"]["unit"]["enum"]
    cancellation = amadeus["HotelProduct_CancellationPolicy"]["properties"]["amount"]
    assert cancellation["pattern"] == "^\\\\d+(\\\\.\\\\d+)?$"  # refuses "10.00"
    assert not Draft202012Validator(cancellation).is_valid("10.00")
    lite = document("liteapi", "hotels_rates")["$defs"]["op.response"]
    room = lite["properties"]["data"]["items"]["properties"]["roomTypes"]["items"]
    for name in ("offerRetailRate", "suggestedSellingPrice", "offerInitialPrice"):
        assert room["properties"][name]["type"] == "array", name
    fares = document("duffel", "offer_get")["$defs"]["FlightsConditionNotAllowed"]
    assert fares["properties"]["penalty_amount"] == {"type": "null"}


# -- re-derivation: by hand, after fetching the providers' repositories (tests/contracts/README.md)

MIRROR = Path(os.environ.get("CONTRACTS_MIRROR", "/nonexistent"))
"""Where the fetched repositories are (`<owner>+<name>/repo`): set CONTRACTS_MIRROR to run it.
Opt-in, as it may install the TypeScript tools with npm: the suite never depends on that."""
PINNED = {
    "amadeus4dev+amadeus-open-api-specification": "d64e4c75f6f1a352824cddead504b3d582bc1b53",
    "duffelhq+duffel-api-javascript": "462bc13a7912d42baecf8a1c7b423c8d1f1f4a70",
    "hotelbeds-sdk+hotel-api-sdk-java": "e8087cc60720353ba67e4b844fd0c42a751ea097",
    "liteapi-travel+mcp-server": "b89de53a775ac3ac5af1d61f4e78316d1a22f7c8",
}


def mirrors_at_pinned_commits() -> bool:
    for name, commit in PINNED.items():
        git_dir = MIRROR / name / "repo"
        if not git_dir.is_dir():
            return False
        probe = subprocess.run(
            ["git", "-C", str(git_dir), "cat-file", "-e", f"{commit}^{{commit}}"],
            capture_output=True,
            check=False,
        )
        if probe.returncode != 0:
            return False
    return True


@pytest.mark.skipif(
    not (mirrors_at_pinned_commits() and shutil.which("node") and shutil.which("npm")),
    reason="the providers' repositories (fetched mirrors) or node/npm are not on this machine",
)
def test_rederiving_reproduces_the_committed_files() -> None:
    script = ROOT / "scripts" / "derive-contracts"
    done = subprocess.run(
        [sys.executable, str(script), "--mirror", str(MIRROR), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
