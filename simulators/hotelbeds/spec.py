"""The Hotelbeds simulator as a plug-in (see `simulators.spec`): the gateway signs its calls
with the one account the simulator knows."""

from __future__ import annotations

from gateway.providers.hotelbeds.adapter import HotelbedsConfig
from gateway.providers.hotelbeds.spec import SPEC as PROVIDER
from simulators.hotelbeds import app
from simulators.spec import SimulatorSpec


def simulated(base_url: str) -> HotelbedsConfig:
    return HotelbedsConfig(
        api_key=app.DEMO_API_KEY,
        secret=app.DEMO_SECRET,
        base_url=base_url,
        mode="simulated",
    )


def simulated_env(base_url: str) -> dict[str, str]:
    return {
        "HOTELBEDS_API_KEY": app.DEMO_API_KEY,
        "HOTELBEDS_SECRET": app.DEMO_SECRET,
        "HOTELBEDS_BASE_URL": base_url,
    }


SPEC: SimulatorSpec[HotelbedsConfig] = SimulatorSpec(
    provider=PROVIDER,
    app=lambda faults: app.create_app(fault_config=faults),
    simulated=simulated,
    simulated_env=simulated_env,
)
