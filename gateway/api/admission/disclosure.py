"""Who may see what the seller pays (`netPrice`): `GATEWAY_NET_PRICES`.

A net price is what the seller pays Hotelbeds or LiteAPI, not what a traveller pays; suppliers'
contracts usually keep net rates confidential, and a frontend open to travellers must never
receive them. So they are answered only to the clients the setting names: `all` (every client:
the demo's default, whose prices are simulated), `keyed` (clients whose API key says
`net_prices = true`: the default otherwise, so an open gateway shows them to nobody), `none`.
Hidden, a net price is null, as where the provider states none.

Stripped from the page's records here, in the resolver, rather than by a resolver per field:
the offer types' fields stay plain attributes (`api/schema/types.py`). Ids are the search's,
computed with the net prices: they stay the same for everyone.
"""

from __future__ import annotations

import dataclasses

import msgspec

from gateway.api.admission.clients import Client
from gateway.domain import HotelOffer, OfferSource, RoomOffer
from gateway.search.paging import Edge, SearchPage

POLICIES = ("all", "keyed", "none")


def allowed(policy: str, client: Client) -> bool:
    if policy == "all":
        return True
    return policy == "keyed" and client.key is not None and client.key.net_prices


def _room(room: RoomOffer) -> RoomOffer:
    return room if room.net_price is None else msgspec.structs.replace(room, net_price=None)


def _source(source: OfferSource) -> OfferSource:
    return source if source.net_price is None else msgspec.structs.replace(source, net_price=None)


def hidden(offer: HotelOffer) -> HotelOffer:
    """`offer` without what the seller pays."""
    return msgspec.structs.replace(
        offer,
        rooms=tuple(_room(room) for room in offer.rooms),
        sources=tuple(_source(source) for source in offer.sources),
    )


def hidden_page(page: SearchPage[HotelOffer]) -> SearchPage[HotelOffer]:
    return dataclasses.replace(
        page, edges=tuple(Edge(edge.cursor, hidden(edge.node)) for edge in page.edges)
    )
