"""Reading settings from the environment: one error type, and readers that name the variable.

Shared by the gateway's own settings (`gateway/config.py`) and each provider's
(`gateway/providers/<name>/spec.py`), so every malformed value stops start-up the same way:
exit code 2 and a message naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

Env = Mapping[str, str]


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def get(env: Env, name: str) -> str | None:
    """The variable's value, trimmed; None when unset or blank."""
    value = env.get(name, "").strip()
    return value or None


def credential_pair(env: Env, first: str, second: str, provider: str) -> tuple[str, str] | None:
    """Two credentials set together (a key and its secret): None when neither is set, a
    `ConfigError` naming the missing one when only one is."""
    one, other = get(env, first), get(env, second)
    if one is None and other is None:
        return None
    if one is None or other is None:
        missing = second if other is None else first
        raise ConfigError(f"{missing} is required when the other {provider} credential is set")
    return one, other


def number(env: Env, name: str, default: float, *, low: float, high: float) -> float:
    raw = get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {raw}")
    return value


def integer(env: Env, name: str, default: int, *, low: int, high: int) -> int:
    """A whole number from `name`: a count or a size must not be cut silently (`1.5` is refused,
    `1e3` is 1000)."""
    value = float(number(env, name, default, low=low, high=high))
    if not value.is_integer():
        raise ConfigError(f"{name} must be a whole number, got {get(env, name)!r}")
    return int(value)


def optional_number(env: Env, name: str, *, low: float, high: float) -> float | None:
    return None if get(env, name) is None else number(env, name, 0, low=low, high=high)


def rate_limit(env: Env, name: str) -> float | None:
    """Requests per second from `name`; 0 turns the limit off; unset: the default."""
    if get(env, name) is None:
        return None
    return number(env, name, 0, low=0, high=100_000)


def url(env: Env, name: str, default: str | None = None) -> str | None:
    """An http(s) URL from `name`, else `default`."""
    value = get(env, name)
    return default if value is None else http_url(name, value)


MAX_URL_CHARS = 2048
"""Longer is no address an operator typed: a pasted document, or a mistake."""


def http_url(name: str, value: str) -> str:
    """`value` if it is an absolute http(s) URL with a host (and a valid port), else a
    `ConfigError` naming `name` (never showing the value: it may carry credentials)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError on a port that is no number or out of range)
    except ValueError:
        raise ConfigError(f"{name} must be an http:// or https:// URL") from None
    if len(value) > MAX_URL_CHARS or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{name} must be an http:// or https:// URL with a host, at most "
            f"{MAX_URL_CHARS} characters"
        )
    return value


def flag(env: Env, name: str, default: bool) -> bool:
    raw = get(env, name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be on or off (true/false, 1/0), got {raw!r}")
