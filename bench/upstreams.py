"""Both simulators in one process with a fixed latency, for benchmarks.

Prints one JSON line with their base URLs, then serves until terminated.

    python -m bench.upstreams --latency-ms 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

import uvloop

from gateway.simulator import runner
from gateway.simulator.faults import FaultConfig


async def serve(latency_ms: float) -> None:
    faults = FaultConfig(latency_ms=latency_ms)
    started = [await runner.start(name, fault_config=faults) for name in runner.PROVIDERS]
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
    args = parser.parse_args()
    uvloop.run(serve(args.latency_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
