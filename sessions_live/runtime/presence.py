"""This process's tabs: vouched for in the store by one heartbeat, and told of lost endings.

Every process that holds tabs has a ``LiveProcess`` row; one UPDATE of it every
``PRESENCE_INTERVAL`` seconds keeps all of its tabs counted, however many there are, so an
idle tab costs the database nothing. A process that stops beating (killed, or cut from the
database) is pruned with its tabs by any process's sweep ``TAB_STALE_AFTER`` seconds later.

The same beat asks the store which sessions ended since the last one and tells this process's
tabs of those sessions: the ``expired`` push is not a guarantee (DESIGN.md), the store is.
"""

from __future__ import annotations

import asyncio
import math
import os
import socket
import uuid
from collections.abc import Coroutine
from typing import Any, Protocol

from django.utils import timezone

from sessions_live import store
from sessions_live.core.throttle import ActivityThrottle
from sessions_live.models import LiveProcess, LiveSession

#: Seconds between two heartbeats of a process that holds tabs.
PRESENCE_INTERVAL = 5.0
#: A process that has not beaten for this long is gone: its tabs are forgotten.
TAB_STALE_AFTER = 20.0
#: Seconds of overlap when asking for sessions ended since the last beat: ending times are
#: written by other processes' clocks, and a repeated ending is harmless.
ENDED_OVERLAP = 2 * PRESENCE_INTERVAL


class Tab(Protocol):
    """What presence and sibling tabs need of a tab's consumer."""

    channel_name: str
    live: LiveSession
    session_key: str | None

    @property
    def done(self) -> bool:
        """Its socket is closed or closing."""

    def notice_ended(self, reason: str) -> None:
        """The store says this tab's session ended: tell the tab (without blocking)."""

    def hand(self, live: LiveSession | None) -> None:
        """Act on a read of the store that a sibling tab made (without blocking)."""

    async def finish(self, reason: str, redirect: str | None = None) -> None:
        """The session is over: tell the tab and close its socket."""

    async def record_activity(self, at: float) -> None:
        """Store activity at ``at`` and tell every tab of the session."""


class Presence:
    def __init__(self) -> None:
        self.process = LiveProcess(
            name=uuid.uuid4().hex,
            host=socket.gethostname()[:255],
            pid=os.getpid(),
            started=timezone.now(),
        )
        self.tabs: dict[str, uuid.UUID] = {}  # channel name -> live session id
        self.by_session: dict[uuid.UUID, dict[str, Tab]] = {}
        self.marked: dict[uuid.UUID, float] = {}  # live id -> last activity warned of
        self.throttles: dict[uuid.UUID, ActivityThrottle] = {}
        self.flushes: dict[uuid.UUID, asyncio.Task[None]] = {}  # trailing activity writes
        self.beaten = -math.inf  # epoch seconds of the last heartbeat
        self.watched_from: float | None = None  # epoch seconds the ended-watch reads from

    @property
    def name(self) -> str:
        return self.process.name

    def add(self, tab: Tab, live_id: uuid.UUID) -> None:
        self.tabs[tab.channel_name] = live_id
        self.by_session.setdefault(live_id, {})[tab.channel_name] = tab

    def remove(self, tab: Tab) -> bool:
        """Forget ``tab``; False if it was not here."""
        live_id = self.tabs.pop(tab.channel_name, None)
        if live_id is None:
            return False
        local = self.by_session.get(live_id, {})
        local.pop(tab.channel_name, None)
        if not local:
            self.by_session.pop(live_id, None)
            self.marked.pop(live_id, None)
            self.throttles.pop(live_id, None)
            flush = self.flushes.pop(live_id, None)
            if flush is not None:
                flush.cancel()
        return True

    def tabs_of(self, live_id: uuid.UUID) -> list[Tab]:
        """This process's tabs of session ``live_id``."""
        return list(self.by_session.get(live_id, {}).values())

    def holds(self, channel_name: str) -> bool:
        """Whether the tab on ``channel_name`` is one of this process's now."""
        return channel_name in self.tabs

    def channels(self) -> list[tuple[str, uuid.UUID]]:
        """Every tab of this process: its channel name and its session's id."""
        return list(self.tabs.items())

    def start_flush(self, live_id: uuid.UUID, work: Coroutine[Any, Any, None]) -> None:
        """Run the trailing activity write of session ``live_id`` (cancelled with its last
        tab)."""
        self.flushes[live_id] = asyncio.get_running_loop().create_task(work)

    def throttle(self, live_id: uuid.UUID, interval: float) -> ActivityThrottle:
        """The activity throttle that this process's tabs of session ``live_id`` share."""
        throttle = self.throttles.get(live_id)
        if throttle is None or throttle.interval != interval:
            throttle = self.throttles[live_id] = ActivityThrottle(interval)
        return throttle

    def first_to_mark(self, live_id: uuid.UUID, last_activity: float) -> bool:
        """Whether the warning that follows ``last_activity`` is still to be recorded by a tab
        of this process (one write per session and warning, not one per tab)."""
        if self.marked.get(live_id) == last_activity:
            return False
        self.marked[live_id] = last_activity
        return True

    def siblings(self, live_id: uuid.UUID, tab: object) -> list[Tab]:
        """The tabs of session ``live_id`` in this process, but ``tab``."""
        return [other for other in self.by_session.get(live_id, {}).values() if other is not tab]

    def record_of(self, live: LiveSession) -> LiveSession:
        """The record of ``live``'s session that this process's tabs hold already, else
        ``live``: one copy a session, not one a tab. What a tab reads of it does not change
        (its id, user, start and timeouts); the rest each tab keeps by itself."""
        for tab in self.by_session.get(live.pk, {}).values():
            return tab.live
        return live

    def held_keys(self) -> dict[uuid.UUID, frozenset[str]]:
        """The Django session keys this process's tabs hold, by session (a tab opened before
        a key cycle holds the old one)."""
        held = {
            live_id: frozenset(tab.session_key for tab in tabs.values() if tab.session_key)
            for live_id, tabs in self.by_session.items()
        }
        return {live_id: keys for live_id, keys in held.items() if keys}

    def beat_if_due(self, now: float) -> list[tuple[uuid.UUID, str]]:
        """Beat (synchronous: run it off the event loop) when due and this process holds
        tabs; the sessions of its tabs that ended since the last beat, with their reasons."""
        if not self.tabs or now - self.beaten < PRESENCE_INTERVAL:
            return []
        store.beat(self.process, dict(self.tabs), now)
        since = self.watched_from if self.watched_from is not None else now
        ended = store.ended_since(since - ENDED_OVERLAP)
        self.beaten, self.watched_from = now, now
        return [(live_id, reason) for live_id, reason in ended if live_id in self.by_session]

    def tell_ended(self, ended: list[tuple[uuid.UUID, str]]) -> None:
        for live_id, reason in ended:
            for tab in list(self.by_session.get(live_id, {}).values()):
                tab.notice_ended(reason)


#: This process's own tabs (only this process reads it; others see the store).
presence = Presence()
