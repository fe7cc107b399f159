"""Which providers have a simulator — one spec each, one line each (`simulators/spec.py`).

The demo, `travel-gateway simulate`, the tests' simulators and the benchmarks loop over this
list. A provider of the gateway's registry (`gateway/providers/registry.py`) that is not here
has no simulator: the demo runs without it (saying so in its log), `simulate --provider` does not
offer it, and its wire tests and contract tests stand for it (tests/test_providers.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.amadeus.spec import SPEC as AMADEUS
from simulators.duffel.spec import SPEC as DUFFEL
from simulators.hotelbeds.spec import SPEC as HOTELBEDS
from simulators.liteapi.spec import SPEC as LITEAPI
from simulators.spec import SimulatorSpec

SPECS: tuple[SimulatorSpec[Any], ...] = (
    AMADEUS,
    DUFFEL,
    HOTELBEDS,
    LITEAPI,
)
"""Every simulator, in the gateway registry's order."""


def names() -> tuple[str, ...]:
    return tuple(spec.name for spec in SPECS)


def has(name: str) -> bool:
    return name in names()


def spec(name: str) -> SimulatorSpec[Any]:
    for candidate in SPECS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no simulator for provider {name!r}; choose from {', '.join(names())}")


def configs(base_urls: Mapping[str, str]) -> dict[str, Any]:
    """Each provider's configuration pointed at its simulator at a base URL, by name (what
    `Settings.with_simulators` takes)."""
    return {name: spec(name).simulated(url) for name, url in base_urls.items()}


def environment(base_urls: Mapping[str, str]) -> dict[str, str]:
    """The environment that points a gateway process at these simulators."""
    found: dict[str, str] = {}
    for name, url in base_urls.items():
        found.update(spec(name).simulated_env(url))
    return found
