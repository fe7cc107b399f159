"""The gateway as users run it: `python -m gateway serve` in its own process, demo simulators.

For the tests where the server must be a separate process: one whose event loop an attack
could freeze (the test must still be able to time out and look at `/healthz`), or whose memory
is measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from gateway.providers import registry
from tests.ports import free_port

PROVIDER_PREFIXES = tuple(f"{name.upper()}_" for name in registry.names())
"""Every provider's variables start with its name (AMADEUS_, DUFFEL_, LITEAPI_)."""


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without provider credentials: demo mode, bundled rates, fast simulators."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_PREFIXES)}
    env = {k: v for k, v in env.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_DEMO_LATENCY_MS"] = "5"
    env["GATEWAY_DEMO_JITTER_MS"] = "0"
    env["GATEWAY_FX_URL"] = ""  # tests never leave loopback: bundled rates only
    env.update(extra or {})
    return env


@dataclass
class ServedGateway:
    url: str
    pid: int
    log: list[str]
    process: asyncio.subprocess.Process | None = None

    def rss_mib(self) -> float:
        """The server process's resident memory."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")


@asynccontextmanager
async def served_gateway(
    env: Mapping[str, str] | None = None, args: Sequence[str] = ()
) -> AsyncIterator[ServedGateway]:
    """Run `python -m gateway serve` (with `args`) on a free port until the block ends (then
    kill it, unless the test stopped it)."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "serve",
        "--port",
        str(port),
        *args,
        env=clean_env(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group: `--workers` children die with it
    )
    log: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout

    async def read_log() -> None:
        while line := await stdout.readline():
            log.append(line.decode(errors="replace"))

    reader = asyncio.create_task(read_log())
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(400):
                if process.returncode is not None:
                    raise RuntimeError("serve exited early:\n" + "".join(log))
                try:
                    async with session.get(f"{url}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError("serve did not start:\n" + "".join(log))
        yield ServedGateway(url, process.pid, log, process)
    finally:
        if process.returncode is None:
            # Not terminate: an attack may have frozen it. The whole group: a worker left
            # behind would hold the log pipe open, and waiting for the process would hang.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        reader.cancel()
