"""Questions over many sessions at once: which are due, which ended, how many in each state."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, Min, OuterRef, Q

from sessions_live.conf import get_settings
from sessions_live.core.vocabulary import RowState
from sessions_live.models import EndReason, LiveSession, LiveTab
from sessions_live.store import deadlines
from sessions_live.store.records import past_deadline, status, to_datetime, to_epoch


def ended_since(moment: float) -> list[tuple[uuid.UUID, str]]:
    """Sessions ended at or after ``moment``, with their reasons (for tabs whose push of the
    ending was lost)."""
    return list(
        LiveSession.objects.filter(ended__gte=to_datetime(moment)).values_list("pk", "end_reason")
    )


def user_pk(value: object) -> Any | None:
    """``value`` (a frame's user id: a string or a number) as the user model's primary key,
    or None if it cannot be one: not a number for an integer key, or beyond what the database
    can store (a 64-digit id would raise ``OverflowError`` in the query on SQLite)."""
    field = get_user_model()._meta.pk
    assert field is not None
    try:
        pk = field.to_python(value)
        field.run_validators(pk)
    except (ValidationError, TypeError, ValueError):
        return None
    return pk


def live_sessions_of(user_id: Any) -> list[LiveSession]:
    """The sessions of user ``user_id`` that have not ended, with their user."""
    return list(
        LiveSession.objects.select_related("user").filter(user_id=user_id, ended__isnull=True)
    )


def live_records(live_ids: set[uuid.UUID]) -> list[LiveSession]:
    """The records of ``live_ids`` that have not ended, with their user."""
    return list(
        LiveSession.objects.select_related("user").filter(pk__in=live_ids, ended__isnull=True)
    )


#: Seconds: with a TIMEOUTS_FOR hook, a session that starts later may be due sooner than
#: EXPIRE_AFTER; the sweep looks again at least this often then.
HOOK_SWEEP_LIMIT = 30.0


def next_deadline(now: float) -> float:
    """Epoch seconds before which no live session can fall due: the earliest idle or absolute
    deadline of the live sessions, and at most EXPIRE_AFTER away (a session that starts later
    is due later still, unless a TIMEOUTS_FOR hook gives it less; activity only moves
    deadlines later)."""
    conf = get_settings()
    earliest = LiveSession.objects.filter(ended__isnull=True).aggregate(
        idle=Min(deadlines.idle_deadline()), absolute=Min(deadlines.absolute_deadline())
    )
    limit = HOOK_SWEEP_LIMIT if conf.TIMEOUTS_FOR else float(conf.EXPIRE_AFTER)
    candidates = [now + limit]
    candidates += [to_epoch(moment) for moment in earliest.values() if moment is not None]
    return min(candidates)


def due(now: float, limit: int = 500) -> list[tuple[LiveSession, str]]:
    """Live sessions that should end now, each with its reason."""
    conf = get_settings()
    past = deadlines.idle_due(now) | deadlines.absolute_due(now)
    found: list[tuple[LiveSession, str]] = [
        (live, str(status(live, now).reason))
        for live in LiveSession.objects.select_related("user").filter(past, ended__isnull=True)[
            :limit
        ]
    ]
    if conf.EXPIRE_WHEN_ALL_TABS_CLOSED:
        closed = LiveSession.objects.select_related("user").filter(
            past_deadline(EndReason.CLOSED, now), ended__isnull=True
        )
        seen = {live.pk for live, _ in found}
        found.extend(
            (live, EndReason.CLOSED.value) for live in closed[:limit] if live.pk not in seen
        )
    return found


def count_by_state(now: float) -> dict[str, int]:
    """Live sessions by the dashboard's states (``idle``: no tab open), in one query."""
    warned = deadlines.warned(now)
    watched = Q(Exists(LiveTab.objects.filter(session=OuterRef("pk"))))
    counts: dict[str, int] = LiveSession.objects.filter(ended__isnull=True).aggregate(
        **{
            RowState.ACTIVE: Count("pk", filter=watched & ~warned),
            RowState.WARNING: Count("pk", filter=watched & warned),
            RowState.IDLE: Count("pk", filter=~watched),
        }
    )
    return counts


def delete_ended_before(cutoff: float) -> int:
    """Forget ended sessions older than the retention period (the audit trail's end)."""
    deleted, _ = LiveSession.objects.filter(ended__lt=to_datetime(cutoff)).delete()
    return deleted
