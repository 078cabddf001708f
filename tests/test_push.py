"""Pushes are best effort: retried once on a fresh connection, then logged, never raised."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sessions_live.runtime import outages, push
from sessions_live.web import signed_out


async def test_a_failed_layer_call_is_tried_once_more() -> None:
    attempts: list[int] = []

    async def flaky() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("Connection closed by server.")

    await push.with_retry(flaky)
    assert len(attempts) == 2


async def test_an_outage_of_pushes_is_logged_once_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Layer:
        calls = 0
        down = True

        async def group_send(self, group: str, event: dict[str, Any]) -> None:
            Layer.calls += 1
            if Layer.down:
                raise ConnectionError("Redis is down")

    monkeypatch.setattr(push, "get_channel_layer", Layer)
    monkeypatch.setattr(outages, "channel_layer", outages.Outage("the channel layer"))
    with caplog.at_level(logging.WARNING, logger="sessions_live"):
        for _ in range(5):
            assert await push.send("sessions_live.s.x", push.active_event(1.0)) is False
        Layer.down = False
        assert await push.send("sessions_live.s.x", push.active_event(1.0)) is True
    assert Layer.calls == 11  # each failing push is tried twice
    messages = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert len(messages) == 2, messages
    assert messages[0] == (
        "ERROR",
        "sessions_live: the channel layer is unreachable; deadlines are still kept",
    )
    assert caplog.records[0].exc_info is not None
    assert messages[1][0] == "WARNING"
    assert "the channel layer is back after" in messages[1][1]
    assert "(5 calls failed meanwhile)" in messages[1][1]


def test_signed_out_url_keeps_a_login_query(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"LOGIN_URL": "/accounts/login/?source=idle"}
    assert signed_out.url("idle") == "/accounts/login/?source=idle&signed_out=idle"
