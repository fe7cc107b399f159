"""HTTP caching of persisted search answers: an `ETag`, `Cache-Control`, and 304 unexecuted.

A GET whose document is persisted or trusted (named by its SHA-256: the URL says everything the
answer depends on) answered in full, with no error, and whose every search page came from a set
that answers its search again (`search/repeats.py`) carries a weak `ETag` (a digest of its
body) and `Cache-Control: public, max-age=N`, N never past the earliest moment one of those sets
stops answering (so never past the set's life, nor past the freshness of the providers' answers
it was made from). A CDN or the browser can then serve popular searches. The same request with
`If-None-Match` naming that tag is answered 304 at once, from this process's memory of the tags
it gave, without parsing or executing anything (the client's requests per minute still count).

A request carrying an API key gets none of this unless `GATEWAY_HTTP_CACHE_WITH_KEYS` allows
it, and then `private` only: a keyed answer may hold net prices (`api/admission/disclosure.py`)
that no shared cache may hand to another client. `Vary` names `Accept` and the key's headers.

Per process and bounded in bytes (least recently used first): another instance answers a
conditional request it never tagged in full, with its own tag.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.responses import Response

VARY = "Accept, Authorization, X-API-Key"
"""What a cached answer depends on besides its URL (compression adds `Accept-Encoding`)."""
MAX_BYTES = 4 * 1024**2
"""Bytes of request keys remembered at most."""
MAX_KEY_BYTES = 4096
"""A longer request (its variables) is answered, not remembered."""
MAX_TAGS_ASKED = 16
"""Tags of `If-None-Match` looked at, at most."""

RequestKey = tuple[str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class Tagged:
    etag: str
    until: float
    size: int


def request_key(
    document_sha256: str | None,
    operation_name: str | None,
    variables: str | None,
    media_type: str,
    client_key: str | None,
) -> RequestKey | None:
    """What a GET's answer depends on; None: not a persisted document, or too long to keep."""
    if document_sha256 is None:
        return None
    key = (document_sha256, operation_name or "", variables or "", media_type, client_key or "")
    if sum(map(len, key)) > MAX_KEY_BYTES:
        return None
    return key


def etag_of(body: bytes) -> str:
    """A weak tag: the same JSON whatever its compression on the wire."""
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def asked_tags(headers: Mapping[str, str]) -> list[str]:
    """The tags of `If-None-Match` (a few at most); `*` matches any."""
    value = headers.get("if-none-match")
    if not value:
        return []
    return [tag.strip() for tag in value.split(",")[:MAX_TAGS_ASKED]]


def cache_headers(etag: str, max_age_s: int, *, keyed: bool) -> dict[str, str]:
    scope = "private" if keyed else "public"
    return {"ETag": etag, "Cache-Control": f"{scope}, max-age={max_age_s}", "Vary": VARY}


class HttpCache:
    """The tags this process gave, per request, until their answers may change."""

    def __init__(
        self, *, max_bytes: int = MAX_BYTES, clock: Callable[[], float] = time.time
    ) -> None:
        self._max_bytes = max_bytes
        self._clock = clock
        self._tags: OrderedDict[RequestKey, Tagged] = OrderedDict()
        self.size_bytes = 0

    def max_age_s(self, until: float | None) -> int:
        """Whole seconds an answer fresh until `until` may be kept; 0: not cacheable."""
        if until is None or not math.isfinite(until):
            return 0
        return max(0, math.floor(until - self._clock()))

    def tag(self, key: RequestKey, body: bytes, until: float) -> dict[str, str] | None:
        """Remember the tag of `body`, answered for `key`, and the headers that say so; None:
        nothing to promise (under a second left)."""
        max_age = self.max_age_s(until)
        if max_age < 1:
            return None
        etag = etag_of(body)
        self._forget(key)
        size = sum(map(len, key)) + len(etag)
        self._tags[key] = Tagged(etag, until, size)
        self.size_bytes += size
        while self.size_bytes > self._max_bytes:
            _, dropped = self._tags.popitem(last=False)
            self.size_bytes -= dropped.size
        return cache_headers(etag, max_age, keyed=bool(key[4]))

    def not_modified(self, key: RequestKey, asked: list[str]) -> Response | None:
        """304 when `asked` names the tag given for `key` and it still holds; else None."""
        tagged = self._tags.get(key)
        if tagged is None:
            return None
        max_age = self.max_age_s(tagged.until)
        if max_age < 1:
            self._forget(key)
            return None
        if tagged.etag not in asked and "*" not in asked:
            return None
        self._tags.move_to_end(key)
        headers = cache_headers(tagged.etag, max_age, keyed=bool(key[4]))
        return Response(status_code=304, headers=headers)

    def _forget(self, key: RequestKey) -> None:
        dropped = self._tags.pop(key, None)
        if dropped is not None:
            self.size_bytes -= dropped.size

    def __len__(self) -> int:
        return len(self._tags)
