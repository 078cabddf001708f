"""Signing in: the record of a newly signed-in session, and the marker it leaves in the session.

Called by the ``user_logged_in`` receiver (:mod:`sessions_live.receivers`) and by the
middleware for a session signed in before sessions-live was installed.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from sessions_live import signals, store
from sessions_live.conf import get_settings
from sessions_live.core.privacy import kept_ip, kept_user_agent
from sessions_live.models import LiveSession
from sessions_live.store import user_timeouts
from sessions_live.web.clients import request_ip, request_user_agent

#: Key in ``request.session`` holding the id of the session's record, written once at start,
#: so a session whose record is gone is refused instead of being started afresh.
SESSION_MARKER = "_sessions_live"


def start_session(
    request: HttpRequest, user: AbstractBaseUser | AnonymousUser, now: float
) -> LiveSession | None:
    """Create the record of the request's signed-in session and mark the session with it."""
    key = request.session.session_key
    if not key or not isinstance(user, AbstractBaseUser) or not user.is_authenticated:
        return None
    conf = get_settings()
    live, created = store.start(
        key,
        user,
        ip=kept_ip(request_ip(request), conf.KEEP_IP),
        user_agent=kept_user_agent(request_user_agent(request), conf.KEEP_USER_AGENT),
        now=now,
        timeouts=user_timeouts.fields_for(user, request),
    )
    if created:
        signals.send(signals.session_started, live)
    request.session[SESSION_MARKER] = live.pk.hex
    return live
