"""Which sign-in page a signed-out request or tab is sent to: its admin's, or the site's.

Django's admin and Wagtail's admin each send an anonymous visitor to a login page of their own
(``admin:login`` of that admin site, ``wagtailadmin_login``), whatever ``settings.LOGIN_URL``
says; a project made of the admin alone often has no other. So a page of one of them goes to
that admin's login, as the admin itself would send it, unless ``SESSIONS_LIVE['LOGIN_URL']`` is
set: then every page goes there. Every other page goes to the settings' login page.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, Resolver404, ResolverMatch, resolve, reverse

from sessions_live.conf import get_settings

#: The application namespace of every Django admin site's URLs (``AdminSite.urls``).
DJANGO_ADMIN_APP = "admin"
#: Wagtail's admin, when installed: its home (whose path every admin page is under) and login
#: (``WAGTAILADMIN_LOGIN_URL`` where set, as Wagtail itself reads it).
WAGTAIL_ADMIN_APP = "wagtail.admin"
WAGTAIL_HOME = "wagtailadmin_home"
WAGTAIL_LOGIN = "wagtailadmin_login"
WAGTAIL_LOGIN_SETTING = "WAGTAILADMIN_LOGIN_URL"


def _match(request: HttpRequest) -> ResolverMatch | None:
    """The request's URL match: Django's, once it resolved the view; else resolved here."""
    match: ResolverMatch | None = getattr(request, "resolver_match", None)
    if match is not None:
        return match
    try:
        return resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None


def is_django_admin(match: ResolverMatch) -> bool:
    """Whether ``match`` is a page of a Django admin site (any site, any namespace)."""
    return DJANGO_ADMIN_APP in match.app_names


def _django_admin_login(match: ResolverMatch) -> str | None:
    """The login of the Django admin site ``match`` is a page of (reversed in its namespace)."""
    if not is_django_admin(match):
        return None
    depth = match.app_names.index(DJANGO_ADMIN_APP) + 1
    namespace = ":".join(match.namespaces[:depth])
    try:
        return reverse(f"{namespace}:login")
    except NoReverseMatch:  # a site whose login was left out of its URLs
        return None


def _wagtail_admin_login(request: HttpRequest) -> str | None:
    """Wagtail's login, for a path under Wagtail's admin (where ``wagtailadmin_home`` is)."""
    if not apps.is_installed(WAGTAIL_ADMIN_APP):
        return None
    urlconf = getattr(request, "urlconf", None)
    try:
        home = reverse(WAGTAIL_HOME, urlconf)
        if not request.path.startswith(home):
            return None
        login = getattr(settings, WAGTAIL_LOGIN_SETTING, None)
        return str(resolve_url(login)) if login else reverse(WAGTAIL_LOGIN, urlconf)
    except NoReverseMatch:  # installed, but its admin (or the login named) is not routed
        return None


def admin_login(request: HttpRequest) -> str | None:
    """The login page of the admin (Django's or Wagtail's) the request is a page of, if any."""
    match = _match(request)
    found = _django_admin_login(match) if match is not None else None
    return found or _wagtail_admin_login(request)


def login_url(request: HttpRequest | None) -> str:
    """Where the request's page goes when its session is over (no query string of ours)."""
    conf = get_settings()
    if request is None or conf.LOGIN_URL is not None:
        return conf.login_url
    return admin_login(request) or conf.login_url


def is_login_page(request: HttpRequest, login: str | None = None) -> bool:
    """Whether the request is for the login page it would be sent to (so it may render);
    ``login``: that page, where the caller has it already (:func:`login_url`)."""
    return request.path == (login or login_url(request)).split("?", 1)[0]
