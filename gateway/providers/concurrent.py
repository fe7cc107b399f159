"""Several calls of one provider search at once: all their answers, or the first failure as is.

`asyncio.TaskGroup` cancels the other calls when one fails (good: nothing is left running) but
raises an `ExceptionGroup`, which the fan-out would not recognise as the provider's failure
(`ProviderError`) and would report as an internal error. This raises the failure itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


async def all_or_first_error(calls: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as failed:
        first: BaseException = failed
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return [task.result() for task in tasks]
