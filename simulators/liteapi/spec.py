"""The LiteAPI simulator as a plug-in (see `simulators.spec`): it serves the search host's and
the booking host's paths at its one base URL."""

from __future__ import annotations

from gateway.providers.liteapi.adapter import LiteApiConfig
from gateway.providers.liteapi.spec import SPEC as PROVIDER
from simulators.liteapi import app
from simulators.spec import SimulatorSpec


def simulated(base_url: str) -> LiteApiConfig:
    served = f"{base_url}{app.API_PREFIX}"
    return LiteApiConfig(
        api_key="sand_demo", base_url=served, book_base_url=served, mode="simulated"
    )


def simulated_env(base_url: str) -> dict[str, str]:
    # No rate limit: a sandbox key's 5/s would throttle the benchmark, not the simulator.
    return {
        "LITEAPI_API_KEY": "sand_simulated",
        "LITEAPI_BASE_URL": f"{base_url}{app.API_PREFIX}",
        "LITEAPI_BOOK_BASE_URL": f"{base_url}{app.API_PREFIX}",
        "LITEAPI_RATE_LIMIT": "0",
    }


SPEC: SimulatorSpec[LiteApiConfig] = SimulatorSpec(
    provider=PROVIDER,
    app=lambda faults: app.create_app(fault_config=faults),
    simulated=simulated,
    simulated_env=simulated_env,
)
