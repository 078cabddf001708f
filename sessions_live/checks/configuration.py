"""Checks of the ``SESSIONS_LIVE`` setting itself: one function per concern, run as one check."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from sessions_live.checks import messages
from sessions_live.conf import (
    KNOWN_KEYS,
    SETTING_NAME,
    SessionsLiveSettings,
    get_settings,
    legacy_settings_in_use,
    user_settings,
)
from sessions_live.core.policy import is_seconds
from sessions_live.core.privacy import KeepIp, KeepUserAgent


def _is_network(value: Any) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


@register(Tags.security)
def check_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Every check of the ``SESSIONS_LIVE`` setting, one function per concern."""
    if not isinstance(getattr(settings, SETTING_NAME, {}), Mapping):  # as conf.py reads it
        return [Error(messages.E008_MSG, hint=messages.E008_HINT, id="sessions_live.E008")]
    conf = get_settings()
    return [
        *_unknown_keys(),
        *_legacy_names(),
        *_durations(conf),
        *_lists(conf),
        *_flags(conf),
        *_session_limit(conf),
        *_broadcast_limit(conf),
        *_tab_caps(conf),
        *_timeouts_hook(conf),
    ]


def _unknown_keys() -> list[CheckMessage]:
    unknown = sorted(set(user_settings()) - KNOWN_KEYS)
    if not unknown:
        return []
    return [
        Warning(
            messages.W003_MSG.format(keys=", ".join(unknown)),
            hint=messages.W003_HINT,
            id="sessions_live.W003",
        )
    ]


def _legacy_names() -> list[CheckMessage]:
    legacy = legacy_settings_in_use()
    if not legacy:
        return []
    return [
        Warning(
            messages.W002_MSG.format(names=", ".join(legacy)),
            hint=messages.W002_HINT,
            id="sessions_live.W002",
        )
    ]


#: The settings that are durations; the optional ones may also be None (no limit).
DURATIONS = (
    "WARN_AFTER",
    "EXPIRE_AFTER",
    "ACTIVITY_INTERVAL",
    "CLOSE_GRACE",
    "SWEEP_INTERVAL",
    "RETENTION",
    "DASHBOARD_INTERVAL",
    "PUSH_TIMEOUT",
)


OPTIONAL_DURATIONS = ("ABSOLUTE_EXPIRE_AFTER", "MAX_LEASE")


def _durations(conf: SessionsLiveSettings) -> list[CheckMessage]:
    """E002 for each duration that is no number of seconds, then how the valid ones relate
    (E001, E010, W004)."""
    keys = [*DURATIONS, *(key for key in OPTIONAL_DURATIONS if getattr(conf, key) is not None)]
    bad = {key for key in keys if not is_seconds(getattr(conf, key))}
    errors: list[CheckMessage] = [
        Error(
            messages.E002_MSG.format(key=key, value=getattr(conf, key)),
            hint=messages.E002_HINT,
            id="sessions_live.E002",
        )
        for key in keys
        if key in bad
    ]
    if not bad & {"WARN_AFTER", "EXPIRE_AFTER"} and conf.WARN_AFTER >= conf.EXPIRE_AFTER:
        message = messages.E001_MSG.format(warn=conf.WARN_AFTER, expire=conf.EXPIRE_AFTER)
        errors.append(Error(message, hint=messages.E001_HINT, id="sessions_live.E001"))
    if "SWEEP_INTERVAL" not in bad and conf.SWEEP_INTERVAL >= messages.MAX_SWEEP_INTERVAL:
        message = messages.E010_MSG.format(
            interval=conf.SWEEP_INTERVAL, limit=messages.MAX_SWEEP_INTERVAL
        )
        errors.append(Error(message, hint=messages.E010_HINT, id="sessions_live.E010"))
    if not bad & {"WARN_AFTER", "ACTIVITY_INTERVAL"} and conf.ACTIVITY_INTERVAL >= conf.WARN_AFTER:
        message = messages.W004_MSG.format(interval=conf.ACTIVITY_INTERVAL, warn=conf.WARN_AFTER)
        errors.append(Warning(message, hint=messages.W004_HINT, id="sessions_live.W004"))
    return errors


def _wrong_type(key: str, expected: str, value: Any) -> CheckMessage:
    message = messages.E007_MSG.format(key=key, expected=expected, value=value)
    return Error(message, hint=messages.E007_HINT, id="sessions_live.E007")


