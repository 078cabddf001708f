"""MAX_SESSIONS_PER_USER: a sign-in beyond the limit ends the oldest sessions, told why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import AbstractUser
from django.test import Client

from sessions_live.models import LiveSession
from sessions_live.web.client_config import signed_out_message

from .helpers import age, live_of
from .helpers import sign_in_with_form as sign_in
from .sockets import connect, frame

HTML = {"accept": "text/html"}


def ended(client: Client) -> tuple[str, Any]:
    live = LiveSession.objects.get(pk=live_of(client).pk)
    return live.end_reason, live.ended_by_id


@pytest.fixture
def user(make_user: Callable[..., AbstractUser]) -> AbstractUser:
    return make_user("alice")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("layer", "stop_sweeper", "_close_sockets")
async def test_a_second_sign_in_replaces_the_first_at_a_limit_of_one(
    user: AbstractUser, timeouts: Callable[..., None], logouts: list[dict[str, Any]]
) -> None:
    timeouts(MAX_SESSIONS_PER_USER=1)
    first = await sync_to_async(sign_in)(user)
    tab = await connect(first)
    assert (await frame(tab))["type"] == "hello"

    second = await sync_to_async(sign_in)(user)

    assert await frame(tab) == {
        "type": "expired",
        "reason": "replaced",
        "redirect": "/login/?signed_out=replaced",
    }
    assert await sync_to_async(ended)(first) == ("replaced", user.pk)
    assert [kwargs["user"] for kwargs in logouts] == [user]
    api = await sync_to_async(first.get)("/api/")
    assert api.status_code == 401
    assert api.json()["reason"] == "replaced"
    page = await sync_to_async(first.get)("/page/", headers=HTML)  # signed out by the 401
    assert page["Location"] == "/login/?next=/page/"
    assert (await sync_to_async(second.get)("/page/", headers=HTML)).status_code == 200
    other_tab = await connect(second)
    assert (await frame(other_tab))["type"] == "hello"


def test_the_oldest_sessions_go_first(user: AbstractUser, timeouts: Callable[..., None]) -> None:
    timeouts(MAX_SESSIONS_PER_USER=2)
    oldest, middle = sign_in(user), sign_in(user)
    age(oldest, since_start=20)
    age(middle, since_start=10)
    assert [ended(c)[0] for c in (oldest, middle)] == ["", ""]

    newest = sign_in(user)

    assert [ended(c)[0] for c in (oldest, middle, newest)] == ["replaced", "", ""]
    timeouts(MAX_SESSIONS_PER_USER=1)
    sign_in(user)
    assert [ended(c)[0] for c in (middle, newest)] == ["replaced", "replaced"]


def test_other_users_and_expired_sessions_do_not_count(
    user: AbstractUser, make_user: Callable[..., AbstractUser], timeouts: Callable[..., None]
) -> None:
    timeouts(MAX_SESSIONS_PER_USER=1)
    stranger = sign_in(make_user("bob"))
    idle = sign_in(user)
    age(idle, idle=601)  # past EXPIRE_AFTER: it ends for inactivity, not for the limit

    sign_in(user)

    assert ended(stranger) == ("", None)
    assert ended(idle) == ("", None)
    assert idle.get("/page/", headers=HTML)["Location"].startswith("/login/?signed_out=idle")


def test_no_limit_by_default(user: AbstractUser) -> None:
    clients = [sign_in(user) for _ in range(4)]
    assert all(ended(client) == ("", None) for client in clients)


def test_the_login_page_says_why(db: None) -> None:
    response = Client().get("/login/?signed_out=replaced")
    assert signed_out_message("replaced") in response.content.decode()
    assert signed_out_message("replaced") == (
        "You were signed out because your account signed in elsewhere, beyond the number of "
        "sessions it may hold at once."
    )
