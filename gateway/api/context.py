"""What every resolver can reach for one request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.search.service import SearchService

if TYPE_CHECKING:
    from gateway.api.documents import PreparedDocument


@dataclass(frozen=True, slots=True)
class Context:
    search: SearchService
    request_id: str
    prepared: PreparedDocument | None = None
    """The request's document, already checked and validated (`api/documents.py`): the schema
    runs it as it is, and the executor keeps its plans with it."""
