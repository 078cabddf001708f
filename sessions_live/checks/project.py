"""Checks of the project around sessions-live: its channel layer, middleware, session engine,
URLs, templates, and whether the warning leaves people time to answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import NoReverseMatch, reverse

from sessions_live.checks import messages
from sessions_live.conf import (
    get_settings,
)
from sessions_live.core.policy import is_seconds


@register(Tags.compatibility)
def check_channel_layer(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    default = layers.get("default") if isinstance(layers, dict) else None
    if not default:
        return [Error(messages.E003_MSG, hint=messages.E003_HINT, id="sessions_live.E003")]
    if default.get("BACKEND") == messages.IN_MEMORY_LAYER and not settings.DEBUG:
        return [Warning(messages.W001_MSG, hint=messages.W001_HINT, id="sessions_live.W001")]
    return []


@register(Tags.compatibility)
def check_middleware(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    middleware = list(settings.MIDDLEWARE)
    if messages.MIDDLEWARE_PATH not in middleware:
        return [Error(messages.E004_MSG, hint=messages.E004_HINT, id="sessions_live.E004")]
    if messages.AUTH_MIDDLEWARE_PATH not in middleware or middleware.index(
        messages.AUTH_MIDDLEWARE_PATH
    ) > middleware.index(messages.MIDDLEWARE_PATH):
        return [Error(messages.E005_MSG, hint=messages.E005_HINT, id="sessions_live.E005")]
    return _gzip_order(middleware)


def _gzip_order(middleware: list[str]) -> list[CheckMessage]:
    """GZipMiddleware must compress after the client is put in: above ours (W007)."""
    conf = get_settings()
    if not (conf.ADMIN_CLIENT or conf.INJECT_CLIENT):
        return []
    gzip = messages.GZIP_MIDDLEWARE_PATH
    if gzip in middleware and middleware.index(gzip) > middleware.index(messages.MIDDLEWARE_PATH):
        return [Warning(messages.W007_MSG, hint=messages.W007_HINT, id="sessions_live.W007")]
    return []


@register(Tags.compatibility)
def check_session_engine(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if settings.SESSION_ENGINE == messages.SIGNED_COOKIES_ENGINE:
        return [Error(messages.E006_MSG, hint=messages.E006_HINT, id="sessions_live.E006")]
    return []


@register(Tags.urls)
def check_legacy_urls(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    try:
        reverse(messages.LEGACY_PING_URL_NAME)
    except NoReverseMatch:
        return []
    return [Warning(messages.W005_MSG, hint=messages.W005_HINT, id="sessions_live.W005")]


@register(Tags.urls)
def check_reauth(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """REAUTH_IN_PLACE needs its endpoint routed (W008) and a CSRF token that outlives the
    session (W009)."""
    if get_settings().REAUTH_IN_PLACE is not True:
        return []
    found: list[CheckMessage] = []
    try:
        reverse(messages.REAUTH_URL_NAME)
    except NoReverseMatch:
        found.append(Warning(messages.W008_MSG, hint=messages.W008_HINT, id="sessions_live.W008"))
    if getattr(settings, "CSRF_USE_SESSIONS", False):
        found.append(Warning(messages.W009_MSG, hint=messages.W009_HINT, id="sessions_live.W009"))
    return found


@register("accessibility")
def check_warning_time(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    conf = get_settings()
    if not (is_seconds(conf.WARN_AFTER) and is_seconds(conf.EXPIRE_AFTER)):
        return []  # E002
    warning = conf.EXPIRE_AFTER - conf.WARN_AFTER
    if 0 < warning < messages.MIN_WARNING:  # not above 0: E001
        return [
            Warning(
                messages.W006_MSG.format(warning=warning, minimum=messages.MIN_WARNING),
                hint=messages.W006_HINT,
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
        b for b in settings.TEMPLATES if b.get("BACKEND") == messages.DJANGO_TEMPLATES
    ]
    if not backends or any(
        messages.REQUEST_PROCESSOR in b.get("OPTIONS", {}).get("context_processors", [])
        for b in backends
    ):
        return []
    return [Error(messages.E013_MSG, hint=messages.E013_HINT, id="sessions_live.E013")]
