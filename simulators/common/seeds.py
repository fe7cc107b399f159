"""Seeded random generators: the simulators' data depends only on what it is about."""

from __future__ import annotations

import hashlib
import random


def seeded(*parts: object) -> random.Random:
    """A generator whose sequence depends only on `parts` (stable across processes)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))
