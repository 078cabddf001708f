"""The ``SESSIONS_LIVE`` setting: documented defaults, merged once, typed and frozen.

Read settings through :func:`get_settings`; it is cached and reset when a test changes
settings. Values are taken as given here; :mod:`sessions_live.checks` reports bad ones at
start-up with a hint, so this module never raises on a user's configuration.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from django.conf import settings as django_settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.shortcuts import resolve_url

from sessions_live.core.policy import Timeouts, is_seconds

SETTING_NAME = "SESSIONS_LIVE"

#: django-session-security names read when the ``SESSIONS_LIVE`` key is absent.
LEGACY_SETTINGS: Mapping[str, str] = {
    "WARN_AFTER": "SESSION_SECURITY_WARN_AFTER",
    "EXPIRE_AFTER": "SESSION_SECURITY_EXPIRE_AFTER",
    "PASSIVE_URLS": "SESSION_SECURITY_PASSIVE_URLS",
    "PASSIVE_URL_NAMES": "SESSION_SECURITY_PASSIVE_URL_NAMES",
}


@dataclass(frozen=True)
class SessionsLiveSettings:
    #: Seconds of inactivity after which every tab shows the warning.
    WARN_AFTER: float = 540
    #: Seconds of inactivity after which the session ends.
    EXPIRE_AFTER: float = 600
    #: Seconds after sign-in after which the session ends whatever its activity; None: never.
    ABSOLUTE_EXPIRE_AFTER: float | None = None
    #: Paths (exact, e.g. "/api/poll/") whose requests do not count as activity.
    PASSIVE_URLS: tuple[str, ...] = ()
    #: URL names ("name" or "namespace:name") whose requests do not count as activity.
    PASSIVE_URL_NAMES: tuple[str, ...] = ()
    #: Seconds: the client reports input at most once per window (leading and trailing edge).
    #: When unset, WARN_AFTER / 4 if that is smaller.
    ACTIVITY_INTERVAL: float = 10
    #: Where signed-out tabs and requests go; None means ``settings.LOGIN_URL``.
    LOGIN_URL: str | None = None
    #: End a session once its last tab has been closed for CLOSE_GRACE seconds.
    EXPIRE_WHEN_ALL_TABS_CLOSED: bool = False
    #: Seconds to wait for a reload or a new tab before ending a session with no tab open.
    CLOSE_GRACE: float = 15
    #: Seconds between two runs of the sweep that ends sessions no tab is watching.
    SWEEP_INTERVAL: float = 2
    #: Seconds an ended session stays on the dashboard as an audit trail (default 7 days).
    RETENTION: float = 7 * 24 * 3600
    #: Proxies (addresses or networks, e.g. "10.0.0.0/8") whose X-Forwarded-For is believed.
    #: Empty by default: the header is ignored and the peer address is the client's.
    TRUSTED_PROXIES: tuple[str, ...] = ()
    #: Accept WebSocket handshakes without an Origin header (non-browser clients). A browser
    #: always sends one, and one that is not this site's own origin (nor one of
    #: CSRF_TRUSTED_ORIGINS) is always refused.
    ALLOW_MISSING_ORIGIN: bool = False
    #: Tabs one session may have open at once, over every process; one more is refused (close
    #: 4409) until one closes. None: no limit.
    MAX_TABS_PER_SESSION: int | None = 50
    #: Tabs one user may have open at once, over all of their sessions. None: no limit.
    MAX_TABS_PER_USER: int | None = 200
    #: Seconds a page may keep its session from idling out with one ``lease`` (a video, a long
    #: form), capped by ABSOLUTE_EXPIRE_AFTER; None: leases are refused.
    MAX_LEASE: float | None = None
    #: Dotted path to a callable(user=, request=) at sign-in, returning this user's own
    #: WARN_AFTER / EXPIRE_AFTER / ABSOLUTE_EXPIRE_AFTER (a dict; a missing key or None: the
    #: values above); None: every session has the values above.
    TIMEOUTS_FOR: str | None = None
    #: Seconds between two updates sent to a dashboard (changes are coalesced in between).
    DASHBOARD_INTERVAL: float = 0.5
    #: Seconds one push to other tabs through the channel layer may take (its retry included)
    #: before it is dropped and counted: nobody waits for a push, and a Redis that hangs holds
    #: each one this long at most.
    PUSH_TIMEOUT: float = 1.0
    #: Live sessions a user may hold at once; a sign-in beyond it ends the oldest ones (reason
    #: "replaced"). None: no limit.
    MAX_SESSIONS_PER_USER: int | None = None
    #: When a session times out, ask for the same user's password in the dialog and carry on
    #: where the page was, instead of leaving for the login page (docs/security.md).
    REAUTH_IN_PLACE: bool = False
    #: Dotted path to ``f(user) -> bool``: whether that user may sign in again in place (say
    #: False for a second factor sessions-live cannot see). None: every user with a usable
    #: password and no django-allauth MFA or django-otp device.
    REAUTH_ALLOWED: str | None = None
    #: Messages one staff member may send to open tabs per minute (from the dashboard).
    #: None: no limit.
    BROADCASTS_PER_MINUTE: int | None = 5
    #: Put the client on the Django admin's pages (the middleware inserts it) and Wagtail's
    #: admin pages (its ``insert_global_admin_js`` hook), with no template edits.
    ADMIN_CLIENT: bool = True
    #: Put the client on every HTML page of a signed-in session that does not carry it (the
    #: middleware inserts it before ``</body>``): for pages of other apps whose templates you
    #: do not own. Off: only pages with ``{% sessions_live_script %}`` (and the admins) have it.
    INJECT_CLIENT: bool = False
    #: What a session's record keeps of the visitor's address: "full", "network" (its /24 or
    #: IPv6 /48) or "none". Rows kept before a change: ``manage.py sessions_live_privacy``.
    KEEP_IP: str = "full"
    #: What it keeps of the user agent: "full", "family" (browser and system names, no
    #: versions) or "none".
    KEEP_USER_AGENT: str = "full"
    #: The template the "your sessions" page extends (it fills the blocks "title" and
    #: "content").
    BASE_TEMPLATE: str = "base.html"

    @property
    def timeouts(self) -> Timeouts:
        return Timeouts(
            warn_after=float(self.WARN_AFTER),
            expire_after=float(self.EXPIRE_AFTER),
            absolute_expire_after=(
                None if self.ABSOLUTE_EXPIRE_AFTER is None else float(self.ABSOLUTE_EXPIRE_AFTER)
            ),
        )

    @property
    def login_url(self) -> str:
        """The login page's path (``LOGIN_URL`` may be a URL name, as in Django)."""
        return str(resolve_url(self.LOGIN_URL or django_settings.LOGIN_URL))


