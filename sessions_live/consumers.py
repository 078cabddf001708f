"""The tab socket: one consumer per browser tab, speaking the protocol of docs/protocol.md.

The consumer translates frames and layer events into calls on the store and the policy. What
it inherits does the rest, one concern a layer: :mod:`sessions_live.guarded` (origin, input
limits, layer outages), :mod:`sessions_live.tab_groups` (its session's group) and
:mod:`sessions_live.tab_deadlines` (its timer to the next deadline, and the ending).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from . import lifecycle, outages, policy, push, signals, store
from .conf import get_settings
from .middleware import SESSION_MARKER
from .models import EndReason, LiveSession
from .presence import presence
from .protocol import (
    CLOSE_NOT_AUTHENTICATED,
    CLOSE_SERVER_ERROR,
    ERROR_FORBIDDEN,
    ClientFrame,
    FrameError,
    parse_client_frame,
)
from .socket_auth import warn_of_channels_auth
from .sweep import sweeper
from .tab_deadlines import DeadlineKeeper, leased_until_of
from .throttle import ActivityThrottle
from .user_timeouts import timeouts_of

logger = logging.getLogger(__name__)


class SessionConsumer(DeadlineKeeper):
    """Built by channels per connection with ``as_asgi(clock=..., monotonic=...,
    scheduler=...)`` (each injectable, for tests: :mod:`sessions_live.scheduling`)."""

    # Connection -------------------------------------------------------------------------

    async def connect(self) -> None:
        if not await self.accept_from_site():
            return
        warn_of_channels_auth(self.scope)
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
        ``expired`` push learns the reason here), or one Django can no longer read (signed
        with a secret no longer configured): that one ends here, ``invalidated``."""
        cookie = self.scope.get("cookies", {}).get(settings.SESSION_COOKIE_NAME)
        try:
            live, unreadable = await database_sync_to_async(self.signed_out_record)(cookie)
        except outages.DATABASE_UNAVAILABLE:
            outages.database.failed()
            live, unreadable = None, False
        if live is not None and live.ended is not None:
            self.live = live
            await self.finish(live.end_reason or EndReason.TERMINATED)
        elif live is not None and unreadable:
            self.live, self.session_key = live, cookie
            await self.end(EndReason.INVALIDATED)
        else:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)

    def own_record(self, key: str, user: Any) -> LiveSession | None:
        """The record of the tab's session, by its key, or else by the marker in its session:
        a page request may have cycled the key (after a rotation) and moved the record on
        since this socket's session was read. The record is not moved: HTTP keys it."""
        live = store.find_of(key, user)
        session = self.scope.get("session")
        marker = session.get(SESSION_MARKER) if live is None and session is not None else None
        if marker:
            live = store.find_marked(marker, user.pk)
            if live is not None:
                live.user = user
        return live

    def signed_out_record(self, cookie: str | None) -> tuple[LiveSession | None, bool]:
        """The cookie's record, and whether its Django session exists but holds no data."""
        if not cookie:
            return None, False
        session = self.scope.get("session")
        return store.find(cookie), session is not None and lifecycle.unreadable(session, cookie)

    async def open(self, user: Any, key: str) -> None:
        # channels' lazy scope["user"] is loaded by now (is_authenticated was asked).
        live = await database_sync_to_async(self.own_record)(key, getattr(user, "_wrapped", user))
        outages.database.recovered()
        if live is None:
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
        self.live = presence.record_of(live)
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
        await self.scheduler.sleep(delay)
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
