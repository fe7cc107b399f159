"""What can go wrong with one provider call, each with the outcome it is reported as.

Two texts per failure. `message` is what clients see: the provider's name, a fixed phrase for
the kind of fault and, for HTTP errors, the status — never a word the provider wrote, which can
hold an internal address, a token or an account detail. `detail` is for the operator's log: the
provider's own words (error titles and codes, or the shape error of its body), with anything
that looks like a credential and every URL's query string redacted (`redact`).
"""

from __future__ import annotations

import re
from typing import ClassVar

from gateway.domain import ProviderStatus

MAX_DETAIL_CHARS = 300
_URL_QUERY = re.compile(r"(https?://[^\s?#]*)\?[^\s#]*", re.IGNORECASE)
_CREDENTIAL = re.compile(
    r"(?i)\b(bearer|basic)\s+\S+"
    r"|\b((?:access[_-]?|refresh[_-]?|id[_-]?)?token|api[_-]?key|key|secret|password|passwd"
    r"|signature|authorization|client[_-]?secret|session)(\s*[=:]\s*)([^\s&,;]+)"
)
_OPAQUE = re.compile(r"\b(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{24,}\b")
"""Long runs of letters and digits: keys and tokens (`sk_live_…`, `duffel_test_…`, JWT parts)."""


def redact(text: str) -> str:
    """`text` fit for a log: credentials, opaque tokens and URL query strings replaced."""
    text = _URL_QUERY.sub(r"\1?[redacted]", text)

    def credential(match: re.Match[str]) -> str:
        if match.group(1):
            return f"{match.group(1)} [redacted]"
        return f"{match.group(2)}{match.group(3)}[redacted]"

    text = _CREDENTIAL.sub(credential, text)
    text = _OPAQUE.sub("[redacted]", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 1] + "…"


class ProviderError(Exception):
    status: ClassVar[ProviderStatus] = ProviderStatus.ERROR
    limit: ClassVar[str | None] = None
    """Set when a limit of ours kept the call from being sent (its name, for observers)."""
    sent: ClassVar[bool] = True
    """False when nothing was sent (a limit of ours, or a search the provider cannot take)."""

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = redact(detail) if detail else None
        """The provider's own words, redacted: for the log, never for clients."""

    @property
    def message(self) -> str:
        """Safe to show to clients: fixed phrases only."""
        return str(self)

    @property
    def is_outage(self) -> bool:
        """Whether it says the provider is unwell (counts towards opening its circuit)."""
        return True


class UpstreamUnavailable(ProviderError):
    """The provider could not be reached (refused, reset, DNS)."""

    status = ProviderStatus.UNAVAILABLE

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message)
        self.request_sent = request_sent
        """False when the connection failed before the request left: safe to retry any call."""


def _phrase(http_status: int) -> str:
    if http_status in (401, 403):
        return "refused the gateway's credentials"
    if http_status == 429:
        return "rate limited the gateway"
    if http_status >= 500:
        return "server error"
    if 400 <= http_status < 500:
        return "rejected the search"
    return "answered with an unexpected status"


class UpstreamStatusError(ProviderError):
    """The provider answered with an HTTP error status."""

    def __init__(self, provider: str, http_status: int, *, detail: str | None = None) -> None:
        self.http_status = http_status
        super().__init__(f"{provider} {_phrase(http_status)} (HTTP {http_status})", detail=detail)

    @property
    def is_outage(self) -> bool:
        # Other 4xx answers are about one request, not about the provider's health.
        return self.http_status >= 500 or self.http_status in (401, 403, 429)


class Unsupported(ProviderError):
    """The provider cannot take the search as asked, so it was not asked (nothing was sent)."""

    status = ProviderStatus.UNSUPPORTED
    sent = False

    @property
    def is_outage(self) -> bool:
        return False


class MalformedResponse(ProviderError):
    """The provider answered 2xx with a body that does not fit its documented format."""


class ResponseTooLarge(MalformedResponse):
    pass
