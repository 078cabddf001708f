"""The sweep: ends sessions that no tab is watching, and forgets tabs of dead processes.

``sweep_once`` is the whole job; :class:`Sweeper` runs it every ``SWEEP_INTERVAL`` seconds
inside a daphne process (started by the first WebSocket that connects to the process), and the
``sessions_live_sweep`` management command runs it in a process of its own. Several sweeps at
once are safe: ending is claimed by exactly one of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async

from . import lifecycle, outages, store
from .conf import get_settings

logger = logging.getLogger(__name__)

#: Seconds between two refreshes of this process's tabs in the store.
TAB_REFRESH_INTERVAL = 5.0
#: A tab not refreshed for this long belongs to a process that is gone.
TAB_STALE_AFTER = 20.0


@dataclass
class SweepResult:
    ended: int = 0
    pruned: int = 0
    forgotten: int = 0  # ended sessions past the retention period, deleted


class Presence:
    """The tabs this process holds, refreshed in the store so other processes trust them."""

    def __init__(self) -> None:
        self.tabs: dict[str, uuid.UUID] = {}  # channel name -> live session id
        self.refreshed = 0.0

    def refresh_if_due(self, now: float) -> None:
        if now - self.refreshed >= TAB_REFRESH_INTERVAL:
            store.refresh_tabs(dict(self.tabs), now)
            self.refreshed = now


#: This process's own tabs (only this process reads it; others see the store).
presence = Presence()


def sweep_once(now: float) -> SweepResult:
    result = SweepResult()
    presence.refresh_if_due(now)
    result.pruned = store.prune_tabs(now - TAB_STALE_AFTER, now)
    for live, reason in store.due(now):
        if lifecycle.end_session(live, reason, now=now):
            result.ended += 1
    result.forgotten = store.delete_ended_before(now - float(get_settings().RETENTION))
    return result


class Sweeper:
    """Runs :func:`sweep_once` on the event loop of the process, one task per process."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.task: asyncio.Task[None] | None = None

    def ensure_started(self) -> None:
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self.run(), name="sessions_live.sweep")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def run(self) -> None:
        while True:
            try:
                result = await database_sync_to_async(sweep_once)(self.clock())
            except outages.DATABASE_UNAVAILABLE:
                outages.database.failed()  # logged once per outage, not every interval
            except Exception:
                logger.exception("sessions_live: sweep failed; retrying")
            else:
                outages.database.recovered()
                if result.ended or result.pruned:
                    logger.info(
                        "sessions_live: sweep ended %d sessions, pruned %d tabs",
                        result.ended,
                        result.pruned,
                    )
            await asyncio.sleep(float(get_settings().SWEEP_INTERVAL))


sweeper = Sweeper()
