"""Shared HTTP plumbing for adapters: one request, a capped body, typed decoding, safe errors.

Every adapter goes through `send` and `decode`, so transport faults and bad bodies turn into the
same `ProviderError`s whatever the provider.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import msgspec

from gateway.providers.errors import (
    MalformedResponse,
    ResponseTooLarge,
    UpstreamStatusError,
    UpstreamUnavailable,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    provider: str,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    form: Mapping[str, str] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> UpstreamResponse:
    """Make one request and read its whole body, at most `max_body_bytes` of it."""
    data: Any = body if body is not None else form
    try:
        async with session.request(
            method, url, params=params, headers=headers, data=data, allow_redirects=False
        ) as response:
            declared = response.content_length
            if declared is not None and declared > max_body_bytes:
                raise ResponseTooLarge(f"{provider} response larger than {max_body_bytes} bytes")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_chunked(_CHUNK):
                size += len(chunk)
                if size > max_body_bytes:
                    raise ResponseTooLarge(
                        f"{provider} response larger than {max_body_bytes} bytes"
                    )
                chunks.append(chunk)
            return UpstreamResponse(response.status, response.headers, b"".join(chunks))
    except TimeoutError:
        raise  # aiohttp's timeouts are OSErrors too; the caller's deadline decides
    except aiohttp.ClientPayloadError as exc:
        raise MalformedResponse(f"{provider} response body was cut short") from exc
    except aiohttp.ClientConnectorError as exc:
        log.debug("connecting to %s failed: %r", provider, exc)
        raise UpstreamUnavailable(f"could not connect to {provider}", request_sent=False) from exc
    except (aiohttp.ClientConnectionError, OSError) as exc:
        # The connection broke after the request may have left (reset, server disconnected).
        log.debug("connection to %s lost: %r", provider, exc)
        raise UpstreamUnavailable(f"connection to {provider} lost", request_sent=True) from exc
    except aiohttp.ClientResponseError as exc:
        raise MalformedResponse(f"{provider} sent an invalid HTTP response") from exc


def decode(body: bytes, wire_type: type[T], *, provider: str) -> T:
    """Decode JSON into the provider's typed wire struct, or fail as a malformed response."""
    try:
        return msgspec.json.decode(body, type=wire_type)
    except msgspec.ValidationError as exc:
        raise MalformedResponse(
            f"{provider} response has an unexpected shape", detail=str(exc)
        ) from exc
    except msgspec.DecodeError as exc:
        raise MalformedResponse(f"{provider} response is not valid JSON") from exc


def status_error(
    provider: str, status: int, body: bytes, error_type: type[T], label: Callable[[T], str]
) -> UpstreamStatusError:
    """The error for an HTTP error answer: a fixed phrase for clients, and for the log the
    label `label` reads from the provider's error body (titles and codes), redacted."""
    try:
        text = label(msgspec.json.decode(body, type=error_type))
    except (msgspec.ValidationError, msgspec.DecodeError, IndexError):
        text = ""
    return UpstreamStatusError(provider, status, detail=text or None)


def encode(payload: object) -> bytes:
    return msgspec.json.encode(payload)
