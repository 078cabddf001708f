"""Endings a user's own record decides: a password changed, an account deactivated or deleted.

The receivers (:mod:`sessions_live.receivers`) call these from the user model's signals, for
every save (a view, the admin, a shell, a data migration's historical model) and deletion.
Each ending is claimed in the caller's transaction and announced once it commits, so a change
that rolls back ends nothing. A password changed by the request being answered
(:mod:`sessions_live.web.current_request`) leaves that request's own session to the middleware
(:func:`sessions_live.runtime.revocation.settle`): Django's ``update_session_auth_hash`` keeps
it signed in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connections
from django.db.models import Model
from django.http import HttpRequest

from sessions_live import store
from sessions_live.models import EndReason, LiveSession
from sessions_live.runtime import lifecycle, revocation
from sessions_live.web import current_request

logger = logging.getLogger(__name__)

#: Where the credentials as stored wait on a user being saved.
_BEFORE = "_sessions_live_credentials"


@dataclass(frozen=True)
class Credentials:
    """What of a user decides whether their sessions are still valid."""

    password: str
    active: bool
    #: The session auth hash, for a user model whose own ``get_session_auth_hash`` may hang on
    #: more than the password (a security stamp, the email address); None otherwise.
    session_hash: str | None = None


def own_session_hash(model: type[Model]) -> bool:
    """Whether ``model`` computes its session auth hash its own way."""
    own = getattr(model, "get_session_auth_hash", None)
    return own is not None and own is not AbstractBaseUser.get_session_auth_hash


def is_user_model(model: type[Model]) -> bool:
    """Whether ``model`` is AUTH_USER_MODEL, a proxy of it, or a data migration's historical
    copy of it."""
    concrete = model._meta.concrete_model or model
    return bool(concrete._meta.label_lower == settings.AUTH_USER_MODEL.lower())


def _has_field(model: type[Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def _migrated(using: str) -> bool:
    return LiveSession._meta.db_table in connections[using].introspection.table_names()


def remember_credentials(
    model: type[Model], user: Model, update_fields: frozenset[str] | None, using: str
) -> None:
    """Before ``user`` is saved (to database ``using``): keep what that database holds of its
    credentials, when the save may change them (not a new user, and ``update_fields`` names
    the password or ``is_active``). One query, for those saves only; for every save of a
    user model with a session auth hash of its own, whose fields sessions-live cannot know."""
    if user._state.adding or user.pk is None:
        return
    if isinstance(user, AbstractBaseUser) and own_session_hash(type(user)):
        stored = model._base_manager.using(using).filter(pk=user.pk).first()
        if isinstance(stored, AbstractBaseUser):
            setattr(
                user,
                _BEFORE,
                Credentials(
                    password=stored.password,
                    active=getattr(stored, "is_active", True) is not False,
                    session_hash=stored.get_session_auth_hash(),
                ),
            )
        return
    names = [name for name in ("password", "is_active") if _has_field(model, name)]
    if not names or (update_fields is not None and not set(names) & set(update_fields)):
        return
    if not isinstance(user, AbstractBaseUser) and not _migrated(using):
        return  # a data migration that runs before sessions-live's own tables exist
    row = model._base_manager.using(using).filter(pk=user.pk).values(*names).first()
    if row is not None:
        setattr(user, _BEFORE, _credentials(row))


def _credentials(values: dict[str, Any]) -> Credentials:
    return Credentials(
        password=str(values.get("password") or ""), active=values.get("is_active") is not False
    )


def change_of(user: Model, update_fields: frozenset[str] | None) -> EndReason | None:
    """Why ``user``'s sessions end after the save :func:`remember_credentials` saw: the account
    was deactivated, the password changed, or (``revoked``) the session auth hash of a model
    that computes its own changed otherwise; None if none of these. Django upgrading a password's
    hash at sign-in (``check_password`` saves the same password, hashed anew, with
    ``_password`` cleared and ``update_fields=["password"]``) is no change."""
    before: Credentials | None = user.__dict__.pop(_BEFORE, None)
    if before is None:
        return None
    after = _credentials(
        {"password": getattr(user, "password", ""), "is_active": getattr(user, "is_active", True)}
    )
    if before.active and not after.active:
        return EndReason.DEACTIVATED
    if before.password == after.password:
        changed = before.session_hash is not None and before.session_hash != _hash_of(user)
        return EndReason.REVOKED if changed else None
    rehashed = (
        isinstance(user, AbstractBaseUser)
        and getattr(user, "_password", None) is None  # a canary test pins it
        and update_fields is not None
        and set(update_fields) == {"password"}
    )
    return None if rehashed else EndReason.PASSWORD_CHANGED


def _hash_of(user: Model) -> str | None:
    return user.get_session_auth_hash() if isinstance(user, AbstractBaseUser) else None


def credentials_changed(user: Model, reason: EndReason, *, now: float) -> list[LiveSession]:
    """End ``user``'s sessions for ``reason``; the ones this call ended. For a password changed
    by the request's own session, that session is left to the middleware: it stays signed in
    if the view keeps it (``update_session_auth_hash``), as Django does."""
    request = current_request.get()
    keep = None
    if reason is not EndReason.DEACTIVATED and request is not None and _is_own(request, user):
        keep = revocation.judge_after_view(request, user, reason)
    by = _actor(request, user)
    ended = [
        live
        for live in store.live_sessions_of(user.pk)
        if live.pk != keep
        and lifecycle.end_session(live, reason, now=now, by=by, when_committed=True)
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


def _signed_in(request: HttpRequest | None) -> Any:
    """The request's signed-in user; None for none, or an anonymous one."""
    current = getattr(request, "user", None)
    return current if getattr(current, "is_authenticated", False) else None


def _is_own(request: HttpRequest, user: Model) -> bool:
    current = _signed_in(request)
    return current is not None and bool(current.pk == user.pk)


def _actor(request: HttpRequest | None, user: Model) -> Any:
    """Who ended the sessions: the signed-in user of the request that changed ``user``, if it
    is someone else (staff in the admin); None for the user themselves or no request."""
    current = _signed_in(request)
    return current if current is not None and current.pk != user.pk else None
