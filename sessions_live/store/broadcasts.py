"""Messages staff send to open tabs: who gets one, and the audit trail of each."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q

from sessions_live.models import Broadcast, LiveSession, LiveTab
from sessions_live.store import queries
from sessions_live.store.records import to_datetime


def recipients(to: str, target: str | None) -> list[uuid.UUID]:
    """The live sessions with a tab open that a message ``to`` ``target`` reaches: every one
    (``all``), one user's (``user``: ``target`` is the user id) or one (``session``: ``target``
    is the row id). None for a target that is not one."""
    where = Q(ended__isnull=True)
    if to == "user":
        user_pk = queries.user_pk(target)
        if user_pk is None:
            return []
        where &= Q(user_id=user_pk)
    elif to == "session":
        where &= Q(pk=target)
    with_tabs = Exists(LiveTab.objects.filter(session=OuterRef("pk")))
    try:
        return list(LiveSession.objects.filter(where, with_tabs).values_list("pk", flat=True))
    except (ValidationError, ValueError, TypeError, OverflowError):  # not an id
        return []


def sent_since(user_id: Any, moment: float) -> int:
    """How many messages user ``user_id`` sent at or after ``moment``."""
    return Broadcast.objects.filter(sent_by_id=user_id, sent__gte=to_datetime(moment)).count()


def record(
    *,
    by: Any,
    to: str,
    text: str,
    sessions: int,
    now: float,
    user_id: Any = None,
    live_id: uuid.UUID | None = None,
) -> Broadcast:
    """Write the audit row of a message ``by`` sent ``to`` (``sessions``: how many it goes to)."""
    return Broadcast.objects.create(
        sent=to_datetime(now),
        sent_by=by,
        to=to,
        user_id=user_id,
        session_id=live_id,
        text=text,
        sessions=sessions,
    )


def delete_sent_before(cutoff: float) -> int:
    """Forget messages older than the retention period."""
    deleted, _ = Broadcast.objects.filter(sent__lt=to_datetime(cutoff)).delete()
    return deleted
