"""The tab socket: one consumer per browser tab, speaking the protocol of the README.

The consumer translates frames and layer events into calls on the store and the policy, and
owns one timer task to the session's next deadline. When the timer fires it re-reads the store
(another tab or process may have moved the deadline) before it acts.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

from channels.db import database_sync_to_async
from django.conf import settings

from . import lifecycle, outages, policy, push, signals, store
from .clients import request_from_scope
from .conf import get_settings
from .guarded import GuardedConsumer
from .models import EndReason, LiveSession, session_group
from .presence import presence
from .protocol import (
    CLOSE_NOT_AUTHENTICATED,
    ERROR_FORBIDDEN,
    ClientFrame,
    EndReasonName,
    ExpiredFrame,
    FrameError,
    ServerFrame,
    encode,
    parse_client_frame,
)
from .single_flight import shared
from .sweep import sweeper
from .throttle import ActivityThrottle
from .user_timeouts import timeouts_of

logger = logging.getLogger(__name__)

CLOSE_SERVER_ERROR = 1011
#: Seconds a new tab waits to join its session's group before going on without it.
JOIN_TIMEOUT = 2.0
#: Seconds between two attempts to read the store while the database does not answer.
DATABASE_RETRY_INTERVAL = 2.0


class SessionConsumer(GuardedConsumer):
    def __init__(
        self,
        *args: Any,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, monotonic=monotonic, **kwargs)
        self.clock = clock
        self.live: LiveSession | None = None
        self.session_key: str | None = None
        self.last_activity = -math.inf  # epoch seconds, the newest this tab knows of
        self.leased_until: float | None = None  # epoch seconds: the session's lease, if any
        self.warned = False  # this tab was told `warning` and not `active` since
        self.ended = False  # this socket is done (closed, or closing)
        self.over = False  # ... because the session is over
        self.joined_after = -1  # outages.channel_layer.recoveries when it joined its group
        self.joining: asyncio.Task[None] | None = None
        self.timer: asyncio.Task[None] | None = None

    # Connection -------------------------------------------------------------------------

    async def connect(self) -> None:
        if not await self.accept_from_site():
            return
        user = self.scope.get("user")
        session = self.scope.get("session")
        key = session.session_key if session is not None else None
        if user is None or not user.is_authenticated or not key:
            await self.refuse_signed_out()
            return
        sweeper.ensure_started()
        try:
            await self.open(user, key)
        except outages.DATABASE_UNAVAILABLE:
            # The server cannot know whether this session is live: say nothing, and let the
            # client come back (1011, with backoff) once the database answers.
            outages.database.failed()
            await self.close(code=CLOSE_SERVER_ERROR)

    async def refuse_signed_out(self) -> None:
        """Close with 4401; first say why, if the cookie names a session that ended (its
        Django session is deleted by then, so the tab that asks again after a lost
        ``expired`` push learns the reason here)."""
        cookie = self.scope.get("cookies", {}).get(settings.SESSION_COOKIE_NAME)
        try:
            live = await database_sync_to_async(store.find)(cookie) if cookie else None
        except outages.DATABASE_UNAVAILABLE:
            outages.database.failed()
            live = None
        if live is not None and live.ended is not None:
            self.live = live
            await self.finish(live.end_reason or EndReason.TERMINATED)
        else:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)

    async def open(self, user: Any, key: str) -> None:
        live = await database_sync_to_async(store.find)(key)
        outages.database.recovered()
        if live is None or live.user_id != user.pk:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        self.live, self.session_key = live, key
        if live.ended is not None:
            await self.finish(live.end_reason or EndReason.TERMINATED)
            return
        now = self.clock()
        status = store.status(live, now)
        if status.state is policy.State.EXPIRED:
            await self.expire(status.reason)
            return
        await self.join_group()
        await database_sync_to_async(store.add_tab)(live.pk, self.channel_name, presence.name, now)
        presence.add(self, live.pk)
        await signals.asend(signals.tab_connected, live, channel_name=self.channel_name)
        self.last_activity = store.to_epoch(live.last_activity)
        self.leased_until = leased_until_of(live, None)
        timeouts = timeouts_of(live)  # the user's own, where TIMEOUTS_FOR gave them
        await self.send_frame(
            {
                "type": "hello",
                "warn_in": status.warn_in,
                "expires_in": status.expires_in,
                "warn_after": timeouts.warn_after,
                "expire_after": timeouts.expire_after,
                "activity_interval": float(get_settings().ACTIVITY_INTERVAL),
            }
        )
        await self.apply(status)

    @property
    def joined(self) -> bool:
        """A member of its session's group since the channel layer's last outage ended."""
        return self.joined_after == outages.channel_layer.recoveries

    async def join_group(self) -> None:
        """Join the session's group, waiting JOIN_TIMEOUT at most; without the channel layer,
        go on without it (this tab then hears other tabs only through the store until
        :meth:`rejoin_groups`)."""
        try:
            await asyncio.wait_for(self.rejoin_groups(), JOIN_TIMEOUT)
        except Exception:
            outages.channel_layer.failed()

    def join_in_background(self) -> None:
        """Rejoin without holding up a deadline: a Redis that drops packets takes seconds."""
        if self.joining is None or self.joining.done():
            self.joining = asyncio.get_running_loop().create_task(self.join_group())

    async def rejoin_groups(self) -> None:
        if self.live is None or self.ended:
            return
        group = self.live.group_name
        recoveries = outages.channel_layer.recoveries
        await push.with_retry(lambda: self.channel_layer.group_add(group, self.channel_name))
        outages.channel_layer.recovered()
        self.joined_after = max(recoveries, outages.channel_layer.recoveries)
        if self.joined_after > recoveries:
            # This join ended an outage: a restarted Redis forgot every group, and tabs whose
            # own receive never failed would not notice. Rejoin all of this process's tabs.
            task = asyncio.get_running_loop().create_task(rejoin_every_tab(self.channel_layer))
            _background.add(task)  # held until done: the loop keeps only a weak reference
            task.add_done_callback(_background.discard)

    async def disconnect(self, code: int) -> None:
        self.ended = True  # nothing may schedule a timer or send from here on
        self.cancel_timer()
        if self.joining is not None:
            self.joining.cancel()
        if self.live is None or not presence.remove(self):
            return
        try:
            group = self.live.group_name
            await push.with_retry(
                lambda: self.channel_layer.group_discard(group, self.channel_name)
            )
        except Exception:
            outages.channel_layer.failed()  # its membership expires with the layer's groups
        now = self.clock()
        try:
            if not self.over:  # the ending deleted the rows of all of the session's tabs
                await database_sync_to_async(store.remove_tab)(self.live.pk, self.channel_name, now)
        except outages.DATABASE_UNAVAILABLE:
            outages.database.failed()  # no longer refreshed: the sweep prunes it
        await signals.asend(signals.tab_disconnected, self.live, channel_name=self.channel_name)
        if get_settings().EXPIRE_WHEN_ALL_TABS_CLOSED:
            sweeper.wake_by(now + float(get_settings().CLOSE_GRACE))

    # Frames from the tab ----------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not await self.within_rate():
            return
        try:
            frame = parse_client_frame(text_data, bytes_data)
        except FrameError as error:
            await self.refuse(error)
            return
        if self.live is None or self.ended:
            return
        try:
            await self.handle(frame)
        except outages.DATABASE_UNAVAILABLE:
            outages.database.failed()
            await self.close(code=CLOSE_SERVER_ERROR)
        except Exception:
            logger.exception("sessions_live: could not handle a %s frame", frame.type)
            await self.close(code=CLOSE_SERVER_ERROR)

    async def handle(self, frame: ClientFrame) -> None:
        if frame.type == "logout":
            await self.end(EndReason.LOGOUT)
        elif frame.type == "lease":
            await self.lease(frame)
        elif frame.type == "extend":
            await self.record_activity(self.clock())
        else:
            conf = get_settings()
            now = self.clock()
            at = policy.activity_time(
                now=now, idle=frame.idle, activity_interval=float(conf.ACTIVITY_INTERVAL)
            )
            if at <= self.last_activity:
                return  # older than what the session already has
            if self.status(now).state is policy.State.WARNING:
                await self.record_activity(at)  # a dialog is open: close it now
                return
            assert self.live is not None
            live_id = self.live.pk
            throttle = presence.throttle(live_id, float(conf.ACTIVITY_INTERVAL))
            write_now, flush_in = throttle.offer(at, self.monotonic())
            if write_now:
                await self.record_activity(at)
            elif flush_in is not None:
                presence.flushes[live_id] = asyncio.get_running_loop().create_task(
                    self.flush_activity(live_id, throttle, flush_in)
                )

    async def lease(self, frame: ClientFrame) -> None:
        """Keep the session from idling out as long as the page asked, within MAX_LEASE."""
        assert self.live is not None
        assert frame.seconds is not None
        if get_settings().MAX_LEASE is None:
            await self.refuse(FrameError(ERROR_FORBIDDEN, "Leases are not enabled."))
            return
        grant = database_sync_to_async(lifecycle.grant_lease)
        until = await grant(self.live, frame.seconds, now=self.clock())
        if until is None:
            await self.check()  # over, or past its deadline: the store decides how
            return
        self.leased_until = max(self.leased_until or 0.0, until)
        event = push.active_event(self.last_activity, self.leased_until)
        if not await push.send(self.live.group_name, event):
            await self.sessions_live_active(event)  # the layer is down: this tab at least

    async def flush_activity(
        self, live_id: uuid.UUID, throttle: ActivityThrottle, delay: float
    ) -> None:
        """The trailing write of an activity window, by any tab of the session still here."""
        await asyncio.sleep(delay)
        at = throttle.flush(self.monotonic())
        tabs = list(presence.by_session.get(live_id, {}).values())
        if at is None or not tabs:
            return
        try:
            await tabs[0].record_activity(at)
        except outages.DATABASE_UNAVAILABLE:
            outages.database.failed()  # the tabs report again: the next window writes
        except Exception:
            logger.exception("sessions_live: could not record a session's activity")

    async def record_activity(self, at: float) -> None:
        """Store activity and tell every tab the new deadline (this one hears it too)."""
        if self.ended or self.live is None:
            return
        now = self.clock()
        record = database_sync_to_async(lifecycle.record_activity)
        if not await record(self.live, at, now=now, source="tab"):
            await self.check()  # over, or past its deadline: the store decides how
            return
        self.last_activity = max(self.last_activity, at)
        event = push.active_event(self.last_activity)
        if not await push.send(self.live.group_name, event):
            await self.sessions_live_active(event)  # the layer is down: this tab at least

    # Events from the session's group ----------------------------------------------------

    async def sessions_live_active(self, event: dict[str, Any]) -> None:
        if self.ended or self.live is None:
            return
        self.last_activity = max(self.last_activity, float(event["last_activity"]))
        if event.get("leased_until") is not None:
            self.leased_until = max(self.leased_until or 0.0, float(event["leased_until"]))
        status = self.status(self.clock())
        if status.state is policy.State.ACTIVE:
            await self.send_frame(
                {"type": "active", "warn_in": status.warn_in, "expires_in": status.expires_in}
            )
            self.warned = False
        await self.apply(status, repeat_warning=True)

    async def sessions_live_expired(self, event: dict[str, Any]) -> None:
        await self.finish(str(event["reason"]), str(event["redirect"]))

    # Timing -----------------------------------------------------------------------------

    def status(self, now: float) -> policy.Status:
        assert self.live is not None
        return policy.evaluate(
            last_activity=self.last_activity,
            started=store.to_epoch(self.live.started),
            timeouts=timeouts_of(self.live),
            now=now,
            leased_until=self.leased_until,
        )

    async def apply(self, status: policy.Status, *, repeat_warning: bool = False) -> None:
        """Tell the tab what changed in ``status`` and wait for its next deadline."""
        assert self.live is not None
        live_id = self.live.pk
        if status.state is policy.State.EXPIRED:
            await self.check()
            return
        if status.state is policy.State.WARNING and (repeat_warning or not self.warned):
            await self.send_frame(
                {"type": "warning", "expires_in": status.expires_in, "reason": status.reason.value}
            )
            if not self.warned and presence.first_to_mark(live_id, self.last_activity):
                # The dashboard shows the session as warned from now on.
                await database_sync_to_async(lifecycle.mark_warned)(
                    self.live, status, now=self.clock()
                )
            self.warned = True
        elif status.state is policy.State.ACTIVE and self.warned:
            await self.send_frame(
                {"type": "active", "warn_in": status.warn_in, "expires_in": status.expires_in}
            )
            self.warned = False
        self.schedule(status)

    def schedule(self, status: policy.Status) -> None:
        """Wake at the next deadline. (An ending whose push was lost is noticed sooner, by the
        process's presence beat: :meth:`notice_ended`.)"""
        self.cancel_timer()
        delay = status.next_deadline_in
        if delay is not None and not self.ended:
            self.timer = asyncio.get_running_loop().create_task(self.wake_after(delay))

    def cancel_timer(self) -> None:
        """Cancel the pending timer (not the running one: it is the caller, and it stops by
        itself once it has scheduled its successor or seen ``ended``)."""
        if self.timer is not None and self.timer is not asyncio.current_task():
            self.timer.cancel()
        self.timer = None

    async def wake_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self.check()
        except outages.DATABASE_UNAVAILABLE:
            # Nothing can be decided without the store, and the client counts down to the
            # deadline it has: try again soon, keeping the socket.
            outages.database.failed()
            if not self.ended:
                self.cancel_timer()
                self.timer = asyncio.get_running_loop().create_task(
                    self.wake_after(DATABASE_RETRY_INTERVAL)
                )
        except Exception:
            logger.exception("sessions_live: could not check a session's deadline")
            await self.close(code=CLOSE_SERVER_ERROR)

    async def check(self) -> None:
        """Re-read the store and act on what it says now, in this tab and in its siblings:
        they share the deadline, so one read per session serves every tab of the process."""
        assert self.live is not None
        if self.ended:
            return
        live_id = self.live.pk
        live = await self.read_store()
        outages.database.recovered()
        if not self.joined:
            self.join_in_background()
        for sibling in presence.siblings(live_id, self):
            sibling.hand(live)
        await self.act_on(live)

    def hand(self, live: LiveSession | None) -> None:
        """Act on a read of the store that a sibling tab made (without blocking it)."""
        if not self.ended:
            self.cancel_timer()
            self.timer = asyncio.get_running_loop().create_task(self.act_on(live))

    def notice_ended(self, reason: str) -> None:
        """The process's presence beat read that this session ended (its push was lost)."""
        if not self.ended:
            task = asyncio.get_running_loop().create_task(self.finish(reason))
            _background.add(task)
            task.add_done_callback(_background.discard)

    async def act_on(self, live: LiveSession | None) -> None:
        if self.ended:
            return
        if live is None or live.ended is not None:
            # A record that vanished was deleted by someone: the protocol's word is terminated.
            await self.finish(live.end_reason if live is not None else EndReason.TERMINATED)
            return
        self.live = live
        self.last_activity = max(self.last_activity, store.to_epoch(live.last_activity))
        self.leased_until = leased_until_of(live, self.leased_until)
        status = self.status(self.clock())
        if status.state is policy.State.EXPIRED:
            await self.expire(status.reason)
        else:
            await self.apply(status)

    async def read_store(self) -> LiveSession | None:
        """The session's record, read once for all of this process's tabs asking at once."""
        assert self.live is not None
        live_id = self.live.pk
        return await shared.run(
            ("get", live_id), lambda: database_sync_to_async(store.get)(live_id)
        )

    # Ending -----------------------------------------------------------------------------

    async def expire(self, reason: policy.ExpiryReason) -> None:
        await self.end(reason.value)

    async def end(self, reason: str) -> None:
        """End the session (if nobody has yet) and leave."""
        assert self.live is not None
        live_now, now = self.live, self.clock()
        won = await shared.run(
            # Keyed by the reason too: a logout must not share an idle ending that loses
            # its claim to fresh activity.
            ("end", live_now.pk, reason),
            lambda: self.end_everywhere(live_now, reason, now),
        )
        if won:  # ended for `reason` in this process: no need to read the store again
            await self.finish(reason)
            return
        live = await self.read_store()
        if live is not None and live.ended is None:
            await self.check()  # the claim lost to newer activity: carry on
            return
        await self.finish(live.end_reason if live is not None else reason)

    async def end_everywhere(self, live: LiveSession, reason: str, now: float) -> bool:
        """Claim the ending; if won, tell this process's tabs of the session at once, before
        the rest of the ending (the push to other processes, the Django session, signals)."""
        if not await database_sync_to_async(store.claim_end)(live.pk, reason, now):
            return False
        for tab in [self, *presence.siblings(live.pk, self)]:
            await tab.finish(reason)
        await database_sync_to_async(lifecycle.announce_end)(
            live,
            reason,
            now=now,
            session_key=self.session_key,
            request=request_from_scope(self.scope),
        )
        return True

    async def finish(self, reason: str, redirect: str | None = None) -> None:
        if self.ended:
            return
        self.ended = self.over = True
        self.cancel_timer()
        frame: ExpiredFrame = {
            "type": "expired",
            "reason": cast(EndReasonName, reason),
            "redirect": redirect or push.signed_out_url(reason),
        }
        await self.send_frame(frame)
        await self.close(code=CLOSE_NOT_AUTHENTICATED)

    async def send_frame(self, frame: ServerFrame) -> None:
        await self.send(text_data=encode(frame))


def leased_until_of(live: LiveSession, known: float | None) -> float | None:
    """The later of the record's lease and the one a tab already knows of."""
    stored = None if live.leased_until is None else store.to_epoch(live.leased_until)
    if stored is None or known is None:
        return stored if known is None else known
    return max(stored, known)


_background: set[asyncio.Task[None]] = set()


async def rejoin_every_tab(layer: Any) -> None:
    """Put every tab of this process back in its session's group."""
    try:
        for channel_name, live_id in list(presence.tabs.items()):
            await layer.group_add(session_group(live_id), channel_name)
    except Exception:
        outages.channel_layer.failed()  # each tab rejoins at its next check
