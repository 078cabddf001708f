"""Requests that do not count as activity: a view decorator and the two passive settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import HttpRequest

from sessions_live.conf import LEGACY_SETTINGS, get_settings, legacy_settings_in_use

ViewT = TypeVar("ViewT", bound=Callable[..., object])

PASSIVE_ATTRIBUTE = "sessions_live_passive"

#: Other apps' requests that are never activity, whatever the settings say: Wagtail's page
#: editor pings every 10 s while it is open, input or not, and releases its editing session
#: when the page is left or closed. (Typing in the editor is activity: the client reports it.)
BUILT_IN_PASSIVE_URL_NAMES = frozenset(
    {"wagtailadmin_editing_sessions:ping", "wagtailadmin_editing_sessions:release"}
)


def passive(view: ViewT) -> ViewT:
    """Mark a view whose requests (polling, heartbeats) must not keep a session alive.

    The session is still refused once it has expired; only its clock is left alone.
    """
    setattr(view, PASSIVE_ATTRIBUTE, True)
    return view


def is_passive(request: HttpRequest, view: Callable[..., object]) -> bool:
    conf = get_settings()
    if getattr(view, PASSIVE_ATTRIBUTE, False) or request.path in conf.PASSIVE_URLS:
        return True
    match = request.resolver_match
    if match is None:
        return False
    if match.view_name in conf.PASSIVE_URL_NAMES or match.view_name in BUILT_IN_PASSIVE_URL_NAMES:
        return True
    if not match.url_name or match.url_name not in conf.PASSIVE_URL_NAMES:
        return False
    # A plain name is a route outside any namespace, except in the names read from
    # SESSION_SECURITY_PASSIVE_URL_NAMES: django-session-security matched them in any namespace.
    return not match.namespaces or (
        LEGACY_SETTINGS["PASSIVE_URL_NAMES"] in legacy_settings_in_use()
    )
