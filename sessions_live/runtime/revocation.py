"""Endings that Django decides: a password changed, an account deactivated or deleted, a Django
session deleted behind sessions-live's back.

The receivers (:mod:`sessions_live.receivers`) call these from Django's model signals, so a
session that stops being valid anywhere (a view, the admin, a shell, a data migration, another
process) is ended at once and its tabs are pushed ``expired``, instead of finding out at their
next deadline. Each ending is claimed in the caller's transaction and announced once that
commits, so a change that rolls back ends nothing.

The request being answered (:mod:`sessions_live.web.current_request`) is left to the middleware
when the change is its own session's: Django's ``update_session_auth_hash`` keeps a session
signed in after its own password change, and a view that flushes its session may sign in
another user next. The middleware settles those once the view returns (:func:`settle`). A key
cycle, which deletes the old row of a session that lives on, moves the record instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, get_user_model
from django.db import connections, router
from django.db.models import Model
from django.http import HttpRequest

from sessions_live import store
from sessions_live.models import EndReason, LiveSession
from sessions_live.runtime import lifecycle
from sessions_live.web import current_request
from sessions_live.web.sign_in import SESSION_MARKER

logger = logging.getLogger(__name__)

#: Attributes the receivers leave on a user being saved and on the request being answered.
_BEFORE = "_sessions_live_credentials"
_OWN_HASH = "sessions_live_own_hash"  # the hash the request's own session must hold after
_OWN_DELETED = "sessions_live_own_deleted"  # keys of the request's session deleted by it


_NONE_CREATED = ("", "")
#: The record marker and key of the last session row created in this context (thread or task).
_created: ContextVar[tuple[str, str]] = ContextVar("sessions_live_created", default=_NONE_CREATED)


@dataclass(frozen=True)
class Credentials:
    """What of a user decides whether their sessions are still valid."""

    password: str
    active: bool


def is_user_model(model: type[Model]) -> bool:
    """Whether ``model`` is AUTH_USER_MODEL, or a data migration's historical copy of it."""
    return bool(model._meta.label_lower == settings.AUTH_USER_MODEL.lower())


def _credentials(password: object, active: object) -> Credentials:
    return Credentials(password=str(password or ""), active=active is not False)


def remember_credentials(
    model: type[Model], user: Model, update_fields: frozenset[str] | None
) -> None:
    """Before ``user`` is saved: keep what the database holds of its credentials, when the save
    may change them (not a new user, and ``update_fields`` names the password or
    ``is_active``). One query, for those saves only."""
    if user._state.adding or user.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    if model is not get_user_model() and not _migrated(model):
        return  # a data migration that runs before sessions-live's own tables exist
    names = ["password"] + (["is_active"] if _has_field(model, "is_active") else [])
    row = model._base_manager.filter(pk=user.pk).values_list(*names).first()
    if row is not None:
        setattr(user, _BEFORE, _credentials(row[0], row[1] if len(row) > 1 else True))


