"""Which live-session record a socket's scope belongs to (synchronous: run them in a thread)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sessions_live import store
from sessions_live.models import LiveSession
from sessions_live.runtime import lifecycle
from sessions_live.web.sign_in import SESSION_MARKER


def own_record(scope: Mapping[str, Any], key: str, user: Any) -> LiveSession | None:
    """The record of the socket's session, by its key, or else by the marker in its session:
    a page request may have cycled the key (after a rotation) and moved the record on since
    this socket's session was read. The record is not moved: HTTP keys it."""
    live = store.find_of(key, user)
    session = scope.get("session")
    marker = session.get(SESSION_MARKER) if live is None and session is not None else None
    if marker:
        live = store.find_marked(marker, user.pk)
        if live is not None:
            live.user = user
    return live


def signed_out_record(
    scope: Mapping[str, Any], cookie: str | None
) -> tuple[LiveSession | None, bool]:
    """The cookie's record, and whether its Django session exists but holds no data."""
    if not cookie:
        return None, False
    session = scope.get("session")
    return store.find(cookie), session is not None and lifecycle.unreadable(session, cookie)
