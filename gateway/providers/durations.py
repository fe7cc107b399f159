"""ISO 8601 durations as providers send them: `PT7H5M`, zero-padded `PT02H26M`, `P1DT2H`."""

from __future__ import annotations

import functools
import re

_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


@functools.lru_cache(maxsize=4096)
def parse_minutes(text: str) -> int:
    """Whole minutes in `text`; raises ValueError when it is not an ISO 8601 duration.

    Memoised: a search's answer repeats a few hundred distinct durations thousands of times
    (this was ~40 % of mapping an Amadeus answer); the cache is bounded and holds ints only."""
    match = _DURATION.match(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    parts = {name: int(value) for name, value in match.groupdict(default="0").items()}
    return parts["days"] * 1440 + parts["hours"] * 60 + parts["minutes"] + parts["seconds"] // 60
