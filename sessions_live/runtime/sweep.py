"""The sweep: ends sessions that no tab is watching, and forgets tabs of dead processes.

``sweep_once`` does the whole job at once (the ``sessions_live_sweep`` management command, in a
process of its own). Inside each server process (a daphne process, a uvicorn worker),
:class:`Sweeper` (started by the first WebSocket that connects) wakes every ``SWEEP_INTERVAL``
seconds but touches the database only for what is due: the process's heartbeat
(:mod:`sessions_live.runtime.presence`), a prune of dead processes, and the query for sessions past
their deadline, which it runs again only at the earliest deadline the store holds. Idle, a
process costs a few statements a minute, whatever its tabs. Several sweeps at once are safe:
ending is claimed by exactly one of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from channels.db import database_sync_to_async

from sessions_live import store
from sessions_live.conf import get_settings
from sessions_live.runtime import lifecycle, outages
from sessions_live.runtime.presence import PRESENCE_INTERVAL, TAB_STALE_AFTER, presence

logger = logging.getLogger(__name__)

#: Seconds between two prunes of dead processes' tabs: with TAB_STALE_AFTER, a process that
#: dies leaves every dashboard within TAB_STALE_AFTER + PRUNE_INTERVAL of its last beat (25 s,
#: within the 30 s that tests/test_scale_out.py holds it to).
PRUNE_INTERVAL = PRESENCE_INTERVAL
#: Seconds between two deletions of ended sessions past RETENTION (and of dead process rows).
FORGET_INTERVAL = 3600.0


@dataclass
class SweepResult:
    ended: int = 0
    pruned: int = 0
    forgotten: int = 0  # ended sessions past the retention period, deleted
    announced: int = 0  # endings a dead process had not announced, announced here
    #: Sessions of this process's tabs that the store says ended (their push may be lost).
    ended_elsewhere: list[tuple[uuid.UUID, str]] = field(default_factory=list)


def end_due(now: float) -> int:
    return sum(1 for live, reason in store.due(now) if lifecycle.end_session(live, reason, now=now))


def forget(now: float) -> int:
    store.forget_processes(now - TAB_STALE_AFTER)
    cutoff = now - float(get_settings().RETENTION)
    store.broadcasts.delete_sent_before(cutoff)
    return store.delete_ended_before(cutoff)


def sweep_once(now: float) -> SweepResult:
    """Everything, now: prune dead processes' tabs, end what is due, forget old records."""
    result = SweepResult()
    result.pruned = store.prune_tabs(now - TAB_STALE_AFTER, now)
    result.ended = end_due(now)
    result.announced = lifecycle.announce_left(now)
    result.forgotten = forget(now)
    return result


class Sweeper:
    """Runs the sweep on the event loop of the process, one task per process, doing each part
    only when it is due."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.task: asyncio.Task[None] | None = None
        self.due_at = -float("inf")  # epoch seconds: no session can fall due before this
        self.prune_at = -float("inf")  # ... the next prune of dead processes' tabs
        self.forget_at = -float("inf")  # ... the next deletion of old records
        self.wakes: list[float] = []  # moments asked for by wake_by, still to come

    def ensure_started(self) -> None:
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            # A new start forgets the schedule: the store may have changed meanwhile.
            self.due_at = self.prune_at = self.forget_at = -float("inf")
            self.task = loop.create_task(self.run(), name="sessions_live.sweep")

    def wake_by(self, moment: float) -> None:
        """Look for due sessions by ``moment`` (a tab of this process closed: its session
        may end CLOSE_GRACE later, and the store's deadlines do not say so)."""
        self.wakes.append(moment)
        self.due_at = min(self.due_at, moment)

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def tick(self, now: float) -> SweepResult:
        result = SweepResult()
        result.ended_elsewhere = presence.beat_if_due(now)
        if now >= self.prune_at:
            result.pruned = store.prune_tabs(now - TAB_STALE_AFTER, now)
            result.announced = lifecycle.announce_left(now)
            self.prune_at = now + PRUNE_INTERVAL
        if now >= self.due_at:
            result.ended = end_due(now)
            self.due_at = store.next_deadline(now)
            conf = get_settings()
            if conf.EXPIRE_WHEN_ALL_TABS_CLOSED:
                # A tab may close in another process at any moment from now on.
                self.due_at = min(self.due_at, now + float(conf.CLOSE_GRACE))
            self.wakes = [moment for moment in self.wakes if moment > now]
            self.due_at = min([self.due_at, *self.wakes])
        if now >= self.forget_at:
            result.forgotten = forget(now)
            self.forget_at = now + FORGET_INTERVAL
        return result

    async def run(self) -> None:
        while True:
            try:
                result = await database_sync_to_async(self.tick)(self.clock())
            except outages.DATABASE_UNAVAILABLE:
                outages.database.failed()  # logged once per outage, not every interval
            except Exception:
                logger.exception("sessions_live: sweep failed; retrying")
            else:
                outages.database.recovered()
                presence.tell_ended(result.ended_elsewhere)
                if result.ended or result.pruned:
                    logger.info(
                        "sessions_live: sweep ended %d sessions, pruned %d tabs",
                        result.ended,
                        result.pruned,
                    )
            await asyncio.sleep(float(get_settings().SWEEP_INTERVAL))


sweeper = Sweeper()
