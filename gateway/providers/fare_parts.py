"""What a fare is, from per-segment or per-slice details: shared by the providers' mappings.

Providers state brands and bag allowances per segment (Amadeus) or per slice (Duffel); a fare
shows one of each. Where the parts disagree, nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def brand_name(names: Iterable[str | None]) -> str | None:
    """The brand of every part; different brands (an outbound Basic, a return Flex) joined
    with " / " in order; None when no part is branded."""
    distinct: list[str] = []
    for name in names:
        name = name.strip() if name else None
        if name and name not in distinct:
            distinct.append(name)
    return " / ".join(distinct) if distinct else None


def common(values: Iterable[T | None]) -> T | None:
    """The value every part has; None when they differ or one is unknown (a fare that includes
    a bag on one flight and not on the next has no one allowance to show)."""
    found: list[T | None] = list(values)
    if not found or any(value != found[0] for value in found):
        return None
    return found[0]
