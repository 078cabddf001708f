"""ASGI entry point of the reference, so daphne serves it exactly as it serves the demo."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.reference.settings")
application = get_asgi_application()
