"""The request being answered, for code that Django or a third party calls without it.

Wagtail calls its ``insert_global_admin_js`` hooks with no arguments; the middleware sets this
around the view so that the hook can render the client for the request it is part of. A
``ContextVar``: each request (thread or task) sees its own, and asgiref's ``sync_to_async``
carries it into the thread that runs a sync view.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest

_current: ContextVar[HttpRequest | None] = ContextVar("sessions_live_request", default=None)


@contextmanager
def answering(request: HttpRequest) -> Iterator[None]:
    """While the block runs, :func:`get` returns ``request``."""
    token = _current.set(request)
    try:
        yield
    finally:
        _current.reset(token)


def get() -> HttpRequest | None:
    """The request being answered in this context, or None outside one."""
    return _current.get()
