"""SECRET_KEY rotation: with the old key in SECRET_KEY_FALLBACKS signed-in users stay signed in,
on HTTP and on the socket, with the same record; once the fallback is removed, a session that
was not re-saved meanwhile is ended once, ``invalidated``, and its user told why."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack as ChannelsAuthMiddlewareStack
from channels.routing import URLRouter
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client
from django.utils.crypto import salted_hmac

from sessions_live import dashboard, store
from sessions_live.middleware import SESSION_MARKER
from sessions_live.models import LiveSession
from sessions_live.routing import websocket_urlpatterns
from sessions_live.sockets import auth as socket_auth
from sessions_live.web.client_config import signed_out_message

from .helpers import age, live_of
from .servers import manage, run_demo
from .sockets import BOARD, TAB, Socket, closed_with, connect, frame
from .web import Browser, close_code, next_frame

OLD_KEY = "tests-only-not-secret"  # tests/settings.py
NEW_KEY = "tests-rotated-not-secret"
NAVIGATE = {"Sec-Fetch-Mode": "navigate"}
INVALIDATED_MESSAGE = (
    "You were signed out because your session could no longer be verified. Please sign in again."
)


@pytest.fixture
def rotate(settings: Any) -> Callable[..., None]:
    """Rotate SECRET_KEY, keeping the old one as a fallback unless told not to (a fallback
    removed before the session was used again: it was never re-saved under the new key)."""

    def apply(*, keep_fallback: bool = True) -> None:
        settings.SECRET_KEY = NEW_KEY
        settings.SECRET_KEY_FALLBACKS = [OLD_KEY] if keep_fallback else []

    return apply


def touch_user(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., Any]:
    """A middleware that evaluates ``request.user`` before sessions-live's does."""

    def middleware(request: HttpRequest) -> HttpResponse:
        _ = request.user.is_authenticated  # Django's get_user runs here
        return get_response(request)

    return middleware


def old_hmac(session_key: str, secret: str) -> str:
    """The hash earlier versions keyed a record by: an HMAC with the site's secret."""
    salt = "sessions_live.session_key"
    return salted_hmac(salt, session_key, secret=secret, algorithm="sha256").hexdigest()


def row_exists(session_key: str) -> bool:
    return Session.objects.filter(session_key=session_key).exists()


def dashboard_row(live: LiveSession) -> dict[str, Any]:
    (row,) = [r for r in dashboard.snapshot(time.time()) if r["id"] == live.pk.hex]
    return dict(row)


# Rotation with the old key as a fallback: nobody is signed out ---------------------------


@pytest.mark.parametrize("earlier_middleware", [False, True], ids=["ours-first", "read-before"])
def test_a_rotated_key_keeps_pages_signed_in_on_the_same_record(
    signed_in: Callable[..., Client],
    rotate: Callable[..., None],
    settings: Any,
    earlier_middleware: bool,
) -> None:
    if earlier_middleware:  # the key is cycled before sessions-live's middleware runs
        position = settings.MIDDLEWARE.index("sessions_live.middleware.SessionsLiveMiddleware")
        settings.MIDDLEWARE = [
            *settings.MIDDLEWARE[:position],
            "tests.test_key_rotation.touch_user",
            *settings.MIDDLEWARE[position:],
        ]
    client = signed_in()
    age(client, idle=100, since_start=100)
    old_key, before = client.session.session_key, live_of(client)
    assert old_key is not None
    rotate()
    # A passive request, so that nothing moves the deadline: Django verifies the session
    # with the fallback and cycles its key, as it does without sessions-live.
    assert client.get("/poll/").status_code == 200
    new_key = client.session.session_key
    assert new_key is not None
    assert new_key != old_key
    assert not row_exists(old_key)
    after = live_of(client)
    assert (after.pk, after.started, after.last_activity) == (
        before.pk,
        before.started,
        before.last_activity,
    )
    assert after.key_hash == store.key_hash(new_key)
    assert store.status(after, time.time()).expires_in == pytest.approx(500, abs=5)
    # Signed in on the new key, which Django does not cycle again.
    assert client.get("/page/", headers=NAVIGATE).status_code == 200
    assert client.session.session_key == new_key
    assert LiveSession.objects.get().ended is None


