"""Receivers that follow Django's own sign-in and sign-out (the signals sessions-live sends
are in :mod:`sessions_live.signals`)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from sessions_live import store
from sessions_live.models import EndReason
from sessions_live.runtime import lifecycle
from sessions_live.web.sign_in import start_session


@receiver(user_logged_in, dispatch_uid="sessions_live.logged_in")
def on_logged_in(*, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        if request.session.session_key is None:
            # login() flushed a previous user's session: the new key exists only once saved.
            request.session.save()
        now = time.time()
        live = start_session(request, user, now)
        if live is not None:
            lifecycle.enforce_session_limit(live, now=now)


@receiver(user_logged_out, dispatch_uid="sessions_live.logged_out")
def on_logged_out(*, request: HttpRequest | None, **kwargs: Any) -> None:
    """Django's ``logout()`` (a logout view, or any code): end the record, tell every tab."""
    session = getattr(request, "session", None)
    key = session.session_key if session is not None else None
    if not key:
        return
    live = store.find(key)
    if live is not None and live.ended is None:
        # logout() deletes the Django session and sent this signal itself.
        lifecycle.end_session(live, EndReason.LOGOUT, now=time.time(), send_signal=False)
