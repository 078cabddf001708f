"""The Wagtail site under daphne, with an editor who may use the admin."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..servers import Demo, serve_project


@contextmanager
def serve_wagtail(
    var_dir: Path, redis_url: str, python: Path | None = None, **env: str
) -> Iterator[Demo]:
    """All of Wagtail's migrations run first (tens of seconds here): one server per module.
    ``python``: another environment's (tests/with_wagtail/previous.py), else this one."""
    with serve_project(
        var_dir,
        "tests.with_wagtail.settings",
        "tests.with_wagtail.asgi:application",
        superuser=True,
        python=python,
        REDIS_URL=redis_url,
        **env,
    ) as server:
        yield server
