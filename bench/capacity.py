"""Benchmark 4, capacity: idle tabs one daphne process holds, beside a bare Channels consumer.

The process is ramped through each size: RSS added per idle socket (after a warm-up socket, once
they settle), idle CPU of the process over a quiet window, and how fast sockets were opened;
then the time to reconnect all of them after daphne restarts (in batches, as browsers would
after a deploy). sessions-live
tabs all belong to one signed-in session (the per-session cost is one row and one group).
"""

from __future__ import annotations

import asyncio
import resource
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake

from tests.servers import DemoProcess, free_port
from tests.web import Browser

from .harness import Context, cpu_seconds, rss_kib

BATCH = 100
#: Attempts to open one socket: a daphne just restarted may drop the first handshakes (seen
#: on a loaded machine as "did not receive a valid HTTP response").
RETRIES = 5


async def open_sockets(
    url: str, count: int, headers: dict[str, str], origin: str, hello: bool
) -> list[ClientConnection]:
    async def one() -> ClientConnection:
        for attempt in range(RETRIES):  # as a tab does, a refused or dropped handshake is retried
            try:
                ws = await connect(url, origin=origin, additional_headers=headers, open_timeout=60)  # type: ignore[arg-type]
                break
            except (OSError, InvalidHandshake):
                if attempt == RETRIES - 1:
                    raise
                await asyncio.sleep(0.2)
        if hello:
            await asyncio.wait_for(ws.recv(), 60)
        return ws

    sockets: list[ClientConnection] = []
    for start in range(0, count, BATCH):
        sockets += await asyncio.gather(*(one() for _ in range(min(BATCH, count - start))))
    return sockets


async def close_sockets(sockets: list[ClientConnection]) -> None:
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


async def measure(
    process: DemoProcess,
    url: str,
    sizes: list[int],
    headers: dict[str, str],
    origin: str,
    hello: bool,
    quiet: float,
) -> list[dict[str, float]]:
    """Ramp up to each size in turn (RSS and idle CPU at each), then restart the process and
    time the reconnection of the largest number of sockets."""
    assert process.process is not None
    warm = await open_sockets(url, 1, headers, origin, hello)
    await asyncio.sleep(quiet / 4)  # the warm-up socket settles
    before = rss_kib(process.process.pid)
    sockets: list[ClientConnection] = []
    rows: list[dict[str, float]] = []
    for size in sizes:
        started = time.monotonic()
        sockets += await open_sockets(url, size - len(sockets), headers, origin, hello)
        opened = time.monotonic() - started
        await asyncio.sleep(quiet / 2)  # the new sockets settle
        after = rss_kib(process.process.pid)
        cpu_start, wall_start = cpu_seconds(process.process.pid), time.monotonic()
        await asyncio.sleep(quiet)
        cpu = (cpu_seconds(process.process.pid) - cpu_start) / (time.monotonic() - wall_start)
        rows.append(
            {
                "tabs": size,
                "kib_per_tab": (after - before) / size,
                "idle_cpu_percent": cpu * 100,
                "opened_per_s": (size - (rows[-1]["tabs"] if rows else 0)) / opened,
            }
        )
    process.stop()
    await close_sockets([*warm, *sockets])
    process.start()
    started = time.monotonic()
    back = await open_sockets(url, sizes[-1], headers, origin, hello)
    rows[-1]["reconnect_s"] = time.monotonic() - started
    await close_sockets(back)
    return rows


def run(context: Context) -> dict[str, Any]:
    sizes = [50] if context.quick else [1000, 5000, 10000]
    quiet = 0.5 if context.quick else 5.0
    rows = []
    with context.demo(1, SESSIONS_LIVE_WARN_AFTER="3000", SESSIONS_LIVE_EXPIRE_AFTER="3600") as (
        demo,
    ):
        browser = Browser(demo)
        browser.sign_in()
        headers = {"Cookie": browser.cookie_header}
        bare = DemoProcess(
            demo.process.env,
            demo.host,
            free_port(),
            demo.log.with_name("bare.log"),
            application="bench.bare_asgi:application",
        )
        bare.start()
        try:
            ours = asyncio.run(
                measure(demo.process, demo.ws_url, sizes, headers, demo.url, True, quiet)
            )
            plain = asyncio.run(
                measure(
                    bare,
                    f"ws://{bare.host}:{bare.port}/ws/bare/",
                    sizes,
                    {},
                    demo.url,
                    False,
                    quiet,
                )
            )
            for mine, theirs in zip(ours, plain, strict=True):
                row = {
                    "tabs": mine["tabs"],
                    "ours_kib_per_tab": mine["kib_per_tab"],
                    "bare_kib_per_tab": theirs["kib_per_tab"],
                    "idle_cpu_percent": mine["idle_cpu_percent"],
                    "bare_idle_cpu_percent": theirs["idle_cpu_percent"],
                    "opened_per_s": mine["opened_per_s"],
                    "bare_opened_per_s": theirs["opened_per_s"],
                }
                if "reconnect_s" in mine:
                    row["reconnect_s"] = mine["reconnect_s"]
                    row["bare_reconnect_s"] = theirs["reconnect_s"]
                rows.append(row)
        finally:
            bare.stop()
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return {
        "rows": rows,
        "open_files": soft,
        "notes": [
            "RSS is the kernel's resident set: freed memory a process keeps counts, so a "
            "figure is what a deployment must provision, not what a tab strictly needs.",
            "The client opening the sockets runs on the same two cores as daphne and Redis.",
            "The sizes are one ramp: RSS per tab at each size counts every socket opened since"
            " the warm-up one; the reconnection is timed once, for the largest size, all"
            " sockets reconnecting in batches of 100 after a restart.",
        ],
    }
