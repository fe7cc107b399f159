from __future__ import annotations

import pytest

from gateway.config import ConfigError, Settings

pytestmark = pytest.mark.unit


def test_no_credentials_means_demo_with_open_cors() -> None:
    settings = Settings.from_env({})
    assert settings.demo
    assert settings.allowed_origins == ("*",)


def test_configured_providers_run_alone_with_closed_cors() -> None:
    settings = Settings.from_env({"DUFFEL_ACCESS_TOKEN": "duffel_test_abc"})
    assert not settings.demo
    assert set(settings.providers) == {"duffel"}
    assert settings.providers["duffel"].base_url == "https://api.duffel.com"
    assert settings.allowed_origins == ()


def test_amadeus_needs_its_enterprise_host() -> None:
    """Amadeus closed its Self-Service APIs in July 2026: no default host, and the SDKs'
    AMADEUS_HOSTNAME (test/production) says why it is no longer read."""
    creds = {"AMADEUS_CLIENT_ID": "i", "AMADEUS_CLIENT_SECRET": "s"}
    with pytest.raises(ConfigError, match="AMADEUS_BASE_URL is required"):
        Settings.from_env(creds)
    with pytest.raises(ConfigError, match="closed its Self-Service APIs"):
        Settings.from_env({**creds, "AMADEUS_HOSTNAME": "test"})
    custom = Settings.from_env({**creds, "AMADEUS_BASE_URL": "https://travel.api.amadeus.com"})
    assert custom.providers["amadeus"].base_url == "https://travel.api.amadeus.com"
    assert custom.providers["amadeus"].rate_limit is None  # the contract's: set it


def test_cors_origins_list() -> None:
    settings = Settings.from_env(
        {"DUFFEL_ACCESS_TOKEN": "t", "GATEWAY_CORS_ORIGINS": "https://a.example, https://b.example"}
    )
    assert settings.allowed_origins == ("https://a.example", "https://b.example")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_MAX_HEADER_BYTES", "100"),
        ("GATEWAY_MAX_HEADERS", "0"),
        ("GATEWAY_HEADER_TIMEOUT_S", "forever"),
        ("GATEWAY_BODY_TIMEOUT_S", "-1"),
        ("GATEWAY_KEEPALIVE_TIMEOUT_S", "0"),
        ("GATEWAY_MAX_REQUESTS_PER_CONNECTION", "0"),
        ("GATEWAY_MAX_CONNECTIONS", "1e9"),
    ],
)
def test_http_edge_limits_are_range_checked(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"GATEWAY_MAX_TOKENS": "many"}, "GATEWAY_MAX_TOKENS must be a number"),
        ({"GATEWAY_MAX_COST": "0"}, "GATEWAY_MAX_COST must be between"),
        ({"GATEWAY_INTROSPECTION": "maybe"}, "GATEWAY_INTROSPECTION must be on or off"),
        ({"GATEWAY_CSRF_HEADERS": "x-ok, not a header"}, "GATEWAY_CSRF_HEADERS"),
        ({"GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8, proxy"}, "'proxy' is not an IP address"),
        ({"GATEWAY_API_KEYS_FILE": "/nonexistent/keys.toml"}, "cannot read"),
        ({"GATEWAY_RATE_LIMIT_SEARCHES": "-1"}, "GATEWAY_RATE_LIMIT_SEARCHES must be between"),
    ],
)
def test_safety_settings_are_checked(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert words in str(caught.value)


def test_safety_settings_defaults_and_switches() -> None:
    default = Settings.from_env({})
    assert (default.max_tokens, default.max_query_depth, default.max_fields) == (1000, 15, 500)
    assert default.csrf_headers == ("x-apollo-operation-name", "apollo-require-preflight")
    assert default.rate_limit_requests is None  # off until configured
    switched = Settings.from_env(
        {
            "GATEWAY_CSRF_PREVENTION": "off",
            "GATEWAY_APQ": "0",
            "GATEWAY_RATE_LIMIT_REQUESTS": "0",
            "GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1",
        }
    )
    assert switched.csrf_headers is None
    assert switched.apq is False
    assert switched.rate_limit_requests is None
    assert switched.trusted_proxies == ("10.0.0.0/8", "127.0.0.1")


def test_an_empty_environment_means_the_fields_defaults() -> None:
    """Each default is written once, on its `Settings` field: `from_env` reads it from there
    (two copies drifted before). The one difference is deliberate: an empty environment reads
    the ECB feed, `Settings()` (tests, embedding) the bundled rates only."""
    from dataclasses import fields

    from gateway.currency.feed import ECB_DAILY_URL

    read, default = Settings.from_env({}), Settings()
    assert read.fx_url == ECB_DAILY_URL
    assert default.fx_url is None
    differ = [
        f.name
        for f in fields(Settings)
        if f.name != "fx_url" and getattr(read, f.name) != getattr(default, f.name)
    ]
    assert differ == []
