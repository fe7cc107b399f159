"""Both simulators in one process with a fixed latency, for benchmarks.

Prints one JSON line with their base URLs, then serves until terminated.

    python -m bench.upstreams --latency-ms 100 [--tls-cert key-and-chain.pem]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import ssl
import sys

import uvloop

from simulators import registry as sim_registry
from simulators import runner
from simulators.common.faults import FaultConfig


async def serve(latency_ms: float, tls_cert: str | None = None) -> None:
    faults = FaultConfig(latency_ms=latency_ms)
    context = None
    if tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls_cert)
    started = [
        await runner.start(name, fault_config=faults, ssl_context=context)
        for name in sim_registry.names()
    ]
    print(json.dumps({s.provider: s.base_url for s in started}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    for simulator in started:
        await simulator.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM (private key + chain)")
    args = parser.parse_args()
    uvloop.run(serve(args.latency_ms, args.tls_cert))
    return 0


if __name__ == "__main__":
    sys.exit(main())
