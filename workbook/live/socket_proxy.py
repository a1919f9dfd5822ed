"""A TCP port that forwards every connection, byte for byte, to a server's UNIX socket.

The candidate's JupyterLab runs in a sandbox with no network of its own (so a hole in it
reaches nothing on this machine's network, the interviewer's server included) and listens
on a UNIX socket in its run folder; the browser reaches it through this port. HTTP and
websockets pass through unchanged, headers included, so the server sees what the browser
sent.
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import suppress
from pathlib import Path

from workbook.errors import SessionError

_CHUNK = 65536


class SocketProxy:
    """Listens on `ip:port` in a thread of its own until `close()`."""

    def __init__(self, ip: str, port: int, target: Path) -> None:
        self.ip, self.port, self.target = ip, port, target
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SocketProxy:
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._forward, self.ip, self.port))
        except OSError as exc:
            self._loop.close()
            raise SessionError(f"cannot listen on {self.ip}:{self.port}: {exc.strerror}; "
                               "pass another --port") from None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name=f"proxy-{self.port}")
        self._thread.start()
        return self

    async def _forward(self, client_reader: asyncio.StreamReader,
                       client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_unix_connection(self.target)
        except OSError:  # the server is not up (yet, or any more): the browser retries
            client_writer.close()
            return
        await asyncio.gather(_pipe(client_reader, server_writer),
                             _pipe(server_reader, client_writer))

    def close(self) -> None:
        if self._thread is None:
            return
        server = self._server

        async def shut() -> None:
            if server is not None:
                server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        with suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(shut(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._thread = None
        with suppress(RuntimeError):
            self._loop.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        with suppress(OSError, RuntimeError):
            writer.close()
