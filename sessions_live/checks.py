"""System checks: a misconfiguration is reported at start-up, with the fix in the hint."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from .conf import (
    KNOWN_KEYS,
    SETTING_NAME,
    SessionsLiveSettings,
    get_settings,
    legacy_settings_in_use,
    user_settings,
)
from .policy import is_seconds

#: The sweep refreshes this process's tabs; TAB_STALE_AFTER (20 s) must hold two refreshes.
MAX_SWEEP_INTERVAL = 10
MIDDLEWARE_PATH = "sessions_live.middleware.SessionsLiveMiddleware"
AUTH_MIDDLEWARE_PATH = "django.contrib.auth.middleware.AuthenticationMiddleware"
IN_MEMORY_LAYER = "channels.layers.InMemoryChannelLayer"
SIGNED_COOKIES_ENGINE = "django.contrib.sessions.backends.signed_cookies"

E001_MSG = "SESSIONS_LIVE['WARN_AFTER'] ({warn}) must be less than EXPIRE_AFTER ({expire})."
E001_HINT = "Warn before the session expires: for example WARN_AFTER=540 with EXPIRE_AFTER=600."
E002_MSG = "SESSIONS_LIVE['{key}'] must be a positive number of seconds, not {value!r}."
E002_HINT = "Set it to a number greater than 0 (seconds), or remove it to use the default."
E003_MSG = "No default channel layer is configured; tabs of one session cannot reach each other."
E003_HINT = (
    "Add CHANNEL_LAYERS = {'default': {'BACKEND': 'channels_redis.core.RedisChannelLayer', "
    "'CONFIG': {'hosts': [...]}}} (or channels.layers.InMemoryChannelLayer for one process)."
)
W001_MSG = "The in-memory channel layer is used with DEBUG=False."
W001_HINT = (
    "It only reaches tabs served by the same process: use channels_redis in production "
    "unless you run exactly one server process (one daphne, or uvicorn with one worker)."
)
E004_MSG = f"'{MIDDLEWARE_PATH}' is not in MIDDLEWARE; expired sessions are not refused on HTTP."
E004_HINT = f"Add '{MIDDLEWARE_PATH}' to MIDDLEWARE, after '{AUTH_MIDDLEWARE_PATH}'."
E005_MSG = f"'{MIDDLEWARE_PATH}' must come after '{AUTH_MIDDLEWARE_PATH}' in MIDDLEWARE."
E005_HINT = "Move it below AuthenticationMiddleware: it needs request.user."
E006_MSG = "The signed_cookies session engine is not supported: its key changes on every write."
E006_HINT = "Use a server-side engine such as django.contrib.sessions.backends.db or cache_db."
W002_MSG = "{names} from django-session-security are read as fallbacks."
W002_HINT = "Move them into SESSIONS_LIVE (e.g. SESSIONS_LIVE = {{'WARN_AFTER': 540}})."
W003_MSG = "SESSIONS_LIVE has unknown keys: {keys}."
W003_HINT = "Check the spelling against the settings table (docs/settings.md); they are ignored."
E007_MSG = "SESSIONS_LIVE['{key}'] must be {expected}, not {value!r}."
E007_HINT = "See the settings table (docs/settings.md) for the expected type."
W004_MSG = "SESSIONS_LIVE['ACTIVITY_INTERVAL'] ({interval}) is not below WARN_AFTER ({warn})."
W004_HINT = (
    "Activity is reported once per interval, so an active user could be warned: "
    "make ACTIVITY_INTERVAL a small fraction of WARN_AFTER."
)
DJANGO_TEMPLATES = "django.template.backends.django.DjangoTemplates"
REQUEST_PROCESSOR = "django.template.context_processors.request"
E013_MSG = (
    f"No DjangoTemplates backend in TEMPLATES has '{REQUEST_PROCESSOR}': "
    "{% sessions_live_script %} renders nothing without the request, so no page is warned."
)
E013_HINT = (
    f"Add '{REQUEST_PROCESSOR}' to OPTIONS['context_processors'] of your DjangoTemplates "
    "backend in TEMPLATES (startproject's settings have it)."
)
LEGACY_PING_URL_NAME = "session_security_ping"
W005_MSG = "django-session-security's ping URL ('session_security_ping') is still routed."
W005_HINT = (
    "Remove the include('session_security.urls') line from your urls.py: sessions-live "
    "pushes over its WebSocket and never pings that view."
)
#: WCAG 2.2.1 (Timing Adjustable): warn at least this long before the deadline (seconds).
MIN_WARNING = 20
W006_MSG = (
    "SESSIONS_LIVE warns {warning:g} seconds before the session ends (EXPIRE_AFTER - WARN_AFTER): "
    "under the {minimum} seconds WCAG 2.2.1 asks for."
)
W006_HINT = (
    "Let EXPIRE_AFTER come at least 20 seconds after WARN_AFTER (the defaults give 60), so "
    "anyone can read the warning and stay signed in in time; see docs/accessibility.md."
)
E009_MSG = "SESSIONS_LIVE['TRUSTED_PROXIES'] has entries that are not addresses: {entries}."
E009_HINT = "Write addresses or networks, e.g. ['127.0.0.1', '10.0.0.0/8']."
E010_MSG = "SESSIONS_LIVE['SWEEP_INTERVAL'] ({interval}) must be below {limit} seconds."
E010_HINT = (
    "The sweep also tells other processes this one's tabs are open; slower than that, they "
    "are taken for tabs of a dead process."
)
E011_MSG = (
    "SESSIONS_LIVE['MAX_SESSIONS_PER_USER'] must be None or a whole number above 0, not {value!r}."
)
E011_HINT = (
    "Set it to how many live sessions one user may hold at once (e.g. 3), or to None for no limit."
)
E012_MSG = "SESSIONS_LIVE['TIMEOUTS_FOR'] ({value!r}) does not name a callable: {problem}."
E012_HINT = (
    "Give the dotted path of a function taking user= and request= (at sign-in) and returning "
    "a dict of "
    "WARN_AFTER / EXPIRE_AFTER / ABSOLUTE_EXPIRE_AFTER, e.g. 'myapp.sessions.timeouts_for'."
)
E008_MSG = "SESSIONS_LIVE must be a dict (or another mapping)."
E008_HINT = "Write it as SESSIONS_LIVE = {'WARN_AFTER': 540, 'EXPIRE_AFTER': 600}."


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
        return [Error(E008_MSG, hint=E008_HINT, id="sessions_live.E008")]
    conf = get_settings()
    return [
        *_unknown_keys(),
        *_legacy_names(),
        *_durations(conf),
        *_lists(conf),
        *_flags(conf),
        *_session_limit(conf),
        *_timeouts_hook(conf),
    ]


def _unknown_keys() -> list[CheckMessage]:
    unknown = sorted(set(user_settings()) - KNOWN_KEYS)
    if not unknown:
        return []
    return [
        Warning(W003_MSG.format(keys=", ".join(unknown)), hint=W003_HINT, id="sessions_live.W003")
    ]


def _legacy_names() -> list[CheckMessage]:
    legacy = legacy_settings_in_use()
    if not legacy:
        return []
    return [
        Warning(W002_MSG.format(names=", ".join(legacy)), hint=W002_HINT, id="sessions_live.W002")
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
)
OPTIONAL_DURATIONS = ("ABSOLUTE_EXPIRE_AFTER", "MAX_LEASE")


def _durations(conf: SessionsLiveSettings) -> list[CheckMessage]:
    """E002 for each duration that is no number of seconds, then how the valid ones relate
    (E001, E010, W004)."""
    keys = [*DURATIONS, *(key for key in OPTIONAL_DURATIONS if getattr(conf, key) is not None)]
    bad = {key for key in keys if not is_seconds(getattr(conf, key))}
    errors: list[CheckMessage] = [
        Error(
            E002_MSG.format(key=key, value=getattr(conf, key)),
            hint=E002_HINT,
            id="sessions_live.E002",
        )
        for key in keys
        if key in bad
    ]
    if not bad & {"WARN_AFTER", "EXPIRE_AFTER"} and conf.WARN_AFTER >= conf.EXPIRE_AFTER:
        message = E001_MSG.format(warn=conf.WARN_AFTER, expire=conf.EXPIRE_AFTER)
        errors.append(Error(message, hint=E001_HINT, id="sessions_live.E001"))
    if "SWEEP_INTERVAL" not in bad and conf.SWEEP_INTERVAL >= MAX_SWEEP_INTERVAL:
        message = E010_MSG.format(interval=conf.SWEEP_INTERVAL, limit=MAX_SWEEP_INTERVAL)
        errors.append(Error(message, hint=E010_HINT, id="sessions_live.E010"))
    if not bad & {"WARN_AFTER", "ACTIVITY_INTERVAL"} and conf.ACTIVITY_INTERVAL >= conf.WARN_AFTER:
        message = W004_MSG.format(interval=conf.ACTIVITY_INTERVAL, warn=conf.WARN_AFTER)
        errors.append(Warning(message, hint=W004_HINT, id="sessions_live.W004"))
    return errors


def _wrong_type(key: str, expected: str, value: Any) -> CheckMessage:
    message = E007_MSG.format(key=key, expected=expected, value=value)
    return Error(message, hint=E007_HINT, id="sessions_live.E007")


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
            message = E009_MSG.format(entries=", ".join(map(repr, invalid)))
            errors.append(Error(message, hint=E009_HINT, id="sessions_live.E009"))
    return errors


def _flags(conf: SessionsLiveSettings) -> list[CheckMessage]:
    """The booleans, the login URL and the base template: each of its own type (E007)."""
    errors = [
        _wrong_type(key, "True or False", getattr(conf, key))
        for key in ("EXPIRE_WHEN_ALL_TABS_CLOSED", "ALLOW_MISSING_ORIGIN")
        if not isinstance(getattr(conf, key), bool)
    ]
    if conf.LOGIN_URL is not None and not isinstance(conf.LOGIN_URL, str):
        errors.append(_wrong_type("LOGIN_URL", "a URL path string or None", conf.LOGIN_URL))
    if not isinstance(conf.BASE_TEMPLATE, str) or not conf.BASE_TEMPLATE:
        errors.append(_wrong_type("BASE_TEMPLATE", "a template name", conf.BASE_TEMPLATE))
    return errors


def _session_limit(conf: SessionsLiveSettings) -> list[CheckMessage]:
    limit = conf.MAX_SESSIONS_PER_USER
    if limit is None or (isinstance(limit, int) and not isinstance(limit, bool) and limit >= 1):
        return []
    return [Error(E011_MSG.format(value=limit), hint=E011_HINT, id="sessions_live.E011")]


def _timeouts_hook(conf: SessionsLiveSettings) -> list[CheckMessage]:
    problem = _hook_problem(conf.TIMEOUTS_FOR)
    if problem is None:
        return []
    message = E012_MSG.format(value=conf.TIMEOUTS_FOR, problem=problem)
    return [Error(message, hint=E012_HINT, id="sessions_live.E012")]


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


@register(Tags.compatibility)
def check_channel_layer(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    default = layers.get("default") if isinstance(layers, dict) else None
    if not default:
        return [Error(E003_MSG, hint=E003_HINT, id="sessions_live.E003")]
    if default.get("BACKEND") == IN_MEMORY_LAYER and not settings.DEBUG:
        return [Warning(W001_MSG, hint=W001_HINT, id="sessions_live.W001")]
    return []


@register(Tags.compatibility)
def check_middleware(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE_PATH not in middleware:
        return [Error(E004_MSG, hint=E004_HINT, id="sessions_live.E004")]
    if AUTH_MIDDLEWARE_PATH not in middleware or middleware.index(
        AUTH_MIDDLEWARE_PATH
    ) > middleware.index(MIDDLEWARE_PATH):
        return [Error(E005_MSG, hint=E005_HINT, id="sessions_live.E005")]
    return []


@register(Tags.compatibility)
def check_session_engine(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if settings.SESSION_ENGINE == SIGNED_COOKIES_ENGINE:
        return [Error(E006_MSG, hint=E006_HINT, id="sessions_live.E006")]
    return []


@register(Tags.urls)
def check_legacy_urls(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    try:
        reverse(LEGACY_PING_URL_NAME)
    except NoReverseMatch:
        return []
    return [Warning(W005_MSG, hint=W005_HINT, id="sessions_live.W005")]


@register("accessibility")
def check_warning_time(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    conf = get_settings()
    if not (is_seconds(conf.WARN_AFTER) and is_seconds(conf.EXPIRE_AFTER)):
        return []  # E002
    warning = conf.EXPIRE_AFTER - conf.WARN_AFTER
    if 0 < warning < MIN_WARNING:  # not above 0: E001
        return [
            Warning(
                W006_MSG.format(warning=warning, minimum=MIN_WARNING),
                hint=W006_HINT,
                id="sessions_live.W006",
            )
        ]
    return []


@register(Tags.templates)
def check_request_context_processor(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """The template tags read ``request`` from the context; without a DjangoTemplates
    backend at all (e.g. Jinja2 only) there is nothing to check."""
    backends: list[dict[str, Any]] = [
        b for b in settings.TEMPLATES if b.get("BACKEND") == DJANGO_TEMPLATES
    ]
    if not backends or any(
        REQUEST_PROCESSOR in b.get("OPTIONS", {}).get("context_processors", []) for b in backends
    ):
        return []
    return [Error(E013_MSG, hint=E013_HINT, id="sessions_live.E013")]
