"""Who gets in: session cookies of every kind on HTTP and WebSocket, session fixation, six
roles on every HTTP action of the dashboard, and the rate of activity frames."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Permission
from django.test import Client

from sessions_live import store
from sessions_live.core.protocol import MAX_FRAMES_PER_WINDOW
from sessions_live.models import EndReason, LiveSession
from sessions_live.runtime import lifecycle

from .helpers import age, live_of
from .sockets import PATIENCE, closed_with, connect, frame

#: Every socket a test opens is closed after it, as a browser would.
pytestmark = pytest.mark.usefixtures("_close_sockets")

BOARD = "/admin/sessions_live/livesession/"
END = "/admin/sessions_live/livesession/end/"


# Session cookies that must not get in -------------------------------------------------------


def anonymous(client: Client) -> None:
    client.logout()
    client.cookies.pop("sessionid", None)


def ended_by_logout(client: Client) -> None:
    key = client.session.session_key
    client.post("/logout/")
    client.cookies["sessionid"] = key or ""  # the browser kept the old cookie


def expired(client: Client) -> None:
    age(client, idle=601)


def terminated(client: Client) -> None:
    lifecycle.end_session(live_of(client), EndReason.TERMINATED, now=time.time())


def forged(client: Client) -> None:
    client.cookies["sessionid"] = "x" * 32


SPOILERS = [anonymous, ended_by_logout, expired, terminated, forged]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_sweeper")
@pytest.mark.parametrize("spoil", SPOILERS, ids=lambda spoil: spoil.__name__)
async def test_a_cookie_that_is_not_a_live_session_gets_in_nowhere(
    spoil: Callable[[Client], None], asigned_in: Callable[..., Any]
) -> None:
    client = await asigned_in()
    await sync_to_async(spoil)(client)
    cookie = client.cookies.get("sessionid")
    key = cookie.value if cookie is not None else ""

    response = await sync_to_async(client.get)("/page/", headers={"accept": "text/html"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")

    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if key:
        headers.append((b"cookie", f"sessionid={key}".encode()))
    tab = await connect(None, headers=headers)
    first = await tab.receive_output(PATIENCE)
    if first["type"] == "websocket.send":  # told why (expired, terminated), then closed
        assert '"type":"expired"' in first["text"].replace(" ", "")
        assert await closed_with(tab) == 4401
    else:
        assert (first["type"], first["code"]) == ("websocket.close", 4401)


@pytest.mark.django_db
def test_a_session_key_from_before_sign_in_does_not_survive_it(
    make_user: Callable[..., Any],
) -> None:
    """Session fixation: an attacker plants a session cookie, the victim signs in with it."""
    make_user("alice")
    client = Client()
    session = client.session
    session["planted"] = True
    session.save()
    planted = session.session_key
    assert planted
    client.cookies["sessionid"] = planted
    response = client.post("/login/", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    signed_in = client.cookies["sessionid"].value
    assert signed_in != planted
    assert store.find(signed_in) is not None
    assert store.find(planted) is None

    attacker = Client()
    attacker.cookies["sessionid"] = planted
    page = attacker.get("/page/", headers={"accept": "text/html"})
    assert page.status_code == 302
    assert page["Location"].startswith("/login/")


# Six roles on every HTTP action ---------------------------------------------------------------

ROLES: dict[str, dict[str, Any]] = {
    "anonymous": {},
    "user": {"is_staff": False, "perms": ()},
    "staff": {"is_staff": True, "perms": ()},
    "viewer": {"is_staff": True, "perms": ("view_livesession",)},
    "ender": {"is_staff": True, "perms": ("view_livesession", "end_livesession")},
    "superuser": {"is_staff": True, "is_superuser": True, "perms": ()},
}
# What each role gets: the dashboard page, ending one session, ending all of a user's.
EXPECTED = {
    "anonymous": ("login", "login", "login"),
    "user": ("login", "login", "login"),
    "staff": (403, 403, 403),
    "viewer": (200, 403, 403),
    "ender": (200, "ended", "ended"),
    "superuser": (200, "ended", "ended"),
}


def client_for(role: str, make_user: Callable[..., Any]) -> Client:
    client = Client()
    if role == "anonymous":
        return client
    spec = dict(ROLES[role])
    perms = spec.pop("perms")
    user = make_user(role, **spec)
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    return client


def outcome(response: Any, target: LiveSession | None = None) -> Any:
    if response.status_code == 302 and response["Location"].startswith("/admin/login/"):
        return "login"
    if target is not None and response.status_code == 302:
        target.refresh_from_db()
        return "ended" if target.ended is not None else "redirected, not ended"
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_http_action_for_each_of_six_roles(
    role: str,
    make_user: Callable[..., Any],
    signed_in: Callable[..., Client],
    caplog: pytest.LogCaptureFixture,
) -> None:
    victim = live_of(signed_in("victim"))
    other = live_of(signed_in("other"))
    client = client_for(role, make_user)
    page, end_one, end_user = EXPECTED[role]

    assert outcome(client.get(BOARD)) == page
    assert outcome(client.post(END, {"id": victim.pk.hex, "confirm": "yes"}), victim) == end_one
    ending_user = client.post(END, {"user_id": other.user_id, "confirm": "yes"})
    assert outcome(ending_user, other) == end_user
    if end_one == 403:
        assert f"{role} may not end sessions (HTTP)" in caplog.text  # refusals are logged
        assert LiveSession.objects.filter(ended__isnull=True).count() >= 2


# The rate of activity frames ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("layer", "stop_sweeper")
async def test_a_stream_of_activity_writes_once_per_window_then_is_cut(
    asigned_in: Callable[..., Any],
    timeouts: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    timeouts(ACTIVITY_INTERVAL=10)  # one write per 5 s at most
    writes: list[float] = []
    touch = store.touch

    def counting_touch(live_id: Any, at: float, now: float) -> bool:
        writes.append(at)
        return touch(live_id, at, now)

    monkeypatch.setattr(store, "touch", counting_touch)
    client = await asigned_in()
    tab = await connect(client)
    assert (await frame(tab))["type"] == "hello"
    for _ in range(MAX_FRAMES_PER_WINDOW):
        await tab.send_json_to({"type": "activity", "idle": 0})
    assert (await frame(tab))["type"] == "active"  # every tab hears the one write
    assert await tab.receive_nothing(0.5)  # and nothing more: the rest were dropped
    assert len(writes) == 1  # sixty frames in the window: one write, one push
    await tab.send_json_to({"type": "activity", "idle": 0})  # the 61st is one too many
    assert (await frame(tab))["code"] == "too_many"
    assert await closed_with(tab) == 4429
    assert len(writes) == 1
