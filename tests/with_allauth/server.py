"""The allauth site under daphne, with one superuser who signs in by username (through
allauth, or the admin's own login)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..servers import Demo, serve_project
from ..web import Browser

#: allauth's login view, LOGIN_URL of the project.
LOGIN = "/accounts/login/"


@contextmanager
def serve_allauth(var_dir: Path, redis_url: str, **env: str) -> Iterator[Demo]:
    with serve_project(
        var_dir,
        "tests.with_allauth.settings",
        "tests.with_allauth.asgi:application",
        superuser=True,
        REDIS_URL=redis_url,
        **env,
    ) as server:
        yield server


def sign_in(site: Demo) -> Browser:
    """Sign in over HTTP through allauth's own login view and form (its field is ``login``)."""
    browser = Browser(site)
    status, headers = browser.post(LOGIN, {"login": site.username, "password": site.password})
    assert (status, headers["Location"]) == (302, "/")
    return browser
