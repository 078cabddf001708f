"""A tab's one pending wake-up: a timer to its next deadline, then the check it runs.

Until it fires the wake-up is a timer handle of the injected scheduler (a few hundred bytes,
where a sleeping task costs over a kilobyte a tab); when it fires, the task doing the work.
Either is replaced by the next, so a tab never waits on two.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from sessions_live.core.scheduling import Cancellable, Scheduler

Work = Coroutine[Any, Any, None]


class DeadlineTimer:
    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.pending: Cancellable | None = None

    def wake_in(self, delay: float | None, work: Callable[[], Work]) -> None:
        """Replace the pending wake-up with one that runs ``work()`` in ``delay`` seconds
        (none for None)."""
        self.cancel()
        if delay is not None:
            self.pending = self.scheduler.call_later(delay, lambda: self.run(work()))

    def run(self, work: Work) -> None:
        """Replace the pending wake-up with ``work``, running now (without blocking)."""
        self.cancel()
        self.pending = asyncio.get_running_loop().create_task(work)

    def cancel(self) -> None:
        """Cancel the pending wake-up (not the running one: it is the caller, and it stops by
        itself once it has scheduled its successor or seen its socket done)."""
        if self.pending is not None and self.pending is not asyncio.current_task():
            self.pending.cancel()
        self.pending = None
