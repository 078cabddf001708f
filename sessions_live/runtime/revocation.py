"""Endings a Django session's row decides: deleted behind sessions-live's back (``flush()``
elsewhere, ``clearsessions``, any code), or left invalid by the view of the request's own
session.

The receivers (:mod:`sessions_live.receivers`) call these from the session model's signals
(the ``db`` and ``cached_db`` engines). Deletions are gathered and judged once the transaction
that made them commits, a few queries for any number of rows: each row still gone then ends its
record with ``revoked``, unless it was a key cycle (``login()``, ``update_session_auth_hash``,
a secret rotation, made outside the request's own session), which writes the new row before
it deletes the old one and moves the record instead.

The request being answered (:mod:`sessions_live.web.current_request`) settles its own session
once the view returns (:func:`settle`): a flush of it may be followed by a sign-in, and a
password change keeps it if the view says so, as Django does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.auth import HASH_SESSION_KEY, get_user_model
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import router, transaction
from django.db.models import Model
from django.http import HttpRequest

from sessions_live import store
from sessions_live.models import EndReason, LiveSession
from sessions_live.runtime import lifecycle, vanished
from sessions_live.web import current_request
from sessions_live.web.sign_in import SESSION_MARKER

#: Attributes left on the request being answered, for :func:`settle`.
_JUDGED_USER = "sessions_live_judged_user"  # its user's hash changed in the view, and why
_OWN_DELETED = "sessions_live_own_deleted"  # keys of its own session it deleted
#: Keys looked up at once.
CHUNK = 500

_NONE_CREATED = ("", "")
#: The record marker and key of the last session row created in this context (thread or task).
_created: ContextVar[tuple[str, str]] = ContextVar("sessions_live_created", default=_NONE_CREATED)
#: Deletions waiting for their transaction to commit, in this context.
_pending: ContextVar[list[Deleted] | None] = ContextVar("sessions_live_deleted", default=None)


@dataclass(frozen=True)
class Deleted:
    key: str
    created: tuple[str, str]  # the last row created before it: a key cycle's new row
    own_key: str | None  # the request's own session's key then, if a request is answered


def forget_cycles() -> None:
    """A new request: no row it did not create is a cycle of its session."""
    _created.set(_NONE_CREATED)


def session_created(session_key: str, decoded: Callable[[], Mapping[str, object]]) -> None:
    """A Django session's row was created with the data ``decoded()`` returns; with a record's
    marker in it, it may be a key cycle's new row (see the module's docstring). The request's
    own session holds its data already: no decoding for it (every sign-in creates a row)."""
    request = current_request.get()
    session = getattr(request, "session", None)
    if session is not None and session.session_key == session_key:
        marker = session.get(SESSION_MARKER)
    else:
        marker = decoded().get(SESSION_MARKER)
    if isinstance(marker, str):
        _created.set((marker, session_key))


def session_deleted(model: type[AbstractBaseSession], session_key: str, *, now: float) -> None:
    """A Django session's row was deleted: judge it once its transaction commits. The
    request's own flush is noted for :func:`settle` instead (a sign-in may follow)."""
    request = current_request.get()
    session = getattr(request, "session", None)
    if request is not None and session is not None and session.session_key == session_key:
        deleted: set[str] = request.__dict__.setdefault(_OWN_DELETED, set())
        deleted.add(session_key)  # a flush deletes the row before it forgets the key
        return
    pending = _pending.get()
    if pending is None:
        pending = []
        _pending.set(pending)
    own = session.session_key if session is not None else None
    pending.append(Deleted(session_key, _created.get(), own))
    using = router.db_for_write(model)
    transaction.on_commit(partial(_judge_pending, model, pending, now), using=using, robust=True)


