"""The public signals (sessions_live/signals.py): each event once, with its documented arguments."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AbstractUser
from django.dispatch import Signal
from django.test import Client

from sessions_live import signals, store
from sessions_live.models import EndReason, LiveSession
from sessions_live.runtime import lifecycle
from sessions_live.runtime.sweep import sweep_once

from .fake_time import EXACT, fake_time_of
from .helpers import age, eventually, live_of
from .sockets import APP, closed_with, connect, frame

NAMES = (
    "session_started",
    "session_warned",
    "session_extended",
    "session_expired",
    "session_ended",
    "tab_connected",
    "tab_disconnected",
)

Events = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def events() -> Iterator[Events]:
    """Every signal of sessions-live sent during the test: its name and arguments."""
    seen: Events = []

    def listener(name: str) -> Callable[..., None]:
        def receive(*, signal: Signal, sender: Any, **kwargs: Any) -> None:
            assert sender is LiveSession
            seen.append((name, kwargs))

        return receive

    for name in NAMES:
        getattr(signals, name).connect(listener(name), weak=False, dispatch_uid=f"test.{name}")
    yield seen
    for name in NAMES:
        getattr(signals, name).disconnect(dispatch_uid=f"test.{name}")


def sent(events: Events, name: str) -> list[dict[str, Any]]:
    return [kwargs for event, kwargs in events if event == name]


def without_key(events: Events, key: str) -> bool:
    """No argument of any event names the session key (a bearer credential)."""
    return all(key not in repr(value) for _, kwargs in events for value in kwargs.values())


# HTTP and the store, in plain sync code ---------------------------------------------------


@pytest.mark.django_db
def test_sign_in_sends_session_started_once(
    signed_in: Callable[..., Client], events: Events
) -> None:
    client = signed_in()
    assert client.get("/page/").status_code == 200  # the record exists: no second start
    live = live_of(client)
    assert [name for name, _ in events] == ["session_started"]
    assert sent(events, "session_started")[0]["live_session"].pk == live.pk
    assert set(sent(events, "session_started")[0]) == {"live_session"}


@pytest.mark.django_db
def test_http_activity_sends_session_extended_once_per_write(
    signed_in: Callable[..., Client], events: Events
) -> None:
    client = signed_in()
    events.clear()
    age(client, idle=100)
    before = time.time()
    client.get("/page/")
    client.get("/page/")  # recorded a moment ago: not written again
    client.get("/poll/")  # passive: no activity
    [extended] = sent(events, "session_extended")
    assert set(extended) == {"live_session", "source", "at"}
    assert extended["source"] == "http"
    assert extended["live_session"].pk == live_of(client).pk
    assert extended["at"] >= dt.datetime.fromtimestamp(before, tz=dt.UTC)
    assert without_key(events, client.session.session_key or "")


@pytest.mark.django_db
def test_expired_http_session_sends_expired_and_ended_once(
    signed_in: Callable[..., Client], events: Events
) -> None:
    client = signed_in()
    age(client, idle=601)
    key = client.session.session_key or ""
    assert client.get("/page/").status_code == 401
    [expired] = sent(events, "session_expired")
    [ended] = sent(events, "session_ended")
    assert expired["reason"] == ended["reason"] == "idle"
    assert ended["actor"] is None
    assert ended["live_session"].end_reason == "idle"
    assert ended["live_session"].ended is not None
    assert without_key(events, key)


@pytest.mark.django_db
def test_staff_ending_names_the_staff_member_and_is_not_a_timeout(
    signed_in: Callable[..., Client], make_user: Callable[..., AbstractUser], events: Events
) -> None:
    live = live_of(signed_in())
    boss = make_user("boss", is_staff=True)
    assert lifecycle.end_session(live, EndReason.TERMINATED, now=time.time(), by=boss)
    assert not lifecycle.end_session(live, EndReason.TERMINATED, now=time.time(), by=boss)
    assert sent(events, "session_expired") == []
    [ended] = sent(events, "session_ended")
    assert set(ended) == {"live_session", "reason", "actor"}
    assert (ended["reason"], ended["actor"]) == ("terminated", boss)


@pytest.mark.django_db
def test_logout_view_names_the_user_as_actor(
    signed_in: Callable[..., Client], events: Events
) -> None:
    client = signed_in()
    user = live_of(client).user
    client.post("/logout/")
    assert sent(events, "session_expired") == []
    [ended] = sent(events, "session_ended")
    assert (ended["reason"], ended["actor"]) == ("logout", user)


@pytest.mark.django_db(transaction=True)
def test_sweep_ending_reaches_sync_and_async_receivers(
    signed_in: Callable[..., Client], events: Events
) -> None:
    heard: list[str] = []

    async def on_ended(*, reason: str, **kwargs: Any) -> None:
        await asyncio.sleep(0)
        heard.append(reason)

    signals.session_ended.connect(on_ended, dispatch_uid="test.async_ended")
    try:
        client = signed_in()
        age(client, since_start=0, idle=601)
        assert sweep_once(time.time()).ended == 1
        assert sweep_once(time.time()).ended == 0
    finally:
        signals.session_ended.disconnect(dispatch_uid="test.async_ended")
    assert heard == ["idle"]
    assert [kwargs["reason"] for kwargs in sent(events, "session_expired")] == ["idle"]
    assert [kwargs["actor"] for kwargs in sent(events, "session_ended")] == [None]


@pytest.mark.django_db
def test_failing_receiver_is_logged_and_stops_nothing(
    signed_in: Callable[..., Client], events: Events, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit log is down")

    signals.session_ended.connect(broken, dispatch_uid="test.broken")
    try:
        live = live_of(signed_in())
        with caplog.at_level(logging.ERROR, logger="django.dispatch"):
            assert lifecycle.end_session(live, EndReason.TERMINATED, now=time.time())
    finally:
        signals.session_ended.disconnect(dispatch_uid="test.broken")
    ended = store.get(live.pk)
    assert ended is not None
    assert ended.end_reason == "terminated"
    assert len(sent(events, "session_ended")) == 1  # the other receivers still heard it
    assert "audit log is down" in caplog.text


# Tabs ------------------------------------------------------------------------------------


async def hello(client: Client, app: Any = APP) -> WebsocketCommunicator:
    tab = await connect(client, app=app)
    assert (await frame(tab))["type"] == "hello"
    return tab


@pytest.mark.usefixtures("_close_sockets")
@pytest.mark.parametrize("layer", ["memory"], indirect=True)
@pytest.mark.usefixtures("layer", "stop_sweeper")
@pytest.mark.django_db(transaction=True)
async def test_tab_activity_is_sent_once_per_write_not_per_frame(
    asigned_in: Callable[..., Any], events: Events
) -> None:
    client = await asigned_in()
    tab = await hello(client)
    await tab.send_json_to({"type": "activity", "idle": 0})
    assert (await frame(tab))["type"] == "active"
    await tab.send_json_to({"type": "activity", "idle": 0})  # within the throttle: no write
    await tab.send_json_to({"type": "extend"})  # never throttled
    assert (await frame(tab))["type"] == "active"
    extended = sent(events, "session_extended")
    assert [kwargs["source"] for kwargs in extended] == ["tab", "tab"]
    await tab.disconnect()


@pytest.mark.usefixtures("_close_sockets")
@pytest.mark.parametrize("layer", ["memory"], indirect=True)
@pytest.mark.usefixtures("layer", "stop_sweeper")
@pytest.mark.django_db(transaction=True)
async def test_tabs_warning_and_expiry_are_sent_once_for_every_tab_of_the_process(
    asigned_in: Callable[..., Any], events: Events
) -> None:
    client = await asigned_in()
    key = await sync_to_async(lambda: client.session.session_key)()
    clock, app = await fake_time_of(client)
    tabs = [await hello(client, app) for _ in range(3)]
    await clock.next()  # the warning deadline
    for tab in tabs:
        assert (await frame(tab))["type"] == "warning"
    await clock.next()  # the expiry
    for tab in tabs:
        assert (await frame(tab))["type"] == "expired"
        assert await closed_with(tab) == 4401
        await tab.disconnect()  # as the browser answers the close
    await eventually(lambda: len(sent(events, "session_ended")) >= 1, what="session_ended")
    [warned] = sent(events, "session_warned")
    assert set(warned) == {"live_session", "reason", "expires_in"}
    assert warned["reason"] == "idle"
    assert warned["expires_in"] == pytest.approx(60, abs=EXACT)
    assert [kwargs["reason"] for kwargs in sent(events, "session_expired")] == ["idle"]
    assert [kwargs["reason"] for kwargs in sent(events, "session_ended")] == ["idle"]
    connected = {kwargs["channel_name"] for kwargs in sent(events, "tab_connected")}
    disconnected = {kwargs["channel_name"] for kwargs in sent(events, "tab_disconnected")}
    assert len(connected) == 3
    assert disconnected == connected
    assert all(
        set(kwargs) == {"live_session", "channel_name"}
        for name, kwargs in events
        if name.startswith("tab_")
    )
    assert without_key(events, key)


@pytest.mark.usefixtures("_close_sockets")
@pytest.mark.parametrize("layer", ["memory"], indirect=True)
@pytest.mark.usefixtures("layer", "stop_sweeper")
@pytest.mark.django_db(transaction=True)
async def test_logout_frame_names_the_user_and_async_receivers_hear_tabs(
    asigned_in: Callable[..., Any], events: Events
) -> None:
    opened: list[str] = []

    async def on_connected(*, channel_name: str, **kwargs: Any) -> None:
        opened.append(channel_name)

    signals.tab_connected.connect(on_connected, dispatch_uid="test.async_connected")
    try:
        client = await asigned_in()
        tab = await hello(client)
    finally:
        signals.tab_connected.disconnect(dispatch_uid="test.async_connected")
    assert opened == [kwargs["channel_name"] for kwargs in sent(events, "tab_connected")]
    await tab.send_json_to({"type": "logout"})
    assert (await frame(tab))["type"] == "expired"
    assert await closed_with(tab) == 4401
    live = await LiveSession.objects.select_related("user").aget()
    [ended] = sent(events, "session_ended")
    assert (ended["reason"], ended["actor"]) == ("logout", live.user)
    assert sent(events, "session_expired") == []
    await tab.disconnect()
