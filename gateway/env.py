"""Reading settings from the environment: one error type, and readers that name the variable.

Shared by the gateway's own settings (`gateway/config.py`) and each provider's
(`gateway/providers/<name>/spec.py`), so every malformed value stops start-up the same way:
exit code 2 and a message naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping

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


def optional_number(env: Env, name: str, *, low: float, high: float) -> float | None:
    return None if get(env, name) is None else number(env, name, 0, low=low, high=high)


def rate_limit(env: Env, name: str) -> float | None:
    """Requests per second from `name`; 0 turns the limit off; unset: the default."""
    if get(env, name) is None:
        return None
    return number(env, name, 0, low=0, high=100_000)


def url(env: Env, name: str, default: str | None = None) -> str | None:
    """An http(s) URL from `name`, else `default`."""
    value = get(env, name) or default
    if value is not None and not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http:// or https:// URL")
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
