"""Benchmark 3, cross-tab propagation: "Stay signed in" in tab A until tab B hears it.

Measured from the `extend` frame leaving tab A to the `active` frame reaching tab B, in one
client process (one clock), with both tabs on one daphne process and on two, and with both
channels-redis layers; the two tabs take turns to be A. The reference
(django-session-security) has no push: another tab learns of activity at its next poll, up to
EXPIRE_AFTER - WARN_AFTER later (60 s at its defaults); that figure comes from its design, not
from a measurement.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from tests.servers import Demo
from tests.web import Browser, frame_of

from .harness import Context, summary_ms

#: Seconds between two samples. The tabs take turns to send, so each socket sends one
#: `extend` every 0.2 s, below the protocol's 60 frames per 10 s.
SPACING = 0.1


async def measure(demos: tuple[Demo, Demo], samples: int) -> list[float]:
    browser = Browser(demos[0])
    browser.sign_in()
    async with browser.tab(on=demos[0]) as a, browser.tab(on=demos[1]) as b:
        await frame_of(a, "hello")
        await frame_of(b, "hello")
        latencies = []
        for index in range(samples + 5):  # the first five warm up
            sender, receiver = (a, b) if index % 2 == 0 else (b, a)
            started = time.perf_counter()
            await sender.send('{"type": "extend"}')
            while json.loads(await asyncio.wait_for(receiver.recv(), 5))["type"] != "active":
                pass
            if index >= 5:
                latencies.append(time.perf_counter() - started)
            await frame_of(sender, "active")  # the sender hears its own extend too
            await asyncio.sleep(SPACING)
        return latencies


def run(context: Context) -> dict[str, Any]:
    samples = 10 if context.quick else 200
    result: dict[str, Any] = {}
    for layer in context.layers:
        env = {"REDIS_LAYER": layer, "SESSIONS_LIVE_WARN_AFTER": "300"}
        with context.demo(2, SESSIONS_LIVE_EXPIRE_AFTER="600", **env) as (one, two):
            result[f"{layer}_same_process"] = summary_ms(asyncio.run(measure((one, one), samples)))
            result[f"{layer}_two_processes"] = summary_ms(asyncio.run(measure((one, two), samples)))
    result["reference_worst_case_ms"] = 60_000
    result["notes"] = [
        "One client process times both tabs, so no clock offset enters; the client, daphne "
        "and Redis share the machine's cores.",
        "Each extend is a database write before the push: the figure includes it.",
    ]
    return result
