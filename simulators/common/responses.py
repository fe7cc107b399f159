"""Fast JSON answers and memoised responses for the simulators.

The inventory is deterministic, so the same request always gets the same answer: rendering it
once and replaying the bytes keeps a simulator's own CPU out of the gateway's measurements.
Faults and latency (the outer middleware) still apply to every call.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping

import orjson
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MEMO_ENTRIES = 4096


def json_response(
    payload: object,
    *,
    status: int = 200,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    return web.Response(
        body=orjson.dumps(payload), status=status, content_type=content_type, headers=headers
    )


def memoize(
    may_replay: Callable[[web.Request], bool], max_age_s: float | None = None
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware replaying successful answers to requests `may_replay` accepts (authorised),
    each for `max_age_s` at most when given (answers that state times relative to the request,
    such as Duffel's `expires_at`, are rendered again once that old)."""
    cache: OrderedDict[tuple[str, str, bytes], tuple[int, str, bytes, float]] = OrderedDict()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/__sim/") or not may_replay(request):
            return await handler(request)
        key = (request.method, request.path_qs, await request.read())
        now = time.monotonic()
        if (hit := cache.get(key)) is not None and (max_age_s is None or now - hit[3] < max_age_s):
            cache.move_to_end(key)
            status, content_type, body, _ = hit
            return web.Response(body=body, status=status, content_type=content_type)
        response = await handler(request)
        if isinstance(response, web.Response) and response.status in (200, 201):
            rendered = response.body
            if isinstance(rendered, bytes):
                cache[key] = (response.status, response.content_type, rendered, now)
                cache.move_to_end(key)
                if len(cache) > MEMO_ENTRIES:
                    cache.popitem(last=False)
        return response

    return middleware