@pytest.mark.django_db(transaction=True)
async def test_a_rotated_key_keeps_pages_signed_in_under_asgi(
    asigned_in: Callable[..., Any], rotate: Callable[..., None]
) -> None:
    signed = await asigned_in()
    client = AsyncClient()
    client.cookies = signed.cookies
    old_key = client.cookies["sessionid"].value
    before = await LiveSession.objects.aget()
    rotate()
    assert (await client.get("/page/", headers=NAVIGATE)).status_code == 200
    new_key = client.cookies["sessionid"].value
    assert new_key != old_key
    after = await LiveSession.objects.aget()
    assert (after.pk, after.started, after.ended) == (before.pk, before.started, None)
    assert after.key_hash == store.key_hash(new_key)
    assert (await client.get("/page/", headers=NAVIGATE)).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_sweeper", "_close_sockets")
async def test_a_rotated_key_keeps_tabs_signed_in_and_the_session_unflushed(
    asigned_in: Callable[..., Any], rotate: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    client = await asigned_in()
    await sync_to_async(age)(client, idle=100, since_start=100)
    old_key = await sync_to_async(lambda: client.session.session_key)()
    before = await LiveSession.objects.aget()
    rotate()
    tab = await connect(client)
    hello = await frame(tab)
    assert hello["type"] == "hello"
    assert hello["expires_in"] == pytest.approx(500, abs=5)  # the record's own deadline
    # The socket neither flushed the session nor cycled its key (it cannot set a cookie).
    assert await sync_to_async(row_exists)(old_key)
    # The next page cycles the key as Django does: the open tab carries on with its record,
    # and a tab opened with the new cookie joins it.
    assert (await sync_to_async(client.get)("/poll/")).status_code == 200
    new_key = await sync_to_async(lambda: client.session.session_key)()
    assert new_key != old_key
    await tab.send_json_to({"type": "extend"})
    assert (await frame(tab))["type"] == "active"
    second = await connect(client)
    assert (await frame(second))["type"] == "hello"
    after = await LiveSession.objects.aget()
    assert (after.pk, after.started, after.ended) == (before.pk, before.started, None)
    assert "SECRET_KEY_FALLBACKS" not in caplog.text  # routed through our stack: no warning


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_sweeper", "_close_sockets")
async def test_a_dashboard_stays_open_when_a_page_cycles_its_sessions_key(
    astaff: Callable[..., Any],
    asigned_in: Callable[..., Any],
    rotate: Callable[..., None],
    timeouts: Callable[..., None],
) -> None:
    timeouts(DASHBOARD_INTERVAL=0.2)
    boss = await astaff("boss", "view_livesession")
    rotate()
    board = await connect(boss, BOARD)
    assert (await frame(board))["type"] == "snapshot"
    assert (await sync_to_async(boss.get)("/poll/")).status_code == 200  # cycles the key
    await asigned_in("bob")  # something for the dashboard to show
    while True:  # it keeps following (a closed socket fails here, not a frame)
        changes = await frame(board, timeout=10)
        if any(row["user"]["username"] == "bob" for row in changes.get("sessions", [])):
            break


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_sweeper")
async def test_channels_own_stack_signs_out_a_session_a_fallback_verifies(
    asigned_in: Callable[..., Any],
    rotate: Callable[..., None],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A canary for why sessions_live.routing.AuthMiddlewareStack exists: channels' get_user
    tries no fallback and flushes the session. The day it stops, this fails: then our stack
    may become a plain re-export of channels' own."""
    monkeypatch.setattr(socket_auth, "_warned_of_channels_auth", False)
    client = await asigned_in()
    key = await sync_to_async(lambda: client.session.session_key)()
    rotate()
    app = ChannelsAuthMiddlewareStack(URLRouter(websocket_urlpatterns))
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"sessionid={key}".encode()),
    ]
    for _ in range(2):
        tab = Socket(app, TAB, headers=headers)
        connected, _ = await tab.connect()
        assert connected
        # The flush deleted the session's row, so its record ended at once: the tab is told.
        assert await frame(tab) == {
            "type": "expired",
            "reason": "revoked",
            "redirect": "/login/?signed_out=revoked",
        }
        assert await closed_with(tab) == 4401
        await tab.disconnect()
    # One handshake deleted the user's Django session: signed out of every page and tab.
    assert not await sync_to_async(row_exists)(key)
    response = await sync_to_async(client.get)("/page/", headers=NAVIGATE)
    assert response["Location"] == "/login/?signed_out=revoked&next=%2Fpage%2F"  # told why
    # The tab consumer said so, once per process, naming the fix.
    warnings = [r for r in caplog.records if "SECRET_KEY_FALLBACKS" in r.getMessage()]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert "sessions_live.routing.AuthMiddlewareStack" in warnings[0].getMessage()
    # A deleted Django session ends its record, once: it is no key cycle (no new row).
    live = await LiveSession.objects.aget()
    assert (live.ended is not None, live.end_reason) == (True, "revoked")


