"""The Duffel simulator as a plug-in (see `simulators.spec`)."""

from __future__ import annotations

from gateway.providers.duffel.adapter import DuffelConfig
from gateway.providers.duffel.spec import SPEC as PROVIDER
from simulators.duffel import app
from simulators.spec import SimulatorSpec


def simulated(base_url: str) -> DuffelConfig:
    return DuffelConfig(access_token="duffel_test_demo", base_url=base_url, mode="simulated")


def simulated_env(base_url: str) -> dict[str, str]:
    return {"DUFFEL_ACCESS_TOKEN": "duffel_test_simulated", "DUFFEL_BASE_URL": base_url}


SPEC: SimulatorSpec[DuffelConfig] = SimulatorSpec(
    provider=PROVIDER,
    app=lambda faults: app.create_app(fault_config=faults),
    simulated=simulated,
    simulated_env=simulated_env,
)
