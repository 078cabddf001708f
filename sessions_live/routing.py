"""WebSocket URL patterns: include them in your ASGI application's URLRouter, behind
:func:`AuthMiddlewareStack` (channels' own, but verifying sessions with SECRET_KEY_FALLBACKS
too, and never flushing one: :mod:`sessions_live.sockets.auth`)."""

from __future__ import annotations

from django.urls import path

from sessions_live.consumers import SessionConsumer
from sessions_live.core.protocol import DASHBOARD_SOCKET_PATH, TAB_SOCKET_PATH
from sessions_live.dashboard.consumer import DashboardConsumer
from sessions_live.sockets.auth import AuthMiddlewareStack

__all__ = ["AuthMiddlewareStack", "websocket_urlpatterns"]

websocket_urlpatterns = [
    # django-stubs types path() for HTTP views only; Channels routes ASGI apps with it.
    path(TAB_SOCKET_PATH, SessionConsumer.as_asgi(), name="sessions_live"),  # type: ignore[arg-type]
    path(
        DASHBOARD_SOCKET_PATH,
        DashboardConsumer.as_asgi(),  # type: ignore[arg-type]
        name="sessions_live_dashboard",
    ),
]
