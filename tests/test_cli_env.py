"""`serve`'s settings from the environment: where it listens (options over `GATEWAY_*` over the
platform's `PORT`), every value checked with exit code 2 naming it, and a WARNING for each
variable that looks like a setting but is none, from one list of known names."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from gateway import cli, env_names, listen
from gateway.config import ConfigError, Settings
from gateway.providers import registry
from simulators import registry as sim_registry
from tests.ports import free_port
from tests.served import clean_env

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """`os.environ` without the gateway's, the providers' or the platform's settings."""
    for name in list(os.environ):
        if name.upper().startswith(env_names.prefixes()) or name == listen.PLATFORM_PORT:
            monkeypatch.delenv(name)
    return monkeypatch


# -- Where it listens ----------------------------------------------------------------------------


def test_options_win_over_the_environment_which_wins_over_the_defaults() -> None:
    assert listen.resolve({}) == listen.Listen("127.0.0.1", 8000, 1)
    platform = {"PORT": "8080", "GATEWAY_HOST": "0.0.0.0"}  # what a container sets
    assert listen.resolve(platform) == listen.Listen("0.0.0.0", 8080, 1)
    ours = {**platform, "GATEWAY_PORT": "9000", "GATEWAY_WORKERS": "4"}
    assert listen.resolve(ours) == listen.Listen("0.0.0.0", 9000, 4)
    given = listen.resolve(ours, host="::1", port="9100", workers="2")
    assert given == listen.Listen("::1", 9100, 2)
    assert listen.resolve({"GATEWAY_HOST": "gateway.internal"}).host == "gateway.internal"


@pytest.mark.parametrize(
    ("argv", "env", "words"),
    [
        ([], {"GATEWAY_PORT": "70000"}, "GATEWAY_PORT must be a port number from 1 to 65535"),
        ([], {"PORT": "http"}, "PORT must be a port number from 1 to 65535"),
        (["--port", "0"], {"PORT": "8080"}, "--port must be a port number from 1 to 65535"),
        ([], {"GATEWAY_WORKERS": "0"}, "GATEWAY_WORKERS must be a number of workers from 1 to 64"),
        (["--workers", "65"], {}, "--workers must be a number of workers from 1 to 64"),
        ([], {"GATEWAY_WORKERS": "2.5"}, "GATEWAY_WORKERS must be"),
        ([], {"GATEWAY_HOST": "not a host"}, "GATEWAY_HOST must be an IP address"),
        (["--host", ""], {}, "--host must be an IP address"),
        # A Kubernetes Service named `gateway` sets GATEWAY_PORT=tcp://<its address>:<port>.
        ([], {"GATEWAY_PORT": "tcp://10.96.0.7:8000"}, "enableServiceLinks: false"),
        (
            [],
            {"GATEWAY_LOG_LEVEL": "LOUD"},
            "GATEWAY_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
        ),
        (["--log-level", "loud"], {}, "--log-level must be one of DEBUG, INFO, WARNING"),
        ([], {"GATEWAY_CORS_ORIGINS": "https://app.example/"}, "is not an origin"),
    ],
)
def test_serve_refuses_a_malformed_value_naming_it(
    environ: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
    words: str,
) -> None:
    for name, value in env.items():
        environ.setenv(name, value)
    assert cli.main(["serve", *argv]) == 2
    error = capsys.readouterr().err
    assert words in error
    assert "Traceback" not in error
    assert "10.96.0.7" not in error


def test_simulate_refuses_a_malformed_log_level(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["simulate", "--provider", "duffel", "--log-level", "LOUD"]) == 2
    assert "--log-level must be one of DEBUG" in capsys.readouterr().err


