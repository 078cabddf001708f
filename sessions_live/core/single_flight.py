"""One piece of work per key at a time in this process, shared by everyone who asks meanwhile.

Every tab of a session wakes at the same deadline; fifty tabs of one session in one process
would each read the store and each try to end it, and channels runs those calls one after
another on a single thread. Shared, they cost one read and one ending per session: the
benchmark of 1,000 tabs due together (docs/benchmarks.md) is what this is for.

A caller that joins gets the result of work that started a moment before it asked; every
decision that matters is re-checked by the database anyway (an ending is a conditional
UPDATE), so the moment is harmless.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

Result = TypeVar("Result")


class SingleFlight:
    def __init__(self) -> None:
        self.running: dict[Hashable, asyncio.Task[Any]] = {}

    async def run(self, key: Hashable, start: Callable[[], Awaitable[Result]]) -> Result:
        """The result of ``start()``, or of the call for ``key`` already running."""
        task = self.running.get(key)
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.ensure_future(start())
            self.running[key] = task
            task.add_done_callback(functools.partial(self._forget, key))
        # A caller that goes away (its tab closed) must not cancel the others' work.
        result: Result = await asyncio.shield(task)
        return result

    def _forget(self, key: Hashable, task: asyncio.Task[Any]) -> None:
        if self.running.get(key) is task:
            del self.running[key]
        if not task.cancelled():
            task.exception()  # retrieved here too, in case every caller went away


#: Store reads and endings of this process's tabs, keyed by (what, live session id).
shared = SingleFlight()