KNOWN_KEYS = frozenset(field.name for field in fields(SessionsLiveSettings))


def user_settings() -> dict[str, Any]:
    """The ``SESSIONS_LIVE`` dict as the user wrote it (empty when absent)."""
    value = getattr(django_settings, SETTING_NAME, None)
    return dict(value) if isinstance(value, Mapping) else {}


def legacy_settings_in_use() -> list[str]:
    """django-session-security setting names that are set and not overridden."""
    own = user_settings()
    return [
        legacy
        for key, legacy in LEGACY_SETTINGS.items()
        if key not in own and hasattr(django_settings, legacy)
    ]


@functools.cache
def get_settings() -> SessionsLiveSettings:
    values: dict[str, Any] = {}
    for key, legacy in LEGACY_SETTINGS.items():
        if hasattr(django_settings, legacy):
            values[key] = getattr(django_settings, legacy)
    values.update((k, v) for k, v in user_settings().items() if k in KNOWN_KEYS)
    warn = values.get("WARN_AFTER", SessionsLiveSettings.WARN_AFTER)
    if "ACTIVITY_INTERVAL" not in values and is_seconds(warn):
        # Unset: at most a quarter of WARN_AFTER, so short timeouts (django-session-security's
        # own test project warns after 5 s) never warn an active user.
        values["ACTIVITY_INTERVAL"] = min(SessionsLiveSettings.ACTIVITY_INTERVAL, warn / 4)
    for key in ("PASSIVE_URLS", "PASSIVE_URL_NAMES", "TRUSTED_PROXIES"):
        if key in values and isinstance(values[key], list | tuple | set | frozenset):
            values[key] = tuple(values[key])
    return SessionsLiveSettings(**values)


@receiver(setting_changed)
def _reset_settings(*, setting: str, **kwargs: object) -> None:
    if setting == SETTING_NAME or setting in LEGACY_SETTINGS.values() or setting == "LOGIN_URL":
        get_settings.cache_clear()


def activity_step(conf: SessionsLiveSettings) -> float:
    """Seconds: activity this close to the last recorded one is not written or pushed again.

    Half the client's window, so its trailing-edge report always passes; the session's
    recorded activity is never more than this older than the real one.
    """
    return float(conf.ACTIVITY_INTERVAL) / 2
