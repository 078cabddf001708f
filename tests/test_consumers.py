"""The tab socket through WebsocketCommunicator, on the in-memory layer and on real Redis."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client

from sessions_live import store
from sessions_live.core.protocol import MAX_FRAME_BYTES, MAX_FRAMES_PER_WINDOW
from sessions_live.models import LiveSession, LiveTab
from sessions_live.runtime import lifecycle
from sessions_live.runtime.presence import presence
from sessions_live.runtime.sweep import sweep_once
from sessions_live.sockets.tab import Tab

from .fake_time import EXACT, fake_time_of
from .helpers import age, eventually
from .sockets import APP, PATIENCE, TAB, closed_with, connect, frame

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("layer", "stop_sweeper", "_close_sockets"),
]

PATH = TAB


async def open_tab(
    client: Client | None, headers: list[tuple[bytes, bytes]] | None = None
) -> WebsocketCommunicator:
    return await connect(client, TAB, headers)


async def refused_as_expired(tab: WebsocketCommunicator, reason: str) -> None:
    """The socket is told the session is over, and why, then closed with 4401."""
    assert await frame(tab) == {
        "type": "expired",
        "reason": reason,
        "redirect": f"/login/?signed_out={reason}",
    }
    assert await closed_with(tab) == 4401


async def hello(client: Client, app: Any = APP) -> WebsocketCommunicator:
    tab = await connect(client, TAB, app=app)
    assert (await frame(tab))["type"] == "hello"
    return tab


async def record() -> LiveSession:
    return await LiveSession.objects.aget()


async def test_hello_carries_the_servers_durations(asigned_in: Callable[..., Any]) -> None:
    client = await asigned_in()
    _, app = await fake_time_of(client)
    tab = await connect(client, TAB, app=app)
    message = await frame(tab)
    assert set(message) == {
        "type",
        "warn_in",
        "expires_in",
        "warn_after",
        "expire_after",
        "activity_interval",
    }
    assert (message["warn_after"], message["expire_after"]) == (540, 600)
    assert (message["warn_in"], message["expires_in"]) == pytest.approx((540, 600), abs=EXACT)
    assert await tab.receive_nothing(0.1)
    assert await sync_to_async((await record()).tabs.count)() == 1
    await tab.disconnect()
    assert await sync_to_async((await record()).tabs.count)() == 0


async def test_extend_in_one_tab_is_active_in_every_tab(asigned_in: Callable[..., Any]) -> None:
    client = await asigned_in()
    clock, app = await fake_time_of(client)
    a, b = await hello(client, app), await hello(client, app)
    clock.move(100)
    await a.send_json_to({"type": "extend"})
    for tab in (a, b):
        message = await frame(tab)
        assert message["type"] == "active"
        assert message["expires_in"] == pytest.approx(600, abs=EXACT)
    await a.disconnect()
    await b.disconnect()


async def test_tabs_of_a_session_share_one_record_in_a_process(
    asigned_in: Callable[..., Any],
) -> None:
    client = await asigned_in()
    tabs = [await hello(client) for _ in range(3)]
    (held,) = presence.by_session.values()
    records = {id(tab.live) for tab in held.values()}
    assert len(held) == 3
    assert len(records) == 1
    for tab in tabs:
        await tab.disconnect()


async def test_warning_reaches_every_tab_then_activity_closes_it_everywhere(
    asigned_in: Callable[..., Any],
) -> None:
    client = await asigned_in()
    clock, app = await fake_time_of(client)
    a, b = await hello(client, app), await hello(client, app)
    assert await clock.next() == pytest.approx(540, abs=EXACT)
    for tab in (a, b):
        message = await frame(tab)
        assert message["type"] == "warning"
        assert message["reason"] == "idle"
        assert message["expires_in"] == pytest.approx(60, abs=EXACT)
    clock.move(5)
    await b.send_json_to({"type": "activity", "idle": 0})
    for tab in (a, b):
        message = await frame(tab)
        assert message["type"] == "active"
        assert message["expires_in"] == pytest.approx(600, abs=EXACT)
    await a.disconnect()
    await b.disconnect()


async def test_expiry_reaches_every_tab_and_ends_the_session_once(
    asigned_in: Callable[..., Any], logouts: list[dict[str, Any]]
) -> None:
    client = await asigned_in()
    key = await sync_to_async(lambda: client.session.session_key)()
    clock, app = await fake_time_of(client)
    tabs = [await hello(client, app) for _ in range(3)]
    assert await clock.next() == pytest.approx(540, abs=EXACT)
    for tab in tabs:
        assert (await frame(tab))["type"] == "warning"
    assert await clock.next() == pytest.approx(60, abs=EXACT)
    for tab in tabs:
        message = await frame(tab)
        assert message == {
            "type": "expired",
            "reason": "idle",
            "redirect": "/login/?signed_out=idle",
        }
        assert await closed_with(tab) == 4401
        assert await tab.receive_nothing(0.2)  # `expired` once per tab, nothing after
    live = await record()
    assert live.end_reason == "idle"
    assert live.ended == store.to_datetime(clock.now)  # at the deadline, not when it was seen
    assert len(logouts) == 1
    assert logouts[0]["request"].path == PATH
    assert not await Session.objects.filter(session_key=key).aexists()
    # The old cookie is refused on a new socket, which is told why: its session is gone.
    again = await open_tab(client)
    await refused_as_expired(again, "idle")


async def test_logout_frame_signs_out_every_tab(
    asigned_in: Callable[..., Any], logouts: list[dict[str, Any]]
) -> None:
    client = await asigned_in()
    key = await sync_to_async(lambda: client.session.session_key)()
    a, b = await hello(client), await hello(client)
    await a.send_json_to({"type": "logout"})
    for tab in (a, b):
        message = await frame(tab)
        assert (message["type"], message["reason"]) == ("expired", "logout")
        assert await closed_with(tab) == 4401
    assert (await record()).end_reason == "logout"
    assert len(logouts) == 1
    assert not await Session.objects.filter(session_key=key).aexists()


async def test_logout_over_http_signs_out_open_tabs(asigned_in: Callable[..., Any]) -> None:
    client = await asigned_in()
    tab = await hello(client)
    await sync_to_async(client.post)("/logout/")
    message = await frame(tab)
    assert (message["type"], message["reason"]) == ("expired", "logout")
    assert await closed_with(tab) == 4401


async def test_anonymous_socket_is_refused_with_4401(db: None) -> None:
    tab = await open_tab(None)
    assert await closed_with(tab) == 4401


async def test_a_handshake_without_a_cookie_is_refused_without_the_database_thread(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst of anonymous handshakes must not queue on the one thread that runs every
    socket's queries (a signed-in user's handshake waits there)."""
    from sessions_live.sockets import auth, consumer

    def no_hop(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an anonymous handshake went to the database's thread")

    monkeypatch.setattr(auth, "database_sync_to_async", no_hop)
    monkeypatch.setattr(consumer, "database_sync_to_async", no_hop)
    tab = await open_tab(None)
    assert await closed_with(tab) == 4401


async def test_forged_session_cookie_is_refused(db: None) -> None:
    tab = await open_tab(None, headers=[(b"cookie", b"sessionid=forged-key")])
    assert await closed_with(tab) == 4401


async def test_ended_session_is_refused(asigned_in: Callable[..., Any]) -> None:
    client = await asigned_in()
    first = await hello(client)
    await first.send_json_to({"type": "logout"})
    assert (await frame(first))["type"] == "expired"
    # A socket that still presents the session (the data is gone, so it is anonymous now) is
    # told why it is over: a tab whose `expired` push was lost asks again and learns it here.
    tab = await open_tab(client)
    await refused_as_expired(tab, "logout")


async def test_socket_opened_past_the_deadline_is_ended_not_welcomed(
    asigned_in: Callable[..., Any],
) -> None:
    client = await asigned_in()
    await sync_to_async(age)(client, idle=601)
    await refused_as_expired(await open_tab(client), "idle")


async def test_activity_moves_every_tabs_deadline_once_per_window(
    asigned_in: Callable[..., Any],
) -> None:
    client = await asigned_in()
    clock, app = await fake_time_of(client)
    a, b = await hello(client, app), await hello(client, app)
    before = (await record()).last_activity
    clock.move(30)
    await a.send_json_to({"type": "activity", "idle": 0})
    for tab in (a, b):  # every tab's countdown follows the new deadline
        message = await frame(tab)
        assert message["type"] == "active"
        assert message["expires_in"] == pytest.approx(600, abs=EXACT)
    written = (await record()).last_activity
    assert written == before + dt.timedelta(seconds=30)
    clock.move(2)
    await a.send_json_to({"type": "activity", "idle": 0})  # within the window: kept for its end
    assert await b.receive_nothing(0.3)
    assert (await record()).last_activity == written
    assert await clock.next() == pytest.approx(8, abs=EXACT)  # the window's end (10 s)
    for tab in (a, b):
        message = await frame(tab)
        assert message["type"] == "active"
        assert message["expires_in"] == pytest.approx(600 - 8, abs=EXACT)  # input 8 s ago
    assert (await record()).last_activity == written + dt.timedelta(seconds=2)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("{not json", 4400),
        ("[1, 2]", 4400),
        ('"activity"', 4400),
        ("x" * (MAX_FRAME_BYTES + 1), 4413),
    ],
)
async def test_malformed_frames_are_refused_with_a_close_code(
    asigned_in: Callable[..., Any], payload: str, code: int
) -> None:
    client = await asigned_in()
    tab, sibling = await hello(client), await hello(client)
    await tab.send_to(text_data=payload)
    message = await frame(tab)
    assert message["type"] == "error"
    assert await closed_with(tab) == code
    await sibling.send_json_to({"type": "extend"})  # the sibling carries on
    assert (await frame(sibling))["type"] == "active"
    await sibling.disconnect()


