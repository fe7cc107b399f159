"""Contract of gateway/compat/uvicorn.py: each hook still fits the installed uvicorn.

A failure names the hook and uvicorn's version: the hook (and gateway/http_edge.py or
gateway/cli.py, which use it) needs adapting to that version before the pin in pyproject.toml
moves. The last tests serve with the edge protocol and with its public fallback.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from uvicorn.config import HTTP_PROTOCOLS

from gateway.compat import uvicorn as hooks
from gateway.config import Settings
from gateway.http_edge import EdgeProtocol, server_config
from tests.helpers import serve

pytestmark = pytest.mark.e2e


def broken(hook: str, why: str) -> str:
    return f"gateway.compat.uvicorn.{hook} no longer fits uvicorn {hooks.VERSION}: {why}"


def source(cls: type) -> str:
    return "".join(inspect.getsource(klass) for klass in cls.__mro__ if klass is not object)


def test_protocol_methods_exist_on_uvicorns_protocol() -> None:
    base = hooks.HttpToolsProtocol
    for name in (*hooks.PROTOCOL_OVERRIDES, *hooks.PROTOCOL_CALLS):
        assert callable(getattr(base, name, None)), broken(
            "PROTOCOL_OVERRIDES" if name in hooks.PROTOCOL_OVERRIDES else "PROTOCOL_CALLS",
            f"HttpToolsProtocol has no {name}",
        )
    assert list(inspect.signature(base._start_asgi_task).parameters) == [
        "self",
        "cycle",
        "app",
    ], broken("PROTOCOL_OVERRIDES", f"_start_asgi_task{inspect.signature(base._start_asgi_task)}")
    assert list(inspect.signature(base.__init__).parameters) == [
        "self",
        "config",
        "server_state",
        "app_state",
        "_loop",
    ], broken("PROTOCOL_OVERRIDES", f"__init__{inspect.signature(base.__init__)}")


def test_every_override_is_declared() -> None:
    overridden = {
        name
        for name, value in vars(EdgeProtocol).items()
        if callable(value) and hasattr(hooks.HttpToolsProtocol, name)
    }
    differing = overridden ^ set(hooks.PROTOCOL_OVERRIDES)
    assert not differing, (
        "gateway/http_edge.py overrides HttpToolsProtocol methods gateway.compat.uvicorn does "
        f"not declare, or no longer overrides declared ones: {differing}"
    )


def test_protocol_and_cycle_attributes() -> None:
    protocol = source(hooks.HttpToolsProtocol)
    for attribute in hooks.PROTOCOL_ATTRIBUTES:
        assert f"self.{attribute} =" in protocol or f"self.{attribute}:" in protocol, broken(
            "PROTOCOL_ATTRIBUTES", f"HttpToolsProtocol no longer sets {attribute}"
        )
    cycle = source(hooks.RequestResponseCycle)
    for attribute in hooks.CYCLE_ATTRIBUTES:
        assert f"self.{attribute} =" in cycle or f"def {attribute}(" in cycle, broken(
            "CYCLE_ATTRIBUTES", f"RequestResponseCycle no longer has {attribute}"
        )
    on_headers = inspect.getsource(hooks.HttpToolsProtocol.on_headers_complete)
    for name in ("service_unavailable", "_start_asgi_task"):
        assert name in on_headers, broken(
            "service_unavailable", f"on_headers_complete no longer uses {name}"
        )


def test_status_lines_and_server_state() -> None:
    for status in (400, 408, 431):
        assert hooks.STATUS_LINE[status].startswith(f"HTTP/1.1 {status} ".encode()), broken(
            "STATUS_LINE", f"{hooks.STATUS_LINE.get(status)!r}"
        )
    assert hasattr(hooks.ServerState(), "default_headers"), broken(
        "ServerState", "no default_headers"
    )
    assert inspect.iscoroutinefunction(hooks.service_unavailable), broken(
        "service_unavailable", "not an ASGI app"
    )


def test_supervisor() -> None:
    for name in hooks.SUPERVISOR_OVERRIDES:
        assert callable(getattr(hooks.Multiprocess, name, None)), broken(
            "SUPERVISOR_OVERRIDES", f"Multiprocess has no {name}"
        )
    for attribute in hooks.SUPERVISOR_ATTRIBUTES:
        assert f"self.{attribute}" in source(hooks.Multiprocess), broken(
            "SUPERVISOR_ATTRIBUTES", f"Multiprocess has no {attribute}"
        )


def test_fallback_is_uvicorns_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    assert HTTP_PROTOCOLS[hooks.HTTP_FALLBACK].endswith(":HttpToolsProtocol"), broken(
        "HTTP_FALLBACK", f"uvicorn's --http choices are {HTTP_PROTOCOLS}"
    )
    assert server_config(Settings()).http is EdgeProtocol
    monkeypatch.setattr(hooks, "EDGE_PROTOCOL", False)
    assert server_config(Settings()).http == hooks.HTTP_FALLBACK


async def failing(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        raise RuntimeError("the app failed")


async def answer_of(url: str) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET / HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


@pytest.mark.parametrize("edge", [True, False])
async def test_serving_with_and_without_the_edge(
    monkeypatch: pytest.MonkeyPatch, edge: bool
) -> None:
    monkeypatch.setattr(hooks, "EDGE_PROTOCOL", edge)
    async with serve(failing, Settings()) as url:
        answer = await answer_of(url)
    assert answer.startswith(b"HTTP/1.1 500 "), answer
    if edge:
        assert b"application/json" in answer, broken("PROTOCOL_OVERRIDES", "500 not in JSON")
        assert b"INTERNAL_SERVER_ERROR" in answer
    else:
        assert answer.endswith(b"Internal Server Error"), answer
