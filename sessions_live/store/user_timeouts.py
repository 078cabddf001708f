"""Per-user timeouts: the ``TIMEOUTS_FOR`` hook, asked at sign-in and kept on the session.

A site names a callable in ``SESSIONS_LIVE["TIMEOUTS_FOR"]``; it is called with the keyword
arguments ``user`` (signing in) and ``request`` (the sign-in request) and returns that user's
``WARN_AFTER``, ``EXPIRE_AFTER`` and ``ABSOLUTE_EXPIRE_AFTER`` (seconds; a missing key or None
keeps the setting). The answer is stored on the ``LiveSession`` row, so every process, the
sweep and every SQL condition apply the same deadline, and the tabs are told it in their
``hello`` and every frame after. An answer that makes no sense (a warning after the expiry, a
value that is no positive number, an unknown key) is logged and the settings are used.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest
from django.utils.module_loading import import_string

from sessions_live.conf import get_settings
from sessions_live.core.policy import Timeouts, is_seconds
from sessions_live.models import LiveSession

logger = logging.getLogger(__name__)

#: The keys a hook may return, and the ``LiveSession`` field each is kept in.
FIELDS: Mapping[str, str] = {
    "WARN_AFTER": "warn_after",
    "EXPIRE_AFTER": "expire_after",
    "ABSOLUTE_EXPIRE_AFTER": "absolute_expire_after",
}


def hook() -> Callable[..., Mapping[str, Any] | None] | None:
    path = get_settings().TIMEOUTS_FOR
    return None if path is None else import_string(path)


def fields_for(user: Any, request: HttpRequest) -> dict[str, dt.timedelta | None]:
    """The ``LiveSession`` fields for ``user`` signing in with ``request`` (empty: the
    settings apply)."""
    ask = hook()
    if ask is None:
        return {}
    answer = ask(user=user, request=request)
    if not answer:
        return {}
    unknown = set(answer) - set(FIELDS)
    values = {key: answer.get(key) for key in FIELDS}
    if unknown or any(value is not None and not is_seconds(value) for value in values.values()):
        logger.error(
            "sessions_live: TIMEOUTS_FOR returned %r; the SESSIONS_LIVE settings apply", answer
        )
        return {}
    conf = get_settings()
    warn = values["WARN_AFTER"] if values["WARN_AFTER"] is not None else conf.WARN_AFTER
    expire = values["EXPIRE_AFTER"] if values["EXPIRE_AFTER"] is not None else conf.EXPIRE_AFTER
    if float(warn) >= float(expire):
        logger.error(
            "sessions_live: TIMEOUTS_FOR returned %r: the warning would not come before the "
            "expiry; the SESSIONS_LIVE settings apply",
            answer,
        )
        return {}
    return {
        field: None if (value := values[key]) is None else dt.timedelta(seconds=float(value))
        for key, field in FIELDS.items()
    }


def timeouts_of(live: LiveSession) -> Timeouts:
    """The timeouts that govern ``live``: its own where it has them, else the settings'."""
    site = get_settings()

    own_absolute = live.absolute_expire_after
    own_warn, own_expire = live.warn_after, live.expire_after
    return Timeouts(
        warn_after=own_warn.total_seconds() if own_warn else float(site.WARN_AFTER),
        expire_after=own_expire.total_seconds() if own_expire else float(site.EXPIRE_AFTER),
        absolute_expire_after=(
            own_absolute.total_seconds()
            if own_absolute
            else None
            if site.ABSOLUTE_EXPIRE_AFTER is None
            else float(site.ABSOLUTE_EXPIRE_AFTER)
        ),
    )
