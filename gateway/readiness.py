"""Readiness: whether this instance should be sent traffic now (`/readyz`).

`/healthz` says the process answers (liveness: restart it if not). `/readyz` says whether it can
do its job, so a load balancer sends searches elsewhere while it cannot:

- at least one provider is configured;
- not every provider's circuit is open (every search would fail fast);
- it is not draining (after SIGTERM, `gateway/drain.py`: out of rotation before it stops).

Redis (the shared cache and the fleet's state), when one is configured, is optional for serving:
without it each instance serves alone (no shared cache, each guard by its failure mode,
`gateway/outage.py`), so Redis not answering a ping within a second makes the instance
`degraded`, still 200: an outage of the one Redis would otherwise take every instance out of
rotation at once, though each serves correctly. `GATEWAY_REDIS_REQUIRED=on` makes it a reason
for 503 instead, for deployments that would rather not serve without it.

Each failing check is one reason in the answer; none of them names an address or a secret.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from gateway.drain import DRAINING
from gateway.search.breaker import BreakerState
from gateway.search.cache import SearchCache
from gateway.search.service import SearchService

PING_TIMEOUT_S = 1.0
"""A readiness probe answers well inside a load balancer's own timeout (2–5 s usually)."""
REDIS_DOWN = "Redis (the shared cache and fleet state) does not answer"
READY, DEGRADED, NOT_READY = "ready", "degraded", "not ready"


@dataclass(frozen=True, slots=True)
class Readiness:
    reasons: tuple[str, ...]
    """Why the instance must not be sent traffic: none when ready."""
    degraded: tuple[str, ...] = ()
    """What it serves without, though ready."""

    @property
    def ready(self) -> bool:
        return not self.reasons

    @property
    def status(self) -> str:
        if self.reasons:
            return NOT_READY
        return DEGRADED if self.degraded else READY

    def body(self) -> dict[str, object]:
        """`/readyz`'s answer: the status, and the reasons unless ready."""
        if self.status == READY:
            return {"status": READY}
        return {"status": self.status, "reasons": [*self.reasons, *self.degraded]}


async def check(
    search: SearchService, *, redis_required: bool = False, draining: bool = False
) -> Readiness:
    reasons: list[str] = [DRAINING] if draining else []
    degraded: list[str] = []
    providers = {name for name, _ in search.breakers}
    if not providers:
        reasons.append("no provider is configured")
    elif all(b.state is BreakerState.OPEN for b in search.breakers.values()):
        reasons.append(f"every provider's circuit is open ({', '.join(sorted(providers))})")
    cache = search.cache
    if cache is not None and cache.shared and not await _answers(cache):
        (reasons if redis_required else degraded).append(REDIS_DOWN)
    return Readiness(tuple(reasons), tuple(degraded))


async def _answers(cache: SearchCache) -> bool:
    try:
        async with asyncio.timeout(PING_TIMEOUT_S):
            return await cache.ping()
    except TimeoutError:
        return False