async def test_binary_frame_is_refused(asigned_in: Callable[..., Any]) -> None:
    tab = await hello(await asigned_in())
    await tab.send_to(bytes_data=b"\x00\x01")
    assert (await frame(tab))["code"] == "malformed"
    assert await closed_with(tab) == 4400


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"type": "dance"}, "unknown_type"),
        ({"no": "type"}, "unknown_type"),
        ({"type": "activity", "idle": "soon"}, "invalid_field"),
        ({"type": "activity", "idle": True}, "invalid_field"),
    ],
)
async def test_unknown_or_invalid_frames_get_an_error_and_the_socket_stays(
    asigned_in: Callable[..., Any], payload: dict[str, Any], code: str
) -> None:
    tab = await hello(await asigned_in())
    await tab.send_json_to(payload)
    message = await frame(tab)
    assert (message["type"], message["code"]) == ("error", code)
    assert message["message"]
    await tab.send_json_to({"type": "extend"})
    assert (await frame(tab))["type"] == "active"
    await tab.disconnect()


async def test_a_flood_of_frames_is_closed_with_4429(asigned_in: Callable[..., Any]) -> None:
    tab = await hello(await asigned_in())
    for _ in range(MAX_FRAMES_PER_WINDOW + 1):
        await tab.send_json_to({"type": "activity", "idle": 0})
    while (output := await tab.receive_output(PATIENCE))["type"] == "websocket.send":
        last = json.loads(output["text"])
    assert last == {"type": "error", "code": "too_many", "message": "Too many frames."}
    assert output["code"] == 4429


