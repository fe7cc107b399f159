"""What every resolver can reach for one request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.search.service import SearchService

if TYPE_CHECKING:
    from graphql.pyutils import AbortSignal

    from gateway.api.admission.documents import PreparedDocument


@dataclass(frozen=True, slots=True)
class Context:
    search: SearchService
    request_id: str
    prepared: PreparedDocument | None = None
    """The request's document, already checked and validated (`api/admission/documents.py`): the
    schema runs it as it is, and the executor keeps its plans with it."""
    net_prices: bool = False
    """Whether this client may see what the seller pays (`netPrice`; `GATEWAY_NET_PRICES`):
    hidden unless the endpoint says so."""
    abort_signal: AbortSignal | None = None
    """Set for incremental operations only: aborting it stops every resolver and deferred
    fragment still running, which cancelling the request's task cannot reach once deferred work
    has started on its own (`api/transport/incremental.py`)."""
