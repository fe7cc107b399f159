"""An aiohttp app speaking the Duffel API v2 wire format over the shared inventory.

Duffel sells most (not all) of the same flights as the Amadeus simulator, at slightly different
prices, so the gateway sees overlapping inventory as it would in production. Its documents are
rendered as the JS SDK types them (`air`, `stays`); what it accepts and refuses is in
`offer_requests`. Passengers and guests are priced by age.
"""

from __future__ import annotations

import email.utils
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from gateway import reference
from simulators.common import faults, inventory
from simulators.common.inventory import Journey
from simulators.common.responses import json_response, memoize
from simulators.duffel import air, stays
from simulators.duffel.offer_requests import (
    Invalid,
    OfferAsk,
    check_headers,
    error_body,
    offer_ask,
    rate_id_of,
    stays_ask,
)

__all__ = ["DuffelSimConfig", "create_app", "error_body"]


@dataclass(frozen=True, slots=True)
class DuffelSimConfig:
    access_token: str | None = None
    """When set, only this token is accepted; otherwise any non-empty bearer token."""
    currency: str = "GBP"
    """Duffel prices in the account's currency, whatever the market."""
    share_of_flights: float = 0.75
    """Share of the shared inventory's journeys Duffel sells."""
    share_of_hotels: float = 0.7
    """Share of the shared inventory's hotels Stays sells."""
    share_without_rates: float = 0.25
    """Share of search results that come without rooms (their rates must be fetched)."""
    rate_limit_per_minute: int | None = None
    """Requests Duffel accepts per minute before a 429; None: a generous window, announced."""


CONFIG_KEY = web.AppKey("duffel_config", DuffelSimConfig)
RESULTS_KEY = web.AppKey("duffel_results", OrderedDict)
"""Search results by id, whole (rooms included), for `fetch_all_rates`."""
RATES_KEY = web.AppKey("duffel_rates", OrderedDict)
"""Stays rates by id: (result id, room index, rate index), for quotes."""
WINDOW_KEY = web.AppKey("duffel_window", list)
"""[window start (loop time), requests counted in it]."""
RESULTS_KEPT = 50_000
"""Enough that a result outlives the time to its `fetch_all_rates` at any load we drive: 200
clients each with a search of ~40 results in flight is 8,000 (4,096 was too few: the
benchmark's gateway got 404s at 200 clients). Answers are memoised, so entries mostly share
their dicts; the bound only caps a long demo's growth."""
RATES_KEPT = 3 * RESULTS_KEPT
"""A result has three rates at most."""
OFFERS_KEY = web.AppKey("duffel_offers", OrderedDict)
"""Flight offers by id, as first answered, for `GET /air/offers/{id}`."""
OFFERS_KEPT = 50_000
ANNOUNCED_LIMIT = 1_000_000
"""Announced per minute when no limit is configured: high enough that a client honouring the
headers (the gateway does) is never held back by a window that is not enforced — the
benchmark's hundreds of searches a second once spent a 6,000 window and silently left Duffel
out of the gateway's designs only."""
OFFER_LIFETIME = timedelta(minutes=30)
"""Duffel's offers hold for about 30 minutes (its docs), from the search; Stays' results and
rates likewise here."""
NOT_REPLAYED = ("/air/offers/", "/stays/quotes")
"""Re-pricing answers the price as it is now (`price_factor`, `offers_gone`): never replayed."""


def _not_found(message: str) -> web.Response:
    return json_response(error_body(404, "not_found", "Not found", message), status=404)


def _kept(store: OrderedDict[str, Any], key: str, value: object, bound: int) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > bound:
        store.popitem(last=False)


def _valid_headers(request: web.Request) -> bool:
    try:
        check_headers(request, request.app[CONFIG_KEY].access_token)
    except Invalid:
        return False
    return True


