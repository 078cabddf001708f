"""A drop-in for channels' ``AuthMiddlewareStack`` that survives a SECRET_KEY rotation.

channels' ``get_user`` verifies a session's auth hash against SECRET_KEY alone and, when it
does not verify, flushes the session: after a rotation one tab connecting deletes its user's
Django session, signing them out everywhere. Django's own ``get_user`` tries
SECRET_KEY_FALLBACKS too, and on a fallback's match cycles the key. This stack verifies the
hash the way Django does, against SECRET_KEY then each fallback, and never flushes or cycles
the session: a socket cannot set a cookie, and the next HTTP request cycles it as Django does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare

#: Set in the scope by :class:`AuthMiddleware`: the tab consumer warns when a deployment with
#: SECRET_KEY_FALLBACKS routes it through another stack (channels' flushes sessions).
SCOPE_MARK = "sessions_live_auth"

logger = logging.getLogger(__name__)
_warned_of_channels_auth = False


def warn_of_channels_auth(scope: Mapping[str, object]) -> None:
    """Log once per process that a tab came through another auth stack than ours while
    SECRET_KEY_FALLBACKS is set: channels' own signs out every session a fallback verifies."""
    global _warned_of_channels_auth
    if _warned_of_channels_auth or not settings.SECRET_KEY_FALLBACKS or scope.get(SCOPE_MARK):
        return
    _warned_of_channels_auth = True
    logger.warning(
        "sessions_live: SECRET_KEY_FALLBACKS is set, but the tab socket is not routed through "
        "sessions_live.routing.AuthMiddlewareStack: channels' AuthMiddlewareStack flushes "
        "(signs out) every session signed with a fallback key. Use "
        "sessions_live.routing.AuthMiddlewareStack in your asgi.py instead."
    )


def verified(user: Any, session_hash: str | None) -> bool:
    """Whether ``session_hash`` is the user's auth hash under SECRET_KEY or a fallback."""
    if not hasattr(user, "get_session_auth_hash"):
        return True  # a user model without the hash: nothing to verify (as in Django)
    if not session_hash:
        return False
    fallbacks = getattr(user, "get_session_auth_fallback_hash", lambda: ())
    return any(
        constant_time_compare(session_hash, candidate)
        for candidate in (user.get_session_auth_hash(), *fallbacks())
    )


def user_of(session: SessionBase) -> AbstractBaseUser | AnonymousUser:
    """The session's user, as ``django.contrib.auth.get_user`` finds it, or AnonymousUser;
    the session is left as it is, whatever it holds."""
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    user = load_backend(backend_path).get_user(user_id)
    if user is None or not verified(user, session.get(HASH_SESSION_KEY)):
        return AnonymousUser()
    return user


class AuthMiddleware(BaseMiddleware):
    """Puts ``scope["user"]`` from the scope's session (channels' ``SessionMiddleware`` must
    be above it), verified against SECRET_KEY and SECRET_KEY_FALLBACKS."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if "session" not in scope:
            raise ValueError(
                "sessions_live's AuthMiddleware cannot find the session in the scope: "
                "put channels' SessionMiddleware above it (or use AuthMiddlewareStack)."
            )
        scope = dict(scope)
        session = scope["session"]
        if session.session_key is None:  # no cookie: anonymous, and no thread hop to know it
            scope["user"] = AnonymousUser()
        else:
            scope["user"] = await database_sync_to_async(user_of)(session)
        scope[SCOPE_MARK] = True
        return await super().__call__(scope, receive, send)


def AuthMiddlewareStack(inner: Any) -> Any:
    """Cookies, the session and the user, as channels' ``AuthMiddlewareStack``."""
    return CookieMiddleware(SessionMiddleware(AuthMiddleware(inner)))
