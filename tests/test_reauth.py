"""REAUTH_IN_PLACE: a timed-out page signs the same user in again without leaving, and
nobody else; every refusal sends the page to the login page (the client's part is
tests/js/reauth.test.js and tests/browser/test_reauth.py)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from django.core.signing import TimestampSigner
from django.test import Client

from sessions_live.models import LiveSession
from sessions_live.runtime.sweep import sweep_once
from sessions_live.web import reauth

from .helpers import age, live_of

HTML = {"accept": "text/html"}


@pytest.fixture(autouse=True)
def _on(timeouts: Callable[..., None]) -> None:
    timeouts(REAUTH_IN_PLACE=True)
    cache.clear()


def page_config(client: Client) -> dict[str, Any]:
    """The client configuration of a page, as the browser reads it."""
    html = client.get("/with-client/", headers=HTML).content.decode()
    found = re.search(
        r'<script id="sessions-live-config" type="application/json">(.*?)</script>', html
    )
    assert found, html
    config: dict[str, Any] = json.loads(found.group(1))
    return config


def timed_out(client: Client) -> dict[str, Any]:
    """A page's configuration, then its session ended at its idle deadline."""
    offer = page_config(client)["reauth"]
    age(client, idle=601, since_start=601)
    client.get("/api/")  # the next request ends the session (idle) and signs the cookie out
    assert LiveSession.objects.get().end_reason == "idle"
    return offer


def post(client: Client, offer: dict[str, Any], password: str, username: str = "alice") -> Any:
    return client.post(
        offer["url"],
        {
            "username": username,
            "password": password,
            "token": offer["token"],
            "csrfmiddlewaretoken": offer["csrf"],
        },
    )


def test_the_page_is_offered_a_sign_in_in_place_naming_its_user(
    signed_in: Callable[..., Client],
) -> None:
    client = signed_in("alice")
    offer = page_config(client)["reauth"]
    assert offer["url"] == "/sessions/reauth/"
    assert offer["username"] == "alice"
    user_pk = str(live_of(client).user_id)
    assert reauth.user_named_by(offer["token"]) == user_pk
    html = client.get("/with-client/", headers=HTML).content.decode()
    assert "data-sessions-live-reauth hidden" in html
    assert 'autocomplete="current-password"' in html


def test_off_by_default_and_never_for_a_user_without_a_password(
    signed_in: Callable[..., Client],
    timeouts: Callable[..., None],
    make_user: Callable[..., AbstractUser],
) -> None:
    sso = make_user("sso")
    sso.set_unusable_password()
    sso.save()
    client = Client()
    client.force_login(sso)
    assert "reauth" not in page_config(client)
    timeouts(REAUTH_IN_PLACE=False)
    alice = signed_in("alice")
    assert "reauth" not in page_config(alice)
    assert (
        "data-sessions-live-reauth" not in alice.get("/with-client/", headers=HTML).content.decode()
    )
    assert alice.post("/sessions/reauth/").status_code == 404


def test_the_same_user_signs_in_again_on_a_new_session_with_a_rotated_csrf_token(
    make_user: Callable[..., AbstractUser],
) -> None:
    client = Client(enforce_csrf_checks=True)  # the page's CSRF token is checked, as in a browser
    client.force_login(make_user("alice"))
    offer = timed_out(client)
    response = post(client, offer, "pw-alice")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["ok"] is True
    assert answer["csrf_token"] != offer["csrf"]
    assert client.get("/page/", headers=HTML).status_code == 200  # signed in again
    ended, new = LiveSession.objects.order_by("started")
    assert (ended.end_reason, new.ended, new.user_id) == ("idle", None, ended.user_id)
    # The rotated token is the one the page's forms must carry from now on.
    assert client.cookies["csrftoken"].value
    assert post(client, {**offer, "csrf": answer["csrf_token"]}, "pw-alice").status_code == 200


@pytest.mark.parametrize(
    ("username", "password", "status", "reason"),
    [
        ("alice", "wrong", 401, "failed"),
        ("bob", "pw-bob", 403, "other_user"),
    ],
)
def test_a_wrong_password_or_another_user_signs_nobody_in(
    signed_in: Callable[..., Client],
    make_user: Callable[..., AbstractUser],
    username: str,
    password: str,
    status: int,
    reason: str,
) -> None:
    make_user("bob")
    client = signed_in("alice")
    offer = timed_out(client)
    response = post(client, offer, password, username=username)
    assert (response.status_code, response.json()) == (status, {"ok": False, "reason": reason})
    assert client.get("/page/", headers=HTML)["Location"].startswith("/login/")
    assert LiveSession.objects.filter(ended__isnull=True).count() == 0


def test_a_stale_or_forged_token_is_refused(signed_in: Callable[..., Client]) -> None:
    client = signed_in("alice")
    offer = timed_out(client)
    forged = TimestampSigner(salt="another.salt").sign(reauth.user_named_by(offer["token"]) or "")
    for token in (forged, "", offer["token"] + "x"):
        response = post(client, {**offer, "token": token}, "pw-alice")
        assert (response.status_code, response.json()["reason"]) == (400, "stale")
    assert LiveSession.objects.filter(ended__isnull=True).count() == 0


def test_attempts_are_limited_per_user(signed_in: Callable[..., Client]) -> None:
    client = signed_in("alice")
    offer = timed_out(client)
    for _ in range(reauth.ATTEMPTS):
        assert post(client, offer, "wrong").status_code == 401
    response = post(client, offer, "pw-alice")  # the right one, too late
    assert (response.status_code, response.json()["reason"]) == (429, "throttled")
    assert LiveSession.objects.filter(ended__isnull=True).count() == 0


def test_a_session_the_sweep_ended_still_reaches_the_endpoint_signed_out(
    signed_in: Callable[..., Client],
) -> None:
    """The sweep ends a record without deleting its Django session: the endpoint is let
    through like the login page, signed out, and signs the user in afresh."""
    client = signed_in("alice")
    offer = page_config(client)["reauth"]
    age(client, idle=601, since_start=601)
    assert sweep_once(time.time()).ended == 1
    response = post(client, offer, "pw-alice")
    assert response.status_code == 200, response.content
    assert client.get("/page/", headers=HTML).status_code == 200
