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


class UpstreamUnavailable(ProviderError):
    """The provider could not be reached at all (refused, reset, DNS)."""

    status = ProviderStatus.UNAVAILABLE


class UpstreamStatusError(ProviderError):
    """The provider answered with an HTTP error status."""

    def __init__(self, http_status: int, summary: str) -> None:
        self.http_status = http_status
        super().__init__(summary)


class MalformedResponse(ProviderError):
    """The provider answered 2xx with a body that does not fit its documented format."""


class ResponseTooLarge(MalformedResponse):
    pass
