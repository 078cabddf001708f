"""The migrated project under daphne (or uvicorn), the way tests/servers.py serves the demo."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..servers import Demo, DemoProcess, demo_env, free_port, manage

SETTINGS = "tests.migrating.settings"


def project_env(var_dir: Path, redis_url: str) -> dict[str, str]:
    return demo_env(var_dir, DJANGO_SETTINGS_MODULE=SETTINGS, REDIS_URL=redis_url)


@contextmanager
def serve_migrated(var_dir: Path, redis_url: str, server: str = "daphne") -> Iterator[Demo]:
    """Migrate, create a user, and serve the project under one process of ``server``."""
    var_dir.mkdir(parents=True, exist_ok=True)
    env = project_env(var_dir, redis_url)
    manage(env, "migrate", "--no-input", "-v", "0")
    host, port = "127.0.0.1", free_port()
    process = DemoProcess(
        env,
        host,
        port,
        var_dir / f"{server}.log",
        application="tests.migrating.asgi:application",
        server=server,
    )
    server = Demo(
        url=f"http://{host}:{port}",
        host=host,
        port=port,
        username="migrated",
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
