"""Values in a shared store, sealed: framed with the key they were written under and their
expiry, and signed when a signing key is configured.

Whoever can reach a shared Redis can write any key, so every value read back is untrusted. A
sealed value is served only if it is at most `MAX_VALUE_BYTES`, starts as the gateway writes
values, was written under the very key being read (a genuine value copied to another key is
refused), carries a valid HMAC-SHA256 when a key is configured (over everything but itself,
compared in constant time), and is not past its own expiry (a genuine value saved and replayed
later under a fresh TTL is refused). What the payload means is the caller's to check: it is
bytes here, never unpickled or executed.

Format (version 1):

    b"TGC" | version: 1 byte | flags: 1 byte (1 = signed) | expires at: 8 bytes, big-endian,
    Unix time in ms | key length: 2 bytes, big-endian | the key (UTF-8)
    | HMAC-SHA256: 32 bytes, signed values only | payload
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

MAX_VALUE_BYTES = 8 * 1024 * 1024
"""Largest value read back: a larger one is refused unread."""
MAGIC = b"TGC"
FORMAT_VERSION = 1
"""The layout above; another version is refused."""
SIGNED = 0x01
"""Flag: the value carries an HMAC-SHA256 after its key."""
MAC_BYTES = hashlib.sha256().digest_size
EXPIRY_SLACK_S = 5.0
"""A value's own expiry trails its TTL in the store by this much, so the store drops it first and
gateways whose clocks differ by less never refuse a genuine value as expired."""

_EXPIRY_AT = len(MAGIC) + 2
_HEADER = _EXPIRY_AT + 8 + 2


class Unsealable(Exception):
    """A value that must not be used. The message says which check failed, never what the
    value holds (it is untrusted and may be anything, secrets or terminal escapes included)."""


class Sealer:
    """Payloads to sealed values and back, signed with `signing_key` when given."""

    def __init__(self, signing_key: str | None, *, clock: Callable[[], float] = time.time) -> None:
        self._mac_key = signing_key.encode() if signing_key else None
        self._clock = clock
        """Wall-clock time: expiry is compared across processes and machines."""

    @property
    def signed(self) -> bool:
        return self._mac_key is not None

    def seal(self, key: str, payload: bytes, ttl_s: float) -> bytes:
        """`payload` as stored under `key` for `ttl_s`."""
        key_bytes = key.encode()
        expires_at_ms = round((self._clock() + ttl_s + EXPIRY_SLACK_S) * 1000)
        header = (
            MAGIC
            + bytes((FORMAT_VERSION, SIGNED if self._mac_key else 0))
            + expires_at_ms.to_bytes(8, "big")
            + len(key_bytes).to_bytes(2, "big")
            + key_bytes
        )
        if self._mac_key is None:
            return header + payload
        mac = hmac.new(self._mac_key, header, hashlib.sha256)
        mac.update(payload)
        return header + mac.digest() + payload

    def unseal(self, key: str, raw: bytes) -> memoryview:
        """The payload sealed under `key`, if `raw` passes every check; else `Unsealable`."""
        if len(raw) > MAX_VALUE_BYTES:
            raise Unsealable(f"{len(raw)} bytes, over the {MAX_VALUE_BYTES}-byte limit")
        if len(raw) < _HEADER or not raw.startswith(MAGIC):
            raise Unsealable("not a value the gateway wrote")
        version, flags = raw[len(MAGIC)], raw[len(MAGIC) + 1]
        if version != FORMAT_VERSION or flags & ~SIGNED:
            raise Unsealable("written in another format version")
        key_end = _HEADER + int.from_bytes(raw[_HEADER - 2 : _HEADER], "big")
        if raw[_HEADER:key_end] != key.encode():
            raise Unsealable("written under another key")
        payload_at = self._check_mac(raw, key_end, signed=bool(flags & SIGNED))
        expires_at_ms = int.from_bytes(raw[_EXPIRY_AT : _EXPIRY_AT + 8], "big")
        if expires_at_ms <= self._clock() * 1000:
            raise Unsealable("expired")
        return memoryview(raw)[payload_at:]

    @staticmethod
    def expires_at(raw: bytes) -> float:
        """When the store drops the value `raw` (Unix time): its sealed expiry less the slack.
        Read it once `unseal` has accepted `raw`."""
        return int.from_bytes(raw[_EXPIRY_AT : _EXPIRY_AT + 8], "big") / 1000 - EXPIRY_SLACK_S

    def _check_mac(self, raw: bytes, key_end: int, *, signed: bool) -> int:
        """Where the payload starts, once the signature (if any is expected) is verified."""
        if self._mac_key is None:
            if signed:
                raise Unsealable("signed, and no signing key is configured to check it")
            return key_end
        if not signed:
            raise Unsealable("not signed")
        payload_at = key_end + MAC_BYTES
        view = memoryview(raw)
        mac = hmac.new(self._mac_key, view[:key_end], hashlib.sha256)
        mac.update(view[payload_at:])
        if not hmac.compare_digest(mac.digest(), raw[key_end:payload_at]):
            raise Unsealable("bad signature")
        return payload_at
