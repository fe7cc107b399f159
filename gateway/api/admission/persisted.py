"""Trusted documents: Apollo's automatic persisted queries, and a mode that runs only a manifest.

Automatic persisted queries (APQ, on by default): a client sends the SHA-256 of its document
instead of the text (`extensions.persistedQuery`, in a POST body or a GET's parameters, so a
CDN can cache the GET); on `PERSISTED_QUERY_NOT_FOUND` it sends both once, and the gateway keeps
the text — only after the document has passed every check (`api/admission/documents.py`), so nothing
invalid or oversized is kept.

Where texts are kept: first in this process, an LRU bounded in bytes (each entry charged
`ENTRY_OVERHEAD_BYTES` besides its text, so tiny texts cannot pile up unbounded) and in
number; then, with a Redis (`fleet/shared.py`), for the whole fleet, so a hash registered on
one instance or worker answers on every other. Registration costs its sender nothing upstream,
and anyone may register any valid document, so what reaches Redis is bounded:

- only a text that passed every check, sent by the client with its hash, is shared;
- each value is the text alone, at most the document limit (`GATEWAY_MAX_DOCUMENT_BYTES`),
  sealed (`fleet/sealed.py`: bound to its key, its expiry, and signed with
  `GATEWAY_CACHE_SIGNING_KEY` when set), and kept `SHARED_TTL_S`;
- the fleet together shares at most `GATEWAY_APQ_SHARED_BYTES` per `SHARED_TTL_S` (a counter in
  Redis, charged each text's bytes and `ENTRY_OVERHEAD_BYTES` before it is written), so Redis
  holds at most twice that of texts at any time (this window's and the last's). Past the
  budget, new texts are kept in the process that received them only, as they all were before:
  a client then registers once per instance, one round trip and never an error (Apollo
  Server's behaviour without a shared cache).

A text read back is untrusted: it is used only if its seal holds, it is at most the document
limit, it is UTF-8, and its SHA-256 is the hash asked for; then it passes every check of
`api/admission/documents.py` like any text a client sends, and only then is it kept in this process.
Anything else is refused (logged, never run) and the client is told
`PERSISTED_QUERY_NOT_FOUND`: it sends the text, whose registration overwrites the bad value.
With Redis down, or slow (`fleet/shared.py`: one second at most, then left alone a few
seconds), each process keeps its own texts, as without Redis.

Trusted documents (`GATEWAY_TRUSTED_DOCUMENTS`, a manifest in Apollo's
`persisted-query-manifest.json` format): only the manifest's operations run, asked for by id
(`extensions.persistedQuery.sha256Hash`, or `documentId` as in the GraphQL-over-HTTP trusted
documents proposal) or by a text whose hash is listed, as Apollo Router's safelisting does.
For first-party frontends, whose every operation is known at build time. Registration is off.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.errors import GatewayError
from gateway.fleet.shared import Shared

log = logging.getLogger(__name__)

MEMORY_BYTES = 16 * 1024**2
"""Bytes of texts kept in this process, at most, each charged `ENTRY_OVERHEAD_BYTES` too."""
MEMORY_ENTRIES = 10_000
"""Texts kept in this process, at most: far more than the operations of any set of apps."""
ENTRY_OVERHEAD_BYTES = 256
"""What keeping one text costs beyond its bytes: in this process, its hash, its string's header
and its LRU entry (~250 bytes); in Redis, the seal (~120 bytes: frame, key, signature) and
Redis's own record of a key (~100). Charged to both budgets, so a flood of tiny texts is bounded
like one of large ones."""
SHARED_BYTES = 8 * 1024**2
"""Default of `GATEWAY_APQ_SHARED_BYTES`: texts the fleet shares per `SHARED_TTL_S`. Thousands
of the usual 1-5 KB operations, hundreds of the document limit's 32 KiB."""
SHARED_TTL_S = 86_400.0
"""How long a shared text lives, and the window the fleet's byte budget counts over (the
counter is made with this TTL at the first registration after it lapsed). A day: an app's
documents change with its releases, and a text whose value lapsed is registered again by the
first client that meets the miss; every instance keeps what it used in its own LRU meanwhile."""
REPORT_EVERY_S = 3600.0
"""A spent fleet budget is logged once an hour at most, per process."""
KEY_PREFIX = "apq:v1:"
"""Shared keys start so (after `fleet/shared.PREFIX`), versioned with the payload (the UTF-8
text, nothing else)."""
TEXT_PREFIX = KEY_PREFIX + "text:"
"""A text's key: this and its SHA-256."""
BUDGET_KEY = KEY_PREFIX + "bytes"
"""The fleet's counter of bytes shared in this window."""
_HASH = re.compile(r"^[0-9a-f]{64}\Z")