async def test_a_container_serves_on_the_platforms_port_and_is_told_of_unknown_variables() -> None:
    """As the image runs it: no option, `PORT` and `GATEWAY_HOST` from the environment; a
    mistyped variable is named with the setting it was meant to be, its value never shown."""
    port = free_port()
    env = clean_env(
        {
            "PORT": str(port),
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_CACHE_UR": "redis://:hunter2-secret@cache:6379/0",
            "GATEWAY_SERVICE_HOST": "10.96.0.7",  # a Kubernetes service link: no warning
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "serve",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    log: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not any("Uvicorn running on" in line for line in log):
                line = await process.stdout.readline()
                assert line, "".join(log)
                log.append(line.decode())
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as answer,
        ):
            assert answer.status == 200
    finally:
        process.kill()
        await process.wait()
    text = "".join(log)
    assert (
        "GATEWAY_CACHE_UR is not a setting of the gateway; did you mean GATEWAY_CACHE_URL?" in text
    )
    assert "hunter2" not in text
    assert "GATEWAY_SERVICE_HOST" not in text
    assert f"Uvicorn running on http://127.0.0.1:{port}" in text


# -- Unknown variables ---------------------------------------------------------------------------


def messages(env: Mapping[str, str]) -> list[str]:
    return [item.message() for item in env_names.unknown(env)]


def test_a_mistyped_variable_is_named_with_the_closest_setting_and_never_its_value() -> None:
    env = {
        "GATEWAY_CACHE_UR": "redis://:secret@cache",
        "DUFFEL_ACESS_TOKEN": "duffel_live_secret",
        "gateway_log_level": "DEBUG",  # the gateway reads upper-case names only
        "GATEWAY_NONSENSE": "x",
        "GATEWAY_CACHE_URL": "mem://",  # known: nothing said
        "HOME": "/root",  # no prefix of ours: nothing said
    }
    assert messages(env) == [
        "DUFFEL_ACESS_TOKEN is not a setting of the gateway; did you mean DUFFEL_ACCESS_TOKEN?",
        "GATEWAY_CACHE_UR is not a setting of the gateway; did you mean GATEWAY_CACHE_URL?",
        "GATEWAY_NONSENSE is not a setting of the gateway (docs/operations.md, Settings)",
        "gateway_log_level is not a setting of the gateway; did you mean GATEWAY_LOG_LEVEL?",
    ]
    assert not any("secret" in message for message in messages(env))


def test_kubernetes_service_links_are_not_warned_about() -> None:
    links = {
        "GATEWAY_SERVICE_HOST": "10.96.0.7",
        "GATEWAY_SERVICE_PORT": "8000",
        "GATEWAY_SERVICE_PORT_HTTP": "8000",
        "GATEWAY_PORT_8000_TCP": "tcp://10.96.0.7:8000",
        "GATEWAY_PORT_8000_TCP_PROTO": "tcp",
        "GATEWAY_PORT_8000_TCP_PORT": "8000",
        "GATEWAY_PORT_8000_TCP_ADDR": "10.96.0.7",
        "DUFFEL_PORT": "tcp://10.96.0.9:443",  # a Service named duffel
    }
    assert messages(links) == []
    assert messages({"DUFFEL_PORT": "443"}) == [
        "DUFFEL_PORT is not a setting of the gateway (docs/operations.md, Settings)"
    ]


def test_warnings_are_bounded(caplog: pytest.LogCaptureFixture) -> None:
    env = {f"GATEWAY_STRAY_{n}": "x" for n in range(50)}
    with caplog.at_level("WARNING", logger="gateway.settings"):
        assert env_names.warn_unknown(env) == 50
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == env_names.MAX_WARNINGS + 1
    assert lines[-1] == "and 30 more variables that are not settings"


def test_a_new_providers_prefix_is_checked_without_being_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Prefixes come from the specs' variables: a fifth provider's are checked as it lands."""
    fifth = replace(registry.SPECS[0], name="expedia", variables=("EXPEDIA_API_KEY",))
    monkeypatch.setattr(registry, "SPECS", (*registry.SPECS, fifth))
    assert "EXPEDIA_" in env_names.prefixes()
    assert messages({"EXPEDIA_APIKEY": "k", "EXPEDIA_API_KEY": "k"}) == [
        "EXPEDIA_APIKEY is not a setting of the gateway; did you mean EXPEDIA_API_KEY?"
    ]


class Recording(Mapping[str, str]):
    """An environment that notes every name looked up, set or not."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.read.add(name)
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


RETIRED = {"AMADEUS_HOSTNAME"}
"""Read only to refuse it with the reason (Amadeus closed the hosts it named): no setting, so
set without credentials it is warned about (did you mean AMADEUS_BASE_URL?)."""


def test_every_setting_read_is_a_known_name_and_every_known_name_is_read() -> None:
    """The known names are declared (config.VARIABLES, listen.VARIABLES, each spec's): a
    setting read but not declared would be warned about as unknown while it is used."""
    every_provider: dict[str, str] = {}
    for spec in sim_registry.SPECS:
        every_provider.update(spec.simulated_env("http://127.0.0.1:9"))
    read: set[str] = set()
    for values in ({}, every_provider):
        env = Recording(values)
        Settings.from_env(env)
        listen.resolve(env)
        read |= env.read
    checked = {name for name in read if name.startswith(env_names.prefixes())}
    known = env_names.known()
    assert sorted(checked - known - RETIRED) == [], "declare them in their VARIABLES"
    assert sorted(known - read) == [], "declared but never read: remove them"


# -- Settings checked that were read unchecked ---------------------------------------------------


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"GATEWAY_FX_URL": "ecb"}, "GATEWAY_FX_URL must be an http:// or https:// URL"),
        ({"GATEWAY_FX_URL": "https://"}, "GATEWAY_FX_URL must be an http:// or https:// URL"),
        ({"GATEWAY_CORS_ORIGINS": "app.example"}, "'app.example' is not an origin"),
        ({"GATEWAY_CORS_ORIGINS": "https://a.example/x"}, "is not an origin"),
        ({"GATEWAY_CORS_ORIGINS": "*, https://a.example"}, "either * (every origin) or a list"),
        (
            {"GATEWAY_CORS_ORIGINS": ",".join(f"https://{n}.example" for n in range(101))},
            "more than 100 origins",
        ),
        ({"GATEWAY_MAX_TOKENS": "1000.5"}, "GATEWAY_MAX_TOKENS must be a whole number"),
        ({"GATEWAY_RATE_LIMIT_REQUESTS": "0.5"}, "GATEWAY_RATE_LIMIT_REQUESTS must be a whole"),
        ({"GATEWAY_CACHE_URL": "redis://:pw-secret@cache:99999/0"}, "GATEWAY_CACHE_URL must be"),
        ({"GATEWAY_CACHE_URL": "redis://cache/db0"}, "GATEWAY_CACHE_URL must be"),
        ({"DUFFEL_ACCESS_TOKEN": "t", "DUFFEL_BASE_URL": "https://"}, "DUFFEL_BASE_URL must be"),
        ({"GATEWAY_LOG_LEVEL": "verbose"}, "GATEWAY_LOG_LEVEL must be one of DEBUG, INFO"),
    ],
)
def test_settings_once_read_unchecked_are_checked(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env)
    assert words in str(refused.value)
    assert "secret" not in str(refused.value)


def test_checked_settings_keep_their_meaning() -> None:
    assert Settings.from_env({}).fx_url is not None  # the ECB's feed
    assert Settings.from_env({"GATEWAY_FX_URL": ""}).fx_url is None  # bundled rates only
    assert Settings.from_env({"GATEWAY_CORS_ORIGINS": ""}).cors_origins == ()
    origins = Settings.from_env({"GATEWAY_CORS_ORIGINS": "*"}).cors_origins
    assert origins == ("*",)
    assert Settings.from_env({"GATEWAY_MAX_TOKENS": "1e3"}).max_tokens == 1000
    assert Settings.from_env({"GATEWAY_LOG_LEVEL": "debug"}).log_level == "DEBUG"
    redis = "rediss://:pw@cache.internal:6380/2"
    assert Settings.from_env({"GATEWAY_CACHE_URL": redis}).cache_url == redis
