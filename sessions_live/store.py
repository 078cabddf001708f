"""The one place that reads and writes live-session state.

Every write is a single-row conditional UPDATE, so concurrent tabs, requests, sweeps and
processes agree without locks: activity only moves a deadline forward and never revives a
session past its deadline, and ending is claimed by exactly one caller. Functions here are
synchronous; async code calls them through ``database_sync_to_async``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Greatest

from . import deadlines, policy
from .conf import get_settings
from .models import EndReason, LiveProcess, LiveSession, LiveTab
from .session_keys import key_hash as key_hash
from .session_keys import key_hashes as key_hashes
from .user_timeouts import timeouts_of
from .vocabulary import RowState

USER_AGENT_MAX = 512


def to_datetime(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def to_epoch(moment: dt.datetime) -> float:
    return moment.timestamp()


def _of_key(session_key: str) -> QuerySet[LiveSession]:
    """The one lookup by session key (one query, whichever scheme keyed the record)."""
    return LiveSession.objects.filter(key_hash__in=key_hashes(session_key))


def _keyed_now(live: LiveSession | None, session_key: str) -> LiveSession | None:
    """``live``, re-keyed to the current digest if an earlier version keyed it."""
    digest = key_hash(session_key)
    if live is not None and live.key_hash != digest:
        LiveSession.objects.filter(pk=live.pk, key_hash=live.key_hash).update(key_hash=digest)
        live.key_hash = digest
    return live


def find(session_key: str) -> LiveSession | None:
    return _keyed_now(_of_key(session_key).select_related("user").first(), session_key)


def find_of(session_key: str, user: AbstractBaseUser) -> LiveSession | None:
    """The record of ``user``'s session ``session_key``, holding ``user`` itself (a socket
    has its user loaded already: one copy a tab instead of two); None if it is someone
    else's or unknown."""
    live = _keyed_now(_of_key(session_key).filter(user_id=user.pk).first(), session_key)
    if live is not None:
        live.user = cast(Any, user)  # AUTH_USER_MODEL, which the stubs take for auth.User
    return live


def get(live_id: uuid.UUID) -> LiveSession | None:
    return LiveSession.objects.select_related("user").filter(pk=live_id).first()


def find_marked(marker: object, user_id: object) -> LiveSession | None:
    """The record a session's marker names (the record's id, written into the Django session
    when the record started), if it is ``user_id``'s: how a session is found when its key no
    longer leads to its record. Only a session copied from the record's own (by Django's
    ``cycle_key``) holds that marker: the session data is the server's."""
    try:
        live_id = uuid.UUID(str(marker))
    except ValueError:
        return None
    live = get(live_id)
    return live if live is not None and live.user_id == user_id else None


def move(live_id: uuid.UUID, session_key: str) -> bool:
    """Key the live record ``live_id`` by ``session_key`` from now on; False if it is over."""
    updated = LiveSession.objects.filter(pk=live_id, ended__isnull=True).update(
        key_hash=key_hash(session_key)
    )
    return updated == 1


def start(
    session_key: str,
    user: AbstractBaseUser,
    *,
    ip: str | None,
    user_agent: str,
    now: float,
    timeouts: Mapping[str, dt.timedelta | None] | None = None,
) -> tuple[LiveSession, bool]:
    """The record of a signed-in session, created at its first sight (idempotent), and
    whether this call created it; ``timeouts``: its own (``user_timeouts.fields_for``)."""
    found = find(session_key)  # by any scheme: a record an earlier version keyed is kept
    if found is not None:
        return found, False
    moment = to_datetime(now)
    try:
        with transaction.atomic():  # as get_or_create does: a racing start may win
            created = LiveSession.objects.create(
                key_hash=key_hash(session_key),
                user_id=user.pk,
                ip=ip,
                user_agent=user_agent[:USER_AGENT_MAX],
                started=moment,
                last_activity=moment,
                changed=moment,
                **(timeouts or {}),
            )
    except IntegrityError:
        raced = find(session_key)
        if raced is None:
            raise
        return raced, False
    return created, True


