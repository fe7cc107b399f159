"""Trusted documents: Apollo's automatic persisted queries, and a mode that runs only a manifest.

Automatic persisted queries (APQ, on by default): a client sends the SHA-256 of its document
instead of the text (`extensions.persistedQuery`, in a POST body or a GET's parameters, so a
CDN can cache the GET); on `PERSISTED_QUERY_NOT_FOUND` it sends both once, and the gateway keeps
the text — only after the document has passed every check (`api/documents.py`), so nothing
invalid or oversized is kept. Texts are kept per process, in an LRU bounded in bytes. Not in
Redis: a registration costs its sender nothing upstream, so a shared store would let anyone fill
the Redis with texts; behind a load balancer a client registers once per instance instead, one
extra round trip and never an error (Apollo Server's default too).

Trusted documents (`GATEWAY_TRUSTED_DOCUMENTS`, a manifest in Apollo's
`persisted-query-manifest.json` format): only the manifest's operations run, asked for by id
(`extensions.persistedQuery.sha256Hash`, or `documentId` as in the GraphQL-over-HTTP trusted
documents proposal) or by a text whose hash is listed, as Apollo Router's safelisting does.
For first-party frontends, whose every operation is known at build time. Registration is off.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.errors import GatewayError

MEMORY_BYTES = 16 * 1024**2
"""Texts kept in this process, at most (each is at most the document limit)."""
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

    def __init__(self, *, enabled: bool = True, trusted: Mapping[str, str] | None = None) -> None:
        self.enabled = enabled
        self._trusted = dict(trusted) if trusted is not None else None
        self._memory: OrderedDict[str, str] = OrderedDict()
        self._memory_bytes = 0

    @property
    def trusted_only(self) -> bool:
        return self._trusted is not None

    def resolve(self, asked: Requested) -> str:
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
            # Apollo clients look for this exact message, then send the text with its id.
            raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        self._memory.move_to_end(asked.sha256)
        return text

    def remember(self, asked: Requested) -> None:
        """Keep an APQ registration's text, once its document has passed every check."""
        if self._trusted is not None or not self.enabled or asked.sha256 is None:
            return
        if asked.query is None or asked.sha256 in self._memory:
            return
        self._memory[asked.sha256] = asked.query
        self._memory_bytes += len(asked.query)
        while self._memory_bytes > MEMORY_BYTES:
            _, dropped = self._memory.popitem(last=False)
            self._memory_bytes -= len(dropped)

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
