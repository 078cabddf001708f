"""Messages to a session's tabs through the channel layer: posted, bounded, never waited for.

No push is a guarantee (DESIGN.md): the store decides, and a tab that misses a push learns the
truth from its own timer or when it reconnects. And a Redis that hangs is not a Redis that is
down: each call would wait its full ``socket_timeout``. So nobody waits for a push. A caller
:meth:`Pushes.post` s it and goes on: an HTTP request, a frame, an ending in the database's
thread. The push then runs on an event loop, bounded by ``PUSH_TIMEOUT`` (its one retry
included), and is dropped and counted (:attr:`Pushes.counts`) when that passes, when it fails,
or when ``MAX_PENDING`` pushes are already on their way.

The loop it runs on: the caller's, when it has one; from a thread, the loop that serves this
process's sockets (the ASGI server's, remembered by :meth:`Pushes.attach`); where no loop
serves this process (WSGI, a management command), a loop of its own in a daemon thread,
drained at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import concurrent.futures
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import get_channel_layer

from sessions_live.conf import get_settings
from sessions_live.core.protocol import EVENT_ACTIVE, EVENT_EXPIRED
from sessions_live.runtime import outages

logger = logging.getLogger(__name__)

#: Pushes on their way at once in this process; more are dropped (a hung Redis holds each
#: one PUSH_TIMEOUT, and nothing may pile up behind it).
MAX_PENDING = 2000

#: What became of this process's pushes (keys of :attr:`Pushes.counts`).
SENT, TIMED_OUT, FAILED, OVER_BACKLOG = "sent", "timed_out", "failed", "over_backlog"
OUTCOMES = (SENT, TIMED_OUT, FAILED, OVER_BACKLOG)


def active_event(last_activity: float, leased_until: float | None = None) -> dict[str, Any]:
    """Activity (or a lease) moved the session's deadline: every tab recomputes its own."""
    return {"type": EVENT_ACTIVE, "last_activity": last_activity, "leased_until": leased_until}


def expired_event(reason: str, redirect: str) -> dict[str, Any]:
    """The session ended for ``reason``: every tab says so and goes to ``redirect``."""
    return {"type": EVENT_EXPIRED, "reason": reason, "redirect": redirect}


async def with_retry(call: Callable[[], Awaitable[None]]) -> None:
    """Run one channel-layer call, again once if the first attempt fails.

    A pooled Redis connection that the server closed while idle (Redis ``timeout``, a proxy)
    fails on its next use; the pool then drops it, so the second attempt gets a fresh one.
    """
    try:
        await call()
    except Exception:
        await call()


def timeout() -> float:
    """Seconds one channel-layer call of sessions-live may take (``PUSH_TIMEOUT``)."""
    return float(get_settings().PUSH_TIMEOUT)


async def send(group: str, event: dict[str, Any]) -> bool:
    """Push ``event`` to ``group`` now, within PUSH_TIMEOUT; whether it was sent. For a caller
    that may wait (a background task); everyone else :meth:`Pushes.post` s."""
    layer = get_channel_layer()
    if layer is None:
        return False
    outcome = SENT
    try:
        async with asyncio.timeout(timeout()):
            await with_retry(lambda: layer.group_send(group, event))
    except TimeoutError:
        outcome = TIMED_OUT
        outages.channel_layer.failed()  # logged once per outage, not once per push
    except Exception:
        outcome = FAILED
        outages.channel_layer.failed()
    else:
        outages.channel_layer.recovered()
    pushes.count(outcome)
    return outcome == SENT


class Pushes:
    """This process's pushes on their way, and what became of the others."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.home: asyncio.AbstractEventLoop | None = None
        self.own: asyncio.AbstractEventLoop | None = None  # the daemon thread's loop
        self.own_pid = 0
        self.pending = 0
        self.tasks: set[asyncio.Task[None]] = set()  # strong references, for the loop's weak
        self.counts: collections.Counter[str] = collections.Counter()

    def attach(self) -> None:
        """Remember the running loop as the one serving this process's sockets (called by
        each socket and each async request): pushes from threads go to it."""
        self.home = asyncio.get_running_loop()

    def count(self, outcome: str) -> None:
        with self.lock:
            self.counts[outcome] += 1

    def post(
        self, group: str, event: dict[str, Any], on_failure: Callable[[], None] | None = None
    ) -> None:
        """Push ``event`` to ``group`` without waiting, from any thread. ``on_failure`` (only
        from a caller on an event loop: it runs there) is called if the push is not sent."""
        with self.lock:
            full = self.pending >= MAX_PENDING
            if full:
                self.counts[OVER_BACKLOG] += 1
            else:
                self.pending += 1
        if full:
            if on_failure is not None:
                on_failure()
            return
        coroutine = self.deliver(group, event, on_failure)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            home = self.home
            target = home if home is not None and home.is_running() else self.own_loop()
            asyncio.run_coroutine_threadsafe(coroutine, target)
        else:
            self.tasks.add(loop.create_task(coroutine))

    async def deliver(
        self, group: str, event: dict[str, Any], on_failure: Callable[[], None] | None
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            sent = await send(group, event)
        finally:
            with self.lock:
                self.pending -= 1
            if task is not None:
                self.tasks.discard(task)
        if not sent and on_failure is not None:
            on_failure()

    async def drained(self) -> None:
        """Wait for the pushes on this loop that are on their way (each is bounded)."""
        loop = asyncio.get_running_loop()
        mine = [task for task in self.tasks if task.get_loop() is loop]
        await asyncio.gather(*mine, return_exceptions=True)

    def own_loop(self) -> asyncio.AbstractEventLoop:
        """The daemon thread's loop, started at first use (again in a forked child)."""
        with self.lock:
            if self.own is None or self.own_pid != os.getpid():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="sessions_live pushes", daemon=True
                )
                thread.start()
                self.own, self.own_pid = loop, os.getpid()
            return self.own

    def drain_own(self) -> None:
        """At exit: let the own loop's pushes finish (each is bounded by PUSH_TIMEOUT)."""
        own = self.own
        if own is None or self.own_pid != os.getpid() or not own.is_running():
            return
        waiting = asyncio.run_coroutine_threadsafe(self.drained(), own)
        try:
            waiting.result(timeout() * 2 + 1)
        except (concurrent.futures.TimeoutError, RuntimeError):
            logger.warning("sessions_live: pushes still on their way at exit were dropped")


#: This process's pushes.
pushes = Pushes()
atexit.register(pushes.drain_own)
