"""A simulator as a plug-in: each simulator package exports one `SimulatorSpec`, and
`simulators/registry.py` lists them. The demo, `travel-gateway simulate`, the tests'
simulators and the benchmarks loop over that list; a provider of the gateway's registry that is
not on it simply has no simulator (its wire and contract tests stand for it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiohttp import web

from gateway.providers.spec import ProviderSpec
from simulators.common.faults import FaultConfig

C = TypeVar("C")
"""The configuration of the provider it stands in for."""


@dataclass(frozen=True, slots=True)
class SimulatorSpec(Generic[C]):
    provider: ProviderSpec[C]
    """The gateway's provider it stands in for (its name, settings and adapter)."""
    app: Callable[[FaultConfig | None], web.Application]
    """An aiohttp app speaking the provider's wire format, with the shared fault switches."""
    simulated: Callable[[str], C]
    """The provider's configuration pointed at this simulator at a base URL: the credentials it
    accepts, the paths it serves, mode `simulated` (the demo, the tests)."""
    simulated_env: Callable[[str], dict[str, str]]
    """The environment that points a gateway process at this simulator at a base URL (the
    benchmark and the soak start the gateway as its users do)."""

    @property
    def name(self) -> str:
        return self.provider.name
