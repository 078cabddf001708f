"""Carrying on while Redis or the database is away, and saying so once, not a thousand times.

A tab's deadline lives in the database and its timer in its own process, so a channel layer
that goes away (Redis stopped, failed over, unreachable) costs only cross-tab pushes. channels
ends a consumer whose layer ``receive`` raises; :func:`resilient_receive` waits with growing
delays instead, and rejoins the consumer's groups (a restarted Redis has forgotten them) before
it listens again.

An :class:`Outage` logs when a dependency first fails (with the traceback) and when it answers
again (with how long and how many calls failed), so one outage is two log lines per process
however many sockets, pushes or sweeps ran into it. A failure within ``RELAPSE_WINDOW`` of
the end is taken for the outage's tail (a connection pooled before a Redis restart fails once)
and logged only if it lasts.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

Message = TypeVar("Message")

#: Delays between attempts to reach the channel layer again, in seconds (with jitter).
FIRST_RETRY = 0.5
LAST_RETRY = 10.0
#: Seconds after an outage ends in which a new failure is taken for its tail (a connection
#: pooled before a Redis restart fails once, after other calls got through): logged only if
#: the dependency is still failing that long after.
RELAPSE_WINDOW = 2.0


class Outage:
    """The state of one dependency of this process, for logging its outages."""

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.clock = clock
        self.since: float | None = None
        self.failures = 0
        self.recovered_at = -math.inf
        self.quiet = False  # down again within RELAPSE_WINDOW of a recovery, not logged yet
        #: How many outages ended so far: a socket that joined its group before the last one
        #: ended joins again (a restarted Redis forgot every group).
        self.recoveries = 0
        self.waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self) -> None:
        """Count a failed call; log the first of an outage (call it inside ``except``)."""
        self.failures += 1
        now = self.clock()
        if self.since is None:
            self.since = now
            self.quiet = now - self.recovered_at < RELAPSE_WINDOW
            if self.quiet:
                return
        elif self.quiet and now - self.since >= RELAPSE_WINDOW:
            self.quiet = False  # it lasted: not the tail of the last outage but a new one
        else:
            return
        logger.error(
            "sessions_live: %s is unreachable; deadlines are still kept",
            self.name,
            exc_info=True,
        )

    def recovered(self) -> None:
        """A call succeeded: log the end of the outage, if there was one (and it was logged)."""
        if self.since is None:
            return
        now = self.clock()
        if not self.quiet:
            logger.warning(
                "sessions_live: %s is back after %.1f s (%d calls failed meanwhile)",
                self.name,
                now - self.since,
                self.failures,
            )
        self.since, self.failures, self.quiet, self.recovered_at = None, 0, False, now
        self.recoveries += 1
        waiters, self.waiters = self.waiters, []
        for loop, waiter in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_wake, waiter)

    async def back_within(self, seconds: float) -> None:
        """Wait ``seconds``, or less if a call gets through meanwhile (the outage ends): a
        socket waiting out an outage listens again as soon as any call of the process does."""
        if self.since is None:
            await asyncio.sleep(seconds)
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self.waiters.append((loop, waiter))
        try:
            await asyncio.wait_for(waiter, seconds)
        except TimeoutError:
            pass
        finally:
            if (loop, waiter) in self.waiters:
                self.waiters.remove((loop, waiter))


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


#: The errors of a database that does not answer (not those of a bug: a ProgrammingError or an
#: IntegrityError is raised, never taken for an outage).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)

#: This process's view of its channel layer and of its database.
channel_layer = Outage("the channel layer")
database = Outage("the database")
#: The session cache, as the cache engine's eviction watch asks it four times a second.
session_cache = Outage("the session cache")


def resilient_receive(
    receive: Callable[[], Awaitable[Message]],
    rejoin: Callable[[], Awaitable[None]],
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> Callable[[], Awaitable[Message]]:
    """``receive`` from the channel layer, surviving its failures (see the module docstring).
    Between two attempts it waits a growing delay, cut short when the layer is back (by
    default: ``sleep`` replaces the wait, for tests)."""

    async def receive_resiliently() -> Message:
        delay, failing = FIRST_RETRY, False
        while True:
            try:
                if failing:
                    await rejoin()  # a join that gets through says the layer is back
                    failing, delay = False, FIRST_RETRY
                message = await receive()
                channel_layer.recovered()  # and so does a message
                return message
            except Exception:
                channel_layer.failed()
                failing = True
                wait = sleep or channel_layer.back_within
                await wait(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, LAST_RETRY)

    return receive_resiliently
