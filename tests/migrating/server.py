"""The migrated project under daphne (or uvicorn), the way tests/servers.py serves its test
projects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..servers import Demo, demo_env, serve_project

SETTINGS = "tests.migrating.settings"


def project_env(var_dir: Path, redis_url: str) -> dict[str, str]:
    return demo_env(var_dir, DJANGO_SETTINGS_MODULE=SETTINGS, REDIS_URL=redis_url)


@contextmanager
def serve_migrated(var_dir: Path, redis_url: str, server: str = "daphne") -> Iterator[Demo]:
    """Migrate, create a user, and serve the project under one process of ``server``."""
    with serve_project(
        var_dir,
        SETTINGS,
        "tests.migrating.asgi:application",
        server=server,
        username="migrated",
        REDIS_URL=redis_url,
    ) as project:
        yield project
