"""The demo under a real server process with a real Redis, through real HTTP and WebSockets.

This proves what the in-process tests cannot: the ASGI routing, the origin check, cookies,
static files with DEBUG off, and the channels-redis configuration of project/settings.py.
Each test runs under daphne and under uvicorn (the ``demo`` fixture's ids).
"""

from __future__ import annotations

import asyncio
import json
import re
from contextlib import AsyncExitStack
from pathlib import Path

import django
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from .servers import EVERY_SERVER, Demo, demo_fixture
from .web import Browser, close_code, frame_of, next_frame

pytestmark = pytest.mark.slow


demo = demo_fixture(EVERY_SERVER, SESSIONS_LIVE_WARN_AFTER="1", SESSIONS_LIVE_EXPIRE_AFTER="2.5")


def test_anonymous_visitor_is_sent_to_login_with_next(demo: Demo) -> None:
    status, headers, _ = Browser(demo).get("/personnel")
    assert (status, headers["Location"]) == (302, "/login?next=/personnel")


def test_sign_in_lands_where_the_visitor_wanted(demo: Demo) -> None:
    browser = Browser(demo)
    browser.sign_in("/personnel")
    status, headers, page = browser.get("/personnel")
    assert status == 200
    assert "Grace Hopper" in page
    assert 'class="sessions-live-dialog"' in page
    assert "no-store" in headers["Cache-Control"]
    policy = headers["Content-Security-Policy"]
    if django.VERSION >= (6, 0):  # Django's nonce-only CSP: the client carries its nonce
        nonce = re.search(r"script-src [^;]*'nonce-([^']+)'", policy)
        assert nonce, policy
        assert f'src="/static/sessions_live/sessions_live.js" nonce="{nonce[1]}"' in page
    else:  # project/csp.py
        assert "script-src 'self'" in policy


def test_static_client_is_served_with_debug_off(demo: Demo) -> None:
    status, headers, body = Browser(demo).get("/static/sessions_live/sessions_live.js")
    assert status == 200
    assert "javascript" in headers["Content-Type"]
    assert "sessions-live:" in body


async def test_tabs_are_warned_then_expired_by_the_server(demo: Demo) -> None:
    browser = Browser(demo)
    await asyncio.to_thread(browser.sign_in)
    async with browser.tab() as a, browser.tab() as b:
        for ws in (a, b):
            hello = await next_frame(ws)
            assert hello["type"] == "hello"
            assert (hello["warn_after"], hello["expire_after"]) == (1, 2.5)
        for ws in (a, b):
            warning = await next_frame(ws)
            assert warning["type"] == "warning"
            # Never early, and before the end; how late it comes is bench/timeliness.py's
            # measure, not a test's (a loaded machine delays the server's timer).
            assert 0 < warning["expires_in"] <= 1.5
        for ws in (a, b):
            assert await next_frame(ws) == {
                "type": "expired",
                "reason": "idle",
                "redirect": "/login?signed_out=idle",
            }
            assert await close_code(ws) == 4401
    # Refused on HTTP: while the ending still deletes the Django session (the tabs are told
    # first) the middleware says why; once it is deleted the visitor is anonymous.
    status, headers, _ = await asyncio.to_thread(browser.get, "/")
    assert status == 302
    assert headers["Location"] in ("/login?signed_out=idle&next=%2F", "/login?next=/")


async def test_extend_in_one_tab_reaches_the_other(demo: Demo) -> None:
    browser = Browser(demo)
    await asyncio.to_thread(browser.sign_in)
    async with browser.tab() as a, browser.tab() as b:
        for ws in (a, b):
            assert (await next_frame(ws))["type"] == "hello"
        await a.send(json.dumps({"type": "extend"}))
        for ws in (a, b):
            active = await next_frame(ws)
            assert active["type"] == "active"
            # The deadline is EXPIRE_AFTER (2.5 s) from the extend, less the server's own delay
            # in sending it: more than the 1.5 s a warned session has left, on a busy machine too.
            assert active["expires_in"] > 1.5


async def test_logout_button_sends_every_tab_to_login(demo: Demo) -> None:
    browser = Browser(demo)
    await asyncio.to_thread(browser.sign_in)
    async with browser.tab() as ws:
        assert (await next_frame(ws))["type"] == "hello"
        status, headers = await asyncio.to_thread(browser.post, "/logout", {}, "/")
        assert (status, headers["Location"]) == (302, "/login")
        expired = await next_frame(ws)
        if expired["type"] == "active":  # the page the form was on counted as activity
            expired = await next_frame(ws)
        assert (expired["type"], expired["reason"]) == ("expired", "logout")
        assert await close_code(ws) == 4401


async def test_socket_without_a_session_is_closed_with_4401(demo: Demo) -> None:
    async with connect(demo.ws_url, origin=demo.url, open_timeout=10) as ws:  # type: ignore[arg-type]
        assert await close_code(ws) == 4401


