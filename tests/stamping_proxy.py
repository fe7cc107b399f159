"""A TCP proxy in a process of its own that notes when each HTTP request reaches it, then
passes the bytes on to a target: `python -m tests.stamping_proxy HOST PORT`.

Arrival times noted by the simulator itself were those at which its event loop got round to
each request: after a stretch of building answers (or of sharing the GIL with the test's
clients) it noted a backlog of calls together, a "burst" the gateways had not sent. This
process does nothing but move bytes, so it notes a request when it arrives. It prints
`PORT n` once listening, then the monotonic time (system-wide on Linux) of every request.
"""

from __future__ import annotations

import asyncio
import sys
import time

REQUEST_STARTS = (b"GET ", b"POST ", b"PUT ", b"DELETE ", b"PATCH ")


async def pass_on(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, stamp: bool
) -> None:
    try:
        while data := await reader.read(65536):
            # A client sends one request at a time on a connection (aiohttp does not
            # pipeline), and a request's head arrives first in a chunk of its own.
            if stamp and data.startswith(REQUEST_STARTS):
                print(time.monotonic(), flush=True)
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main(host: str, port: int) -> None:
    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        target_reader, target_writer = await asyncio.open_connection(host, port)
        await asyncio.gather(
            pass_on(reader, target_writer, stamp=True),
            pass_on(target_reader, writer, stamp=False),
        )

    server = await asyncio.start_server(connect, "127.0.0.1", 0)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