async def _read_request(request: web.Request) -> object:
    """The JSON body of an authorised, versioned request; `Invalid` otherwise."""
    check_headers(request, request.app[CONFIG_KEY].access_token)
    raw = await request.read()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise Invalid(400, "invalid_json", "Invalid JSON", "The body is not valid JSON") from None


# ---------------------------------------------------------------------------------- flights


def _sells(journey: Journey, share: float) -> bool:
    return inventory.seeded("duffel-sells", journey.key).random() < share


def _combos(ask: OfferAsk, share: float) -> list[tuple[Journey, ...]]:
    per_slice = []
    for sl in ask.slices:
        found = inventory.journeys(
            str(sl["origin"]), str(sl["destination"]), date.fromisoformat(str(sl["departure_date"]))
        )
        per_slice.append(
            [j for j in found if len(j.legs) - 1 <= ask.max_connections and _sells(j, share)]
        )
    if len(per_slice) == 2:
        return list(inventory.round_trips(per_slice[0], per_slice[1]))
    return [(journey,) for journey in per_slice[0]]


def _request_slice(sl: dict[str, Any]) -> dict[str, Any]:
    """A slice as the offer request echoes it: the places searched, airport or city."""
    origin_type, origin = air.place(str(sl["origin"]))
    destination_type, destination = air.place(str(sl["destination"]))
    return {
        "origin_type": origin_type,
        "origin": origin,
        "destination_type": destination_type,
        "destination": destination,
        "departure_date": sl["departure_date"],
    }


async def offer_requests(request: web.Request) -> web.Response:
    """`POST /air/offer_requests?return_offers=true`: every journey sold, in each fare brand,
    priced for the passengers by age (`inventory.flight_party`)."""
    config = request.app[CONFIG_KEY]
    try:
        ask = offer_ask(await _read_request(request))
    except Invalid as exc:
        return exc.response()
    request_id = "orq_" + uuid.uuid4().hex[:22]
    passengers = tuple(
        replace(passenger, id=f"pas_{request_id[4:18]}{index:02d}")
        for index, passenger in enumerate(ask.passengers)
    )
    ages = tuple(passenger.age for passenger in passengers)
    now = datetime.now(UTC)
    kept = request.app[OFFERS_KEY]
    offers = []
    for combo, brand, fare_eur in inventory.priced(
        _combos(ask, config.share_of_flights), ask.cabin, *air.party(passengers)
    ):
        key = "+".join(journey.key for journey in combo)
        markup = Decimal(str(inventory.seeded("duffel-price", key).uniform(0.95, 1.07)))
        total = inventory.convert_eur(fare_eur * markup, config.currency)
        offer_id = "off_" + air.digest(key, ask.cabin, brand.code, ages)
        sold = air.Sold(total, config.currency, ask.cabin, passengers, now, now + OFFER_LIFETIME)
        offer = air.offer(offer_id, combo, brand, sold)
        offers.append(offer)
        _kept(kept, offer_id, offer, OFFERS_KEPT)
    return json_response(
        {
            "data": {
                "id": request_id,
                "live_mode": False,
                "created_at": air.timestamp(now),
                "cabin_class": ask.cabin.lower(),
                "slices": [_request_slice(sl) for sl in ask.slices],
                "passengers": [
                    {"id": p.id, "type": "adult"} if p.age is None else {"id": p.id, "age": p.age}
                    for p in passengers
                ],
                "offers": offers,
            },
        },
        status=201,
    )


async def get_offer(request: web.Request) -> web.Response:
    """`GET /air/offers/{id}`: the offer as sold now — its price × `price_factor`, with its
    services when asked (`return_available_services=true`); 422 `offer_no_longer_available`
    when `offers_gone`; 404 for an id never answered."""
    try:
        check_headers(request, request.app[CONFIG_KEY].access_token)
    except Invalid as exc:
        return exc.response()
    offer = request.app[OFFERS_KEY].get(request.match_info["offer_id"])
    if offer is None:
        return _not_found("The resource you are trying to access does not exist.")
    if faults.offers_gone(request):
        return json_response(
            error_body(
                422,
                "offer_no_longer_available",
                "Offer no longer available",
                "The requested offer is no longer available, please select another offer.",
            ),
            status=422,
        )
    now = dict(offer)
    for field in ("total_amount", "base_amount", "tax_amount"):
        if now.get(field) is not None:
            now[field] = faults.repriced(request, str(now[field]))
    asked = request.query.get("return_available_services") == "true"
    now["available_services"] = air.services(offer) if asked else []
    return json_response({"data": now})


