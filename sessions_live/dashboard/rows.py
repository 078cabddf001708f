"""What the live-sessions dashboard shows: rows, totals and who may see and end them.

Rows are built from the store only, so every process shows the same truth. A row is
identified by the record's opaque id; the session key (or its hash) never leaves the server.
"""

from __future__ import annotations

from typing import Any, TypedDict

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.urls import NoReverseMatch, reverse

from sessions_live import store
from sessions_live.conf import get_settings
from sessions_live.core import policy
from sessions_live.core.privacy import device_of, kept_user_agent, shown_ip
from sessions_live.core.vocabulary import RowState
from sessions_live.models import LiveSession

VIEW_PERMISSION = "sessions_live.view_livesession"
END_PERMISSION = "sessions_live.end_livesession"
#: How many ended sessions a snapshot carries at most (the newest first).
ENDED_IN_SNAPSHOT = 200


class UserRef(TypedDict):
    id: Any
    username: str
    url: str | None


class SessionRow(TypedDict):
    id: str
    user: UserRef
    state: str
    tabs: int
    ip: str | None
    user_agent: str
    browser: str
    os: str
    started: float
    last_activity: float
    idle_for: float
    warn_in: float | None
    expires_in: float | None
    ended: float | None
    end_reason: str
    ended_by: UserRef | None


class Totals(TypedDict):
    sessions: int
    tabs: int
    warning: int


def can_view(user: Any) -> bool:
    """Active staff with ``view_livesession`` (a superuser has every permission)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "is_staff", False)
        and user.has_perm(VIEW_PERMISSION)
    )


def can_end(user: Any) -> bool:
    """Who may see the dashboard and also holds ``end_livesession``."""
    return bool(can_view(user) and user.has_perm(END_PERMISSION))


def _user_url(user: AbstractBaseUser) -> str | None:
    meta = user._meta
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[user.pk])
    except NoReverseMatch:
        return None


def _user_ref(user: AbstractBaseUser) -> UserRef:
    return {"id": user.pk, "username": user.get_username(), "url": _user_url(user)}


def _queryset() -> QuerySet[LiveSession]:
    return LiveSession.objects.select_related("user", "ended_by").annotate(tab_count=Count("tabs"))


def row(live: LiveSession, now: float) -> SessionRow:
    tabs = int(getattr(live, "tab_count", 0))
    status = store.status(live, now)
    last_activity = store.to_epoch(live.last_activity)
    if live.ended is not None:
        state = RowState.ENDED
    elif tabs == 0:
        state = RowState.IDLE
    elif status.state is policy.State.ACTIVE:
        state = RowState.ACTIVE
    else:
        state = RowState.WARNING
    conf = get_settings()
    user_agent = kept_user_agent(live.user_agent, conf.KEEP_USER_AGENT)
    browser, os_name = device_of(user_agent)
    ended = live.ended is not None
    return {
        "id": live.pk.hex,
        "user": _user_ref(live.user),
        "state": state,
        "tabs": tabs,
        "ip": shown_ip(live.ip, conf.KEEP_IP),
        "user_agent": user_agent,
        "browser": browser,
        "os": os_name,
        "started": store.to_epoch(live.started),
        "last_activity": last_activity,
        "idle_for": max(
            0.0, (store.to_epoch(live.ended) if live.ended is not None else now) - last_activity
        ),
        "warn_in": None if ended else status.warn_in,
        "expires_in": None if ended else status.expires_in,
        "ended": store.to_epoch(live.ended) if live.ended is not None else None,
        "end_reason": live.end_reason,
        "ended_by": _user_ref(live.ended_by) if live.ended_by is not None else None,
    }


#: Fields that change with the clock alone: the page ticks them, so they alone are no change.
TICKING = frozenset({"idle_for", "warn_in", "expires_in"})


def same(a: SessionRow | None, b: SessionRow) -> bool:
    """Whether a dashboard that has row ``a`` needs ``b`` sent (ticking fields aside)."""
    return a is not None and all(a[k] == b[k] for k in b if k not in TICKING)  # type: ignore[literal-required]


def totals(rows: list[SessionRow]) -> Totals:
    live = [r for r in rows if r["state"] != RowState.ENDED]
    return {
        "sessions": len(live),
        "tabs": sum(r["tabs"] for r in live),
        "warning": sum(1 for r in live if r["state"] == RowState.WARNING),
    }


def live_rows(now: float) -> list[SessionRow]:
    return [row(live, now) for live in _queryset().filter(ended__isnull=True)]


def snapshot(now: float) -> list[SessionRow]:
    """Every live session, and the newest ended ones within the retention period."""
    cutoff = store.to_datetime(now - float(get_settings().RETENTION))
    ended = _queryset().filter(ended__gte=cutoff).order_by("-ended")[:ENDED_IN_SNAPSHOT]
    return live_rows(now) + [row(live, now) for live in ended]


def changed_since(moment: float, now: float) -> list[SessionRow]:
    since = store.to_datetime(moment)
    return [row(live, now) for live in _queryset().filter(changed__gt=since)]


def existing_ids(ids: set[str]) -> set[str]:
    """Which of these row ids still exist (the others were deleted after retention)."""
    found = LiveSession.objects.filter(pk__in=list(ids)).values_list("pk", flat=True)
    return {pk.hex for pk in found}


def sessions_of(user_id: Any) -> list[LiveSession]:
    """The live sessions of one user (none for an id that is not one)."""
    pk = store.user_pk(user_id)
    return [] if pk is None else store.live_sessions_of(pk)


def find(row_id: str) -> LiveSession | None:
    try:
        return LiveSession.objects.select_related("user").filter(pk=row_id).first()
    except (ValidationError, ValueError, TypeError):  # not a UUID
        return None
