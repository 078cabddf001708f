"""The "your sessions" page: a user sees their own live sessions and ends the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import AbstractUser
from django.template import TemplateDoesNotExist
from django.test import Client

from sessions_live.models import LiveSession

from .helpers import live_of
from .sockets import connect, frame

PAGE = "/sessions/"
END = "/sessions/end/"
END_OTHERS = "/sessions/end-others/"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
HTML = {"accept": "text/html"}


@pytest.fixture(autouse=True)
def _base_template(timeouts: Callable[..., None]) -> None:
    timeouts(BASE_TEMPLATE="tests/base.html")


@pytest.fixture
def user(make_user: Callable[..., AbstractUser]) -> AbstractUser:
    return make_user("alice")


def browser(
    user: AbstractUser, user_agent: str = FIREFOX, ip: str = "192.0.2.10", *, csrf: bool = False
) -> Client:
    """A client signed in through the login form, from its own browser and address."""
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    response = client.post(
        "/login/", {"username": user.get_username(), "password": "pw-" + user.get_username()}
    )
    assert response.status_code == 302, response.content
    client.handler.enforce_csrf_checks = csrf  # from here on, as a browser is held to it
    return client


def is_live(client: Client) -> bool:
    return LiveSession.objects.get(pk=live_of(client).pk).ended is None


def test_the_page_lists_the_users_own_sessions_and_marks_this_one(
    user: AbstractUser, make_user: Callable[..., AbstractUser]
) -> None:
    laptop = browser(user, FIREFOX, "192.0.2.10")
    phone = browser(user, IPHONE, "198.51.100.7")
    stranger = browser(make_user("mallory"), FIREFOX, "203.0.113.99")

    response = laptop.get(PAGE, headers=HTML)

    assert response.status_code == 200
    assert response.templates[0].name == "sessions_live/my_sessions.html"
    assert "tests/base.html" in [template.name for template in response.templates]
    sessions = response.context["sessions"]
    assert [(s.device, s.ip, s.current) for s in sessions] == [
        ("Firefox 128 on Windows 10", "192.0.2.10", True),
        ("Mobile Safari 17 on iOS 17.5", "198.51.100.7", False),
    ]
    assert sessions[0].id == live_of(laptop).pk.hex
    assert sessions[1].id == live_of(phone).pk.hex
    assert sessions[1].tabs == 0
    page = response.content.decode()
    assert "<title>Your sessions</title>" in page
    assert '<th scope="col">IP address</th>' in page
    assert '<tr class="sessions-live-mine-current" aria-current="true">' in page
    assert "(this session)" in page
    assert 'aria-label="End session: Mobile Safari 17 on iOS 17.5"' in page
    assert f'value="{live_of(phone).pk.hex}"' in page
    assert f'value="{live_of(laptop).pk.hex}"' not in page  # no button for this session
    assert "203.0.113.99" not in page
    assert live_of(stranger).pk.hex not in page


def test_the_page_needs_a_signed_in_user(db: None) -> None:
    response = Client().get(PAGE, headers=HTML)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/sessions/"


def test_ending_another_session_asks_first_then_ends_it_and_records_the_user(
    user: AbstractUser, logouts: list[dict[str, Any]]
) -> None:
    laptop = browser(user)
    phone = browser(user, IPHONE)
    target = live_of(phone).pk.hex

    asked = laptop.post(END, {"id": target})

    assert asked.status_code == 200
    assert asked.templates[0].name == "sessions_live/my_sessions_confirm.html"
    assert [s.id for s in asked.context["targets"]] == [target]
    assert 'name="confirm" value="yes"' in asked.content.decode()
    assert is_live(phone)

    done = laptop.post(END, {"id": target, "confirm": "yes"})

    assert done.status_code == 302
    assert done["Location"] == "/sessions/?ended=1"
    ended = LiveSession.objects.get(pk=target)
    assert (ended.end_reason, ended.ended_by_id) == ("terminated", user.pk)
    assert [kwargs["user"] for kwargs in logouts] == [user]
    assert is_live(laptop)
    refused = phone.get("/page/", headers=HTML)
    assert refused["Location"].startswith("/login/?signed_out=terminated")
    after = laptop.get(done["Location"], headers=HTML)
    assert [s.id for s in after.context["sessions"]] == [live_of(laptop).pk.hex]
    assert "1 session was ended: its tabs went to the sign-in page." in after.content.decode()


def test_ending_all_others_keeps_only_this_session(user: AbstractUser) -> None:
    laptop = browser(user)
    others = [browser(user, IPHONE), browser(user, FIREFOX, "192.0.2.20")]

    asked = laptop.post(END_OTHERS)
    assert {s.id for s in asked.context["targets"]} == {live_of(c).pk.hex for c in others}
    assert all(is_live(client) for client in others)

    done = laptop.post(END_OTHERS, {"confirm": "yes"})

    assert done["Location"] == "/sessions/?ended=2"
    assert not any(is_live(client) for client in others)
    assert is_live(laptop)
    assert laptop.get("/page/", headers=HTML).status_code == 200


def test_another_users_session_is_not_found_and_stays_live(
    user: AbstractUser, make_user: Callable[..., AbstractUser]
) -> None:
    laptop = browser(user)
    stranger = browser(make_user("mallory"))
    for data in (
        {"id": live_of(stranger).pk.hex},
        {"id": live_of(stranger).pk.hex, "confirm": "yes"},
    ):
        assert laptop.post(END, data).status_code == 404
    assert laptop.post(END_OTHERS, {"confirm": "yes"})["Location"] == "/sessions/?ended=0"
    assert is_live(stranger)


@pytest.mark.parametrize("target", ["this", "ended", "not-a-uuid", ""])
def test_this_ended_or_unknown_sessions_are_not_found(user: AbstractUser, target: str) -> None:
    laptop = browser(user)
    phone = browser(user, IPHONE)
    ids = {"this": live_of(laptop).pk.hex, "ended": live_of(phone).pk.hex}
    if target == "ended":
        laptop.post(END, {"id": ids["ended"], "confirm": "yes"})
    response = laptop.post(END, {"id": ids.get(target, target), "confirm": "yes"})
    assert response.status_code == 404
    assert is_live(laptop)


def test_ending_is_post_only_and_needs_the_csrf_token(user: AbstractUser) -> None:
    laptop = browser(user, csrf=True)
    phone = browser(user, IPHONE)
    target = live_of(phone).pk.hex
    assert laptop.get(END, {"id": target}).status_code == 405
    assert laptop.get(END_OTHERS).status_code == 405
    assert laptop.post(END, {"id": target, "confirm": "yes"}).status_code == 403
    assert laptop.post(END_OTHERS, {"confirm": "yes"}).status_code == 403
    assert is_live(phone)
    page = laptop.get(PAGE, headers=HTML)
    token = page.context["csrf_token"]
    done = laptop.post(END, {"id": target, "confirm": "yes", "csrfmiddlewaretoken": token})
    assert done.status_code == 302
    assert not is_live(phone)


def test_the_base_template_defaults_to_base_html(settings: Any, user: AbstractUser) -> None:
    settings.SESSIONS_LIVE = {"WARN_AFTER": 540, "EXPIRE_AFTER": 600}
    laptop = browser(user)
    with pytest.raises(TemplateDoesNotExist, match=r"^base\.html$"):
        laptop.get(PAGE, headers=HTML)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("layer", "stop_sweeper", "_close_sockets")
async def test_the_ended_sessions_tab_is_told_at_once(user: AbstractUser) -> None:
    laptop = await sync_to_async(browser)(user)
    phone = await sync_to_async(browser)(user, IPHONE)
    tab = await connect(phone)
    assert (await frame(tab))["type"] == "hello"
    mine = await connect(laptop)
    assert (await frame(mine))["type"] == "hello"
    target = (await sync_to_async(live_of)(phone)).pk.hex

    await sync_to_async(laptop.post)(END, {"id": target, "confirm": "yes"})

    assert await frame(tab) == {
        "type": "expired",
        "reason": "terminated",
        "redirect": "/login/?signed_out=terminated",
    }
    assert await mine.receive_nothing(0.2)


@pytest.mark.parametrize("ended", ["2", "²", "\u0661", "-1", "x", "9" * 50])
def test_the_count_of_sessions_ended_is_read_only_from_ascii_digits(
    user: AbstractUser, ended: str
) -> None:
    """``"²".isdigit()`` is True, and ``int("²")`` raises: the page said 500 for it."""
    response = browser(user, FIREFOX, "192.0.2.10").get(f"{PAGE}?ended={ended}", headers=HTML)
    assert response.status_code == 200
    assert response.context["ended"] == (int(ended) if ended.isascii() and ended.isdigit() else 0)
