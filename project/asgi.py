"""ASGI entry point of the demo: HTTP through Django, tab sockets through sessions-live."""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (after Django is set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from sessions_live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# Shorter, rarer pauses of Python's cycle collector, which stop every socket of the process:
# what is loaded by now is never garbage, so it is left out of every collection, and young
# objects are collected every 10,000 allocations instead of 700. Measured in
# docs/benchmarks.md (timeliness); explained in docs/deploying.md ("Garbage collector").
gc.collect()
gc.freeze()
gc.set_threshold(10_000, 10, 10)
