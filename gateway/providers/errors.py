"""What can go wrong with one provider call, each with the outcome it is reported as.

Messages are shown to clients: they name the kind of fault, never a URL, token or body.
"""

from __future__ import annotations

from typing import ClassVar

from gateway.domain import ProviderStatus


class ProviderError(Exception):
    status: ClassVar[ProviderStatus] = ProviderStatus.ERROR

    @property
    def message(self) -> str:
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


class UpstreamStatusError(ProviderError):
    """The provider answered with an HTTP error status."""

    def __init__(self, http_status: int, summary: str) -> None:
        self.http_status = http_status
        super().__init__(summary)

    @property
    def is_outage(self) -> bool:
        # Other 4xx answers are about one request, not about the provider's health.
        return self.http_status >= 500 or self.http_status in (401, 403, 429)


class MalformedResponse(ProviderError):
    """The provider answered 2xx with a body that does not fit its documented format."""


class ResponseTooLarge(MalformedResponse):
    pass
