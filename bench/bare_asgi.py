"""A bare Channels consumer under daphne: the cost of an idle socket without sessions-live.

Same settings, channel layer and garbage-collector tuning as the demo (project.settings,
project/asgi.py), one consumer that accepts and joins a group, as sessions-live's tab consumer
does, and nothing else.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
get_asgi_application()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from project.gc_tuning import tune_garbage_collector  # noqa: E402


class BareConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        await self.channel_layer.group_add("bare", self.channel_name)


application = ProtocolTypeRouter(
    {"websocket": URLRouter([path("ws/bare/", BareConsumer.as_asgi())])}
)

tune_garbage_collector()  # as project/asgi.py does
