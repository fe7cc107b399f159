"""What every resolver can reach for one request."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.search.service import SearchService


@dataclass(frozen=True, slots=True)
class Context:
    search: SearchService
    request_id: str
