"""Pushes are best effort: retried once on a fresh connection, then logged, never raised."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sessions_live import push


async def test_a_failed_layer_call_is_tried_once_more() -> None:
    attempts: list[int] = []

    async def flaky() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("Connection closed by server.")

    await push.with_retry(flaky)
    assert len(attempts) == 2


async def test_a_push_that_keeps_failing_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class DownLayer:
        calls = 0

        async def group_send(self, group: str, event: dict[str, Any]) -> None:
            DownLayer.calls += 1
            raise ConnectionError("Redis is down")

    monkeypatch.setattr(push, "get_channel_layer", DownLayer)
    with caplog.at_level(logging.WARNING, logger="sessions_live.push"):
        assert await push.send("sessions_live.s.x", push.active_event(1.0)) is False
    assert DownLayer.calls == 2
    assert "could not push sessions_live.active" in caplog.text


def test_signed_out_url_keeps_a_login_query(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"LOGIN_URL": "/accounts/login/?source=idle"}
    assert push.signed_out_url("idle") == "/accounts/login/?source=idle&signed_out=idle"
