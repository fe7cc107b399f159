"""Where `serve` listens and how many workers it runs: the option, else the environment, else
the default.

A container sets `GATEWAY_HOST=0.0.0.0` and its platform sets `PORT` (Heroku, Cloud Run, Render
and the gateway's image do); `GATEWAY_PORT` wins over `PORT` for an operator who must move the
gateway off the platform's port. Each value is checked here, so a typo stops `serve` with exit
code 2 naming the option or the variable, as every other setting does.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from gateway.env import ConfigError, Env, get

VARIABLES = ("GATEWAY_HOST", "GATEWAY_PORT", "GATEWAY_WORKERS")
"""The gateway's own; `PORT` is the platform's (read, but no name of ours)."""
PLATFORM_PORT = "PORT"
DEFAULT_HOST = "127.0.0.1"
"""Loopback: a gateway started by hand is not reachable from the network until asked."""
DEFAULT_PORT = 8000
MAX_WORKERS = 64
"""One worker per core is the sizing advice (docs/operations.md, Sizing) and each plans ~350 MiB:
64 is a 64-core machine and ~22 GiB. More is a typo (`--workers 200` for `--port 8200`), and
every scrape of `/metrics` reads each worker's files."""
_HOST_NAME = re.compile(
    r"^(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\Z"
)
_SERVICE_LINK = re.compile(r"^(tcp|udp|sctp)://", re.IGNORECASE)
"""What Kubernetes puts in `<SERVICE>_PORT` for every Service of the namespace (service links)."""


@dataclass(frozen=True, slots=True)
class Listen:
    host: str
    port: int
    workers: int

    @property
    def shown_host(self) -> str:
        """The host to show in a URL: loopback for the wildcard addresses."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host


def resolve(
    env: Env, *, host: str | None = None, port: str | None = None, workers: str | None = None
) -> Listen:
    """The options given (None: not given) over the environment over the defaults; a
    `ConfigError` naming where a malformed value came from."""
    return Listen(
        host=_host(*_first(("--host", host), ("GATEWAY_HOST", get(env, "GATEWAY_HOST")))),
        port=_port(
            *_first(
                ("--port", port),
                ("GATEWAY_PORT", get(env, "GATEWAY_PORT")),
                (PLATFORM_PORT, get(env, PLATFORM_PORT)),
            )
        ),
        workers=_workers(
            *_first(("--workers", workers), ("GATEWAY_WORKERS", get(env, "GATEWAY_WORKERS")))
        ),
    )


def _first(*sources: tuple[str, str | None]) -> tuple[str, str | None]:
    """The first source with a value: (its name, the value); none: (the last name, None)."""
    for name, value in sources:
        if value is not None:
            return name, value.strip()
    return sources[-1][0], None


def _host(name: str, value: str | None) -> str:
    if value is None:
        return DEFAULT_HOST
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not _HOST_NAME.match(value):
            raise ConfigError(
                f"{name} must be an IP address (0.0.0.0 for every interface) or a host name"
            ) from None
    return value


def _port(name: str, value: str | None) -> int:
    if value is None:
        return DEFAULT_PORT
    if _SERVICE_LINK.match(value):
        raise ConfigError(
            f"{name} must be a port number from 1 to 65535, not a URL: it looks like the "
            "service link Kubernetes sets for a Service named after it; set "
            "enableServiceLinks: false in the pod spec (or name the Service otherwise)"
        )
    return _whole(name, value, 1, 65535, "a port number")


def _workers(name: str, value: str | None) -> int:
    return 1 if value is None else _whole(name, value, 1, MAX_WORKERS, "a number of workers")


def _whole(name: str, value: str, low: int, high: int, what: str) -> int:
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise ConfigError(f"{name} must be {what} from {low} to {high}, got {value[:20]!r}")
    return int(value)
