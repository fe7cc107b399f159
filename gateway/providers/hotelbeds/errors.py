"""Hotelbeds' error answers, told apart: its API gateway's refusals, and its own error bodies.

Two kinds of answer carry an error status. Hotelbeds' API gateway (Mashery) refuses a request
before Hotelbeds sees it — bad key, bad signature, throttle, daily quota — with a short text or
HTML body and the reason in the `X-Mashery-Error-Code` header, the only reliable way to tell
its 403s apart (Hotelbeds' API errors page says so). Hotelbeds itself answers with a formatted
body, `{"auditData": {…}, "error": {"code": …, "message": …}}`. Clients get a fixed phrase
either way; the codes, and Hotelbeds' message, go to the log only (redacted).
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.providers.errors import ProviderError, UpstreamStatusError
from gateway.providers.hotelbeds import wire
from gateway.providers.http import status_error

PROVIDER = "hotelbeds"
GATEWAY_CODE_HEADER = "X-Mashery-Error-Code"
GATEWAY_DETAIL_HEADER = "X-Error-Detail-Header"
OVER_RATE = "ERR_403_DEVELOPER_OVER_RATE"
"""The daily quota is spent."""
OVER_QPS = "ERR_403_DEVELOPER_OVER_QPS"
"""Too many requests per second."""
NOT_AUTHORIZED = "ERR_403_NOT_AUTHORIZED"
"""The signature is wrong: the secret, or this host's clock."""
INACTIVE = "ERR_403_DEVELOPER_INACTIVE"
"""The API key is unknown or disabled."""


_REASONS = {
    OVER_RATE: "the daily quota is spent",
    OVER_QPS: "over the per-second limit",
    NOT_AUTHORIZED: "signature refused; check HOTELBEDS_SECRET and this host's clock",
    INACTIVE: "API key unknown or inactive; check HOTELBEDS_API_KEY",
}


class Throttled(ProviderError):
    """Hotelbeds' API gateway refused a request for going over the per-second limit."""


def gateway_code(headers: Mapping[str, str]) -> str | None:
    """The API gateway's reason for refusing the request; None for Hotelbeds' own answers."""
    code = headers.get(GATEWAY_CODE_HEADER)
    return code.strip() if code else None


def gateway_detail(headers: Mapping[str, str]) -> str:
    """For the log: the gateway's reason in words (its codes, `ERR_403_…`, are spelled without
    `ERR_` so the log's redaction of long opaque tokens leaves them readable)."""
    code = gateway_code(headers) or ""
    reason = _REASONS.get(code) or headers.get(GATEWAY_DETAIL_HEADER, "").strip()
    return f"API gateway {code.removeprefix('ERR_')}: {reason or 'no reason given'}"


def refusal(status: int, headers: Mapping[str, str], body: bytes) -> ProviderError:
    """The error for an answer with an error status, other than a spent quota (`OVER_RATE`)."""
    code = gateway_code(headers)
    if code is None:
        return status_error(PROVIDER, status, body, wire.ErrorResponse, error_label)
    detail = gateway_detail(headers)
    if code == OVER_QPS:
        return Throttled(f"{PROVIDER} rate limited the gateway (HTTP {status})", detail=detail)
    return UpstreamStatusError(PROVIDER, status, detail=detail)


def error_label(answer: wire.ErrorResponse) -> str:
    """Kind and message of Hotelbeds' error: `INVALID_DATA-5F0…` loses its opaque id."""
    error = answer.error
    if error is None:
        return ""
    kind = (error.code or "").split("-", 1)[0]
    return ": ".join(part for part in (kind, error.message) if part)