async def test_session_ended_elsewhere_is_refused_with_its_reason(
    asigned_in: Callable[..., Any],
) -> None:
    client = await asigned_in()
    await sync_to_async(age)(client, idle=601)
    assert (await sync_to_async(sweep_once)(time.time())).ended == 1
    # The sweep cannot delete the Django session; the socket still refuses it, saying why.
    await refused_as_expired(await open_tab(client), "idle")


async def test_no_timer_survives_a_disconnect_during_a_check(
    asigned_in: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    reading, release = threading.Event(), threading.Event()
    real_get = store.get

    def slow_get(pk: Any) -> Any:
        if not reading.is_set():  # only the first read waits: nothing else queues behind it
            reading.set()
            assert release.wait(30), "the test never let the read finish"
        return real_get(pk)

    monkeypatch.setattr(store, "get", slow_get)
    client = await asigned_in()
    clock, app = await fake_time_of(client)
    tab = await hello(client, app)
    live_id = (await record()).pk
    try:
        await clock.next()  # the warning deadline: the timer wakes, and reads the store
        assert await asyncio.to_thread(reading.wait, 30)  # not the database's thread: it waits
        # The tab closes while the read is under way (channels handles the disconnect once
        # the database's thread is free again, so the read finishes first).
        leaving = asyncio.ensure_future(tab.disconnect(timeout=30))
        for _ in range(3):
            await asyncio.sleep(0)
    finally:  # a failure above must not leave the database's thread (every test's) blocked
        release.set()
    await leaving
    assert live_id not in presence.by_session

    def checks() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() if "check_on_time" in repr(t.get_coro())]

    # Until the check, done reading, has seen the disconnect.
    await eventually(lambda: checks() == [], what="the check to stop")
    assert clock.pending() == []  # and it scheduled no next wake-up


@pytest.mark.parametrize(
    "origin", [b"http://evil.example", b"https://testserver.evil.example", b"null", b"file://"]
)
async def test_foreign_origin_is_refused_with_4403(
    asigned_in: Callable[..., Any], origin: bytes
) -> None:
    tab = await open_tab(await asigned_in(), headers=[(b"origin", origin)])
    message = await frame(tab)
    assert (message["type"], message["code"]) == ("error", "forbidden")
    assert await closed_with(tab) == 4403


