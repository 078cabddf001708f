"""The dashboard page in the admin, and ending sessions over HTTP (CSRF, permissions)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from sessions_live.models import LiveSession

from .helpers import live_of

BOARD = "/admin/sessions_live/livesession/"
END = "/admin/sessions_live/livesession/end/"


def csrf_token(client: Client) -> str:
    page = client.get(BOARD).content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if found:
        return found.group(1)
    return str(client.cookies["csrftoken"].value)


def test_admin_index_lists_live_sessions(staff: Callable[..., Client]) -> None:
    page = staff("viewer", "view_livesession").get("/admin/").content.decode()
    assert "Live sessions" in page
    assert BOARD in page


def test_dashboard_page_for_view_only_staff(staff: Callable[..., Client]) -> None:
    response = staff("viewer", "view_livesession").get(BOARD)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<script type="module" src="/static/sessions_live/dashboard.js">' in page
    assert 'data-can-end="false"' in page
    assert '"socket": "/ws/sessions-live/dashboard/"' in page


def test_dashboard_breadcrumbs_are_marked_up_as_the_admins_own(
    staff: Callable[..., Client],
) -> None:
    """Django 6.1 lists breadcrumbs in an ``<ol>`` and styles only that; earlier, a ``<div>``."""
    client = staff("root", is_superuser=True)
    own = re.search(r'<(ol|div) class="breadcrumbs">', client.get("/admin/auth/user/").text)
    ours = re.findall(r'<(ol|div) class="breadcrumbs">', client.get(BOARD).text)
    assert own is not None
    assert ours == [own.group(1)]


def test_dashboard_page_offers_actions_with_the_permission(staff: Callable[..., Client]) -> None:
    page = staff("boss", "view_livesession", "end_livesession").get(BOARD).content.decode()
    assert 'data-can-end="true"' in page


def test_staff_without_permission_is_refused(staff: Callable[..., Client]) -> None:
    assert staff("nosy").get(BOARD).status_code == 403


def test_non_staff_is_sent_to_the_admin_login(signed_in: Callable[..., Client]) -> None:
    response = signed_in("alice").get(BOARD)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_end_over_http_needs_the_csrf_token(
    staff: Callable[..., Client], signed_in: Callable[..., Client]
) -> None:
    live = live_of(signed_in("alice"))
    boss = staff("boss", "view_livesession", "end_livesession", csrf=True)
    assert boss.post(END, {"id": live.pk.hex}).status_code == 403
    token = csrf_token(boss)
    asked = boss.post(END, {"id": live.pk.hex, "csrfmiddlewaretoken": token})
    assert asked.status_code == 200  # a confirmation first, as before a deletion
    assert "This ends 1 live session." in asked.content.decode()
    assert LiveSession.objects.get(pk=live.pk).ended is None
    response = boss.post(END, {"id": live.pk.hex, "confirm": "yes", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == BOARD
    ended = LiveSession.objects.get(pk=live.pk)
    assert ended.end_reason == "terminated"
    assert ended.ended_by is not None
    assert ended.ended_by.get_username() == "boss"


def test_end_all_of_a_user_over_http(
    staff: Callable[..., Client], make_user: Callable[..., Any]
) -> None:
    alice = make_user("alice")
    for _ in range(2):
        Client().force_login(alice)
    boss = staff("boss", "view_livesession", "end_livesession")
    response = boss.post(
        END, {"user_id": alice.pk, "next": "https://evil.example/", "confirm": "yes"}
    )
    assert response["Location"] == BOARD  # never redirected off-site
    assert LiveSession.objects.filter(user=alice, ended__isnull=True).count() == 0


@pytest.mark.parametrize(
    ("sessions", "said"), [(1, "1 session was ended."), (3, "3 sessions were ended.")]
)
def test_ending_over_http_says_how_many_sessions_ended(
    staff: Callable[..., Client], make_user: Callable[..., Any], sessions: int, said: str
) -> None:
    alice = make_user("alice")
    for _ in range(sessions):
        Client().force_login(alice)
    boss = staff("boss", "view_livesession", "end_livesession")
    response = boss.post(END, {"user_id": alice.pk, "confirm": "yes"}, follow=True)
    assert [str(message) for message in get_messages(response.wsgi_request)] == [said]
    assert LiveSession.objects.filter(user=alice, ended__isnull=True).count() == 0


def test_end_over_http_without_permission_is_refused_and_logged(
    staff: Callable[..., Client],
    signed_in: Callable[..., Client],
    caplog: pytest.LogCaptureFixture,
) -> None:
    live = live_of(signed_in("alice"))
    viewer = staff("viewer", "view_livesession")
    assert viewer.post(END, {"id": live.pk.hex, "confirm": "yes"}).status_code == 403
    assert "viewer may not end sessions (HTTP)" in caplog.text
    assert LiveSession.objects.get(pk=live.pk).ended is None


def test_user_change_page_offers_ending_all_live_sessions(
    staff: Callable[..., Client], make_user: Callable[..., Any]
) -> None:
    alice = make_user("alice")
    Client().force_login(alice)
    page = f"/admin/auth/user/{alice.pk}/change/"
    boss = staff("boss", "view_livesession", "end_livesession", "change_user")
    html = boss.get(page).content.decode()
    assert "End all live sessions" in html
    assert f'name="user_id" value="{alice.pk}"' in html
    response = boss.post(END, {"user_id": alice.pk, "next": page, "confirm": "yes"})
    assert response["Location"] == page
    assert not LiveSession.objects.filter(user=alice, ended__isnull=True).exists()
    viewer = staff("viewer", "view_livesession", "change_user")
    assert "End all live sessions" not in viewer.get(page).content.decode()
