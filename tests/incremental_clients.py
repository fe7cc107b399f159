"""What clients do with incremental delivery, ported from their sources to check ours against.

- `MultipartReader`: Apollo Client's `readMultipartBody` (src/link/http/
  parseAndCheckHttpResponse.ts): the boundary from the response's content type, and a part read
  only once the delimiter after it has arrived; its content type must be JSON.
- `merge_defer_20220824`: Apollo Client's `Defer20220824Handler` (and urql's `mergeResultPatch`
  with `path`): each `incremental` entry's `data` merged at its `path`, errors collected.
- `merge_draft`: Apollo Client 4's `GraphQL17Alpha9Handler` (and urql with `pending`): an entry's
  path is its pending fragment's plus `subPath`; `completed` errors are collected.
- `read_events`: a GraphQL-over-SSE client: `next` events' data, until `complete`.
"""

from __future__ import annotations

import json
from typing import Any


class MultipartReader:
    def __init__(self, content_type: str) -> None:
        boundary = content_type.split("boundary=", 1)[1].split(";", 1)[0].strip().strip('"')
        self.delimiter = "\r\n--" + boundary
        self.buffer = ""

    def feed(self, chunk: str) -> list[dict[str, Any]]:
        """The parts completed by `chunk`."""
        self.buffer += chunk
        parts = []
        while (at := self.buffer.find(self.delimiter)) > -1:
            message, self.buffer = self.buffer[:at], self.buffer[at + len(self.delimiter) :]
            head_end = message.find("\r\n\r\n")
            if head_end < 0:
                assert not message.strip(), f"not a part: {message!r}"  # the preamble
                continue
            headers = dict(
                (name.strip().lower(), value.strip())
                for name, _, value in (
                    line.partition(":") for line in message[:head_end].splitlines() if line
                )
            )
            assert "application/json" in headers["content-type"]
            parts.append(json.loads(message[head_end:]))
        return parts

    @property
    def closed(self) -> bool:
        """The last delimiter was the closing one."""
        return self.buffer == "--\r\n"


def read_events(text: str) -> list[tuple[str, str]]:
    """(event, data) of each complete event in `text`."""
    events = []
    for block in text.split("\n\n"):
        if not block:
            continue
        fields = dict(line.partition(":")[::2] for line in block.split("\n"))
        events.append((fields["event"].strip(), fields.get("data", "").strip()))
    return events


def _deep_merge(target: Any, source: Any) -> Any:
    if isinstance(target, dict) and isinstance(source, dict):
        merged = dict(target)
        for key, value in source.items():
            merged[key] = _deep_merge(target.get(key), value)
        return merged
    if isinstance(target, list) and isinstance(source, list):
        merged_list = list(target)
        for index, value in enumerate(source):
            if index < len(merged_list):
                merged_list[index] = _deep_merge(merged_list[index], value)
            else:
                merged_list.append(value)
        return merged_list
    return source


def _set_at(data: Any, path: list[Any], value: Any) -> Any:
    if not path:
        return _deep_merge(data, value)
    key, *rest = path
    data = list(data) if isinstance(data, list) else dict(data or {})
    data[key] = _set_at(data[key] if isinstance(data, list) else data.get(key), rest, value)
    return data


def merge_defer_20220824(payloads: list[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]]]:
    """The data and errors a client holds after `payloads`."""
    first, *rest = payloads
    data, errors = first.get("data"), list(first.get("errors", []))
    for payload in rest:
        assert set(payload) <= {"incremental", "hasNext", "errors"}, payload
        errors += payload.get("errors", [])
        for entry in payload.get("incremental", []):
            assert "id" not in entry, entry
            assert "path" in entry, entry
            errors += entry.get("errors", [])
            if entry.get("data") is not None:
                data = _set_at(data, entry["path"], entry["data"])
    return data, errors


def merge_draft(payloads: list[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]]]:
    first, *rest = payloads
    data, errors = first.get("data"), list(first.get("errors", []))
    pending = {entry["id"]: entry for entry in first.get("pending", [])}
    for payload in rest:
        for entry in payload.get("pending", []):
            pending[entry["id"]] = entry
        for entry in payload.get("incremental", []):
            errors += entry.get("errors", [])
            path = pending[entry["id"]]["path"] + entry.get("subPath", [])
            data = _set_at(data, path, entry["data"])
        for done in payload.get("completed", []):
            errors += done.get("errors", [])
            del pending[done["id"]]
    assert not pending, f"never completed: {pending}"
    return data, errors
