"""The Amadeus simulator as a plug-in (see `simulators.spec`)."""

from __future__ import annotations

from gateway.providers.amadeus.adapter import AmadeusConfig
from gateway.providers.amadeus.spec import SPEC as PROVIDER
from simulators.amadeus import app
from simulators.spec import SimulatorSpec


def simulated(base_url: str) -> AmadeusConfig:
    return AmadeusConfig(
        client_id="demo", client_secret="demo", base_url=base_url, mode="simulated"
    )


def simulated_env(base_url: str) -> dict[str, str]:
    return {
        "AMADEUS_CLIENT_ID": "simulated",
        "AMADEUS_CLIENT_SECRET": "simulated",
        "AMADEUS_BASE_URL": base_url,
    }


SPEC: SimulatorSpec[AmadeusConfig] = SimulatorSpec(
    provider=PROVIDER,
    app=lambda faults: app.create_app(fault_config=faults),
    simulated=simulated,
    simulated_env=simulated_env,
)
