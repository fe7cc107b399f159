"""What the seller pays (`netPrice`) reaches only the clients `GATEWAY_NET_PRICES` names: every
one in the demo, clients whose API key allows it otherwise, nobody under `none`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.api.admission.clients import KeyFileError, digest, load_keys
from gateway.config import ConfigError, Settings
from tests.helpers import GraphQLClient, Simulators, days_ahead, gateway

pytestmark = pytest.mark.e2e

SELLER = "tgw_" + "s" * 43
TRAVELLER_APP = "tgw_" + "t" * 43
HOTELS = """query($h: HotelSearchInput!) {
  hotels(search: $h, first: 50) { offers { nodes {
    id sources { provider netPrice { amount } } rooms { provider netPrice { amount } } } } } }"""
CHECK = """query($id: ID!) { hotelOffer(id: $id) { offer { id rooms { netPrice { amount } } } } }"""
SEARCH = {"h": {"cityCode": "PAR", "checkIn": days_ahead(30), "checkOut": days_ahead(32)}}


def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys.toml"
    path.write_text(
        f'[[keys]]\nname = "back-office"\nsha256 = "{digest(SELLER)}"\nnet_prices = true\n'
        f'[[keys]]\nname = "web"\nsha256 = "{digest(TRAVELLER_APP)}"\n'
    )
    return path


async def as_client(client: GraphQLClient, key: str, query: str, variables: Any) -> Any:
    _, _, raw = await client.raw(
        "POST", json={"query": query, "variables": variables}, headers={"X-API-Key": key}
    )
    body = orjson.loads(raw)
    assert "errors" not in body, body
    return body["data"]


def net_prices(data: dict[str, Any]) -> list[Any]:
    nodes = data["hotels"]["offers"]["nodes"]
    found = [room["netPrice"] for node in nodes for room in node["rooms"]]
    return found + [source["netPrice"] for node in nodes for source in node["sources"]]


async def test_only_keys_that_may_see_net_prices_see_them(tmp_path: Path, sims: Simulators) -> None:
    settings = Settings(api_keys=load_keys(keys_file(tmp_path)), net_prices="keyed")
    async with gateway(settings, sims) as client:
        seller = await as_client(client, SELLER, HOTELS, SEARCH)
        web = await as_client(client, TRAVELLER_APP, HOTELS, SEARCH)
        offer = next(n for n in web["hotels"]["offers"]["nodes"] if n["sources"])
        checked = await as_client(client, TRAVELLER_APP, CHECK, {"id": offer["id"]})
    assert any(price is not None for price in net_prices(seller))  # Hotelbeds, LiteAPI state them
    assert all(price is None for price in net_prices(web))
    assert all(room["netPrice"] is None for room in checked["hotelOffer"]["offer"]["rooms"])
    # The same offers, the same ids: only what the key may read differs.
    ids = [node["id"] for node in seller["hotels"]["offers"]["nodes"]]
    assert ids == [node["id"] for node in web["hotels"]["offers"]["nodes"]]


@pytest.mark.parametrize(
    ("env", "demo", "policy"),
    [({}, True, "all"), ({}, False, "keyed"), ({"GATEWAY_NET_PRICES": "NONE"}, True, "none")],
)
def test_the_policy_defaults_to_all_only_for_simulated_prices(
    env: dict[str, str], demo: bool, policy: str
) -> None:
    settings = Settings.from_env(env)
    if not demo:
        settings = Settings.from_env({**env, "LITEAPI_API_KEY": "sand_" + "k" * 20})
    assert settings.net_price_policy == policy


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GATEWAY_NET_PRICES"):
        Settings.from_env({"GATEWAY_NET_PRICES": "some"})
    path = tmp_path / "keys.toml"
    path.write_text(f'[[keys]]\nname = "x"\nsha256 = "{digest(SELLER)}"\nnet_prices = "yes"\n')
    with pytest.raises(KeyFileError, match="net_prices must be true or false"):
        load_keys(path)
