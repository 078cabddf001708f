"""The activity storm's tabs: WebSocket clients of seeded sessions, opened in batches, sending
``activity`` frames at a steady rate and counting what the server sends back."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.servers import Demo

TABS = 5
RATE = 1.0  # activity frames per tab per second
BATCH = 100  # sockets opened at once
TICK = 0.02  # seconds between two bursts of frames
FRAME = '{"type": "activity"}'


@dataclass
class Tabs:
    sockets: list[ClientConnection] = field(default_factory=list)
    received: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    async def read(self, ws: ClientConnection) -> None:
        try:
            async for message in ws:
                self.received[json.loads(message).get("type", "?")] += 1
        except Exception:
            pass
        code = ws.close_code
        self.closed[str(code)] += 1


async def open_tabs(demo: Demo, keys: list[str]) -> Tabs:
    """TABS sockets per session key, BATCH at a time, each past its ``hello``."""
    tabs = Tabs()

    async def one(key: str) -> ClientConnection:
        ws = await connect(
            demo.ws_url,
            origin=demo.url,  # type: ignore[arg-type]
            additional_headers={"Cookie": f"sessionid={key}"},
            open_timeout=60,
            max_queue=None,  # the reader keeps up; never push back on daphne
        )
        hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if hello.get("type") != "hello":
            raise RuntimeError(f"a tab was answered {hello}")
        return ws

    wanted = [key for key in keys for _ in range(TABS)]
    for start in range(0, len(wanted), BATCH):
        tabs.sockets += await asyncio.gather(*(one(key) for key in wanted[start : start + BATCH]))
    loop = asyncio.get_running_loop()
    tabs.readers = [loop.create_task(tabs.read(ws)) for ws in tabs.sockets]
    return tabs


async def storm(tabs: Tabs, duration: float) -> dict[str, Any]:
    """Every tab sends FRAME RATE times a second, the tabs spread evenly over the second."""
    slots = max(1, round(1 / (RATE * TICK)))
    by_slot = [tabs.sockets[slot::slots] for slot in range(slots)]
    sent, late, started = 0, 0.0, time.monotonic()
    tick = 0
    while (due := started + tick * TICK) < started + duration:
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            late = max(late, -delay)
        batch = by_slot[tick % slots]
        results = await asyncio.gather(*(ws.send(FRAME) for ws in batch), return_exceptions=True)
        sent += sum(1 for result in results if result is None)
        tick += 1
    elapsed = time.monotonic() - started
    return {
        "frames_sent": sent,
        "frames_per_tab_per_s": round(sent / len(tabs.sockets) / elapsed, 3),
        "sender_late_max_s": round(late, 3),
    }


def close_tabs(tabs: Tabs) -> None:
    for reader in tabs.readers:
        reader.cancel()
    for ws in tabs.sockets:
        ws.transport.abort()  # the server is gone already: no closing handshake to wait for
