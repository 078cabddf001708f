"""What staff send from the dashboard to open tabs: who may, how often, and to whom.

A message goes to the groups of the live sessions that have a tab open when it is sent (a tab
opened later does not get it), through the channel layer: best effort, as every push. Each one
is written to the audit trail (:class:`~sessions_live.models.Broadcast`) first; the audit
rows of the last minute are also the rate limit, so it holds across processes.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sessions_live import store
from sessions_live.conf import get_settings
from sessions_live.core.protocol import (
    ERROR_NOT_FOUND,
    ERROR_RATE_LIMITED,
    EVENT_BROADCAST,
    BroadcastRequest,
    FrameError,
)
from sessions_live.core.scheduling import Scheduler
from sessions_live.dashboard.rows import can_view
from sessions_live.models import Broadcast, session_group
from sessions_live.runtime import push

logger = logging.getLogger(__name__)

BROADCAST_PERMISSION = "sessions_live.broadcast_livesession"
#: Seconds the rate limit counts over.
RATE_WINDOW = 60.0
#: Session groups a message is pushed to at once, and the seconds between two such batches:
#: 100 group sends a second at most (DESIGN.md: channels-redis delivered every message at 150
#: a second per process, not at 250).
PUSHES_AT_ONCE = 50
PUSH_PAUSE = 0.5
#: Messages being pushed, held until done (a task nobody holds may be collected).
_pushing: set[asyncio.Task[None]] = set()


def can_broadcast(user: Any) -> bool:
    """Who may see the dashboard and also holds ``broadcast_livesession``."""
    return bool(can_view(user) and user.has_perm(BROADCAST_PERMISSION))


@dataclass(frozen=True)
class Sending:
    """A message recorded and ready to go: its audit row and the groups it goes to."""

    broadcast: Broadcast
    groups: list[str]

    def event(self) -> dict[str, Any]:
        """The channel-layer event each tab turns into a ``broadcast`` frame."""
        return {"type": EVENT_BROADCAST, "id": str(self.broadcast.pk), "text": self.broadcast.text}


def prepare(request: BroadcastRequest, staff: Any, now: float) -> Sending:
    """Check ``staff``'s rate, find the sessions ``request`` reaches and record it; raises
    :class:`FrameError` (``rate_limited``; ``not_found`` for a user or session with no tab
    open)."""
    limit = get_settings().BROADCASTS_PER_MINUTE
    if limit is not None and store.broadcasts.sent_since(staff.pk, now - RATE_WINDOW) >= limit:
        raise FrameError(ERROR_RATE_LIMITED, f"At most {limit} messages a minute.")
    sessions = store.broadcasts.recipients(request.to, request.target)
    if request.to != "all" and not sessions:
        raise FrameError(ERROR_NOT_FOUND, "No open tab to send it to.")
    broadcast = store.broadcasts.record(
        by=staff,
        to=request.to,
        text=request.text,
        sessions=len(sessions),
        now=now,
        user_id=request.target if request.to == "user" else None,
        live_id=uuid.UUID(request.target) if request.to == "session" and request.target else None,
    )
    logger.info(
        "sessions_live: %s sent message %s to %s (%d sessions)",
        staff.get_username(),
        broadcast.pk,
        request.to,
        len(sessions),
    )
    return Sending(broadcast, [session_group(live_id) for live_id in sessions])


def deliver(sending: Sending, scheduler: Scheduler) -> None:
    """Push ``sending`` in the background, whether the dashboard that sent it stays or not."""
    task = asyncio.get_running_loop().create_task(push_all(sending, scheduler))
    _pushing.add(task)
    task.add_done_callback(_pushing.discard)


async def push_all(sending: Sending, scheduler: Scheduler) -> None:
    """Push the message to each session's group, PUSHES_AT_ONCE at a time with PUSH_PAUSE
    between, each push bounded by PUSH_TIMEOUT: a hung Redis costs the message, not the
    process."""
    event = sending.event()
    unsent = 0
    for start in range(0, len(sending.groups), PUSHES_AT_ONCE):
        if start:
            await scheduler.sleep(PUSH_PAUSE)
        batch = sending.groups[start : start + PUSHES_AT_ONCE]
        sent = await asyncio.gather(*(push.send(group, event) for group in batch))
        unsent += sent.count(False)
    if unsent:
        logger.warning(
            "sessions_live: a message to open tabs was not pushed to %d of %d sessions",
            unsent,
            len(sending.groups),
        )
