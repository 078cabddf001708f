"""Signing in again in place (``REAUTH_IN_PLACE``): a page whose session timed out keeps what
it holds and asks for the same user's password in its dialog, instead of leaving for the login
page.

The page is given, at render time, a token that names its user (signed, for
``TOKEN_MAX_AGE``), the current CSRF token and the endpoint. The endpoint signs in only that
user: the wrong password, another user's credentials, a stale token or too many attempts are
refused, and the page then goes to the login page, keeping nothing. Attempts are counted per
user in Django's default cache (``ATTEMPTS`` per ``ATTEMPT_WINDOW``), besides whatever limits
the project's authentication backends apply; with a per-process cache the count is per
process. docs/security.md says what this trades.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.signing import BadSignature, TimestampSigner
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import NoReverseMatch, reverse

from sessions_live.conf import get_settings

SALT = "sessions_live.reauth"
#: Seconds a page may wait, signed out, and still be signed in again in place.
TOKEN_MAX_AGE = 12 * 3600
#: Attempts one user may make in ATTEMPT_WINDOW seconds.
ATTEMPTS = 5
ATTEMPT_WINDOW = 15 * 60
#: The endpoint's URL name (in ``sessions_live.urls``).
URL_NAME = "sessions_live:reauth"


def endpoint() -> str | None:
    """Where the page posts its sign-in; None if ``sessions_live.urls`` is not included."""
    try:
        return reverse(URL_NAME)
    except NoReverseMatch:
        return None


def offered(request: HttpRequest | None) -> dict[str, str] | None:
    """What the page needs to sign its user in again in place, or None where it may not: the
    setting is off, nobody is signed in, the user has no usable password (signed in through
    single sign-on: the login page it is), or the endpoint is not routed."""
    user = getattr(request, "user", None)
    url = endpoint() if get_settings().REAUTH_IN_PLACE else None
    if (
        request is None
        or url is None
        or user is None
        or not user.is_authenticated
        or not user.has_usable_password()
    ):
        return None
    return {
        "url": url,
        "token": TimestampSigner(salt=SALT).sign(str(user.pk)),
        "csrf": get_token(request),
        "username": user.get_username(),
    }


def user_named_by(token: str) -> str | None:
    """The primary key (as text) that a page's token names, if it verifies and is recent."""
    try:
        return TimestampSigner(salt=SALT).unsign(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None


def attempt_allowed(user_pk: str) -> bool:
    """Count one attempt for the user ``user_pk``; False once ATTEMPTS were made in the
    window."""
    key = f"sessions_live:reauth:{user_pk}"
    cache.add(key, 0, ATTEMPT_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, ATTEMPT_WINDOW)
        count = 1
    return count <= ATTEMPTS


def is_endpoint(request: HttpRequest) -> bool:
    """Whether ``request`` is for the endpoint (it must be let through, signed out)."""
    return request.path == endpoint()


def refusal(reason: str) -> dict[str, Any]:
    """What the endpoint answers a refused attempt with (the page then goes to the login)."""
    return {"ok": False, "reason": reason}