# ------------------------------------------------------------------------------------ Stays


def _jitter(hotel: inventory.SimHotel) -> tuple[float, float]:
    """Stays geocodes a little differently from Amadeus: up to ~60 m off."""
    rng = inventory.seeded("stays-geo", hotel.id)
    return (
        round(hotel.latitude + rng.uniform(-0.0004, 0.0004), 6),
        round(hotel.longitude + rng.uniform(-0.0004, 0.0004), 6),
    )


async def stays_search(request: web.Request) -> web.Response:
    """`POST /stays/search` by coordinates: the hotels within the radius that Stays sells,
    rooms priced for the guests by age (`inventory.rooms`); some results without rooms."""
    config = request.app[CONFIG_KEY]
    try:
        ask = stays_ask(await _read_request(request))
    except Invalid as exc:
        return exc.response()
    stay = ask.stay
    city = reference.nearest_city(ask.latitude, ask.longitude)
    now = datetime.now(UTC).replace(microsecond=0)
    expires = now + OFFER_LIFETIME
    kept, rates_kept = request.app[RESULTS_KEY], request.app[RATES_KEY]
    answered = []
    for hotel in inventory.hotels(city.code) if city else ():
        distance = reference.distance_km(
            ask.latitude, ask.longitude, hotel.latitude, hotel.longitude
        )
        if distance > ask.radius_km:
            continue
        if inventory.seeded("stays-sells", hotel.id).random() >= config.share_of_hotels:
            continue
        offered = inventory.rooms(
            hotel, stay.check_in, stay.check_out, stay.adults, stay.rooms, stay.children_ages
        )
        if not offered:
            continue
        markup = Decimal(
            str(inventory.seeded("stays-price", hotel.id, stay.check_in).uniform(0.93, 1.08))
        )
        result_id = "srr_" + air.digest(hotel.id, stay, config.currency, size=10)
        rooms = [
            stays.stays_room(
                room,
                [
                    stays.rate(
                        "rat_" + air.digest(result_id, room.id, size=10),
                        hotel,
                        room,
                        markup,
                        stay,
                        config.currency,
                        expires,
                    )
                ],
            )
            for room in offered
        ]
        accommodation = stays.accommodation(hotel, city, _jitter(hotel))
        result = stays.result(result_id, stay, accommodation, rooms, config.currency, expires)
        _kept(kept, result_id, result, RESULTS_KEPT)
        for index, room_doc in enumerate(rooms):
            for rate_index, rate in enumerate(room_doc["rates"]):
                _kept(rates_kept, rate["id"], (result_id, index, rate_index), RATES_KEPT)
        if inventory.seeded("stays-no-rates", result_id).random() < config.share_without_rates:
            # As the real search does at times: the hotel and its cheapest rate, no rooms.
            result = {**result, "accommodation": {**result["accommodation"], "rooms": []}}
        answered.append(result)
    return json_response({"data": {"results": answered, "created_at": stays.utc(now)}})


async def fetch_all_rates(request: web.Request) -> web.Response:
    """`POST /stays/search_results/{id}/actions/fetch_all_rates`: the result with its rooms."""
    try:
        check_headers(request, request.app[CONFIG_KEY].access_token)
    except Invalid as exc:
        return exc.response()
    result = request.app[RESULTS_KEY].get(request.match_info["result_id"])
    if result is None:
        return _not_found("The search result was not found")
    return json_response({"data": result})


