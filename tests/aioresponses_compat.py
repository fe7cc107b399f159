"""aioresponses 0.7.9 builds responses without the `stream_writer` aiohttp 3.14 requires.

Upstream: pnuckowski/aioresponses#289 (open). Until a release fixes it, its module-level
`ClientResponse` is replaced by a subclass that supplies a finished, empty upload.
"""

from __future__ import annotations

from typing import Any

import aioresponses.core
from aiohttp import ClientResponse


class _FinishedUpload:
    output_size = 0


class CompatClientResponse(ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _FinishedUpload())
        super().__init__(*args, **kwargs)


def install() -> None:
    aioresponses.core.ClientResponse = CompatClientResponse  # type: ignore[misc]
