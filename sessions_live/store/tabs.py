"""The tabs open on each session, and the processes that hold them.

A process vouches for all of its tabs with one heartbeat: :mod:`sessions_live.runtime.presence`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from sessions_live.models import LiveProcess, LiveSession, LiveTab
from sessions_live.store.records import to_datetime


def add_tab(live_id: uuid.UUID, channel_name: str, process: str, now: float) -> None:
    moment = to_datetime(now)
    # One upsert statement (update_or_create takes a transaction and two or three): opening
    # thousands of tabs after a restart waits on this.
    tab = LiveTab(session_id=live_id, channel_name=channel_name, process=process, opened=moment)
    with transaction.atomic():  # one commit for both
        LiveTab.objects.bulk_create(
            [tab],
            update_conflicts=True,
            unique_fields=["channel_name"],
            update_fields=["session", "process", "opened"],
        )
        LiveSession.objects.filter(pk=live_id).update(tabs_seen=moment, changed=moment)


def tabs_open(live_id: uuid.UUID, user_id: Any) -> tuple[int, int]:
    """How many tabs session ``live_id`` and the live sessions of user ``user_id`` have open
    (one query)."""
    live = LiveTab.objects.filter(session__user_id=user_id, session__ended__isnull=True)
    counts = live.aggregate(user=Count("pk"), session=Count("pk", filter=Q(session_id=live_id)))
    return int(counts["session"]), int(counts["user"])


def remove_tab(live_id: uuid.UUID, channel_name: str, now: float) -> None:
    LiveTab.objects.filter(channel_name=channel_name).delete()
    moment = to_datetime(now)
    LiveSession.objects.filter(pk=live_id).update(tabs_seen=moment, changed=moment)


def forget_tabs(live_id: uuid.UUID) -> None:
    """Delete the tab rows of a session that ended (its tabs are closing)."""
    LiveTab.objects.filter(session_id=live_id).delete()


def beat(process: LiveProcess, tabs: dict[str, uuid.UUID], now: float) -> bool:
    """Vouch for every tab of ``process`` (channel name to session id): one UPDATE, whatever
    the number of tabs. False when the process had been pruned (it stalled, or lost the
    database, for too long): its row and its tabs are then written again, for sessions that
    still exist, while their sockets are still open."""
    moment = to_datetime(now)
    if LiveProcess.objects.filter(name=process.name).update(seen=moment):
        return True
    process.seen = moment
    process.save(force_insert=True)
    live_ids = set(
        LiveSession.objects.filter(pk__in=set(tabs.values())).values_list("pk", flat=True)
    )
    LiveTab.objects.bulk_create(
        [
            LiveTab(session_id=live_id, channel_name=name, process=process.name, opened=moment)
            for name, live_id in tabs.items()
            if live_id in live_ids
        ],
        update_conflicts=True,
        unique_fields=["channel_name"],
        update_fields=["process"],
    )
    return False


def prune_tabs(stale_before: float, now: float) -> int:
    """Forget tabs whose process stopped beating (it died or lost its database), and those
    processes. Tabs opened since ``stale_before`` are left: their process may not have beaten
    yet."""
    cutoff = to_datetime(stale_before)
    alive = LiveProcess.objects.filter(seen__gte=cutoff).values("name")
    stale = LiveTab.objects.filter(opened__lt=cutoff).exclude(process__in=alive)
    session_ids = list(stale.values_list("session_id", flat=True).distinct())
    if not session_ids:
        return 0
    deleted, _ = stale.delete()
    LiveProcess.objects.filter(seen__lt=cutoff).delete()
    moment = to_datetime(now)
    LiveSession.objects.filter(pk__in=session_ids).update(tabs_seen=moment, changed=moment)
    return deleted


def forget_processes(stale_before: float) -> None:
    """Delete the rows of processes that stopped beating (their tabs are pruned already)."""
    LiveProcess.objects.filter(seen__lt=to_datetime(stale_before)).delete()
