"""Benchmark 2, timeliness: how late `warning` and `expired` reach a tab after the deadline.

Each session's deadline is set by an `extend` sent at a known moment. The lateness is measured
against the deadline the server keeps: the activity it recorded for that `extend` (read from
the database after the run) plus WARN_AFTER or EXPIRE_AFTER, on the same machine's clock. The
figure from the client's sending time is kept beside it: it adds the way in and any wait before
the server reads the frame, so it is an upper bound. Measured for 1 tab, and for many tabs
(1,000 in the full run: 20 sessions x 50 tabs) whose deadlines fall within 2 s, with both
channels-redis layers. The measuring client does not collect garbage during the window, so its
own pauses are not counted. The reference shows its warning on its next poll and a page load
after it (0.2-0.5 s on loopback) and counts down on the client without the server's deadline;
that figure comes from its design.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection

from tests.servers import Demo, manage
from tests.web import Browser, frame_of

from .harness import Context, summary_ms


@dataclass
class Arrivals:
    """One run: per session, when its `extend` left, its Django session key, and per tab the
    arrival time of the first frame of each type after the extend."""

    sent: list[float] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    seen: list[list[dict[str, float]]] = field(default_factory=list)

    def lateness(self, starts: list[float], after: float, kind: str) -> list[float]:
        return [
            tab[kind] - (start + after)
            for start, tabs in zip(starts, self.seen, strict=True)
            for tab in tabs
            if kind in tab
        ]


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
) -> Arrivals:
    arrivals = Arrivals()
    async with AsyncExitStack() as stack:
        groups: list[list[ClientConnection]] = []
        kept: list[float] = []  # when each session was last kept alive during the setup

        async def keep_alive() -> None:
            """Opening many tabs outlasts the timeouts (on a busy machine, even one session's
            tabs do): keep the sessions opened so far from warning, after every tab."""
            for index, last in enumerate(kept):
                if time.monotonic() - last > warn / 3:
                    await groups[index][0].send('{"type": "extend"}')
                    kept[index] = time.monotonic()

        for _ in range(sessions):
            await keep_alive()
            browser = Browser(demo)
            browser.sign_in()
            arrivals.keys.append(browser.session_key)
            sockets: list[ClientConnection] = []
            for _ in range(tabs):
                sockets.append(await stack.enter_async_context(browser.tab()))
                await frame_of(sockets[-1], "hello")
                if len(sockets) == 1:
                    groups.append(sockets)
                    kept.append(time.monotonic())
                await keep_alive()
        gc.collect()
        gc.disable()
        try:
            for index, sockets in enumerate(groups):
                seen_by_tab: list[dict[str, float]] = [{} for _ in sockets]
                arrivals.seen.append(seen_by_tab)
                await asyncio.sleep(spread / sessions if index else 0)
                for ws, seen in zip(sockets, seen_by_tab, strict=True):
                    asyncio.get_running_loop().create_task(record(ws, seen))
                arrivals.sent.append(time.time())
                await sockets[0].send('{"type": "extend"}')
            await asyncio.sleep(expire + slack)
        finally:
            gc.enable()
    return arrivals


def recorded_activity(demo: Demo, keys: list[str]) -> list[float]:
    """The last activity the server recorded for each session (epoch seconds)."""
    code = (
        "import json, os; from sessions_live import store; print(json.dumps(["
        "store.to_epoch(store.find(key).last_activity) "
        "for key in json.loads(os.environ['BENCH_SESSION_KEYS'])]))"
    )
    printed = manage(
        {**demo.process.env, "BENCH_SESSION_KEYS": json.dumps(keys)}, "shell", "-c", code
    )
    return [float(moment) for moment in json.loads(printed.strip().splitlines()[-1])]


def lateness(
    arrivals: Arrivals, recorded: list[float], warn: float, expire: float
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "warning": summary_ms(arrivals.lateness(recorded, warn, "warning")),
        "expired": summary_ms(arrivals.lateness(recorded, expire, "expired")),
        "from_client_send": {
            "warning": summary_ms(arrivals.lateness(arrivals.sent, warn, "warning")),
            "expired": summary_ms(arrivals.lateness(arrivals.sent, expire, "expired")),
        },
    }
    tabs = sum(len(tabs) for tabs in arrivals.seen)
    found["missing"] = tabs * 2 - found["warning"]["n"] - found["expired"]["n"]
    return found


def run(context: Context) -> dict[str, Any]:
    if context.quick:
        # Long enough that signing in and opening the first tab fit before the expiry on a
        # busy machine (1.5 s did not, under CI's load): the quick run checks the harness.
        warn, expire, repeats, sessions, tabs, spread, slack = 3.0, 4.0, 1, 5, 10, 0.5, 0.5
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
            one_tab = asyncio.run(
                scenario(demo, repeats, 1, warn, expire, spread=0.3 * repeats, slack=slack)
            )
            many_tabs = asyncio.run(
                scenario(demo, sessions, tabs, warn, expire, spread=spread, slack=slack)
            )
            recorded = recorded_activity(demo, one_tab.keys + many_tabs.keys)
            result[f"{layer}_one_tab"] = lateness(one_tab, recorded[:repeats], warn, expire)
            result[f"{layer}_many_tabs"] = lateness(many_tabs, recorded[repeats:], warn, expire)
    result["notes"] = [
        "Lateness is measured against the deadline the server recorded (see the module "
        "docstring); `from_client_send` adds the way in. The client reading 1,000 sockets "
        "shares the machine's two cores with daphne and Redis.",
    ]
    return result
