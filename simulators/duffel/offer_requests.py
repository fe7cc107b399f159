"""What the Duffel simulator accepts, and how it refuses the rest: the API's headers, offer
requests' slices and passengers (v2: a passenger has `type: adult` or an `age`, never both, and
no other type), Stays searches' guests and quotes' rate ids, each refusal in Duffel's own error
body (`{"meta", "errors": [{type, title, message, documentation_url, code, source?}]}`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web

from gateway import reference
from simulators.common.responses import json_response
from simulators.duffel.air import ADULT_AGE, Passenger
from simulators.duffel.stays import Stay

_CODE = re.compile(r"^[A-Z]{3}$")
CABINS = {
    "economy": "ECONOMY",
    "premium_economy": "PREMIUM_ECONOMY",
    "business": "BUSINESS",
    "first": "FIRST",
}
"""Duffel's cabin classes, as the inventory names them."""
MAX_AGE = 130
"""Older than this is not a person's age."""
MAX_PASSENGERS = 18
"""A bound on one request's passengers (nine seats and a lap infant for each of nine
adults): the simulator's own sanity bound, not a limit Duffel publishes."""
MAX_GUESTS_PER_ROOM = 9
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "invalid_request_error",
    422: "validation_error",
    429: "rate_limit_error",
}
_TITLES = {
    401: ("invalid_authorization_header", "Invalid authorization header"),
    429: ("rate_limit_exceeded", "Rate limit exceeded"),
    500: ("internal_server_error", "Internal server error"),
    503: ("service_unavailable", "Service unavailable"),
}


def error_body(
    status: int,
    code: str | None = None,
    title: str | None = None,
    message: str = "An error occurred",
    field: str | None = None,
) -> dict[str, object]:
    """Duffel's error document; a validation error names its field in `source` (as Duffel's
    Ruby SDK fixture `validation_error.json` shows: `{"pointer": "/slices", "field": "slices"}`)."""
    known_code, known_title = _TITLES.get(
        status, ("internal_server_error", "Internal server error")
    )
    error: dict[str, object] = {
        "type": _ERROR_TYPES.get(status, "api_error"),
        "code": code or known_code,
        "title": title or known_title,
        "message": message,
        "documentation_url": "https://duffel.com/docs/api/overview/errors",
    }
    if field is not None:
        error["source"] = {"field": field, "pointer": "/" + field.replace(".", "/")}
    return {"meta": {"status": status, "request_id": uuid.uuid4().hex[:20]}, "errors": [error]}


