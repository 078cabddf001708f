"""A loopback TCP relay that counts the bytes each way between a browser and a server."""

from __future__ import annotations

import asyncio
import threading
from typing import Any


class CountingRelay:
    """A loopback TCP relay in front of a server, counting the bytes each way.

    CDP reports neither WebSocket control frames (daphne pings every idle socket every 20 s)
    nor the exact request headers sent, so the bytes are counted here, where they really pass.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = self.down = 0
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        self.thread.start()
        opening = asyncio.start_server(self._client, "127.0.0.1", 0)
        self.server = asyncio.run_coroutine_threadsafe(opening, self.loop).result(10)
        self.port = self.server.sockets[0].getsockname()[1]

    def totals(self) -> tuple[int, int]:
        return self.up, self.down

    def stop(self) -> None:
        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
        self.loop.close()

    async def _close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.close()
            self.tasks.discard(task)
            return
        try:
            await asyncio.gather(
                self._pipe(reader, upstream_writer, up=True),
                self._pipe(upstream_reader, writer, up=False),
            )
        finally:
            self.tasks.discard(task)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if up:
                    self.up += len(data)
                else:
                    self.down += len(data)
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()
