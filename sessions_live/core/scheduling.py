"""When a tab's work runs: the event loop's timers, behind a seam a test can replace.

A consumer is built with ``scheduler=`` (``SessionConsumer.as_asgi(scheduler=...)``) and never
asks the event loop for time directly, so a test that injects a clock and a scheduler of its
own moves a tab to its warning or its expiry at once, without sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol


class Cancellable(Protocol):
    def cancel(self) -> object: ...


class Scheduler(Protocol):
    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable:
        """Run ``callback`` in ``delay`` seconds, unless cancelled first."""
        ...

    async def sleep(self, delay: float) -> None:
        """Return in ``delay`` seconds."""
        ...


class LoopScheduler:
    """The running event loop's own timers (what every consumer uses outside tests)."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(delay, callback)

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(delay)


LOOP = LoopScheduler()


_background: set[asyncio.Task[Any]] = set()


def in_background(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` on its own, held until done (the loop keeps only a weak reference)."""
    task = asyncio.get_running_loop().create_task(work)
    _background.add(task)
    task.add_done_callback(_background.discard)
