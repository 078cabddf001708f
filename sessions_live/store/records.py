"""One session's record: found by its key, started, moved, kept alive and ended.

Every write is a single-row conditional UPDATE, so concurrent tabs, requests, sweeps and
processes agree without locks: activity only moves a deadline forward and never revives a
session past its deadline, and ending is claimed by exactly one caller.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping
from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Greatest

from sessions_live.conf import get_settings
from sessions_live.core import policy
from sessions_live.models import EndReason, LiveSession, LiveTab
from sessions_live.store import deadlines
from sessions_live.store.session_keys import key_hash, key_hashes
from sessions_live.store.user_timeouts import timeouts_of

USER_AGENT_MAX = 512


#: Seconds the process that claims an ending has to announce it before a sweep of any process
#: does (a process killed between the two leaves it unannounced).
ANNOUNCE_WITHIN = 20.0


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


def past_deadline(reason: str, now: float) -> Q | Combinable:
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
    live_id: uuid.UUID,
    reason: str,
    now: float,
    by: AbstractBaseUser | None = None,
    keyed_by: Collection[str] | None = None,
) -> bool:
    """End a session if it is still live and (for a timeout) still due: True for one caller.

    The deadline is re-checked in the same UPDATE, so activity recorded between a caller's
    read and its claim wins over the claim; with ``keyed_by`` (key hashes), so is the key: a
    record that followed another key meanwhile is not claimed.
    """
    keys = Q(key_hash__in=list(keyed_by)) if keyed_by is not None else Q()
    updated = LiveSession.objects.filter(
        past_deadline(reason, now), keys, pk=live_id, ended__isnull=True
    ).update(
        ended=to_datetime(now),
        end_reason=reason,
        ended_by=by,
        changed=to_datetime(now),
        announce_by=to_datetime(now + ANNOUNCE_WITHIN),  # the outbox: see take_unannounced
    )
    return updated == 1


def announced(live_id: uuid.UUID) -> None:
    """The ending of ``live_id`` is announced: nobody announces it again."""
    LiveSession.objects.filter(pk=live_id).update(announce_by=None)


def take_unannounced(now: float, limit: int = 100) -> list[LiveSession]:
    """Endings their claimer did not announce in time (it died between its claim and its
    signals), each taken by one caller only, who has ANNOUNCE_WITHIN more to announce it."""
    due = LiveSession.objects.filter(announce_by__lt=to_datetime(now)).values_list(
        "pk", "announce_by"
    )[:limit]
    taken = [
        pk
        for pk, announce_by in list(due)
        if LiveSession.objects.filter(pk=pk, announce_by=announce_by).update(
            announce_by=to_datetime(now + ANNOUNCE_WITHIN)
        )
        == 1
    ]
    return list(LiveSession.objects.select_related("user", "ended_by").filter(pk__in=taken))


def mark_changed(live_id: uuid.UUID, now: float) -> None:
    """Tell the dashboard a session's shown state changed without a write of its own
    (it entered its warning period)."""
    LiveSession.objects.filter(pk=live_id).update(changed=to_datetime(now))