def _has_field(model: type[Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def _migrated(model: type[Model]) -> bool:
    connection = connections[router.db_for_write(model)]
    return LiveSession._meta.db_table in connection.introspection.table_names()


def change_of(user: Model) -> EndReason | None:
    """Why ``user``'s sessions end after the save :func:`remember_credentials` saw: the account
    was deactivated, or the password changed; None if neither."""
    before: Credentials | None = user.__dict__.pop(_BEFORE, None)
    if before is None:
        return None
    after = _credentials(getattr(user, "password", ""), getattr(user, "is_active", True))
    if before.active and not after.active:
        return EndReason.DEACTIVATED
    if before.password != after.password:
        return EndReason.PASSWORD_CHANGED
    return None


def credentials_changed(user: Model, reason: EndReason, *, now: float) -> list[LiveSession]:
    """End ``user``'s sessions for ``reason``; the ones this call ended. For a password changed
    by the request's own session, that session is left to :func:`settle`: it stays signed in
    if the view keeps it (``update_session_auth_hash``), as Django does."""
    request = current_request.get()
    keep = None
    if reason is EndReason.PASSWORD_CHANGED and request is not None and _is_own(request, user):
        keep = _own_record_id(request)
        if keep is not None and hasattr(user, "get_session_auth_hash"):
            setattr(request, _OWN_HASH, user.get_session_auth_hash())
    ended = [
        live
        for live in store.live_sessions_of(user.pk)
        if live.pk != keep
        and lifecycle.end_session(
            live, reason, now=now, request=None, by=_actor(request, user), when_committed=True
        )
    ]
    if ended:
        logger.info("sessions_live: %d session(s) of user %s end (%s)", len(ended), user.pk, reason)
    return ended


def user_deleted(user: Model, *, now: float) -> list[LiveSession]:
    """Before ``user`` is deleted (with its records, by the cascade): end its sessions, so its
    tabs are told and the signals sent once the deletion commits."""
    return [
        live
        for live in store.live_sessions_of(user.pk)
        if lifecycle.end_session(live, EndReason.USER_DELETED, now=now, when_committed=True)
    ]


def session_created(session_key: str, data: Mapping[str, object]) -> None:
    """A Django session's row was created with ``data``. If it carries a record's marker, it
    may be a key cycle (``login()``, ``update_session_auth_hash``, a secret rotation), which
    makes the new row first and then deletes the old one: :func:`session_deleted` moves the
    record to this key instead of ending it."""
    marker = data.get(SESSION_MARKER)
    if isinstance(marker, str):
        _created.set((marker, session_key))


def session_deleted(session_key: str, *, now: float) -> bool:
    """A Django session's row was deleted (``flush()``, ``clearsessions``, any code): end its
    record with ``revoked``; True if this call did. A key cycle moves the record to the new
    key instead (the middleware does, for the request's own session, as for a sign-in); the
    request's own flush is left to :func:`settle` (a sign-in may follow)."""
    request = current_request.get()
    session = getattr(request, "session", None)
    if request is not None and session is not None and session.session_key == session_key:
        deleted: set[str] = request.__dict__.setdefault(_OWN_DELETED, set())
        deleted.add(session_key)  # a flush deletes the row before it forgets the key
        return False
    live = store.find(session_key)
    if live is None or live.ended is not None:
        return False
    marker, new_key = _created.get()
    if marker == live.pk.hex and new_key != session_key:
        _created.set(_NONE_CREATED)
        if session is None or session.session_key != new_key:
            store.rekey(session_key, new_key)  # the request's own cycle: the middleware follows
        return False
    return lifecycle.end_session(live, EndReason.REVOKED, now=now, when_committed=True)


def deleted_here(request: HttpRequest, session_key: str) -> bool:
    """Whether the request deleted its own session ``session_key`` (no query)."""
    return session_key in request.__dict__.get(_OWN_DELETED, ())


def pending(request: HttpRequest) -> bool:
    """Whether :func:`settle` has anything to do for ``request`` (no query)."""
    return hasattr(request, _OWN_HASH) or hasattr(request, _OWN_DELETED)


def settle(request: HttpRequest, now: float) -> None:
    """After the view (and after the record followed a cycled key): end the request's own
    session if its password changed and the view did not keep the session
    (``password_changed``), or if the view deleted it and no sign-in followed (``revoked``)."""
    key_after = request.session.session_key
    own_hash = getattr(request, _OWN_HASH, None)
    if own_hash is not None and key_after:
        live = store.find(key_after)
        if live is not None and live.ended is None:
            kept = request.session.get(HASH_SESSION_KEY) == own_hash
            if not kept:
                lifecycle.end_session(
                    live,
                    EndReason.PASSWORD_CHANGED,
                    now=now,
                    session_key=key_after,
                    request=request,
                )
    for key in getattr(request, _OWN_DELETED, ()):
        if key == key_after:
            continue  # deleted, then saved again under the same key: the session goes on
        live = store.find(key)
        if live is not None and live.ended is None:
            lifecycle.end_session(live, EndReason.REVOKED, now=now, request=request)


def _signed_in(request: HttpRequest | None) -> Any:
    """The request's signed-in user; None for none, or an anonymous one."""
    current = getattr(request, "user", None)
    return current if getattr(current, "is_authenticated", False) else None


def _is_own(request: HttpRequest, user: Model) -> bool:
    current = _signed_in(request)
    return current is not None and bool(current.pk == user.pk)


def _own_record_id(request: HttpRequest) -> Any:
    session = getattr(request, "session", None)
    key = session.session_key if session is not None else None
    live = store.find(key) if key else None
    return None if live is None else live.pk


def _actor(request: HttpRequest | None, user: Model) -> Any:
    """Who ended the sessions: the signed-in user of the request that changed ``user``, if it
    is someone else (staff in the admin); None for the user themselves or no request."""
    current = _signed_in(request)
    return current if current is not None and current.pk != user.pk else None
