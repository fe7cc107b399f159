"""The names of the gateway's settings, gathered in one place, and the variables that look like
settings but are none: `GATEWAY_CACHE_UR` set for `GATEWAY_CACHE_URL` is otherwise ignored in
silence, and the gateway runs without the cache the operator asked for.

Known names are what the code declares: `gateway/config.py`'s `VARIABLES`, `gateway/listen.py`'s
and each provider spec's `variables` (a test fails when a setting is read but not declared).
Checked are the variables starting with `GATEWAY_` or with a provider's prefix (taken from its
spec's variables, so a new provider's are checked too), in any case. A warning names the
variable and the closest known name, never a value (a mistyped name may hold a secret).

Not warned about: the variables Kubernetes sets for every Service of a namespace (service
links: a Service named `gateway` gives `GATEWAY_SERVICE_HOST`, `GATEWAY_PORT_8000_TCP`…, and a
`GATEWAY_PORT` that `gateway/listen.py` refuses with the fix).
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from gateway import config, listen
from gateway.env import Env
from gateway.providers import registry

OWN_PREFIX = "GATEWAY_"
MAX_WARNINGS = 20
"""Lines at start-up, at most: a stray environment should not bury the rest of the log."""
MAX_NAME_CHARS = 80
"""A name is shown up to this many characters."""
_PLATFORM = re.compile(
    r"^(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)\Z"
)
"""Kubernetes service links after a Service's name: `<NAME>_SERVICE_HOST`, `…_SERVICE_PORT`,
`…_SERVICE_PORT_<PORT NAME>`, `…_PORT_<N>_TCP`, `…_PORT_<N>_TCP_ADDR` (and the legacy Docker
links, which share the `_PORT_<N>_…` form)."""
_SERVICE_LINK = re.compile(r"^(tcp|udp|sctp)://", re.IGNORECASE)
log = logging.getLogger("gateway.settings")


def known() -> frozenset[str]:
    """Every variable the gateway reads as a setting of its own or of a provider."""
    names = {*config.VARIABLES, *listen.VARIABLES}
    for spec in registry.SPECS:
        names.update(spec.variables)
    return frozenset(names)


def prefixes() -> tuple[str, ...]:
    """`GATEWAY_` and each provider's prefix (`DUFFEL_`), from what the specs declare."""
    found = dict.fromkeys([OWN_PREFIX])
    for spec in registry.SPECS:
        for name in spec.variables:
            found[name.split("_", 1)[0] + "_"] = None
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Unknown:
    name: str
    suggestion: str | None
    """The closest known name with the same prefix, if one is close."""

    def message(self) -> str:
        shown = self.name if len(self.name) <= MAX_NAME_CHARS else self.name[:MAX_NAME_CHARS] + "…"
        if not shown.isprintable():
            shown = repr(shown)
        if self.suggestion is None:
            return f"{shown} is not a setting of the gateway (docs/operations.md, Settings)"
        return f"{shown} is not a setting of the gateway; did you mean {self.suggestion}?"


def unknown(env: Env) -> Iterator[Unknown]:
    """The variables of `env` that look like the gateway's settings but are none, by name."""
    names = known()
    own = prefixes()
    for name in sorted(env):
        upper = name.upper()
        prefix = next((p for p in own if upper.startswith(p)), None)
        if prefix is None or name in names or _platform(upper, prefix, env[name], names):
            continue
        yield Unknown(name, _closest(upper, prefix, names))


def warn_unknown(env: Env) -> int:
    """One WARNING per unknown variable (`MAX_WARNINGS` at most, then a count); how many."""
    found = list(unknown(env))
    for item in found[:MAX_WARNINGS]:
        log.warning("%s", item.message())
    if len(found) > MAX_WARNINGS:
        log.warning("and %d more variables that are not settings", len(found) - MAX_WARNINGS)
    return len(found)


def _platform(upper: str, prefix: str, value: str, names: frozenset[str]) -> bool:
    """A variable a platform sets that shares a prefix (service links), not an operator's."""
    rest = upper[len(prefix) :]
    if _PLATFORM.match(rest):
        return True
    # `<NAME>_PORT=tcp://…`: a provider's prefix has no `_PORT` setting to confuse it with.
    return rest == "PORT" and upper not in names and bool(_SERVICE_LINK.match(value.strip()))


def _closest(upper: str, prefix: str, names: frozenset[str]) -> str | None:
    """Compared without the prefix: every name shares it, which would make any two close."""
    candidates = {name[len(prefix) :]: name for name in names if name.startswith(prefix)}
    close = difflib.get_close_matches(upper[len(prefix) :], list(candidates), n=1, cutoff=0.6)
    return candidates[close[0]] if close else None
