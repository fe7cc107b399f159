"""Hotelbeds' error answers, told apart: its API gateway's refusals, and its own error bodies.

Two kinds of answer carry an error status. Hotelbeds' API gateway (Mashery) refuses a request
before Hotelbeds sees it — bad key, bad signature, throttle, daily quota — with a short text or
HTML body and the reason in the `X-Mashery-Error-Code` header, the only reliable way to tell
its 403s apart (Hotelbeds' API errors page says so). Hotelbeds itself answers with a formatted
body, `{"auditData": {…}, "error": {"code": …, "message": …}}`. Clients get a fixed phrase
either way; the codes, and Hotelbeds' message, go to the log only (redacted). One kind of
Hotelbeds' error is an answer rather than a failure: a rate it no longer sells (`RATE_GONE`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

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


MAX_MESSAGE_CHARS = 1000
"""Of an error's message, what is read for its meaning (Hotelbeds' run to a few hundred)."""
RATE_GONE = (
    re.compile(r"\bCHECK_RATE\b\s*,\s*Hotel not Available", re.IGNORECASE),
    re.compile(r"\bInvalid rateKey\b.*\bdoes not exist or it has expired", re.IGNORECASE),
)
"""Hotelbeds' words for a rate it no longer sells, in its formatted error's `message`.

- "ProductException(<id>, CHECK_RATE, Hotel not Available)", answered to a rate check (HTTP
  503, "Service Unavailable" in the PHP SDK's message): "this error occurs when the product is
  still not available … someone while you were doing the booking process has reserved the last
  quota of the rate" (Hotelbeds' SDK maintainer, hotelbeds-sdk/hotel-api-sdk-php#28).
- `INVALID_DATA`, "Invalid data. Invalid rateKey: The rateKey value that you have entered does
  not exist or it has expired (please note that rateKeys only last 30 minutes): <key>"
  (hotel-api-sdk-php#138, answered to a booking with a key kept too long; a check reads the
  same keys, so the same answer is expected there, not seen): the key can no longer be booked,
  and a new search gives a new one.

Hotelbeds documents no error code for either, so the message decides. Anything else (another
`PRODUCT_ERROR` such as "Request restricted", a `SYSTEM_ERROR`, an API gateway refusal, a body
that is not Hotelbeds') is a failure to check, never "gone". A 200 answer without the rate
(seen once, `"hotel": {}`, hotel-api-sdk-php#153, never explained) is a failure too."""


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


def rate_gone(headers: Mapping[str, str], body: bytes) -> bool:
    """Whether an error answer says the rate is no longer sold (`RATE_GONE`): Hotelbeds' own
    formatted error, not its API gateway's refusal."""
    if gateway_code(headers) is not None:
        return False
    try:
        answer = msgspec.json.decode(body, type=wire.ErrorResponse)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return False
    message = (answer.error.message or "")[:MAX_MESSAGE_CHARS] if answer.error else ""
    return any(pattern.search(message) for pattern in RATE_GONE)
