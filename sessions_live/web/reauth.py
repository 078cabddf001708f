"""Signing in again in place (``REAUTH_IN_PLACE``): a page whose session timed out keeps what
it holds and asks for the same user's password in its dialog, instead of leaving for the login
page.

The page is given, at render time, a token (signed, for ``TOKEN_MAX_AGE``) that names its user
and its session's record, the current CSRF token and the endpoint. The endpoint checks the
password of that user only (whatever name is typed), and only while that record has ended at a
timeout; anything else is refused with one answer, and the page then goes to the login page,
keeping nothing. Attempts are counted in Django's default cache, per user and per address
(``ATTEMPTS`` and ``ADDRESS_ATTEMPTS`` per ``ATTEMPT_WINDOW``), besides whatever the project's
authentication backends count; with a per-process cache the counts are per process.

Users with a second factor are never offered it: sessions-live checks a password, not the
site's whole login. It recognises django-allauth's MFA and django-otp devices; another kind is
the ``REAUTH_ALLOWED`` hook's to refuse. docs/security.md says what this trades.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.signing import BadSignature, TimestampSigner
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from sessions_live.conf import get_settings
from sessions_live.core.vocabulary import TIMEOUT_REASONS, EndReason
from sessions_live.models import LiveSession
from sessions_live.web.clients import request_ip

SALT = "sessions_live.reauth"
#: Seconds a page may wait, signed out, and still be signed in again in place.
TOKEN_MAX_AGE = 12 * 3600
#: Attempts one user, and one address, may make in ATTEMPT_WINDOW seconds.
ATTEMPTS = 5
ADDRESS_ATTEMPTS = 20
ATTEMPT_WINDOW = 15 * 60
#: The endpoint's URL name (in ``sessions_live.urls``).
URL_NAME = "sessions_live:reauth"
#: The endings a page may be signed in again after: its session timed out.
RESUMABLE = TIMEOUT_REASONS - {EndReason.CLOSED}


def endpoint() -> str | None:
    """Where the page posts its sign-in; None if ``sessions_live.urls`` is not included."""
    try:
        return reverse(URL_NAME)
    except NoReverseMatch:
        return None


def has_second_factor(user: Any) -> bool:
    """Whether ``user`` signs in with more than a password, as far as sessions-live can tell:
    a django-allauth MFA authenticator, or a django-otp device."""
    if apps.is_installed("allauth.mfa"):
        label, name = "mfa", "Authenticator"  # not a literal: django-stubs cannot see allauth
        authenticators = apps.get_model(label, name)
        if authenticators.objects.filter(user_id=user.pk).exists():
            return True
    if apps.is_installed("django_otp"):
        return bool(import_module("django_otp").user_has_device(user))
    return False


def allowed(user: Any) -> bool:
    """Whether ``user`` may be signed in again in place: a usable password and no second
    factor, then the ``REAUTH_ALLOWED`` hook, if one is set."""
    if not user.has_usable_password() or has_second_factor(user):
        return False
    hook = get_settings().REAUTH_ALLOWED
    return bool(import_string(hook)(user)) if hook else True


def token_for(user: Any, live: LiveSession) -> str:
    return TimestampSigner(salt=SALT).sign_object({"u": str(user.pk), "s": live.pk.hex})


def offered(request: HttpRequest | None) -> dict[str, str] | None:
    """What the page needs to sign its user in again in place, or None where it may not: the
    setting is off, the endpoint is not routed, nobody is signed in, the request has no record
    (the middleware reads it), or the user may not (:func:`allowed`: single sign-on, a second
    factor)."""
    url = endpoint() if get_settings().REAUTH_IN_PLACE else None
    user = getattr(request, "user", None)
    live: LiveSession | None = getattr(request, "sessions_live", None)
    if request is None or url is None or live is None or user is None:
        return None
    if not user.is_authenticated or not allowed(user):
        return None
    offer = {
        "url": url,
        "token": token_for(user, live),
        "csrf": get_token(request),
        "username": user.get_username(),
    }
    if not settings.CSRF_COOKIE_HTTPONLY and not settings.CSRF_USE_SESSIONS:
        offer["csrfCookie"] = settings.CSRF_COOKIE_NAME  # the newest token, if another tab moved it
    return offer


def resumable(token: str) -> tuple[Any, LiveSession] | None:
    """The user and the record a page's token names, if it verifies, is recent, and that
    record ended at a timeout (not by staff, a password change, a sign-out...)."""
    try:
        named = TimestampSigner(salt=SALT).unsign_object(token, max_age=TOKEN_MAX_AGE)
        live = LiveSession.objects.select_related("user").filter(pk=named["s"]).first()
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if live is None or str(live.user_id) != named["u"] or live.end_reason not in RESUMABLE:
        return None
    return live.user, live


def _counted(key: str, limit: int) -> bool:
    cache.add(key, 0, ATTEMPT_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, ATTEMPT_WINDOW)
        count = 1
    return count <= limit


def attempt_allowed(request: HttpRequest, user: Any) -> bool:
    """Count one attempt for ``user`` and the request's address; False once either made its
    limit in the window."""
    by_user = _counted(f"sessions_live:reauth:user:{user.pk}", ATTEMPTS)
    by_address = _counted(f"sessions_live:reauth:ip:{request_ip(request)}", ADDRESS_ATTEMPTS)
    return by_user and by_address


def succeeded(user: Any) -> None:
    """The user signed in again: their failures no longer count."""
    cache.delete(f"sessions_live:reauth:user:{user.pk}")


def is_endpoint(request: HttpRequest) -> bool:
    """Whether ``request`` is for the endpoint (it must be let through, signed out)."""
    return request.path == endpoint()


#: What the endpoint answers every refused attempt with (the page then goes to the login).
REFUSED = {"ok": False, "reason": "refused"}