def _rate_now(request: web.Request, rate: dict[str, Any]) -> dict[str, Any]:
    """A rate's amounts as sold now: × `price_factor` (the tax and commission with it)."""
    total = faults.repriced(request, rate["total_amount"])
    tax = faults.repriced(request, rate["tax_amount"])
    commission = rate["estimated_commission_amount"]
    return {
        "total_amount": total,
        "tax_amount": tax,
        "base_amount": str(Decimal(total) - Decimal(tax)),
        "estimated_commission_amount": (
            faults.repriced(request, commission) if commission is not None else None
        ),
    }


async def create_quote(request: web.Request) -> web.Response:
    """`POST /stays/quotes` (the SDK's `Quotes.create`): the rate as sold now, × `price_factor`;
    when `offers_gone`, 422 `rate_unavailable` (the error Duffel's Test Hotels guide names,
    "Rate Unavailable"); 404 `not_found` for a rate never answered."""
    try:
        rate_id = rate_id_of(await _read_request(request))
    except Invalid as exc:
        return exc.response()
    where = request.app[RATES_KEY].get(rate_id)
    found = request.app[RESULTS_KEY].get(where[0]) if where is not None else None
    if where is None or found is None:
        return _not_found("The rate you are trying to quote does not exist.")
    if faults.offers_gone(request):
        return json_response(
            error_body(
                422,
                "rate_unavailable",
                "Rate unavailable",
                "The rate is no longer available. Please search again to see the latest rates.",
            ),
            status=422,
        )
    room_doc = found["accommodation"]["rooms"][where[1]]
    rate = room_doc["rates"][where[2]]
    quote_id = "quo_" + uuid.uuid4().hex[:22]
    quote = stays.quote(quote_id, found, room_doc, rate, _rate_now(request, rate))
    return json_response({"data": quote}, status=201)


# -------------------------------------------------------------------------------------- app


@web.middleware
async def rate_window(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Duffel's `ratelimit-*` headers on every answer, and a 429 past the configured limit."""
    if request.path.startswith("/__sim/"):
        return await handler(request)
    limit = request.app[CONFIG_KEY].rate_limit_per_minute
    window = request.app[WINDOW_KEY]
    now = time.time()
    if now - window[0] >= 60:
        window[0], window[1] = now, 0
    window[1] += 1
    announced = limit if limit is not None else ANNOUNCED_LIMIT
    remaining = max(announced - window[1], 0)
    headers = {
        "ratelimit-limit": str(announced),
        "ratelimit-remaining": str(remaining),
        "ratelimit-reset": email.utils.formatdate(window[0] + 60, usegmt=True),
    }
    if limit is not None and window[1] > limit:
        response: web.StreamResponse = json_response(error_body(429), status=429)
    else:
        response = await handler(request)
    response.headers.update(headers)
    return response


def create_app(
    config: DuffelSimConfig | None = None, fault_config: faults.FaultConfig | None = None
) -> web.Application:
    app = web.Application()
    app[CONFIG_KEY] = config or DuffelSimConfig()
    app[RESULTS_KEY] = OrderedDict()
    app[RATES_KEY] = OrderedDict()
    app[OFFERS_KEY] = OrderedDict()
    app[WINDOW_KEY] = [0.0, 0]
    faults.install(app, fault_config or faults.FaultConfig(), error_body)
    app.middlewares.append(rate_window)
    # Offers expire 30 minutes after the search: replayed for a minute at most.
    app.middlewares.append(
        memoize(
            lambda request: _valid_headers(request) and not request.path.startswith(NOT_REPLAYED),
            max_age_s=60,
        )
    )
    app.router.add_post("/air/offer_requests", offer_requests)
    app.router.add_get("/air/offers/{offer_id}", get_offer)
    app.router.add_post("/stays/search", stays_search)
    app.router.add_post(
        "/stays/search_results/{result_id}/actions/fetch_all_rates", fetch_all_rates
    )
    app.router.add_post("/stays/quotes", create_quote)
    return app
