"""The reason a visitor was signed out, wherever they land: the admin's login and other
apps' sign-in pages through Django's messages, ours through the tag, never both, never on the
next page (sessions_live/web/signed_out_notice.py, sessions_live/web/login_pages.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import Client, RequestFactory

from .helpers import age

IDLE = "You were signed out after 10 minutes of inactivity."
ADMIN_BACK = "/admin/login/?signed_out=idle&next=%2Fadmin%2Fauth%2Fuser%2F"


def test_an_expired_admin_page_goes_to_the_admins_login_with_next_and_the_reason(
    staff: Callable[..., Client],
) -> None:
    client = staff("boss", is_superuser=True)
    age(client, idle=601)
    response = client.get("/admin/auth/user/", headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert response["Location"] == ADMIN_BACK
    page = client.get(response["Location"]).content.decode()
    assert page.count(IDLE) == 1
    assert '<li class="sessions-live-signed-out warning">' in page  # the admin's messagelist
    # The next page does not repeat it.
    assert IDLE not in client.get("/admin/login/").content.decode()


def test_the_admins_login_renders_for_a_refused_session(staff: Callable[..., Client]) -> None:
    client = staff("boss", is_superuser=True)
    age(client, idle=601)
    response = client.get("/admin/login/?next=/admin/", headers={"Accept": "text/html"})
    assert response.status_code == 200  # no redirect to itself
    assert "_auth_user_id" not in client.session


def test_an_explicit_login_url_wins_on_admin_pages_too(
    staff: Callable[..., Client], timeouts: Callable[..., None]
) -> None:
    timeouts(LOGIN_URL="/login/")
    client = staff("boss", is_superuser=True)
    age(client, idle=601)
    response = client.get("/admin/auth/user/", headers={"Accept": "text/html"})
    assert response["Location"] == "/login/?signed_out=idle&next=%2Fadmin%2Fauth%2Fuser%2F"


def test_our_login_page_shows_it_through_the_tag_once(client: Client) -> None:
    page = client.get("/login/?signed_out=idle").content.decode()
    assert page.count(IDLE) == 1
    assert '<p class="sessions-live-signed-out" role="status">' in page


@pytest.mark.parametrize("template", ["both", "tag_first"])
def test_a_page_with_the_tag_and_messages_shows_it_once(
    client: Client, timeouts: Callable[..., None], template: str
) -> None:
    timeouts(LOGIN_URL=f"/login-{template}/")
    page = client.get(f"/login-{template}/?signed_out=idle").content.decode()
    assert page.count(IDLE) == 1, page
    assert "sessions-live-signed-out" in page


def test_a_page_that_shows_no_messages_leaves_none_for_the_next_page(
    client: Client, timeouts: Callable[..., None]
) -> None:
    timeouts(LOGIN_URL="/login-plain/")
    page = client.get("/login-plain/?signed_out=terminated").content.decode()
    assert "ended" not in page
    after = client.get("/login-both/").content.decode()
    assert "messagelist" not in after


def test_only_the_login_page_gets_the_message(client: Client) -> None:
    # Another page's link cannot make its messages say a session was ended (its own tag
    # still says what the tag says on any page it is put on).
    page = client.get("/login-both/?signed_out=terminated").content.decode()
    assert "messagelist" not in page
    assert page.count("Your session was ended") == 1


def test_the_logout_notice_is_information_and_others_messages_are_kept(client: Client) -> None:
    client.get("/other/note/")
    page = client.get("/admin/login/?signed_out=logout").content.decode()
    assert '<li class="sessions-live-signed-out info">You signed out.</li>' in page
    assert '<li class="warning">A note of another app&#x27;s.</li>' in page


def test_a_notice_under_message_level_is_dropped_and_nothing_else(
    client: Client, settings: Any, timeouts: Callable[..., None]
) -> None:
    settings.MESSAGE_LEVEL = messages.WARNING  # the logout notice is INFO: not kept
    timeouts(LOGIN_URL="/login-plain/")
    client.get("/other/note/")
    page = client.get("/login-plain/?signed_out=logout")
    assert page.status_code == 200
    # The other app's note was not taken for ours: it waits for a page that shows messages.
    assert "A note of another app" in client.get("/login-both/").content.decode()


@pytest.mark.parametrize("query", ["", "?signed_out=nonsense", "?next=/admin/"])
def test_no_reason_no_notice(client: Client, query: str) -> None:
    assert "sessions-live-signed-out" not in client.get(f"/admin/login/{query}").content.decode()


def test_a_signed_in_visitor_is_not_told(staff: Callable[..., Client]) -> None:
    page = staff("boss", is_superuser=True).get("/admin/?signed_out=idle").content.decode()
    assert IDLE not in page


def test_canary_queued_messages_are_a_list_emptied_by_showing_them(db: None) -> None:
    """signed_out_notice takes one message out of BaseStorage._queued_messages: the day Django
    stores its queue otherwise, this fails first."""
    request: Any = RequestFactory().get("/")
    request.session = {}
    request._messages = storage = FallbackStorage(request)
    messages.warning(request, "one", extra_tags="x")
    queued = storage._queued_messages
    assert isinstance(queued, list)
    assert [m.message for m in queued] == ["one"]
    assert [m.message for m in storage] == ["one"]  # shown: moved out of the queue
    assert storage._queued_messages == []
