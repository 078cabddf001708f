"""The staff dashboard's socket: a snapshot on connect, then coalesced changes.

Changes are read from the store (every write marks its row ``changed``) once per
``DASHBOARD_INTERVAL``, so a dashboard gets at most one frame per interval however busy the
site is, and sees sessions of every process without a push to lose.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model

from sessions_live import dashboard, store
from sessions_live.conf import get_settings
from sessions_live.core import policy
from sessions_live.core.protocol import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_AUTHENTICATED,
    ERROR_FORBIDDEN,
    ERROR_NOT_FOUND,
    BroadcastRequest,
    FrameError,
    parse_dashboard_frame,
)
from sessions_live.dashboard import SessionRow, broadcasting, ending
from sessions_live.runtime import outages
from sessions_live.runtime.sweep import sweeper
from sessions_live.sockets.base import SiteSocket
from sessions_live.web.sign_in import SESSION_MARKER

logger = logging.getLogger(__name__)

#: Seconds of overlap when asking for rows changed since the last look: writers stamp rows
#: with their own clock, which may lag this one a little.
CHANGE_OVERLAP = 2.0
#: Seconds between two checks for rows deleted after the retention period.
REMOVAL_CHECK_INTERVAL = 30.0
#: Bytes of sessions in one frame (a row is about 0.5 KB): daphne closes a socket that sends a
#: message over its --websocket-max-message-size, which docs/deploying.md sets to 64 KiB (1 MiB
#: by default; uvicorn limits only what it receives, with --ws-max-size).
FRAME_BYTES = 60 * 1024


def encode(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def batches(rows: list[SessionRow], budget: int = FRAME_BYTES) -> list[list[SessionRow]]:
    """``rows`` in order, cut so that each batch encodes to at most ``budget`` bytes (a row
    larger than that alone in its batch); at least one batch, empty if there are no rows."""
    cut: list[list[SessionRow]] = [[]]
    size = 0
    for row in rows:
        length = len(encode(row).encode()) + 1  # and its comma
        if cut[-1] and size + length > budget:
            cut.append([])
            size = 0
        cut[-1].append(row)
        size += length
    return cut


class DashboardConsumer(SiteSocket):
    """Built with ``clock=`` and ``scheduler=`` (``DashboardConsumer.as_asgi(...)``, as every
    :class:`~sessions_live.sockets.base.SiteSocket`), a test moves a dashboard from one
    interval to the next at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: dict[str, SessionRow] = {}  # what this dashboard was last sent
        self.follower: asyncio.Task[None] | None = None
        #: The record of this dashboard's own session, found at connect and then followed by
        #: its id: the session's key may be cycled meanwhile (by HTTP, after a rotation).
        self.own_id: uuid.UUID | None = None

    async def connect(self) -> None:
        if not await self.accept_from_site():
            return
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        if not await database_sync_to_async(dashboard.can_view)(user):
            logger.warning("sessions_live: %s may not watch the dashboard", user.get_username())
            await self.refuse(FrameError(ERROR_FORBIDDEN, "Not allowed.", CLOSE_FORBIDDEN))
            return
        sweeper.ensure_started()
        self.own_id = await database_sync_to_async(self.own_record_id)()
        now = self.clock()
        rows = await database_sync_to_async(dashboard.snapshot)(now)
        self.rows = {row["id"]: row for row in rows}
        can_end = await database_sync_to_async(dashboard.can_end)(user)
        can_broadcast = await database_sync_to_async(broadcasting.can_broadcast)(user)
        totals = dashboard.totals(rows)
        first, *rest = batches(rows)
        await self.send_json(
            {
                "type": "snapshot",
                "sessions": first,
                "totals": totals,
                "can_end": can_end,
                "can_broadcast": can_broadcast,
                "more": bool(rest),  # the rest follows as `changes` frames
            }
        )
        for batch in rest:
            await self.send_json(
                {"type": "changes", "sessions": batch, "removed": [], "totals": totals}
            )
        self.follower = asyncio.get_running_loop().create_task(self.follow(now))

    async def disconnect(self, code: int) -> None:
        if self.follower is not None:
            self.follower.cancel()

    def own_record_id(self) -> uuid.UUID | None:
        """The id of this dashboard's own session's record: by the session's key, or by the
        marker in the session if a page request cycled the key since it was read."""
        session = self.scope.get("session")
        key = session.session_key if session is not None else None
        live = store.find(key) if key else None
        marker = session.get(SESSION_MARKER) if live is None and session is not None else None
        user = self.scope.get("user")
        if marker and user is not None:
            live = store.find_marked(marker, user.pk)
        return live.pk if live is not None else None

    def access(self) -> tuple[int | None, Any]:
        """(None, the user freshly loaded) while this dashboard may go on, else (close code,
        None): its own session must still be live, and its user still allowed."""
        live = store.get(self.own_id) if self.own_id is not None else None
        if (
            live is None
            or live.ended is not None
            or store.status(live, self.clock()).state is policy.State.EXPIRED
        ):
            return CLOSE_NOT_AUTHENTICATED, None
        user = get_user_model().objects.filter(pk=live.user_id).first()
        if user is None or not dashboard.can_view(user):
            return CLOSE_FORBIDDEN, None
        return None, user

    async def follow(self, since: float) -> None:
        removal_checked = since
        while True:
            await self.scheduler.sleep(float(get_settings().DASHBOARD_INTERVAL))
            try:
                refused, _ = await database_sync_to_async(self.access)()
                if refused is not None:
                    await self.close(code=refused)
                    return
                now = self.clock()
                removed: list[str] = []
                if now - removal_checked >= REMOVAL_CHECK_INTERVAL:
                    removed = await self.removed_rows()
                    removal_checked = now
                changed = await database_sync_to_async(dashboard.changed_since)(
                    since - CHANGE_OVERLAP, now
                )
                since = now
                await self.send_changes(changed, removed)
            except outages.DATABASE_UNAVAILABLE:
                # Every dashboard of the process asks each interval: log the outage once.
                outages.database.failed()
            except Exception:
                logger.exception("sessions_live: could not update a dashboard")
            else:
                outages.database.recovered()

    async def removed_rows(self) -> list[str]:
        known = set(self.rows)
        existing = await database_sync_to_async(dashboard.existing_ids)(known)
        return sorted(known - existing)

    async def send_changes(self, changed: list[SessionRow], removed: list[str]) -> None:
        """Send what differs from what this dashboard has; nothing if nothing does."""
        fresh = [row for row in changed if not dashboard.same(self.rows.get(row["id"]), row)]
        for row_id in removed:
            self.rows.pop(row_id, None)
        if not fresh and not removed:
            return
        self.rows.update((row["id"], row) for row in fresh)
        totals = dashboard.totals(list(self.rows.values()))
        for number, batch in enumerate(batches(fresh)):
            gone = removed if number == 0 else []
            await self.send_json(
                {"type": "changes", "sessions": batch, "removed": gone, "totals": totals}
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = await self.read(parse_dashboard_frame, text_data, bytes_data)
        if frame is None:
            return
        refused, user = await database_sync_to_async(self.access)()
        if refused is not None:
            await self.close(code=refused)
            return
        if isinstance(frame, BroadcastRequest):
            await self.broadcast(frame, user)
            return
        if not await database_sync_to_async(dashboard.can_end)(user):
            logger.warning(
                "sessions_live: %s may not end sessions (refused %s %s)",
                user.get_username(),
                frame.type,
                frame.target,
            )
            await self.refuse(FrameError(ERROR_FORBIDDEN, "You may not end sessions."))
            return
        if not await database_sync_to_async(ending.end)(frame, user, self.clock()):
            await self.refuse(FrameError(ERROR_NOT_FOUND, "No such live session."))

    async def broadcast(self, request: BroadcastRequest, user: Any) -> None:
        """Send staff's message to the tabs it names: answered at once with how many sessions
        it goes to (``broadcast_sent``) or why not (``broadcast_refused``), then pushed in the
        background, paced, whether this dashboard stays or not."""
        if not await database_sync_to_async(broadcasting.can_broadcast)(user):
            logger.warning("sessions_live: %s may not send messages to tabs", user.get_username())
            await self.refuse_broadcast(FrameError(ERROR_FORBIDDEN, "You may not send messages."))
            return
        try:
            sending = await database_sync_to_async(broadcasting.prepare)(
                request, user, self.clock()
            )
        except FrameError as error:
            await self.refuse_broadcast(error)
            return
        broadcasting.deliver(sending, self.scheduler)
        await self.send_json(
            {
                "type": "broadcast_sent",
                "id": str(sending.broadcast.pk),
                "sessions": len(sending.groups),
            }
        )

    async def refuse_broadcast(self, error: FrameError) -> None:
        await self.send_json(
            {"type": "broadcast_refused", "code": error.code, "message": error.message}
        )

    async def send_json(self, data: Any) -> None:
        await self.send(text_data=encode(data))
