"""A free loopback port, for servers the tests and benchmarks start.

The port is chosen here and bound later (often by another process), so two choosers must not
pick the same one in between. One process: the kernel's choice (`bind` to port 0), which it
does not hand out again soon. Under `pytest -n` (pytest-xdist) the workers choose at the same
time, so each takes turns through a range of its own, below the kernel's ephemeral range
(32768 and up on Linux), where neither the kernel nor the other worker picks.
"""

from __future__ import annotations

import itertools
import os
import socket

WORKER_PORTS = 1500
"""Ports per pytest-xdist worker, from `FIRST_WORKER_PORT` on."""
FIRST_WORKER_PORT = 20000

_turns = itertools.count()


def _binds(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", …
    if not worker.startswith("gw"):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    first = FIRST_WORKER_PORT + int(worker[2:]) * WORKER_PORTS
    for _ in range(WORKER_PORTS):
        port = first + next(_turns) % WORKER_PORTS
        if _binds(port):
            return port
    raise RuntimeError(f"no free port in {first}-{first + WORKER_PORTS - 1}")
