"""WebSocket URL patterns: include them in your ASGI application's URLRouter."""

from __future__ import annotations

from django.urls import path

from .consumers import SessionConsumer
from .protocol import TAB_SOCKET_PATH

websocket_urlpatterns = [
    # django-stubs types path() for HTTP views only; Channels routes ASGI apps with it.
    path(TAB_SOCKET_PATH, SessionConsumer.as_asgi(), name="sessions_live"),  # type: ignore[arg-type]
]
