"""A provider as a plug-in: each provider package exports one `ProviderSpec`, and the registry
(`gateway/providers/registry.py`) lists them. Everything that deals with providers as a set —
settings, the command line's `simulate`, the demo, the tests' simulators, the benchmark — loops
over that list, so adding a provider is its package and one line there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from gateway.env import Env
from gateway.providers.base import Provider
from gateway.simulator.faults import FaultConfig

SEARCH_FIELDS = ("flights", "hotels")


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str
    """Stable lower-case name: in outcomes, sources, settings and `simulate --provider`."""
    serves: tuple[str, ...]
    """The root fields it serves, among `SEARCH_FIELDS`."""
    variables: tuple[str, ...]
    """The environment variables it reads, credentials first (README, provider table)."""
    from_env: Callable[[Env], Any]
    """Its configuration from the environment; None when it is not configured; `ConfigError`
    naming the variable when a value is malformed or one credential lacks its pair."""
    simulated: Callable[[str], Any]
    """Its configuration pointed at a simulator at this base URL (the demo, the tests)."""
    simulated_env: Callable[[str], dict[str, str]]
    """The environment that points a gateway process at a simulator at this base URL (the
    benchmark and the soak start the gateway as its users do)."""
    build: Callable[[aiohttp.ClientSession, Any], Provider]
    """Its adapter on the process's one upstream session."""
    simulator: Callable[[FaultConfig | None], web.Application]
    """An aiohttp app speaking its wire format, with the shared fault switches."""