def rekey(old_session_key: str, new_session_key: str) -> bool:
    """Follow a session whose key was cycled (a password change, or Django verifying it with
    one of SECRET_KEY_FALLBACKS), keeping its clock; False if it has no live record."""
    updated = (
        _of_key(old_session_key)
        .filter(ended__isnull=True)
        .update(key_hash=key_hash(new_session_key))
    )
    return updated == 1


def status(live: LiveSession, now: float) -> policy.Status:
    return policy.evaluate(
        last_activity=to_epoch(live.last_activity),
        started=to_epoch(live.started),
        timeouts=timeouts_of(live),
        now=now,
        leased_until=None if live.leased_until is None else to_epoch(live.leased_until),
    )


def touch(live_id: uuid.UUID, at: float, now: float) -> bool:
    """Record activity at ``at``; False if the session is over or already past its deadline.

    ``last_activity`` only moves forward, so a slow request cannot overwrite newer activity.
    """
    updated = LiveSession.objects.filter(deadlines.within(now), pk=live_id).update(
        last_activity=Greatest("last_activity", to_datetime(at)), changed=to_datetime(now)
    )
    return updated == 1


def lease(live_id: uuid.UUID, until: float, now: float) -> bool:
    """Keep the session from idling out before ``until``; False if it is over or already past
    its deadline. A lease only ever moves later, like activity."""
    moment = to_datetime(until)
    updated = LiveSession.objects.filter(deadlines.within(now), pk=live_id).update(
        leased_until=Greatest(Coalesce("leased_until", Value(moment)), Value(moment)),
        changed=to_datetime(now),
    )
    return updated == 1


def _past_deadline(reason: str, now: float) -> Q | Combinable:
    if reason == EndReason.IDLE:
        return deadlines.idle_due(now)
    if reason == EndReason.ABSOLUTE:
        return deadlines.absolute_due(now)
    if reason == EndReason.CLOSED:
        grace = get_settings().CLOSE_GRACE
        return Q(tabs_seen__lte=to_datetime(now - grace)) & ~Exists(
            LiveTab.objects.filter(session=OuterRef("pk"))
        )
    return Q()


def claim_end(
    live_id: uuid.UUID, reason: str, now: float, by: AbstractBaseUser | None = None
) -> bool:
    """End a session if it is still live and (for a timeout) still due: True for one caller.

    The deadline is re-checked in the same UPDATE, so activity recorded between a caller's
    read and its claim wins over the claim.
    """
    updated = LiveSession.objects.filter(
        _past_deadline(reason, now), pk=live_id, ended__isnull=True
    ).update(ended=to_datetime(now), end_reason=reason, ended_by=by, changed=to_datetime(now))
    return updated == 1


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


def ended_since(moment: float) -> list[tuple[uuid.UUID, str]]:
    """Sessions ended at or after ``moment``, with their reasons (for tabs whose push of the
    ending was lost)."""
    return list(
        LiveSession.objects.filter(ended__gte=to_datetime(moment)).values_list("pk", "end_reason")
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
            _past_deadline(EndReason.CLOSED, now), ended__isnull=True
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


def mark_changed(live_id: uuid.UUID, now: float) -> None:
    """Tell the dashboard a session's shown state changed without a write of its own
    (it entered its warning period)."""
    LiveSession.objects.filter(pk=live_id).update(changed=to_datetime(now))


def forget_processes(stale_before: float) -> None:
    """Delete the rows of processes that stopped beating (their tabs are pruned already)."""
    LiveProcess.objects.filter(seen__lt=to_datetime(stale_before)).delete()


def delete_ended_before(cutoff: float) -> int:
    """Forget ended sessions older than the retention period (the audit trail's end)."""
    deleted, _ = LiveSession.objects.filter(ended__lt=to_datetime(cutoff)).delete()
    return deleted
