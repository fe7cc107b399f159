"""The deadline of the provider call in progress, so retries never wait past it.

The search layer sets it (loop time) around each provider call; adapters and the HTTP client
read it through `remaining_s` without it being threaded through every signature.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


@contextmanager
def deadline_in(seconds: float) -> Iterator[float]:
    """Set the deadline `seconds` from now for the code inside (tasks it starts inherit it)."""
    when = asyncio.get_running_loop().time() + seconds
    token = _deadline.set(when)
    try:
        yield when
    finally:
        _deadline.reset(token)


def remaining_s() -> float | None:
    """Seconds left before the deadline; None when there is none."""
    when = _deadline.get()
    if when is None:
        return None
    return when - asyncio.get_running_loop().time()