def put_back(row: Session) -> None:
    """Put a Django session's row back after a key cycle deleted it, as another request that
    had read it a moment before still has it."""
    Session.objects.create(
        session_key=row.session_key, session_data=row.session_data, expire_date=row.expire_date
    )


def test_two_requests_cycling_one_cookie_at_once_both_stay_signed_in(
    signed_in: Callable[..., Client], rotate: Callable[..., None]
) -> None:
    first = signed_in()
    before = live_of(first)
    old_key = first.session.session_key
    row = Session.objects.get(session_key=old_key)
    second = Client()
    second.cookies["sessionid"] = old_key
    rotate()
    assert first.get("/page/", headers=NAVIGATE).status_code == 200
    put_back(row)  # the second request read the old row before the first deleted it
    assert second.get("/page/", headers=NAVIGATE).status_code == 200
    keys = {old_key, first.session.session_key, second.session.session_key}
    assert len(keys) == 3  # Django gave each request a key of its own
    # Whichever cookie the browser keeps, it stays signed in, on the one record.
    for client in (first, second, first):
        assert client.get("/page/", headers=NAVIGATE).status_code == 200
    after = LiveSession.objects.get()
    assert (after.pk, after.started, after.ended) == (before.pk, before.started, None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_sweeper", "_close_sockets")
async def test_a_tab_that_read_its_session_just_before_a_key_cycle_finds_its_record(
    asigned_in: Callable[..., Any], rotate: Callable[..., None]
) -> None:
    client = await asigned_in()
    old_key = await sync_to_async(lambda: client.session.session_key)()
    row = await Session.objects.aget(session_key=old_key)
    rotate()
    assert (await sync_to_async(client.get)("/poll/")).status_code == 200  # cycled
    await sync_to_async(put_back)(row)
    late = Client()
    late.cookies["sessionid"] = old_key
    tab = await connect(late)
    assert (await frame(tab))["type"] == "hello"


def test_a_marker_naming_another_users_record_gets_nothing(
    signed_in: Callable[..., Client],
) -> None:
    alice, bob = signed_in("alice"), signed_in("bob")
    alices = live_of(alice)
    session = bob.session
    session[SESSION_MARKER] = alices.pk.hex
    session.save()
    LiveSession.objects.filter(user__username="bob").delete()  # bob's key leads nowhere
    response = bob.get("/page/", headers=NAVIGATE)
    assert response["Location"] == "/login/?signed_out=ended&next=%2Fpage%2F"
    after = LiveSession.objects.get()
    assert (after.pk, after.key_hash, after.ended) == (alices.pk, alices.key_hash, None)
    assert alice.get("/page/", headers=NAVIGATE).status_code == 200


# Records keyed by an earlier version --------------------------------------------------


@pytest.mark.parametrize("rotated", [False, True], ids=["same-key", "rotated-since"])
def test_a_record_keyed_by_the_old_hmac_is_found_and_re_keyed(
    signed_in: Callable[..., Client], rotate: Callable[..., None], rotated: bool
) -> None:
    client = signed_in()
    key = client.session.session_key
    assert key is not None
    before = live_of(client)
    LiveSession.objects.update(key_hash=old_hmac(key, OLD_KEY))
    if rotated:
        rotate()
    assert client.get("/page/", headers=NAVIGATE).status_code == 200
    current = client.session.session_key
    assert current is not None
    assert (current != key) is rotated
    after = LiveSession.objects.get()
    assert (after.pk, after.started, after.ended) == (before.pk, before.started, None)
    assert after.key_hash == store.key_hash(current)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_sweeper", "_close_sockets")
async def test_a_tab_finds_a_record_keyed_by_the_old_hmac(asigned_in: Callable[..., Any]) -> None:
    client = await asigned_in()
    key = await sync_to_async(lambda: client.session.session_key)()
    await LiveSession.objects.aupdate(key_hash=old_hmac(key, OLD_KEY))
    tab = await connect(client)
    assert (await frame(tab))["type"] == "hello"
    assert (await LiveSession.objects.aget()).key_hash == store.key_hash(key)


# The fallback removed: a session that was not re-saved meanwhile ends, once -------------


@pytest.mark.parametrize("kind", ["page", "fetch"])
def test_removing_the_fallback_ends_the_session_once_as_invalidated(
    signed_in: Callable[..., Client],
    rotate: Callable[..., None],
    logouts: list[dict[str, Any]],
    endings: list[dict[str, Any]],
    kind: str,
) -> None:
    client = signed_in()
    key = client.session.session_key
    assert key is not None
    live = live_of(client)
    rotate(keep_fallback=False)  # Django can no longer read the session: it is empty
    if kind == "page":
        response = client.get("/page/", headers=NAVIGATE)
        assert response.status_code == 302
        assert response["Location"] == "/login/?signed_out=invalidated&next=%2Fpage%2F"
    else:
        response = client.get("/api/", headers={"Sec-Fetch-Mode": "cors"})
        assert response.status_code == 401
        assert response.json() == {
            "error": "session_expired",
            "reason": "invalidated",
            "redirect": "/login/?signed_out=invalidated",
        }
    ended = LiveSession.objects.get()
    assert ended.ended is not None
    assert ended.end_reason == "invalidated"
    assert [(e["reason"], e["live_session"].pk) for e in endings] == [("invalidated", live.pk)]
    assert [logout["user"].get_username() for logout in logouts] == ["alice"]
    assert not row_exists(key)
    row = dashboard_row(live)
    assert (row["state"], row["end_reason"]) == ("ended", "invalidated")
    # Once: the next request is a plain anonymous visitor's.
    again = client.get("/page/", headers=NAVIGATE)
    assert again["Location"] == "/login/?next=/page/"
    assert (len(endings), len(logouts)) == (1, 1)


def test_the_login_page_says_why(db: None) -> None:
    response = Client().get("/login/?signed_out=invalidated")
    assert signed_out_message("invalidated") == INVALIDATED_MESSAGE
    assert INVALIDATED_MESSAGE in response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_sweeper", "_close_sockets")
async def test_removing_the_fallback_ends_every_tab_once_as_invalidated(
    asigned_in: Callable[..., Any],
    rotate: Callable[..., None],
    logouts: list[dict[str, Any]],
    endings: list[dict[str, Any]],
) -> None:
    client = await asigned_in()
    key = await sync_to_async(lambda: client.session.session_key)()
    open_before = await connect(client)  # a tab that stays open across the change
    assert (await frame(open_before))["type"] == "hello"
    rotate(keep_fallback=False)
    expired = {
        "type": "expired",
        "reason": "invalidated",
        "redirect": "/login/?signed_out=invalidated",
    }
    coming_back = await connect(client)
    for tab in (coming_back, open_before):
        assert await frame(tab) == expired
        assert await closed_with(tab) == 4401
    live = await LiveSession.objects.aget()
    assert live.end_reason == "invalidated"
    assert [e["reason"] for e in endings] == ["invalidated"]
    assert len(logouts) == 1
    assert not await sync_to_async(row_exists)(key)
    # A tab that asks again is told the same reason, and nothing ends twice.
    again = await connect(client)
    assert await frame(again) == expired
    assert await closed_with(again) == 4401
    assert (len(endings), len(logouts)) == (1, 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_sweeper", "_close_sockets")
async def test_a_key_cycle_elsewhere_moves_the_record_and_ends_nothing(
    asigned_in: Callable[..., Any],
    logouts: list[dict[str, Any]],
    endings: list[dict[str, Any]],
) -> None:
    """A cycle makes the new row, then deletes the old one: the record follows at once,
    whichever code cycled the key and wherever sessions-live's middleware is."""
    client = await asigned_in()
    key = await sync_to_async(lambda: client.session.session_key)()
    before = await LiveSession.objects.aget()

    def cycle() -> str:
        session = SessionStore(key)
        session.cycle_key()
        new_key: str = session.session_key
        return new_key

    new_key = await sync_to_async(cycle)()
    after = await LiveSession.objects.aget()
    assert (after.pk, after.ended, after.key_hash) == (before.pk, None, store.key_hash(new_key))
    assert (endings, logouts) == ([], [])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_sweeper", "_close_sockets")
async def test_a_session_row_deleted_elsewhere_ends_its_record_once(
    asigned_in: Callable[..., Any],
    rotate: Callable[..., None],
    logouts: list[dict[str, Any]],
    endings: list[dict[str, Any]],
) -> None:
    client = await asigned_in()
    key = await sync_to_async(lambda: client.session.session_key)()
    rotate(keep_fallback=False)
    await Session.objects.filter(session_key=key).adelete()
    live = await LiveSession.objects.aget()
    assert (live.ended is not None, live.end_reason) == (True, "revoked")
    tab = await connect(client)
    assert (await frame(tab))["reason"] == "revoked"
    assert await closed_with(tab) == 4401
    response = await sync_to_async(client.get)("/page/", headers=NAVIGATE)
    assert response["Location"] == "/login/?signed_out=revoked&next=%2Fpage%2F"  # told why
    assert [e["reason"] for e in endings] == ["revoked"]
    assert len(logouts) == 1


def test_an_anonymous_visitor_with_a_cart_costs_no_query(
    db: None, django_assert_num_queries: Any
) -> None:
    cart = Client()
    session = cart.session
    session["cart"] = [42]
    session.save()
    with django_assert_num_queries(1):  # Django's own read of the session
        assert cart.get("/api/").status_code == 200
    # Only a cookie naming an empty session costs one more: it may be one Django can no
    # longer read.
    empty = Client()
    empty.session.save()
    with django_assert_num_queries(2):
        assert empty.get("/api/").status_code == 200


# End to end, under a real server ------------------------------------------------------


def restart(demo: Any, **env: str | None) -> None:
    """Stop the demo's server, change its environment (None: unset), start it again."""
    demo.process.stop()
    for name, value in env.items():
        if value is None:
            demo.process.env.pop(name, None)
        else:
            demo.process.env[name] = value
    demo.process.start()


async def hello_deadline(browser: Browser) -> float:
    """The epoch second a new tab of ``browser`` is told its session ends."""
    async with browser.tab() as ws:
        hello = await next_frame(ws, timeout=10)
        assert hello["type"] == "hello", hello
        return time.time() + float(hello["expires_in"])


@pytest.mark.slow
async def test_a_rotation_and_then_the_fallbacks_removal_under_a_real_server(
    tmp_path: Path,
) -> None:
    with run_demo(
        tmp_path / "demo", SESSIONS_LIVE_WARN_AFTER="500", SESSIONS_LIVE_EXPIRE_AFTER="600"
    ) as demo:
        browsing, tab_only = Browser(demo), Browser(demo)  # two people, one page-goer
        for browser in (browsing, tab_only):
            await asyncio.to_thread(browser.sign_in)
        # Their sessions are 200 s idle, so a record started afresh would show: 600 s left.
        code = (
            "import datetime as dt; from django.db.models import F; "
            "from sessions_live.models import LiveSession; "
            "LiveSession.objects.update(last_activity=F('last_activity') - dt.timedelta("
            "seconds=200), started=F('started') - dt.timedelta(seconds=200))"
        )
        await asyncio.to_thread(manage, demo.process.env, "shell", "-c", code)
        deadlines = [await hello_deadline(browser) for browser in (browsing, tab_only)]
        for deadline in deadlines:
            assert deadline - time.time() == pytest.approx(400, abs=10)

        old_key = demo.process.env["DJANGO_SECRET_KEY"]
        await asyncio.to_thread(
            restart,
            demo,
            DJANGO_SECRET_KEY="rotated-" + old_key,
            DJANGO_SECRET_KEY_FALLBACKS=old_key,
        )
        # Tabs come back on their old cookies with the same deadline...
        for browser, deadline in zip((browsing, tab_only), deadlines, strict=True):
            assert await hello_deadline(browser) == pytest.approx(deadline, abs=3)
        # ...and a page stays signed in, its key cycled by Django, the tab following it.
        key_before = browsing.session_key
        status, _, page = await asyncio.to_thread(browsing.get, "/")
        assert status == 200
        assert 'class="sessions-live-dialog"' in page
        assert browsing.session_key != key_before
        await hello_deadline(browsing)

        await asyncio.to_thread(restart, demo, DJANGO_SECRET_KEY_FALLBACKS=None)
        # The page-goer's session was re-saved under the new key: still signed in.
        assert (await asyncio.to_thread(browsing.get, "/"))[0] == 200
        # The other one's was not: Django can no longer read it. Its tab is sent to the login
        # page, which says why.
        async with tab_only.tab() as ws:
            assert await next_frame(ws, timeout=10) == {
                "type": "expired",
                "reason": "invalidated",
                "redirect": "/login?signed_out=invalidated",
            }
            assert await close_code(ws, timeout=10) == 4401
        status, _, login = await asyncio.to_thread(tab_only.get, "/login?signed_out=invalidated")
        assert status == 200
        assert INVALIDATED_MESSAGE in login.replace("\n", " ")
        status, headers, _ = await asyncio.to_thread(tab_only.get, "/")
        assert (status, headers["Location"]) == (302, "/login?next=/")
