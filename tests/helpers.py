"""Small helpers shared by the tests."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.test import Client

from sessions_live import store
from sessions_live.models import LiveSession


def live_of(client: Client) -> LiveSession:
    """The record of a test client's session."""
    live = store.find(client.session.session_key or "")
    assert live is not None, "the sign-in created no LiveSession"
    return live


def age(client: Client, *, idle: float = 0, since_start: float = 0) -> None:
    """Move a session's clock back, as if ``idle`` seconds passed without activity."""
    LiveSession.objects.filter(pk=live_of(client).pk).update(
        last_activity=F("last_activity") - dt.timedelta(seconds=idle),
        started=F("started") - dt.timedelta(seconds=since_start),
    )
