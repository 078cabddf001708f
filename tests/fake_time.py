"""Time that moves only when a test moves it: the clock, the monotonic clock and the
scheduler a consumer is built with (``application(**time.consumer_kwargs())``).

A test runs the timers in order with :meth:`FakeTime.next`, which waits (in real time, for a
few seconds at most) for a timer to be scheduled, then moves the clocks to it and runs it. So
a tab is warned and ended at its deadlines at once, however busy the machine is, and the
test asserts the exact durations the server computed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.test import Client

from sessions_live import store
from sessions_live.models import LiveSession

from .sockets import tab_application

#: Seconds within which a duration the server computed on fake time is the expected one (the
#: epoch-second floats it adds and subtracts round in their last bits, nothing more).
EXACT = 1e-6


@dataclass
class FakeTimer:
    due: float
    callback: Callable[[], None]
    cancelled: bool = field(default=False)

    def cancel(self) -> None:
        self.cancelled = True


class FakeTime:
    def __init__(self, start: float) -> None:
        self.now = start  # epoch seconds: the consumers' clock
        self.elapsed = 0.0  # their monotonic clock
        self.timers: list[FakeTimer] = []

    def clock(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.elapsed

    def consumer_kwargs(self) -> dict[str, Any]:
        return {"clock": self.clock, "monotonic": self.monotonic, "scheduler": self}

    def dashboard_kwargs(self) -> dict[str, Any]:
        return {"clock": self.clock, "scheduler": self}

    # The Scheduler of sessions_live.core.scheduling ------------------------------------------

    def call_later(self, delay: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(self.now + max(0.0, delay), callback)
        self.timers.append(timer)
        return timer

    async def sleep(self, delay: float) -> None:
        done = asyncio.get_running_loop().create_future()
        self.call_later(delay, lambda: done.done() or done.set_result(None))
        await done

    # For the tests ----------------------------------------------------------------------

    def pending(self) -> list[FakeTimer]:
        self.timers = [timer for timer in self.timers if not timer.cancelled]
        return sorted(self.timers, key=lambda timer: timer.due)

    def move(self, seconds: float) -> None:
        """Let ``seconds`` pass without running any timer (e.g. between two inputs)."""
        self.now += seconds
        self.elapsed += seconds

    async def next(self, within: float = 5.0) -> float:
        """Run the earliest timer once one is scheduled; the seconds the clocks moved."""
        deadline = asyncio.get_running_loop().time() + within
        while not (pending := self.pending()):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no timer was scheduled within {within} s")
            await asyncio.sleep(0.01)
        timer = pending[0]
        self.timers.remove(timer)
        moved = max(0.0, timer.due - self.now)
        self.move(moved)
        timer.callback()
        await asyncio.sleep(0)
        return moved


async def fake_time_of(client: Client) -> tuple[FakeTime, Any]:
    """Time that starts at the client's sign-in and moves only when the test moves it, and
    the routing whose tab consumers keep it."""
    key = await sync_to_async(lambda: client.session.session_key)()
    live = await LiveSession.objects.aget(key_hash=store.key_hash(key or ""))
    clock = FakeTime(start=store.to_epoch(live.last_activity))
    return clock, tab_application(**clock.consumer_kwargs())
