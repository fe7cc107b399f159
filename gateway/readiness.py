"""Readiness: whether this instance should be sent traffic now (`/readyz`).

`/healthz` says the process answers (liveness: restart it if not). `/readyz` says whether it can
do its job, so a load balancer sends searches elsewhere while it cannot:

- at least one provider is configured;
- not every provider's circuit is open (every search would fail fast);
- the shared search cache (Redis), when one is configured, answers a ping within a second.

Each failing check is one reason in the answer; none of them names an address or a secret.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from gateway.search.breaker import BreakerState
from gateway.search.cache import SearchCache
from gateway.search.service import SearchService

PING_TIMEOUT_S = 1.0
"""A readiness probe answers well inside a load balancer's own timeout (2–5 s usually)."""


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    reasons: tuple[str, ...]


async def check(search: SearchService) -> Readiness:
    reasons: list[str] = []
    providers = {name for name, _ in search.breakers}
    if not providers:
        reasons.append("no provider is configured")
    elif all(b.state is BreakerState.OPEN for b in search.breakers.values()):
        reasons.append(f"every provider's circuit is open ({', '.join(sorted(providers))})")
    cache = search.cache
    if cache is not None and cache.shared and not await _answers(cache):
        reasons.append("the shared search cache (Redis) does not answer")
    return Readiness(ready=not reasons, reasons=tuple(reasons))


async def _answers(cache: SearchCache) -> bool:
    try:
        async with asyncio.timeout(PING_TIMEOUT_S):
            return await cache.ping()
    except TimeoutError:
        return False
