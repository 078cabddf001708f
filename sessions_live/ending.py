"""End sessions from your own code, in any process: a management command, a Celery task, an
OpenID Connect back-channel logout endpoint.

Each call ends the record in the database (exactly once, however many processes race), pushes
``expired`` to every open tab of the session through the channel layer, and sends
``user_logged_out`` and ``session_ended`` as every other ending does. Inside a transaction,
the tabs are told and the signals sent once it commits. A tab that misses the push (no channel
layer in that process, Redis down) is refused at its next frame, request or deadline: the
record decides, not the push.

Sync functions, for sync code; ``aend_session`` and ``aend_user_sessions`` for async code.
:func:`cycle_key` is the one call here that ends nothing: it keeps a session through a key
cycle your own view makes.
"""

from __future__ import annotations

import time
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from sessions_live import store
from sessions_live.models import EndReason
from sessions_live.runtime import lifecycle, vanished

__all__ = [
    "EndReason",
    "acycle_key",
    "aend_session",
    "aend_user_sessions",
    "cycle_key",
    "end_session",
    "end_user_sessions",
]


def end_session(
    session_key: str,
    *,
    reason: str = EndReason.REVOKED,
    by: AbstractBaseUser | None = None,
) -> bool:
    """End the session whose Django session key is ``session_key`` and delete that Django
    session; True if this call ended it, False if it is unknown or over already.

    ``reason``: an :class:`EndReason` value (``revoked`` unless told; ``logout`` for a
    sign-out at your identity provider); ``by``: the user who ended it, shown on the dashboard.
    Raises ``ValueError`` for a reason that is not one.
    """
    reason = EndReason(reason)
    live = store.find(session_key)
    if live is None or live.ended is not None:
        return False
    return lifecycle.end_session(
        live, reason, now=time.time(), session_key=session_key, by=by, when_committed=True
    )


def end_user_sessions(
    user: AbstractBaseUser | Any,
    *,
    reason: str = EndReason.REVOKED,
    by: AbstractBaseUser | None = None,
    keep_session_key: str | None = None,
) -> int:
    """End every live session of ``user`` (a user, or its primary key) but the one whose key
    is ``keep_session_key``, if given; how many this call ended. Their Django sessions are
    not deleted (the records refuse them); ``reason`` and ``by`` as in :func:`end_session`."""
    reason = EndReason(reason)
    user_id = user.pk if isinstance(user, AbstractBaseUser) else user
    keep = store.key_hash(keep_session_key) if keep_session_key else None
    now = time.time()
    return sum(
        lifecycle.end_session(live, reason, now=now, by=by, when_committed=True)
        for live in store.live_sessions_of(user_id)
        if live.key_hash != keep
    )


async def aend_session(
    session_key: str, *, reason: str = EndReason.REVOKED, by: AbstractBaseUser | None = None
) -> bool:
    """:func:`end_session`, for async code."""
    ended: bool = await sync_to_async(end_session)(session_key, reason=reason, by=by)
    return ended


async def aend_user_sessions(
    user: AbstractBaseUser | Any,
    *,
    reason: str = EndReason.REVOKED,
    by: AbstractBaseUser | None = None,
    keep_session_key: str | None = None,
) -> int:
    """:func:`end_user_sessions`, for async code."""
    count: int = await sync_to_async(end_user_sessions)(
        user, reason=reason, by=by, keep_session_key=keep_session_key
    )
    return count


def cycle_key(request: HttpRequest) -> None:
    """``request.session.cycle_key()`` for a view of yours (a step-up to a sensitive area),
    keeping the session signed in with every engine. With the ``cache`` engine the old key
    leaves the cache at once and the record follows the new one only when the request returns:
    this marks the record meanwhile, so that no process takes the old key's absence for an
    eviction. (``update_session_auth_hash`` after a password change in the same request, and
    a sign-in, need no call.)"""
    live = getattr(request, "sessions_live", None)
    if live is not None:
        vanished.cycling(live.pk, request)
    request.session.cycle_key()


async def acycle_key(request: HttpRequest) -> None:
    """:func:`cycle_key`, for async views."""
    await sync_to_async(cycle_key)(request)
