"""What every resolver can reach for one request."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gateway.search.service import SearchService

if TYPE_CHECKING:
    from graphql.pyutils import AbortSignal

    from gateway.api.admission.documents import PreparedDocument


@dataclass(slots=True)
class Freshness:
    """How long this request's answer holds, as its resolvers report: what HTTP caching may
    promise (`api/transport/http_cache.py`)."""

    until: float = math.inf
    searched: bool = False
    lasting: bool = True

    def served(self, fresh_until: float | None) -> None:
        """A search page served, the same until `fresh_until` (None: it may change)."""
        self.searched = True
        if fresh_until is None:
            self.lasting = False
        else:
            self.until = min(self.until, fresh_until)

    def spoiled(self) -> None:
        """Something served may change on the next request (an offer looked up or priced)."""
        self.lasting = False

    def holds_until(self) -> float | None:
        """Until when the whole answer holds; None: it may change, or searched nothing."""
        return self.until if self.searched and self.lasting else None


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
    freshness: Freshness = field(default_factory=Freshness)
    """Told by the search resolvers how long what they served holds."""
