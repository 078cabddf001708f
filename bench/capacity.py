"""Benchmark 4, capacity: idle tabs one daphne process holds, beside a bare Channels consumer.

For each size: RSS added per idle socket (after a warm-up socket, once they settle), idle CPU
of the process over a quiet window, and the time to reconnect every socket after daphne
restarts (all reconnecting at once in batches, as browsers would after a deploy). sessions-live
tabs all belong to one signed-in session (the per-session cost is one row and one group).
"""

from __future__ import annotations

import asyncio
import resource
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.servers import DemoProcess, free_port
from tests.web import Browser

from .harness import Context, cpu_seconds, rss_kib

BATCH = 100


async def open_sockets(
    url: str, count: int, headers: dict[str, str], origin: str, hello: bool
) -> list[ClientConnection]:
    async def one() -> ClientConnection:
        ws = await connect(url, origin=origin, additional_headers=headers, open_timeout=60)  # type: ignore[arg-type]
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
    count: int,
    headers: dict[str, str],
    origin: str,
    hello: bool,
    quiet: float,
) -> dict[str, float]:
    assert process.process is not None
    warm = await open_sockets(url, 1, headers, origin, hello)
    await asyncio.sleep(quiet / 4)  # the warm-up socket settles
    before = rss_kib(process.process.pid)
    sockets = await open_sockets(url, count, headers, origin, hello)
    await asyncio.sleep(quiet / 2)  # the new sockets settle
    after = rss_kib(process.process.pid)
    cpu_start, wall_start = cpu_seconds(process.process.pid), time.monotonic()
    await asyncio.sleep(quiet)
    cpu = (cpu_seconds(process.process.pid) - cpu_start) / (time.monotonic() - wall_start)
    process.stop()
    await close_sockets([*warm, *sockets])
    process.start()
    started = time.monotonic()
    back = await open_sockets(url, count, headers, origin, hello)
    reconnect = time.monotonic() - started
    await close_sockets(back)
    return {
        "kib_per_tab": (after - before) / count,
        "idle_cpu_percent": cpu * 100,
        "reconnect_s": reconnect,
    }


def run(context: Context) -> dict[str, Any]:
    sizes = [50] if context.quick else [1000, 5000]
    quiet = 2.0 if context.quick else 10.0
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
            for size in sizes:
                ours = asyncio.run(
                    measure(demo.process, demo.ws_url, size, headers, demo.url, True, quiet)
                )
                plain = asyncio.run(
                    measure(
                        bare,
                        f"ws://{bare.host}:{bare.port}/ws/bare/",
                        size,
                        {},
                        demo.url,
                        False,
                        quiet,
                    )
                )
                rows.append(
                    {
                        "tabs": size,
                        "ours_kib_per_tab": ours["kib_per_tab"],
                        "bare_kib_per_tab": plain["kib_per_tab"],
                        "idle_cpu_percent": ours["idle_cpu_percent"],
                        "bare_idle_cpu_percent": plain["idle_cpu_percent"],
                        "reconnect_s": ours["reconnect_s"],
                        "bare_reconnect_s": plain["reconnect_s"],
                    }
                )
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
            "10,000 tabs per process are left out of the full run to keep it within 15 minutes.",
        ],
    }
