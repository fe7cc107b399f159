"""Trusted documents: Apollo's automatic persisted queries, and a mode that runs only a manifest.

Automatic persisted queries (APQ, on by default): a client sends the SHA-256 of its document
instead of the text (`extensions.persistedQuery`, in a POST body or a GET's parameters, so a
CDN can cache the GET); on `PERSISTED_QUERY_NOT_FOUND` it sends both once, and the gateway keeps
the text — only after the document has passed every check (`api/documents.py`), so nothing
invalid or oversized is kept. Texts are kept in a byte-bounded LRU in memory and, when the search
cache is Redis, in Redis too, so every instance knows them. A text read back from Redis is
untrusted: it is used only if it is no longer than the document limit and hashes to its key.

Trusted documents (`GATEWAY_TRUSTED_DOCUMENTS`, a manifest in Apollo's
`persisted-query-manifest.json` format): only the manifest's operations run, asked for by id
(`extensions.persistedQuery.sha256Hash`, or `documentId` as in the GraphQL-over-HTTP trusted
documents proposal) or by a text whose hash is listed, as Apollo Router's safelisting does.
For first-party frontends, whose every operation is known at build time. Registration is off.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.errors import GatewayError
from gateway.search.stores import CacheStore, Unreadable

log = logging.getLogger(__name__)

MEMORY_BYTES = 16 * 1024**2
"""Texts kept in this process, at most (each is at most the document limit)."""
SHARED_TTL_S = 24 * 3600.0
OP_TIMEOUT_S = 0.5
"""Longest a shared-store call may take; after it the query counts as not found (the client
then sends the text, which costs one round trip, never a failure)."""
_HASH = re.compile(r"^[0-9a-f]{64}$")


class PersistedQueryError(GatewayError):
    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.code_name, self.status = code, status

    def extensions(self) -> dict[str, object]:
        return {"code": self.code_name}


class ManifestError(ValueError):
    """The manifest is missing or malformed; the message says where."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


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
    """Resolves what a request names to a document text (see the module docstring)."""

    def __init__(
        self,
        *,
        max_document_bytes: int,
        enabled: bool = True,
        trusted: Mapping[str, str] | None = None,
        shared: CacheStore | None = None,
    ) -> None:
        self._max_bytes = max_document_bytes
        self.enabled = enabled
        self._trusted = dict(trusted) if trusted is not None else None
        self._shared = shared if trusted is None else None
        self._memory: OrderedDict[str, str] = OrderedDict()
        self._memory_bytes = 0

    @property
    def trusted_only(self) -> bool:
        return self._trusted is not None

    async def resolve(self, asked: Requested) -> str:
        """The document text to run; `PersistedQueryError` when there is none to run."""
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
            text = await self._read_shared(asked.sha256)
        if text is None:
            # Apollo clients look for this exact message, then send the text with its id.
            raise PersistedQueryError(
                "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", status=200
            )
        self._memory.move_to_end(asked.sha256)
        return text

    async def remember(self, asked: Requested) -> None:
        """Keep an APQ registration's text, once its document has passed every check."""
        if self._trusted is not None or not self.enabled or asked.sha256 is None:
            return
        if asked.query is None or asked.sha256 in self._memory:
            return
        self._keep(asked.sha256, asked.query)
        if self._shared is not None:
            await self._guarded(
                self._shared.set(_key(asked.sha256), asked.query.encode(), SHARED_TTL_S)
            )

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

    async def _read_shared(self, ident: str) -> str | None:
        if self._shared is None:
            return None
        raw: bytes | Unreadable | None = await self._guarded(self._shared.get(_key(ident)))
        if raw is None or isinstance(raw, Unreadable) or len(raw) > self._max_bytes:
            return None
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            return None
        if sha256(text) != ident:  # planted or damaged: never run a text that is not its id's
            log.warning("persisted query %s in the shared store does not match its id", ident)
            return None
        self._keep(ident, text)
        return text

    def _keep(self, ident: str, text: str) -> None:
        self._memory[ident] = text
        self._memory_bytes += len(text)
        while self._memory_bytes > MEMORY_BYTES:
            _, dropped = self._memory.popitem(last=False)
            self._memory_bytes -= len(dropped)

    async def _guarded(self, call: Any) -> Any:
        try:
            async with asyncio.timeout(OP_TIMEOUT_S):
                return await call
        except Exception as exc:  # the store's errors are many; a miss is always safe
            log.debug("persisted query store failed: %r", exc)
            return None

    async def close(self) -> None:
        if self._shared is not None:
            await self._guarded(self._shared.close())


def _key(ident: str) -> str:
    return f"apq:v1:{ident}"