async def test_foreign_origin_is_refused_at_the_handshake(demo: Demo) -> None:
    browser = Browser(demo)
    await asyncio.to_thread(browser.sign_in)
    with pytest.raises(InvalidStatus) as refused:
        async with browser.tab(origin="http://evil.example"):
            pass
    assert refused.value.response.status_code == 403


async def test_a_page_of_another_origin_on_the_same_host_is_refused_on_both_sockets(
    demo: Demo,
) -> None:
    """Past the routing's host-only ``AllowedHostsOriginValidator``: another port, or an
    https page of this host, is another origin (4403), as Django's CSRF check says. (An
    ``Origin`` of https on this very port cannot come from a browser, the port speaking plain
    http: daphne, which gives no scheme, takes the Origin's there; tests/test_origins.py has
    the https site with an http page.)"""
    browser = Browser(demo)
    await asyncio.to_thread(browser.sign_in)
    port = int(demo.url.rsplit(":", 1)[1])
    others = [f"http://{demo.host}:{port + 1}", f"https://{demo.host}"]
    for path in ("", "dashboard/"):
        for origin in others:
            async with browser.socket(origin, None, path=path) as ws:
                frame = await next_frame(ws, 10)
                assert (frame["type"], frame["code"]) == ("error", "forbidden"), (path, origin)
                assert await close_code(ws, 10) == 4403
        async with browser.socket(None, None, path=path) as ws:  # the page's own origin
            assert (await next_frame(ws, 10))["type"] in ("hello", "snapshot")


capped_demo = demo_fixture(
    SESSIONS_LIVE_WARN_AFTER="300",
    SESSIONS_LIVE_EXPIRE_AFTER="600",
    SESSIONS_LIVE_MAX_TABS_PER_SESSION="3",
    SESSIONS_LIVE_MAX_TABS_PER_USER="4",
)


async def test_tabs_past_a_cap_are_refused_with_4409_and_none_is_dropped(
    capped_demo: Demo,
) -> None:
    laptop, phone = Browser(capped_demo), Browser(capped_demo)
    for browser in (laptop, phone):
        await asyncio.to_thread(browser.sign_in)
    async with AsyncExitStack() as stack:
        tabs = [await stack.enter_async_context(laptop.tab()) for _ in range(3)]
        for tab in tabs:
            await frame_of(tab, "hello")
        async with laptop.tab() as extra:  # the session's fourth
            frame = await next_frame(extra, 10)
            assert (frame["type"], frame["code"]) == ("error", "too_many_tabs")
            assert "MAX_TABS_PER_SESSION" in frame["message"]
            assert await close_code(extra, 10) == 4409
        phone_tab = await stack.enter_async_context(phone.tab())  # the user's fourth
        await frame_of(phone_tab, "hello")
        async with phone.tab() as extra:  # the user's fifth, in a session with one
            assert "MAX_TABS_PER_USER" in (await next_frame(extra, 10))["message"]
            assert await close_code(extra, 10) == 4409
        await tabs[0].send('{"type": "extend"}')  # every open tab is still served
        await phone_tab.send('{"type": "extend"}')  # (the phone's is another session)
        for tab in (*tabs, phone_tab):
            await frame_of(tab, "active")
    log = capped_demo.log.read_text()
    assert log.count("tabs open already") == 1  # one line a minute, counting the refusals
    assert "Traceback" not in log


#: Under daphne only: what the minute-long test below measures is redis-py's socket timeout
#: racing channels-redis' blocking read, in the layer's own connection, whichever server holds
#: the tabs; a second minute under uvicorn would prove nothing more and spend a fifteenth of
#: the suite's budget. (The uvicorn tests above hold their sockets over the layer too.)
patient_demo = demo_fixture(SESSIONS_LIVE_WARN_AFTER="300", SESSIONS_LIVE_EXPIRE_AFTER="600")


IDLE_SOCKETS = 20
IDLE_SECONDS = 65


async def test_idle_sockets_survive_a_minute_on_redis(patient_demo: Demo) -> None:
    """redis-py's 5 s socket_timeout once killed idle sockets (DESIGN.md, pitfalls)."""
    browser = Browser(patient_demo)
    await asyncio.to_thread(browser.sign_in)
    tabs = [await browser.tab().__aenter__() for _ in range(IDLE_SOCKETS)]
    try:
        for ws in tabs:
            assert (await next_frame(ws))["type"] == "hello"
        await asyncio.sleep(IDLE_SECONDS)
        await tabs[0].send(json.dumps({"type": "extend"}))
        frames = await asyncio.gather(*(next_frame(ws) for ws in tabs))
        assert [frame["type"] for frame in frames] == ["active"] * IDLE_SOCKETS
    finally:
        await asyncio.gather(*(ws.close() for ws in tabs))
    assert "Traceback" not in Path(patient_demo.log).read_text()
