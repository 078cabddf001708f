"""Pushes are best effort: posted without waiting, bounded in time, retried once on a fresh
connection, then counted and logged, never raised."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest
from asgiref.sync import sync_to_async

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


class HungLayer:
    """A channel layer whose Redis does not answer until ``answer`` is set."""

    def __init__(self) -> None:
        self.started: list[tuple[str, threading.Thread]] = []
        self.sent: list[str] = []
        self.answer = threading.Event()

    async def group_send(self, group: str, event: dict[str, Any]) -> None:
        self.started.append((group, threading.current_thread()))
        while not self.answer.is_set():
            await asyncio.sleep(0.001)
        self.sent.append(group)


@pytest.fixture
def hung(monkeypatch: pytest.MonkeyPatch) -> HungLayer:
    layer = HungLayer()
    monkeypatch.setattr(push, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(outages, "channel_layer", outages.Outage("the channel layer"))
    return layer


async def test_a_push_from_a_thread_runs_on_the_loop_serving_sockets_and_nobody_waits(
    hung: HungLayer,
) -> None:
    push.pushes.attach()
    serving = threading.current_thread()

    def in_a_request() -> str:
        push.pushes.post("g", push.active_event(1.0))  # returns with the layer hung
        return "answered"

    assert await sync_to_async(in_a_request)() == "answered"
    assert hung.sent == []
    hung.answer.set()
    while not hung.sent:
        await asyncio.sleep(0.001)
    assert hung.started == [("g", serving)]


def test_without_a_loop_serving_sockets_a_push_runs_on_a_loop_of_its_own(
    hung: HungLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(push.pushes, "home", None)
    push.pushes.post("g", push.active_event(1.0))  # as a WSGI request or a command would
    assert hung.sent == []
    hung.answer.set()
    push.pushes.drain_own()  # what the process does at exit
    assert [group for group, _ in hung.started] == ["g"]
    assert hung.started[0][1].name == "sessions_live pushes"
    assert hung.sent == ["g"]


async def test_a_push_the_layer_does_not_take_in_time_is_dropped_and_the_poster_told(
    hung: HungLayer, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SESSIONS_LIVE = {"PUSH_TIMEOUT": 0.01}
    told: list[str] = []
    before = push.pushes.counts[push.TIMED_OUT]
    with caplog.at_level(logging.WARNING, logger="sessions_live"):
        push.pushes.post("g", push.active_event(1.0), on_failure=lambda: told.append("g"))
        await push.pushes.drained()
    assert told == ["g"]
    assert push.pushes.counts[push.TIMED_OUT] == before + 1
    assert outages.channel_layer.down
    assert caplog.records[0].getMessage() == (
        "sessions_live: the channel layer is unreachable; deadlines are still kept"
    )


async def test_pushes_beyond_the_backlog_are_dropped_at_once(
    hung: HungLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(push, "MAX_PENDING", 3)
    told: list[int] = []
    before = push.pushes.counts[push.OVER_BACKLOG]
    for n in range(5):
        push.pushes.post("g", push.active_event(1.0), on_failure=lambda n=n: told.append(n))
    assert told == [3, 4]  # dropped while posting: nothing piles up behind a hung Redis
    assert push.pushes.counts[push.OVER_BACKLOG] == before + 2
    hung.answer.set()
    await push.pushes.drained()
    assert hung.sent == ["g"] * 3
    assert push.pushes.pending == 0
