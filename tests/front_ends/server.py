"""The project under daphne, the way tests/servers.py serves the demo."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..servers import Demo, DemoProcess, demo_env, free_port, manage
from .vendor import write_vendor

SETTINGS = "tests.front_ends.settings"


@contextmanager
def serve_front_ends(var_dir: Path, redis_url: str) -> Iterator[Demo]:
    """Write htmx and Turbo, migrate, create a user, and serve under one daphne process."""
    var_dir.mkdir(parents=True, exist_ok=True)
    write_vendor(var_dir / "static")  # before daphne starts: whitenoise lists files once
    env = demo_env(var_dir, DJANGO_SETTINGS_MODULE=SETTINGS, REDIS_URL=redis_url)
    manage(env, "migrate", "--no-input", "-v", "0")
    host, port = "127.0.0.1", free_port()
    process = DemoProcess(
        env, host, port, var_dir / "daphne.log", application="tests.front_ends.asgi:application"
    )
    server = Demo(
        url=f"http://{host}:{port}",
        host=host,
        port=port,
        username="front-end",
        password=uuid.uuid4().hex,
        log=process.log,
        process=process,
    )
    server.create_user(server.username, server.password)
    process.start()
    try:
        yield server
    finally:
        process.stop()