class Invalid(Exception):
    """A request Duffel refuses, with its answer."""

    def __init__(
        self, status: int, code: str, title: str, message: str, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.title, self.message, self.field = (
            status,
            code,
            title,
            message,
            field,
        )

    def response(self) -> web.Response:
        """Duffel's error body for this refusal."""
        return json_response(
            error_body(self.status, self.code, self.title, self.message, self.field),
            status=self.status,
        )


def _invalid(message: str, field: str, code: str = "validation_format") -> Invalid:
    title = "Required field" if code == "validation_required" else "Invalid value"
    return Invalid(422, code, title, message, field)


def check_headers(request: web.Request, access_token: str | None) -> None:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
    if not token or (access_token is not None and token != access_token):
        raise Invalid(
            401,
            "invalid_authorization_header",
            "Invalid authorization header",
            "The Authorization header must be 'Bearer <your access token>'",
        )
    if request.headers.get("Duffel-Version") != "v2":
        raise Invalid(
            400,
            "unsupported_version",
            "Unsupported version",
            "The Duffel-Version header must be set to a supported version: v2",
        )


def data_of(payload: object) -> dict[str, Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise Invalid(422, "missing_data_param", "Invalid body", 'The body must be {"data": {...}}')
    data: dict[str, Any] = payload["data"]
    return data


@dataclass(frozen=True, slots=True)
class OfferAsk:
    """An offer request as the simulator reads it."""

    slices: list[dict[str, Any]]
    passengers: tuple[Passenger, ...]
    cabin: str
    """As the inventory names it (ECONOMY)."""
    max_connections: int


def offer_ask(payload: object) -> OfferAsk:
    data = data_of(payload)
    slices = data.get("slices")
    if not isinstance(slices, list) or not 1 <= len(slices) <= 2:
        raise _invalid("slices must hold 1 or 2 slices", "slices", "validation_required")
    for index, sl in enumerate(slices):
        if not isinstance(sl, dict):
            raise _invalid("slice must be an object", f"slices.{index}")
        for key in ("origin", "destination"):
            code = sl.get(key)
            if (
                not isinstance(code, str)
                or not _CODE.match(code)
                or not reference.is_location(code)
            ):
                raise Invalid(
                    422,
                    "airport_not_found",
                    "Invalid value",
                    f"{key} must be a known IATA code",
                    f"slices.{index}.{key}",
                )
        try:
            date.fromisoformat(str(sl.get("departure_date")))
        except ValueError:
            raise _invalid(
                "departure_date must be a date", f"slices.{index}.departure_date"
            ) from None
    cabin = data.get("cabin_class", "economy")
    if cabin not in CABINS:
        raise _invalid("unknown cabin_class", "cabin_class")
    max_connections = data.get("max_connections", 1)
    if max_connections not in (0, 1, 2):
        raise _invalid("max_connections must be 0 to 2", "max_connections")
    return OfferAsk(slices, _passengers(data.get("passengers")), CABINS[cabin], max_connections)


def _passengers(listed: object) -> tuple[Passenger, ...]:
    """Duffel v2's passengers: `{"type": "adult"}`, or `{"age": n}` for anyone (required under
    18); a passenger with both, or with another type (v1's `child`, `infant_without_seat`), is
    refused. At most one lap infant per adult."""
    if not isinstance(listed, list) or not listed:
        raise _invalid("passengers is required", "passengers", "validation_required")
    if len(listed) > MAX_PASSENGERS:
        raise _invalid(f"at most {MAX_PASSENGERS} passengers", "passengers")
    found = []
    for index, passenger in enumerate(listed):
        field = f"passengers.{index}"
        if not isinstance(passenger, dict):
            raise _invalid("passenger must be an object", field)
        kind, age = passenger.get("type"), passenger.get("age")
        if kind is not None and age is not None:
            raise _invalid("a passenger has a type or an age, not both", field)
        if kind is not None:
            if kind != "adult":
                raise _invalid(
                    "type must be adult; give a passenger under 18 by age", f"{field}.type"
                )
            found.append(Passenger(id="", age=None))
            continue
        if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= MAX_AGE:
            raise _invalid("a passenger needs a type or an age", f"{field}.age")
        found.append(Passenger(id="", age=age))
    grown = sum(1 for p in found if p.age is None or p.age >= ADULT_AGE)
    if sum(1 for p in found if p.on_lap) > grown:  # airlines' rule: one lap per adult
        raise _invalid("each infant without a seat travels with an adult", "passengers")
    return tuple(found)


@dataclass(frozen=True, slots=True)
class StaysAsk:
    stay: Stay
    latitude: float
    longitude: float
    radius_km: float


def stays_ask(payload: object) -> StaysAsk:
    data = data_of(payload)
    try:
        check_in = date.fromisoformat(str(data.get("check_in_date")))
        check_out = date.fromisoformat(str(data.get("check_out_date")))
    except ValueError:
        raise _invalid("dates must be YYYY-MM-DD", "check_in_date") from None
    if check_out <= check_in:
        raise _invalid("check_out_date must be after check_in_date", "check_out_date")
    rooms = data.get("rooms", 1)
    if isinstance(rooms, bool) or not isinstance(rooms, int) or not 1 <= rooms <= 9:
        raise _invalid("rooms must be 1 to 9", "rooms")
    guests = _guests(data.get("guests"), rooms)
    location = data.get("location")
    coordinates = location.get("geographic_coordinates") if isinstance(location, dict) else None
    missing = _invalid(
        "location.geographic_coordinates is required", "location", "validation_required"
    )
    if not isinstance(location, dict) or not isinstance(coordinates, dict):
        raise missing
    try:
        latitude = float(coordinates["latitude"])
        longitude = float(coordinates["longitude"])
        radius = float(location.get("radius", 5))
    except (KeyError, TypeError, ValueError):
        raise missing from None
    return StaysAsk(Stay(check_in, check_out, rooms, guests), latitude, longitude, radius)


def _guests(listed: object, rooms: int) -> tuple[int | None, ...]:
    """Stays' guests (the SDK's `Guest`): `{"type": "adult"}` or `{"type": "child", "age": n}`
    with 0 ≤ n ≤ 17, each as None (an adult) or a child's age, in order; at least one adult,
    at most nine guests a room."""
    if not isinstance(listed, list) or not listed:
        raise _invalid("guests is required", "guests", "validation_required")
    guests: list[int | None] = []
    for index, guest in enumerate(listed):
        field = f"guests.{index}"
        kind = guest.get("type") if isinstance(guest, dict) else None
        if kind == "adult":
            guests.append(None)
        elif kind == "child":
            age = guest.get("age")
            if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age < ADULT_AGE:
                raise _invalid("a child's age must be 0 to 17", f"{field}.age")
            guests.append(age)
        else:
            raise _invalid("type must be adult or child", f"{field}.type")
    if None not in guests:
        raise _invalid("at least one guest must be an adult", "guests")
    if len(guests) > MAX_GUESTS_PER_ROOM * rooms:
        raise _invalid(f"at most {MAX_GUESTS_PER_ROOM} guests a room", "guests")
    return tuple(guests)


def rate_id_of(payload: object) -> str:
    """A quote's `data.rate_id` (the SDK's `Quotes.create`)."""
    rate_id = data_of(payload).get("rate_id")
    if not isinstance(rate_id, str) or not rate_id:
        raise _invalid("rate_id is required", "rate_id", "validation_required")
    return rate_id