class PersistedQueryError(GatewayError):
    """A GraphQL request error about the document's id: nothing ran."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code_name = code

    def extensions(self) -> dict[str, object]:
        return {"code": self.code_name}


class ManifestError(ValueError):
    """The manifest is missing or malformed; the message says where."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _charge(text: str) -> int:
    """What keeping `text` is counted as, against a byte bound."""
    return len(text.encode()) + ENTRY_OVERHEAD_BYTES


def _not_found() -> PersistedQueryError:
    # Apollo clients look for this exact message, then send the text with its id.
    return PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")


def load_manifest(path: str | Path) -> dict[str, str]:
    """Texts by SHA-256 from an Apollo persisted-query manifest; each id must be its text's hash."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeError, ValueError) as exc:
        raise ManifestError(f"cannot read {path}: {exc}") from None
    operations = data.get("operations") if isinstance(data, dict) else None
    if data.get("format") != "apollo-persisted-query-manifest" or not isinstance(operations, list):
        raise ManifestError(f"{path}: not an apollo-persisted-query-manifest with operations")
    texts: dict[str, str] = {}
    for number, operation in enumerate(operations, start=1):
        body = operation.get("body") if isinstance(operation, dict) else None
        ident = operation.get("id") if isinstance(operation, dict) else None
        if not isinstance(body, str) or not isinstance(ident, str):
            raise ManifestError(f"{path}: operation {number} needs an id and a body")
        if ident.removeprefix("sha256:") != sha256(body):
            raise ManifestError(
                f"{path}: operation {number} ({operation.get('name')}): id is not the SHA-256 "
                "of its body"
            )
        texts[sha256(body)] = body
    return texts


@dataclass(frozen=True, slots=True)
class Requested:
    """What a request names: a text, an id, or both (an APQ registration)."""

    query: str | None
    sha256: str | None


def requested(payload: Mapping[str, Any]) -> Requested:
    """The text and the id a request carries; `PersistedQueryError` for malformed ids."""
    query = payload.get("query")
    extensions = payload.get("extensions")
    document_id = payload.get("documentId")
    ident: str | None = None
    if isinstance(extensions, Mapping) and (asked := extensions.get("persistedQuery")) is not None:
        if not isinstance(asked, Mapping) or asked.get("version") != 1:
            raise PersistedQueryError(
                "Only persisted query version 1 is supported.", "PERSISTED_QUERY_VERSION"
            )
        ident = asked.get("sha256Hash")
    elif document_id is not None:
        ident = document_id.removeprefix("sha256:") if isinstance(document_id, str) else None
        if ident is None:
            raise PersistedQueryError("The `documentId` must be a string.", "BAD_REQUEST")
    if ident is not None and (not isinstance(ident, str) or not _HASH.match(ident)):
        raise PersistedQueryError(
            "A persisted query id is the SHA-256 of the document: 64 lower-case hex digits.",
            "BAD_REQUEST",
        )
    return Requested(query if isinstance(query, str) else None, ident)


class PersistedQueries:
    """Resolves what a request names to a document text (see the module docstring).

    `resolve` and `remember` use this process's texts only; `lookup` and `register` are what
    the endpoint calls, and add the fleet's (`shared`, None without Redis)."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        trusted: Mapping[str, str] | None = None,
        shared: Shared | None = None,
        max_bytes: int = 32 * 1024,
        shared_bytes: int = SHARED_BYTES,
        memory_bytes: int = MEMORY_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self._trusted = dict(trusted) if trusted is not None else None
        self._memory: OrderedDict[str, str] = OrderedDict()
        self._memory_bytes = 0
        self._memory_limit = memory_bytes
        """`GATEWAY_APQ_MEMORY_MIB`: texts kept in this process, charged as `_charge` says."""
        self._shared = shared if shared_bytes > 0 else None
        self._max_bytes = max_bytes
        """The document limit (`GATEWAY_MAX_DOCUMENT_BYTES`): no text above it is shared or
        taken back from Redis."""
        self._shared_bytes = shared_bytes
        self._clock = clock
        self._reported_at = -REPORT_EVERY_S

    @property
    def trusted_only(self) -> bool:
        return self._trusted is not None

    def resolve(self, asked: Requested) -> str:
        """The document text to run, from this process's texts; `PersistedQueryError` when
        there is none to run."""
        if self._trusted is not None:
            return self._resolve_trusted(asked)
        if asked.sha256 is None:
            if asked.query is None:
                raise PersistedQueryError("The `query` must be a non-empty string.", "BAD_REQUEST")
            return asked.query
        if not self.enabled:
            raise PersistedQueryError(
                "Persisted queries are not supported here.", "PERSISTED_QUERY_NOT_SUPPORTED"
            )
        if asked.query is not None:
            if sha256(asked.query) != asked.sha256:
                raise PersistedQueryError(
                    "The persisted query id is not the SHA-256 of the query.", "BAD_REQUEST"
                )
            return asked.query
        text = self._memory.get(asked.sha256)
        if text is None:
            raise _not_found()
        self._memory.move_to_end(asked.sha256)
        return text

    async def lookup(self, asked: Requested) -> str:
        """`resolve`, then for a hash this process does not know, the fleet's text for it (in
        Redis), if one passes its checks. Whatever it returns must pass the document's checks
        before it runs, then be handed to `register`."""
        try:
            return self.resolve(asked)
        except PersistedQueryError as missing:
            if self._shared is None or missing.code_name != "PERSISTED_QUERY_NOT_FOUND":
                raise
            assert asked.sha256 is not None  # only a hash alone is not found
            text = await self._shared_text(asked.sha256)
            if text is None:
                raise
            return text

    def remember(self, asked: Requested) -> None:
        """Keep an APQ registration's text in this process, once its document has passed
        every check."""
        if self._trusted is not None or not self.enabled or asked.sha256 is None:
            return
        if asked.query is not None:
            self._keep(asked.sha256, asked.query)

    async def register(self, asked: Requested, text: str) -> None:
        """Keep `text`, what `lookup` answered for `asked`, once its document has passed every
        check: in this process, and for the fleet when the client sent it with its hash (a
        registration) and this process did not know it yet."""
        if self._trusted is not None or not self.enabled or asked.sha256 is None:
            return
        known = asked.sha256 in self._memory
        self._keep(asked.sha256, text)
        if asked.query is not None and not known and self._shared is not None:
            await self._share(asked.sha256, text)

    def _keep(self, ident: str, text: str) -> None:
        if ident in self._memory:
            self._memory.move_to_end(ident)
            return
        self._memory[ident] = text
        self._memory_bytes += _charge(text)
        while self._memory_bytes > self._memory_limit or len(self._memory) > MEMORY_ENTRIES:
            _, dropped = self._memory.popitem(last=False)
            self._memory_bytes -= _charge(dropped)

    async def _share(self, ident: str, text: str) -> None:
        """Put `text` in Redis for the fleet, if it fits the document limit and the fleet's
        budget for this window; else (or with Redis down) it stays in this process only."""
        assert self._shared is not None
        payload = text.encode()
        if len(payload) > self._max_bytes:
            return
        charge = len(payload) + ENTRY_OVERHEAD_BYTES
        spent = await self._shared.incr(BUDGET_KEY, charge, SHARED_TTL_S, "APQ budget")
        if spent is None:
            return  # Redis is down: kept here, as without it
        # A counter is a number Redis adds to, so it cannot be sealed: below what was just
        # added, it was planted (a negative start would lift the budget), and counts as spent.
        if not charge <= spent <= self._shared_bytes:
            if self._clock() - self._reported_at >= REPORT_EVERY_S:
                self._reported_at = self._clock()
                log.warning(
                    "APQ: the fleet's %d bytes of shared texts for this window are spent "
                    "(GATEWAY_APQ_SHARED_BYTES); new registrations are kept per process until "
                    "it lapses",
                    self._shared_bytes,
                )
            return
        await self._shared.set(TEXT_PREFIX + ident, payload, SHARED_TTL_S, "APQ text")

    async def _shared_text(self, ident: str) -> str | None:
        """The fleet's text for `ident`, if one passes every check (see the module docstring);
        a refusal is logged by what failed, never with the value."""
        assert self._shared is not None
        payload = await self._shared.get(TEXT_PREFIX + ident, "APQ text")
        if payload is None:
            return None
        if len(payload) > self._max_bytes:
            log.warning("shared APQ text refused: over the document limit")
            return None
        try:
            text = str(payload, "utf-8")
        except UnicodeDecodeError:
            log.warning("shared APQ text refused: not UTF-8")
            return None
        if sha256(text) != ident:
            log.warning("shared APQ text refused: not the text of its hash")
            return None
        return text

    def _resolve_trusted(self, asked: Requested) -> str:
        assert self._trusted is not None
        if asked.sha256 is not None:
            text = self._trusted.get(asked.sha256)
            if text is None:
                raise PersistedQueryError(
                    "This operation is not in the gateway's list of trusted documents.",
                    "PERSISTED_QUERY_NOT_IN_LIST",
                )
            return text
        if asked.query is not None and sha256(asked.query) in self._trusted:
            return asked.query
        raise PersistedQueryError(
            "Only the gateway's trusted documents run here: send one by id "
            "(extensions.persistedQuery.sha256Hash or documentId).",
            "QUERY_NOT_IN_SAFELIST",
        )