def _judge_pending(model: type[AbstractBaseSession], pending: list[Deleted], now: float) -> None:
    """End the records of the deleted rows that are still gone (a rolled-back deletion left
    its row, and its entry here), and move those of key cycles. The first callback of a
    transaction does all of its deletions; the others find nothing left."""
    batch = list(pending)
    pending.clear()
    for start in range(0, len(batch), CHUNK):
        chunk = batch[start : start + CHUNK]
        keys = [deleted.key for deleted in chunk]
        still_there = set(
            model._default_manager.filter(session_key__in=keys).values_list(
                "session_key", flat=True
            )
        )
        gone = {deleted.key: deleted for deleted in chunk if deleted.key not in still_there}
        for live, key in _records_of(list(gone)):
            _judge(live, gone[key], now)


def _records_of(keys: list[str]) -> list[tuple[LiveSession, str]]:
    """The live records of ``keys`` (under any hash they may be kept by), with their key."""
    by_hash = {digest: key for key in keys for digest in store.key_hashes(key)}
    found = LiveSession.objects.select_related("user").filter(
        key_hash__in=by_hash, ended__isnull=True
    )
    return [(live, by_hash[live.key_hash]) for live in found]


def _judge(live: LiveSession, deleted: Deleted, now: float) -> None:
    marker, new_key = deleted.created
    if marker == live.pk.hex and new_key != deleted.key:
        if deleted.own_key != new_key:  # the request's own cycle: the middleware follows it
            store.rekey(deleted.key, new_key)
        return
    lifecycle.end_session(live, EndReason.REVOKED, now=now)


def deleted_here(request: HttpRequest, session_key: str) -> bool:
    """Whether the request deleted its own session ``session_key`` (no query)."""
    return session_key in request.__dict__.get(_OWN_DELETED, ())


def judge_after_view(request: HttpRequest, user: Model, reason: EndReason) -> Any:
    """The request's own user's session auth hash changed during its view (for ``reason``):
    the id of the request's record, which :func:`settle` judges once the view returns (None
    if it has none)."""
    session = getattr(request, "session", None)
    key = session.session_key if session is not None else None
    live = store.find(key) if key else None
    if live is None:
        return None
    setattr(request, _JUDGED_USER, (user.pk, reason))
    vanished.cycling(live.pk, request)  # update_session_auth_hash may cycle its key next
    return live.pk


def pending(request: HttpRequest) -> bool:
    """Whether :func:`settle` has anything to do for ``request`` (no query)."""
    return hasattr(request, _JUDGED_USER) or hasattr(request, _OWN_DELETED)


def settle(request: HttpRequest, now: float) -> None:
    """After the view (and after the record followed a cycled key): end the request's own
    session if its password changed and the session no longer holds the stored password's
    hash (the view did not keep it: ``password_changed``; a change that rolled back keeps it),
    or if the view deleted it and no sign-in followed (``revoked``). The Django session is
    left to Django, which refuses it at its next use."""
    key_after = request.session.session_key
    judged = getattr(request, _JUDGED_USER, None)
    if judged is not None and key_after:
        user_pk, reason = judged
        live = store.find(key_after)
        if live is not None and live.ended is None and not _still_verified(request, user_pk):
            lifecycle.end_session(live, reason, now=now, request=request)
    for key in getattr(request, _OWN_DELETED, ()):
        if key == key_after:
            continue  # deleted, then saved again under the same key: the session goes on
        live = store.find(key)
        if live is not None and live.ended is None:
            lifecycle.end_session(live, EndReason.REVOKED, now=now, request=request)


def _still_verified(request: HttpRequest, user_pk: Any) -> bool:
    """Whether the request's session holds the session auth hash of ``user_pk`` as stored now
    (or one made with a SECRET_KEY_FALLBACKS key), as Django checks at each request."""
    user = get_user_model()._default_manager.filter(pk=user_pk).first()
    held = request.session.get(HASH_SESSION_KEY)
    if user is None or not held:
        return False
    return held in (user.get_session_auth_hash(), *user.get_session_auth_fallback_hash())
