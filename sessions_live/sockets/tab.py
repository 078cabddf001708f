"""What one accepted tab knows of its session, and what it does when that changes.

A :class:`Tab` is made when its socket is accepted for a live session and lives until the
socket goes. It keeps the session's newest activity and lease as this tab knows them, one
:class:`~.timer.DeadlineTimer` to the next deadline and the tab's
:class:`~.membership.GroupMembership`. When the timer fires it re-reads the store (another
tab or process may have moved the deadline) and hands the read to its siblings in this
process, so one read serves every tab of the session. Every ending goes through
:func:`sessions_live.runtime.lifecycle.end_session`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from sessions_live import store
from sessions_live.core import policy
from sessions_live.core.protocol import (
    CLOSE_NOT_AUTHENTICATED,
    CLOSE_SERVER_ERROR,
    ExpiredFrame,
    FrameError,
    ServerFrame,
)
from sessions_live.core.scheduling import Scheduler, in_background
from sessions_live.core.single_flight import shared
from sessions_live.models import EndReason, LiveSession
from sessions_live.runtime import lifecycle, outages, push
from sessions_live.runtime.presence import presence
from sessions_live.sockets.base import Phase
from sessions_live.sockets.membership import GroupMembership
from sessions_live.sockets.timer import DeadlineTimer
from sessions_live.store.user_timeouts import timeouts_of
from sessions_live.web import signed_out
from sessions_live.web.clients import request_from_scope

logger = logging.getLogger(__name__)

#: Seconds between two attempts to read the store while the database does not answer.
DATABASE_RETRY_INTERVAL = 2.0


class Socket(Protocol):
    """What a tab needs of its consumer."""

    scope: Any  # channels' connection scope
    channel_name: str
    channel_layer: Any
    phase: Phase
    monotonic: Callable[[], float]

    @property
    def done(self) -> bool: ...

    async def send_frame(self, frame: ServerFrame) -> None: ...

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None: ...

    async def refuse(self, error: FrameError) -> None: ...


class Tab:
    def __init__(
        self,
        socket: Socket,
        live: LiveSession,
        session_key: str | None,
        *,
        clock: Callable[[], float],
        scheduler: Scheduler,
    ) -> None:
        self.socket = socket
        self.channel_name = socket.channel_name
        self.live = live
        self.session_key = session_key
        self.clock = clock
        self.scheduler = scheduler
        self.last_activity = -math.inf  # epoch seconds, the newest this tab knows of
        self.leased_until: float | None = None  # epoch seconds: the session's lease, if any
        self.warned = False  # this tab was told `warning` and not `active` since
        self.timer = DeadlineTimer(scheduler)
        self.membership = GroupMembership(socket.channel_layer, self.channel_name, live.group_name)

    @property
    def done(self) -> bool:
        """Its socket is closed or closing: nothing more is sent or scheduled for it."""
        return self.socket.done

    # What the tab knows -----------------------------------------------------------------

    def status(self, now: float) -> policy.Status:
        return policy.evaluate(
            last_activity=self.last_activity,
            started=store.to_epoch(self.live.started),
            timeouts=timeouts_of(self.live),
            now=now,
            leased_until=self.leased_until,
        )

    def learn(self, live: LiveSession) -> None:
        """Take what a read of the store says of the session's activity and lease."""
        self.live = live
        self.hear(store.to_epoch(live.last_activity), leased_until_of(live))

    def hear(self, last_activity: float, leased_until: float | None = None) -> None:
        """Take activity and a lease another tab told of (older news changes nothing)."""
        self.last_activity = max(self.last_activity, last_activity)
        if leased_until is not None:
            self.leased_until = max(self.leased_until or -math.inf, leased_until)

    # Deadlines --------------------------------------------------------------------------

    async def apply(self, status: policy.Status, *, repeat_warning: bool = False) -> None:
        """Tell the tab what changed in ``status`` and wait for its next deadline."""
        if status.state is policy.State.EXPIRED:
            await self.check()
            return
        if status.state is policy.State.WARNING and (repeat_warning or not self.warned):
            await self.socket.send_frame(
                {"type": "warning", "expires_in": status.expires_in, "reason": status.reason}
            )
            if not self.warned and presence.first_to_mark(self.live.pk, self.last_activity):
                # The dashboard shows the session as warned from now on.
                await database_sync_to_async(lifecycle.mark_warned)(
                    self.live, status, now=self.clock()
                )
            self.warned = True
        elif status.state is policy.State.ACTIVE and self.warned:
            await self.send_active(status)
        # Wake at the next deadline. (An ending whose push was lost is noticed sooner, by
        # the process's presence beat: notice_ended.)
        self.wake_in(status.next_deadline_in)

    async def send_active(self, status: policy.Status) -> None:
        await self.socket.send_frame(
            {"type": "active", "warn_in": status.warn_in, "expires_in": status.expires_in}
        )
        self.warned = False

    def wake_in(self, delay: float | None) -> None:
        if not self.socket.done:
            self.timer.wake_in(delay, self.check_on_time)

    async def check_on_time(self) -> None:
        """The timer fired: check the store, and keep the socket if it does not answer."""
        try:
            await self.check()
        except outages.DATABASE_UNAVAILABLE:
            # Nothing can be decided without the store, and the client counts down to the
            # deadline it has: try again soon, keeping the socket.
            outages.database.failed()
            self.wake_in(DATABASE_RETRY_INTERVAL)
        except Exception:
            logger.exception("sessions_live: could not check a session's deadline")
            await self.socket.close(code=CLOSE_SERVER_ERROR)

    async def check(self) -> None:
        """Re-read the store and act on what it says now, in this tab and in its siblings:
        they share the deadline, so one read per session serves every tab of the process."""
        if self.socket.done:
            return
        live_id = self.live.pk
        live = await self.read_store()
        outages.database.recovered()
        if not self.membership.joined:
            self.membership.join_in_background()
        for sibling in presence.siblings(live_id, self):
            sibling.hand(live)
        await self.act_on(live)

    def hand(self, live: LiveSession | None) -> None:
        """Act on a read of the store that a sibling tab made (without blocking it)."""
        if not self.socket.done:
            self.timer.run(self.act_on(live))

    def notice_ended(self, reason: str) -> None:
        """The process's presence beat read that this session ended (its push was lost)."""
        if not self.socket.done:
            in_background(self.finish(reason))

    async def act_on(self, live: LiveSession | None) -> None:
        if self.socket.done:
            return
        if live is None or live.ended is not None:
            # A record that vanished was deleted by someone: the protocol's word is terminated.
            await self.finish(live.end_reason if live is not None else EndReason.TERMINATED)
            return
        self.learn(live)
        status = self.status(self.clock())
        if status.state is policy.State.EXPIRED:
            await self.end(status.reason.value)
        else:
            await self.apply(status)

    async def read_store(self) -> LiveSession | None:
        """The session's record, read once for all of this process's tabs asking at once."""
        live_id = self.live.pk
        return await shared.run(
            ("get", live_id), lambda: database_sync_to_async(store.get)(live_id)
        )

    # Activity ---------------------------------------------------------------------------

    async def record_activity(self, at: float) -> None:
        """Store activity and tell every tab the new deadline (this one hears it too)."""
        if self.socket.done:
            return
        record = database_sync_to_async(lifecycle.record_activity)
        if not await record(self.live, at, now=self.clock(), source="tab"):
            await self.check()  # over, or past its deadline: the store decides how
            return
        self.hear(at)
        self.tell_session(push.active_event(self.last_activity))

    def tell_session(self, event: dict[str, Any]) -> None:
        """Send ``event`` to every tab of the session (this one included), without waiting:
        if the layer does not take it within PUSH_TIMEOUT, this tab at least hears it."""
        push.pushes.post(
            self.live.group_name, event, on_failure=lambda: self.timer.run(self.heard_active(event))
        )

    async def heard_active(self, event: dict[str, Any]) -> None:
        """A tab of the session recorded activity, or a lease: the deadline moved."""
        if self.socket.done:
            return
        leased_until = event.get("leased_until")
        self.hear(
            float(event["last_activity"]), None if leased_until is None else float(leased_until)
        )
        status = self.status(self.clock())
        if status.state is policy.State.ACTIVE:
            await self.send_active(status)
        await self.apply(status, repeat_warning=True)

    # Ending -----------------------------------------------------------------------------

    async def end(self, reason: str) -> None:
        """End the session (if nobody has yet) and leave."""
        live, now = self.live, self.clock()
        request = request_from_scope(self.socket.scope)

        def tell_this_process() -> None:  # called in the ending's thread, once it is won
            async_to_sync(self.finish_here)(reason)

        won = await shared.run(
            # Keyed by the reason too: a logout must not share an idle ending that loses
            # its claim to fresh activity.
            ("end", live.pk, reason),
            lambda: database_sync_to_async(lifecycle.end_session)(
                live,
                reason,
                now=now,
                session_key=self.session_key,
                request=request,
                first=tell_this_process,
            ),
        )
        if won:  # ended for `reason` in this process: no need to read the store again
            await self.finish(reason)
            return
        fresh = await self.read_store()
        if fresh is not None and fresh.ended is None:
            await self.check()  # the claim lost to newer activity: carry on
            return
        await self.finish(fresh.end_reason if fresh is not None else reason)

    async def finish_here(self, reason: str) -> None:
        """Tell this tab and its siblings in this process that the session ended, before
        the rest of the ending (the push to other processes, the Django session, signals)."""
        await self.finish(reason)
        for sibling in presence.siblings(self.live.pk, self):
            await sibling.finish(reason)

    async def finish(self, reason: str, redirect: str | None = None) -> None:
        """The session is over: say so, and close with 4401."""
        if self.socket.done:
            return
        self.socket.phase = Phase.OVER
        self.timer.cancel()
        frame: ExpiredFrame = {
            "type": "expired",
            "reason": reason,
            "redirect": redirect or signed_out.url(reason, self.live),
        }
        await self.socket.send_frame(frame)
        await self.socket.close(code=CLOSE_NOT_AUTHENTICATED)


def leased_until_of(live: LiveSession) -> float | None:
    """The record's lease, in epoch seconds."""
    return None if live.leased_until is None else store.to_epoch(live.leased_until)
