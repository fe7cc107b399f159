"""The limits of the HTTP edge that uvicorn has no setting for, and the uvicorn Config that
carries them to the edge protocol (`gateway/compat/uvicorn/edge.py`) in every worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn

from gateway.config import Settings

LINGER_S = 2.0
"""After refusing, the connection is still read (and what arrives dropped) this long or until the
client closes, so that the client reads the answer rather than a reset (nginx's lingering close)."""


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    """The limits uvicorn has no setting for (gateway/config.py documents each)."""

    max_header_bytes: int
    max_headers: int
    header_timeout_s: float
    body_timeout_s: float
    max_requests_per_connection: int

    @classmethod
    def from_settings(cls, settings: Settings) -> EdgeLimits:
        return cls(
            max_header_bytes=settings.max_header_bytes,
            max_headers=settings.max_headers,
            header_timeout_s=settings.header_timeout_s,
            body_timeout_s=settings.body_timeout_s,
            max_requests_per_connection=settings.max_requests_per_connection,
        )


DEFAULT_LIMITS = EdgeLimits.from_settings(Settings())
"""For a protocol given a plain uvicorn Config
(`uvicorn --http gateway.compat.uvicorn.edge:EdgeProtocol`)."""


class EdgeConfig(uvicorn.Config):
    """uvicorn's Config carrying the edge limits too: uvicorn hands the protocol only its Config,
    and pickles it whole into every `--workers` process."""

    def __init__(
        self, app: Callable[..., Any] | str, *, limits: EdgeLimits, **options: Any
    ) -> None:
        super().__init__(app, **options)
        self.limits = limits
