"""HTTP enforcement and activity, through Django's test client."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from sessions_live import store
from sessions_live.middleware import SESSION_MARKER
from sessions_live.models import LiveSession

from .helpers import age, live_of

SignIn = Callable[..., Client]


def test_sign_in_creates_the_record_and_marks_the_session(signed_in: SignIn) -> None:
    client = signed_in()
    live = live_of(client)
    assert live.user.get_username() == "alice"
    assert live.ended is None
    assert client.session[SESSION_MARKER] == live.pk.hex
    assert client.session.session_key not in live.key_hash  # only a digest of it is stored


def test_page_for_a_live_session_is_served_and_not_cached(signed_in: SignIn) -> None:
    response = signed_in().get("/page/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_request_records_activity_without_writing_the_session(signed_in: SignIn) -> None:
    client = signed_in()
    age(client, idle=100)
    before = time.time()
    response = client.get("/page/")
    assert store.to_epoch(live_of(client).last_activity) >= before
    assert "sessionid" not in response.cookies  # request.session was not modified


def test_activity_never_moves_a_deadline_backwards(signed_in: SignIn) -> None:
    client = signed_in()
    live = live_of(client)
    now = time.time()
    assert store.touch(live.pk, now + 5, now)
    assert store.touch(live.pk, now, now)  # a slow request finishing late, with older activity
    assert store.to_epoch(live_of(client).last_activity) == pytest.approx(now + 5, abs=1e-5)


@pytest.mark.parametrize("path", ["/poll/", "/passive-path/", "/passive-name/", "/ns/status/"])
def test_passive_requests_do_not_count_as_activity(
    signed_in: SignIn, settings: Any, path: str
) -> None:
    settings.SESSIONS_LIVE = {
        **settings.SESSIONS_LIVE,
        "PASSIVE_URLS": ["/passive-path/"],
        "PASSIVE_URL_NAMES": ["passive_name", "monitor:status"],
    }
    client = signed_in()
    age(client, idle=100)
    before = live_of(client).last_activity
    assert client.get(path).status_code == 200
    assert live_of(client).last_activity == before


def test_plain_url_name_does_not_match_a_namespaced_route(signed_in: SignIn, settings: Any) -> None:
    settings.SESSIONS_LIVE = {**settings.SESSIONS_LIVE, "PASSIVE_URL_NAMES": ["status"]}
    client = signed_in()
    age(client, idle=100)
    before = live_of(client).last_activity
    client.get("/ns/status/")
    assert live_of(client).last_activity > before


def test_expired_page_request_logs_out_and_redirects_to_login(
    signed_in: SignIn, logouts: list[dict[str, Any]]
) -> None:
    client = signed_in()
    key = client.session.session_key
    age(client, idle=600)
    response = client.get("/page/?x=1", headers={"accept": "text/html"})
    assert response.status_code == 302
    assert response["Location"] == "/login/?signed_out=idle&next=%2Fpage%2F%3Fx%3D1"
    live = LiveSession.objects.get()
    assert (live.end_reason, live.ended is not None) == ("idle", True)
    assert len(logouts) == 1
    assert logouts[0]["user"].get_username() == "alice"
    assert logouts[0]["request"].path == "/page/"
    # The old cookie is refused from now on, even with the session data gone.
    replay = Client()
    replay.cookies["sessionid"] = key
    refused = replay.get("/page/", headers={"accept": "text/html"})
    assert refused.status_code == 302
    assert refused["Location"].startswith("/login/")
    assert len(logouts) == 1  # ended once, signalled once


def test_expired_fetch_request_gets_401_json(signed_in: SignIn) -> None:
    client = signed_in()
    age(client, idle=601)
    response = client.get("/api/", headers={"sec-fetch-mode": "cors", "accept": "*/*"})
    assert response.status_code == 401
    assert response.json() == {
        "error": "session_expired",
        "reason": "idle",
        "redirect": "/login/?signed_out=idle",
    }


def test_xhr_without_fetch_metadata_gets_401(signed_in: SignIn) -> None:
    client = signed_in()
    age(client, idle=601)
    response = client.get("/api/", headers={"x-requested-with": "XMLHttpRequest"})
    assert response.status_code == 401


def test_passive_request_of_an_expired_session_is_refused_too(signed_in: SignIn) -> None:
    client = signed_in()
    age(client, idle=601)
    assert client.get("/poll/").status_code == 401


def test_absolute_timeout_ends_an_active_session(signed_in: SignIn, settings: Any) -> None:
    settings.SESSIONS_LIVE = {**settings.SESSIONS_LIVE, "ABSOLUTE_EXPIRE_AFTER": 3600}
    client = signed_in()
    age(client, since_start=3600)
    response = client.get("/page/", headers={"sec-fetch-mode": "navigate"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?signed_out=absolute&next=")
    assert LiveSession.objects.get().end_reason == "absolute"


def test_login_page_shows_why_and_renders_signed_out(signed_in: SignIn) -> None:
    client = signed_in()
    age(client, idle=601)
    response = client.get("/login/?signed_out=idle")
    assert response.status_code == 200
    assert response.context["user"].is_authenticated is False
    assert "You were signed out after 10 minutes of inactivity." in response.content.decode()


def test_logout_view_ends_the_record_with_one_signal(
    signed_in: SignIn, logouts: list[dict[str, Any]]
) -> None:
    client = signed_in()
    assert client.post("/logout/").status_code == 302
    live = LiveSession.objects.get()
    assert live.end_reason == "logout"
    assert live.ended is not None
    assert len(logouts) == 1


def test_session_with_marker_but_no_record_is_refused(signed_in: SignIn) -> None:
    client = signed_in()
    LiveSession.objects.all().delete()  # e.g. removed after the retention period
    response = client.get("/page/", headers={"accept": "text/html"})
    assert response.status_code == 302
    assert "signed_out=ended" in response["Location"]
    assert not LiveSession.objects.exists()


def test_session_from_before_installation_is_adopted(signed_in: SignIn) -> None:
    client = signed_in()
    session = client.session
    del session[SESSION_MARKER]
    session.save()
    LiveSession.objects.all().delete()
    assert client.get("/page/").status_code == 200
    assert live_of(client).ended is None


def test_cycled_key_keeps_the_sessions_clock(signed_in: SignIn, settings: Any) -> None:
    settings.SESSIONS_LIVE = {**settings.SESSIONS_LIVE, "ABSOLUTE_EXPIRE_AFTER": 3600}
    client = signed_in()
    age(client, since_start=3000)
    started = live_of(client).started
    old_key = client.session.session_key
    assert client.get("/cycle/").status_code == 200
    assert client.session.session_key != old_key
    assert live_of(client).started == started  # no fresh absolute clock by cycling the key
    assert LiveSession.objects.count() == 1


def test_new_sign_in_replaces_the_previous_sessions_record(
    signed_in: SignIn, make_user: Callable[..., Any]
) -> None:
    client = signed_in()
    first = live_of(client)
    make_user("bob")
    response = client.post("/login/", {"username": "bob", "password": "pw-bob"})
    assert response.status_code == 302
    assert LiveSession.objects.get(pk=first.pk).ended is not None
    assert live_of(client).user.get_username() == "bob"


def test_anonymous_requests_are_untouched(db: None) -> None:
    response = Client().get("/login/")
    assert response.status_code == 200
    assert not LiveSession.objects.exists()


def test_a_socket_finds_its_record_holding_the_user_it_loaded(
    signed_in: SignIn, make_user: Callable[..., Any]
) -> None:
    client = signed_in()
    key = client.session.session_key or ""
    alice = live_of(client).user
    live = store.find_of(key, alice)
    assert live is not None
    assert live.user is alice
    assert store.find_of(key, make_user("mallory")) is None  # someone else's session
    assert store.find_of("no-such-key", alice) is None
