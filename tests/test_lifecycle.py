"""The one ending (sessions_live/runtime/lifecycle.py): claimed once, then everything follows."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from sessions_live import signals
from sessions_live.core.vocabulary import EndReason
from sessions_live.models import LiveSession
from sessions_live.runtime import lifecycle

from .helpers import live_of

pytestmark = pytest.mark.django_db


def test_first_runs_once_for_the_winner_before_the_rest(
    signed_in: Callable[..., Client],
) -> None:
    client = signed_in()
    live = live_of(client)
    key = client.session.session_key
    order: list[str] = []

    def ended(**kwargs: Any) -> None:
        order.append("session_ended")

    signals.session_ended.connect(ended, weak=False, dispatch_uid="test.lifecycle")
    try:
        now = time.time()
        first = lambda: order.append("first")  # noqa: E731
        assert lifecycle.end_session(
            live, EndReason.TERMINATED, now=now, session_key=key, first=first
        )
        assert not lifecycle.end_session(live, EndReason.TERMINATED, now=now, first=first)
    finally:
        signals.session_ended.disconnect(dispatch_uid="test.lifecycle")
    assert order == ["first", "session_ended"]
    assert not Session.objects.filter(session_key=key).exists()


def test_a_failing_first_does_not_stop_the_rest_of_the_ending(
    signed_in: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    client = signed_in()
    live = live_of(client)
    key = client.session.session_key

    def first() -> None:
        raise RuntimeError("the tab's socket is gone")

    assert lifecycle.end_session(
        live, EndReason.TERMINATED, now=time.time(), session_key=key, first=first
    )
    assert "could not tell this process's tabs of an ending" in caplog.text
    assert not Session.objects.filter(session_key=key).exists()  # the rest followed
    assert LiveSession.objects.get(pk=live.pk).end_reason == EndReason.TERMINATED
