"""The tab socket: one consumer per browser tab, speaking the protocol of docs/protocol.md.

It translates frames and layer events into calls on its :class:`~.tab.Tab`, made once the
socket is accepted for a live session; what every sessions-live socket does first (origin,
input limits, layer outages) is :class:`~.base.SiteSocket`'s.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from sessions_live import signals, store
from sessions_live.conf import get_settings
from sessions_live.core import policy
from sessions_live.core.protocol import (
    CLOSE_NOT_AUTHENTICATED,
    CLOSE_SERVER_ERROR,
    ClientFrame,
    parse_client_frame,
)
from sessions_live.models import EndReason, LiveSession
from sessions_live.runtime import outages
from sessions_live.runtime.presence import presence
from sessions_live.runtime.sweep import sweeper
from sessions_live.runtime.vanished import eviction_watch
from sessions_live.sockets import caps, lookups, reports
from sessions_live.sockets.auth import warn_of_channels_auth
from sessions_live.sockets.base import Phase, SiteSocket
from sessions_live.sockets.group_watch import group_watch
from sessions_live.sockets.tab import Tab
from sessions_live.store.user_timeouts import timeouts_of

logger = logging.getLogger(__name__)


class SessionConsumer(SiteSocket):
    """One per browser tab; its time is injected as :class:`~.base.SiteSocket`'s."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tab: Tab | None = None  # made once the socket is accepted for a live session

    def tab_of(self, live: LiveSession, session_key: str | None) -> Tab:
        self.tab = Tab(self, live, session_key, clock=self.clock, scheduler=self.scheduler)
        return self.tab

    # Connection -------------------------------------------------------------------------

    async def connect(self) -> None:
        if not await self.accept_from_site():
            return
        warn_of_channels_auth(self.scope)
        user = self.scope.get("user")
        session = self.scope.get("session")
        key = session.session_key if session is not None else None
        try:
            if user is None or not user.is_authenticated or not key:
                await self.refuse_signed_out()
                return
            sweeper.ensure_started()
            eviction_watch.ensure_started()
            group_watch.ensure_started()
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
        if not cookie:  # nothing to look up: refused at once, off the database's thread
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        try:
            find = database_sync_to_async(lookups.signed_out_record)
            live, unreadable = await find(self.scope, cookie)
        except outages.DATABASE_UNAVAILABLE:
            outages.database.failed()
            live, unreadable = None, False
        if live is not None and live.ended is not None:
            await self.tab_of(live, None).finish(live.end_reason or EndReason.TERMINATED)
        elif live is not None and unreadable:
            await self.tab_of(live, cookie).end(EndReason.INVALIDATED)
        else:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)

    async def open(self, user: Any, key: str) -> None:
        # channels' lazy scope["user"] is loaded by now (is_authenticated was asked).
        find = database_sync_to_async(lookups.own_record)
        live = await find(self.scope, key, getattr(user, "_wrapped", user))
        outages.database.recovered()
        if live is None:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        tab = self.tab_of(live, key)
        if live.ended is not None:
            await tab.finish(live.end_reason or EndReason.TERMINATED)
            return
        now = self.clock()
        status = store.status(live, now)
        if status.state is policy.State.EXPIRED:
            await tab.end(status.reason.value)
            return
        # Counted with its own row written: of handshakes at once, none is missed by the count.
        await database_sync_to_async(store.add_tab)(live.pk, self.channel_name, presence.name, now)
        too_many = await database_sync_to_async(caps.refusal)(live)
        if too_many is not None:
            await database_sync_to_async(store.remove_tab)(live.pk, self.channel_name, now)
            await self.refuse(too_many)
            return
        if outages.channel_layer.down:  # a hung Redis would hold the hello JOIN_TIMEOUT
            tab.membership.join_in_background()
        else:
            await tab.membership.join()
        tab.learn(live)  # this read is the freshest: the record siblings share may be older
        tab.live = presence.record_of(live)
        presence.add(tab, live.pk)
        await signals.asend(signals.tab_connected, live, channel_name=self.channel_name)
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
        await tab.apply(status)

    async def disconnect(self, code: int) -> None:
        over, self.phase = self.phase is Phase.OVER, Phase.GONE
        tab = self.tab
        if tab is None:
            return
        tab.timer.cancel()
        await tab.membership.leave()  # also a tab that joined but never opened
        if not presence.remove(tab):
            return
        now = self.clock()
        try:
            if not over:  # the ending deleted the rows of all of the session's tabs
                await database_sync_to_async(store.remove_tab)(tab.live.pk, self.channel_name, now)
        except outages.DATABASE_UNAVAILABLE:
            outages.database.failed()  # no longer refreshed: the sweep prunes it
        await signals.asend(signals.tab_disconnected, tab.live, channel_name=self.channel_name)
        if get_settings().EXPIRE_WHEN_ALL_TABS_CLOSED:
            sweeper.wake_by(now + float(get_settings().CLOSE_GRACE))

    async def layer_back(self) -> None:
        if self.tab is not None and not self.done:
            await self.tab.membership.rejoin()

    # Frames from the tab ----------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = await self.read(parse_client_frame, text_data, bytes_data)
        if frame is None or self.tab is None:
            return
        try:
            await self.handle(self.tab, frame)
        except outages.DATABASE_UNAVAILABLE:
            outages.database.failed()
            await self.close(code=CLOSE_SERVER_ERROR)
        except Exception:
            logger.exception("sessions_live: could not handle a %s frame", frame.type)
            await self.close(code=CLOSE_SERVER_ERROR)

    async def handle(self, tab: Tab, frame: ClientFrame) -> None:
        if frame.type == "logout":
            await tab.end(EndReason.LOGOUT)
        elif frame.type == "lease" and frame.seconds is not None:
            await reports.ask_lease(tab, frame.seconds)
        elif frame.type == "extend":
            await tab.record_activity(self.clock())
        elif frame.type == "activity":
            await reports.report_input(tab, frame.idle)

    # Events from the session's group ----------------------------------------------------

    async def sessions_live_active(self, event: dict[str, Any]) -> None:
        if self.tab is not None:
            await self.tab.heard_active(event)

    async def sessions_live_broadcast(self, event: dict[str, Any]) -> None:
        """Staff's message to this session's tabs: shown as it was written."""
        if self.tab is not None and not self.done:
            await self.send_frame(
                {"type": "broadcast", "id": str(event["id"]), "text": str(event["text"])}
            )

    async def sessions_live_expired(self, event: dict[str, Any]) -> None:
        if self.tab is not None:
            await self.tab.finish(str(event["reason"]), str(event["redirect"]))
