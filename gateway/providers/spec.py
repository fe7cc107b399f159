"""A provider as a plug-in: each provider package exports one `ProviderSpec`, and the registry
(`gateway/providers/registry.py`) lists them. Everything that deals with providers as a set —
settings, the adapters built at start-up, the cost model, the benchmark — loops over that list,
so adding a provider is its package and one line there.

A spec says only what production needs: the provider's name, what it serves, its settings and
its adapter. Whether a simulator stands in for it (the demo, `travel-gateway simulate`, the
tests) is the simulators' business (`simulators/registry.py`); a provider may have none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import aiohttp

from gateway.env import Env
from gateway.providers.base import Provider

SEARCH_FIELDS = ("flights", "hotels")

C = TypeVar("C")
"""The provider's configuration: what `from_env` reads and `build` takes."""


@dataclass(frozen=True, slots=True)
class ProviderSpec(Generic[C]):
    name: str
    """Stable lower-case name: in outcomes, sources, settings and `simulate --provider`."""
    serves: tuple[str, ...]
    """The root fields it serves, among `SEARCH_FIELDS`."""
    variables: tuple[str, ...]
    """The environment variables it reads, credentials first (README, provider table)."""
    from_env: Callable[[Env], C | None]
    """Its configuration from the environment; None when it is not configured; `ConfigError`
    naming the variable when a value is malformed or one credential lacks its pair."""
    build: Callable[[aiohttp.ClientSession, C], Provider]
    """Its adapter on the process's one upstream session."""
