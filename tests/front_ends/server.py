"""The project under daphne, the way tests/servers.py serves its test projects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..servers import Demo, serve_project
from .vendor import write_vendor

SETTINGS = "tests.front_ends.settings"


@contextmanager
def serve_front_ends(var_dir: Path, redis_url: str) -> Iterator[Demo]:
    """Write htmx and Turbo, then serve the project (tests/servers.py serve_project)."""
    write_vendor(var_dir / "static")  # before daphne starts: whitenoise lists files once
    with serve_project(
        var_dir,
        SETTINGS,
        "tests.front_ends.asgi:application",
        username="front-end",
        REDIS_URL=redis_url,
    ) as server:
        yield server