def _lists(conf: SessionsLiveSettings) -> list[CheckMessage]:
    """The lists of strings (E007), and the proxies among them that are no address (E009)."""
    errors = [
        _wrong_type(key, "a list of strings", value)
        for key in ("PASSIVE_URLS", "PASSIVE_URL_NAMES", "TRUSTED_PROXIES")
        if not isinstance(value := getattr(conf, key), tuple)
        or not all(isinstance(item, str) for item in value)
    ]
    if isinstance(conf.TRUSTED_PROXIES, tuple):
        invalid = [entry for entry in conf.TRUSTED_PROXIES if not _is_network(entry)]
        if invalid:
            message = messages.E009_MSG.format(entries=", ".join(map(repr, invalid)))
            errors.append(Error(message, hint=messages.E009_HINT, id="sessions_live.E009"))
    return errors


#: The settings that are True or False.
FLAGS = (
    "EXPIRE_WHEN_ALL_TABS_CLOSED",
    "ALLOW_MISSING_ORIGIN",
    "ADMIN_CLIENT",
    "INJECT_CLIENT",
    "REAUTH_IN_PLACE",
)


def _flags(conf: SessionsLiveSettings) -> list[CheckMessage]:
    """The booleans, the privacy choices, the login URL and the base template: each of its
    own type (E007)."""
    errors = [
        _wrong_type(key, "True or False", getattr(conf, key))
        for key in FLAGS
        if not isinstance(getattr(conf, key), bool)
    ]
    for key, choices in (("KEEP_IP", KeepIp), ("KEEP_USER_AGENT", KeepUserAgent)):
        if getattr(conf, key) not in {choice.value for choice in choices}:
            expected = " or ".join(repr(choice.value) for choice in choices)
            errors.append(_wrong_type(key, expected, getattr(conf, key)))
    if conf.LOGIN_URL is not None and not isinstance(conf.LOGIN_URL, str):
        errors.append(_wrong_type("LOGIN_URL", "a URL path string or None", conf.LOGIN_URL))
    if not isinstance(conf.BASE_TEMPLATE, str) or not conf.BASE_TEMPLATE:
        errors.append(_wrong_type("BASE_TEMPLATE", "a template name", conf.BASE_TEMPLATE))
    return errors


def _no_limit_or_a_count(value: object) -> bool:
    """None, or a whole number above 0 (not a bool): what every limit setting takes."""
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1)


def _session_limit(conf: SessionsLiveSettings) -> list[CheckMessage]:
    limit = conf.MAX_SESSIONS_PER_USER
    if _no_limit_or_a_count(limit):
        return []
    return [
        Error(
            messages.E011_MSG.format(value=limit), hint=messages.E011_HINT, id="sessions_live.E011"
        )
    ]


def _tab_caps(conf: SessionsLiveSettings) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for key in ("MAX_TABS_PER_SESSION", "MAX_TABS_PER_USER"):
        cap = getattr(conf, key)
        if _no_limit_or_a_count(cap):
            continue
        message = messages.E017_MSG.format(key=key, value=cap)
        errors.append(Error(message, hint=messages.E017_HINT, id="sessions_live.E017"))
    return errors


def _broadcast_limit(conf: SessionsLiveSettings) -> list[CheckMessage]:
    limit = conf.BROADCASTS_PER_MINUTE
    if _no_limit_or_a_count(limit):
        return []
    message = messages.E015_MSG.format(value=limit)
    return [Error(message, hint=messages.E015_HINT, id="sessions_live.E015")]


def _timeouts_hook(conf: SessionsLiveSettings) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    problem = _hook_problem(conf.TIMEOUTS_FOR)
    if problem is not None:
        message = messages.E012_MSG.format(value=conf.TIMEOUTS_FOR, problem=problem)
        found.append(Error(message, hint=messages.E012_HINT, id="sessions_live.E012"))
    problem = _hook_problem(conf.REAUTH_ALLOWED)
    if problem is not None:
        message = messages.E016_MSG.format(value=conf.REAUTH_ALLOWED, problem=problem)
        found.append(Error(message, hint=messages.E016_HINT, id="sessions_live.E016"))
    return found


def _hook_problem(path: Any) -> str | None:
    """Why ``path`` names no callable (None: it does, or no hook is set)."""
    if path is None:
        return None
    if not isinstance(path, str):
        return "it is not a dotted path"
    try:
        found = import_string(path)
    except ImportError as error:
        return str(error)
    return None if callable(found) else "it is not callable"
