"""Hotelbeds' request signature: `X-Signature` = SHA-256 hex of API key + secret + Unix seconds.

Hotelbeds' API gateway refuses a signature made from another second too far from its own clock
(403 "Not Authorized"), so a signature is never reused: it is computed from the clock each time
a request's headers are read, and aiohttp reads them once as it sends each request, retries
included.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping

SIGNATURE_HEADER = "X-Signature"
API_KEY_HEADER = "Api-key"
"""Spelled as Hotelbeds' documentation does (its Java SDK sends `Api-Key`; names are
case-insensitive)."""


def signature(api_key: str, secret: str, unix_s: int) -> str:
    """The `X-Signature` for that second, as Hotelbeds' SDK computes it."""
    return hashlib.sha256(f"{api_key}{secret}{unix_s}".encode()).hexdigest()


class SignedHeaders(Mapping[str, str]):
    """Fixed headers plus an `X-Signature` computed from `clock` whenever it is read."""

    def __init__(
        self,
        fixed: Mapping[str, str],
        *,
        api_key: str,
        secret: str,
        clock: Callable[[], float],
    ) -> None:
        self._fixed = {**fixed, API_KEY_HEADER: api_key}
        self._api_key = api_key
        self._secret = secret
        self._clock = clock

    def __getitem__(self, name: str) -> str:
        if name == SIGNATURE_HEADER:
            return signature(self._api_key, self._secret, int(self._clock()))
        return self._fixed[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._fixed
        yield SIGNATURE_HEADER

    def __len__(self) -> int:
        return len(self._fixed) + 1

    def __repr__(self) -> str:
        # Never the key or a signature: headers can end up in a log line or a traceback.
        return f"SignedHeaders({sorted(set(self._fixed) - {API_KEY_HEADER})} + key, signature)"
