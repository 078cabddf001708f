"""Benchmark 2, timeliness: how late `warning` and `expired` reach a tab after the deadline.

Each session's deadline is set by an `extend` sent at a known moment; the server records the
activity when it handles the frame, a little later, so the deadline used here (send time +
WARN_AFTER or EXPIRE_AFTER) is early by the one-way latency and the lateness is an upper bound.
Measured for 1 tab, and for many tabs (1,000 in the full run: 20 sessions x 50 tabs) whose
deadlines fall within 2 s, with both channels-redis layers. The reference shows its warning
on its next poll and a page load after it (0.2-0.5 s on loopback) and counts down on the
client without the server's deadline; that figure comes from its design.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import AsyncExitStack
from typing import Any

from websockets.asyncio.client import ClientConnection

from tests.servers import Demo
from tests.web import Browser, frame_of

from .harness import Context, summary_ms


async def record(ws: ClientConnection, seen: dict[str, float]) -> None:
    """The arrival time of the first frame of each type after the extend."""
    try:
        async for message in ws:
            kind = json.loads(message)["type"]
            seen.setdefault(kind, time.time())
    except Exception:  # the socket is closed after `expired`
        return


async def scenario(
    demo: Demo, sessions: int, tabs: int, warn: float, expire: float, spread: float, slack: float
) -> tuple[list[float], list[float]]:
    warn_late: list[float] = []
    expire_late: list[float] = []
    async with AsyncExitStack() as stack:
        groups: list[list[ClientConnection]] = []
        kept: list[float] = []  # when each session was last kept alive during the setup
        for _ in range(sessions):
            browser = Browser(demo)
            browser.sign_in()
            sockets = [await stack.enter_async_context(browser.tab()) for _ in range(tabs)]
            for ws in sockets:
                await frame_of(ws, "hello")
            groups.append(sockets)
            kept.append(time.monotonic())
            # Opening many tabs outlasts the timeouts: keep the earlier sessions from warning.
            for index, last in enumerate(kept):
                if time.monotonic() - last > warn / 3:
                    await groups[index][0].send('{"type": "extend"}')
                    kept[index] = time.monotonic()
        readers, sent = [], []
        for index, sockets in enumerate(groups):
            seen_by_tab = [{} for _ in sockets]
            readers.append(seen_by_tab)
            await asyncio.sleep(spread / sessions if index else 0)
            for ws, seen in zip(sockets, seen_by_tab, strict=True):
                asyncio.get_running_loop().create_task(record(ws, seen))
            sent.append(time.time())
            await sockets[0].send('{"type": "extend"}')
        await asyncio.sleep(expire + slack)
        for started, seen_by_tab in zip(sent, readers, strict=True):
            for seen in seen_by_tab:
                if "warning" in seen:
                    warn_late.append(seen["warning"] - (started + warn))
                if "expired" in seen:
                    expire_late.append(seen["expired"] - (started + expire))
    return warn_late, expire_late


def run(context: Context) -> dict[str, Any]:
    if context.quick:
        warn, expire, repeats, sessions, tabs, spread, slack = 1.0, 1.5, 1, 5, 10, 0.5, 0.5
    else:
        warn, expire, repeats, sessions, tabs, spread, slack = 4.0, 6.0, 10, 20, 50, 2.0, 3.0
    result: dict[str, Any] = {"tabs_in_many": sessions * tabs}
    for layer in context.layers:
        with context.demo(
            1,
            REDIS_LAYER=layer,
            SESSIONS_LIVE_WARN_AFTER=str(warn),
            SESSIONS_LIVE_EXPIRE_AFTER=str(expire),
        ) as (demo,):
            # One tab per session, sessions 0.3 s apart: no two deadlines of the run fall
            # within 0.1 s of each other, so each is a one-tab deadline, and the run takes
            # one timeout instead of ten (the full run has to fit in 15 minutes).
            warn_late, expire_late = asyncio.run(
                scenario(demo, repeats, 1, warn, expire, spread=0.3 * repeats, slack=slack)
            )
            result[f"{layer}_one_tab"] = {
                "warning": summary_ms(warn_late),
                "expired": summary_ms(expire_late),
            }
            w, e = asyncio.run(
                scenario(demo, sessions, tabs, warn, expire, spread=spread, slack=slack)
            )
            result[f"{layer}_many_tabs"] = {
                "warning": summary_ms(w),
                "expired": summary_ms(e),
                "missing": sessions * tabs * 2 - len(w) - len(e),
            }
    result["notes"] = [
        "Lateness is an upper bound (see the module docstring); the client reading 1,000 "
        "sockets shares the machine's two cores with daphne and Redis.",
    ]
    return result