async def test_missing_origin_is_refused_unless_allowed(
    asigned_in: Callable[..., Any], timeouts: Callable[..., None]
) -> None:
    client = await asigned_in()
    no_origin = [(b"origin", b"")]
    tab = await open_tab(client, headers=no_origin)
    assert (await frame(tab))["code"] == "forbidden"
    assert await closed_with(tab) == 4403
    timeouts(ALLOW_MISSING_ORIGIN=True)
    tab = await open_tab(client, headers=no_origin)
    assert (await frame(tab))["type"] == "hello"


async def test_one_read_and_one_ending_serve_every_tab_of_the_process(
    asigned_in: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a deadline the first tab to wake reads the store and hands the read to its
    siblings; the one that ends the session tells them too: 1,000 tabs due together cost
    one read and one ending per session, not one per tab (bench/timeliness.py)."""
    calls: dict[str, int] = {"get": 0, "mark_changed": 0, "claim_end": 0, "announce_end": 0}

    def counting(module: Any, name: str) -> None:
        real = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    counting(store, "get")
    counting(store, "mark_changed")
    counting(store, "claim_end")
    counting(lifecycle, "announce_end")
    client = await asigned_in()
    tabs = [await hello(client) for _ in range(5)]
    live = await record()
    consumers = list(presence.by_session[live.pk].values())
    assert len(consumers) == 5
    first = consumers[0]
    assert isinstance(first, Tab)

    signed_in_at = store.to_epoch(live.last_activity)

    def later(seconds: float) -> None:
        for consumer in consumers:
            assert isinstance(consumer, Tab)
            consumer.clock = lambda: signed_in_at + seconds

    later(560)  # into the warning period of a 540/600 session
    await first.check()  # as its timer would, at the warning deadline
    for tab in tabs:
        message = await frame(tab)
        assert message["type"] == "warning"
        assert message["expires_in"] == pytest.approx(40, abs=EXACT)
    assert calls == {"get": 1, "mark_changed": 1, "claim_end": 0, "announce_end": 0}

    later(601)  # past the deadline
    await first.check()
    for tab in tabs:
        assert (await frame(tab))["type"] == "expired"
        assert await closed_with(tab) == 4401
    assert calls == {"get": 2, "mark_changed": 1, "claim_end": 1, "announce_end": 1}
    assert not await LiveTab.objects.filter(session_id=live.pk).aexists()
    for tab in tabs:
        await tab.disconnect()  # as the browser answers the close
    assert live.pk not in presence.by_session
    assert live.pk not in presence.marked


async def test_busy_tabs_write_a_session_once_per_activity_window(
    asigned_in: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five tabs sending input at once: one write and one fan-out at the window's start, one
    with the newest input at its end, not one per tab or per frame (bench/storm.py)."""
    writes: list[float] = []
    real = lifecycle.record_activity

    def counted(live: LiveSession, at: float, **kwargs: Any) -> bool:
        writes.append(at)
        return real(live, at, **kwargs)

    monkeypatch.setattr(lifecycle, "record_activity", counted)
    client = await asigned_in()
    clock, app = await fake_time_of(client)
    tabs = [await hello(client, app) for _ in range(5)]
    clock.move(10)  # a window (ACTIVITY_INTERVAL) after the hellos
    first_input = clock.now
    for round_ in range(3):
        if round_:
            clock.move(0.05)
        for tab in tabs:
            await tab.send_json_to({"type": "activity", "idle": 0})
        if not round_:
            for tab in tabs:  # the leading write reaches every tab
                assert (await frame(tab))["type"] == "active"
        for tab in tabs:  # the tab's frames so far are handled, on the time they came at
            await tab.send_json_to({"type": "unknown"})
            assert (await frame(tab))["code"] == "unknown_type"
    last_input = clock.now
    assert writes == [first_input]
    # The window's end (ACTIVITY_INTERVAL after the leading write) writes the newest input.
    assert await clock.next() == pytest.approx(10 - 0.1, abs=EXACT)
    for tab in tabs:
        assert (await frame(tab))["type"] == "active"
    assert writes == [first_input, pytest.approx(last_input, abs=EXACT)]
    assert (await record()).last_activity.timestamp() == pytest.approx(last_input, abs=1e-5)
    for tab in tabs:  # nothing more is pending
        assert await tab.receive_nothing(0.3)
    assert len(writes) == 2
    assert [t for t in clock.pending() if t.due < clock.now + 500] == []  # only the warning
