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
    live = live_of(client)
    age(client, idle=601, since_start=601)
    client.get("/api/")  # the next request ends the session (idle) and signs the cookie out
    assert LiveSession.objects.get(pk=live.pk).end_reason == "idle"
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
    assert "csrfCookie" in offer  # Django's default: the page may read the newest token
    html = client.get("/with-client/", headers=HTML).content.decode()
    assert 'data-sessions-live-reauth method="post" action="/sessions/reauth/" hidden' in html
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
    assert answer["token"] != offer["token"]  # the new session's, for the next time
    assert client.get("/page/", headers=HTML).status_code == 200  # signed in again
    ended, new = LiveSession.objects.order_by("started")
    assert (ended.end_reason, new.ended, new.user_id) == ("idle", None, ended.user_id)
    # The rotated token is the one the page's forms must carry from now on.
    assert client.cookies["csrftoken"].value
    # The old record was resumed once: its token signs in nobody again.
    assert post(client, {**offer, "csrf": answer["csrf_token"]}, "pw-alice").status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("alice", "wrong"),
        ("bob", "pw-bob"),  # another user's credentials: alice's password is what is checked
        ("bob", "pw-alice"),
    ],
)
def test_only_the_pages_own_user_s_password_signs_in_and_every_refusal_looks_the_same(
    signed_in: Callable[..., Client],
    make_user: Callable[..., AbstractUser],
    username: str,
    password: str,
) -> None:
    make_user("bob")
    client = signed_in("alice")
    offer = timed_out(client)
    response = post(client, offer, password, username=username)
    if password == "pw-alice":  # the name typed is not the one checked: alice, signed in
        assert response.status_code == 200
        return
    assert (response.status_code, response.json()) == (403, {"ok": False, "reason": "refused"})
    assert client.get("/page/", headers=HTML)["Location"].startswith("/login/")
    assert LiveSession.objects.filter(ended__isnull=True).count() == 0


def test_a_page_cannot_test_another_users_password(db: None) -> None:
    """What a wrong guess of bob's password and a right one answer, from alice's page: the
    same (the endpoint checks alice's password only)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    users.create_user("alice", password="pw-alice")
    users.create_user("bob", password="pw-bob")
    alice = Client()
    alice.force_login(users.get(username="alice"))
    offer = timed_out(alice)
    answers = [post(alice, offer, guess, username="bob") for guess in ("nope", "pw-bob")]
    assert [(a.status_code, a.json()) for a in answers] == [(403, reauth.REFUSED)] * 2


def test_a_session_ended_for_another_reason_is_never_resumed(
    signed_in: Callable[..., Client],
) -> None:
    client = signed_in("alice")
    offer = page_config(client)["reauth"]
    LiveSession.objects.update(ended=LiveSession.objects.get().started, end_reason="terminated")
    response = post(client, offer, "pw-alice")
    assert (response.status_code, response.json()) == (403, reauth.REFUSED)
    live = page_config(signed_in("carol"))  # a live record: not resumable either
    assert live["reauth"]["token"]
    response = post(Client(), live["reauth"], "pw-carol", username="carol")
    assert response.status_code == 403


def test_a_hook_may_refuse_a_user_and_a_second_factor_is_never_skipped(
    signed_in: Callable[..., Client], timeouts: Callable[..., None]
) -> None:
    client = signed_in("alice")
    offer = timed_out(client)
    timeouts(REAUTH_IN_PLACE=True, REAUTH_ALLOWED="tests.test_reauth.nobody")
    assert post(client, offer, "pw-alice").json() == reauth.REFUSED  # checked again at sign-in
    assert "reauth" not in page_config(signed_in("bob"))


def nobody(user: Any) -> bool:
    """A REAUTH_ALLOWED hook for a site whose users all have a second factor."""
    return False


def test_a_stale_or_forged_token_is_refused(signed_in: Callable[..., Client]) -> None:
    client = signed_in("alice")
    offer = timed_out(client)
    live = LiveSession.objects.get()
    forged = TimestampSigner(salt="another.salt").sign_object(
        {"u": str(live.user_id), "s": live.pk.hex}
    )
    for token in (forged, "", offer["token"] + "x", "{}"):
        response = post(client, {**offer, "token": token}, "pw-alice")
        assert (response.status_code, response.json()) == (403, reauth.REFUSED)
    assert LiveSession.objects.filter(ended__isnull=True).count() == 0


def test_attempts_are_limited_per_user_and_a_success_starts_the_count_again(
    signed_in: Callable[..., Client],
) -> None:
    client = signed_in("alice")
    offer = timed_out(client)
    for _ in range(reauth.ATTEMPTS - 1):
        assert post(client, offer, "wrong").status_code == 403
    assert post(client, offer, "pw-alice").status_code == 200  # the 5th: signed in
    offer = timed_out(client)
    for _ in range(reauth.ATTEMPTS):
        assert post(client, offer, "wrong").status_code == 403
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


def test_a_user_with_a_second_factor_is_never_offered_it(
    signed_in: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As django-allauth's MFA app would answer for a user with an authenticator."""

    class Authenticators:
        objects = LiveSession.objects  # any manager: a row for the user means "has one"

    client = signed_in("alice")  # her record is the row the fake finds
    installed, get_model = reauth.apps.is_installed, reauth.apps.get_model
    monkeypatch.setattr(
        reauth.apps, "is_installed", lambda name: name == "allauth.mfa" or installed(name)
    )
    monkeypatch.setattr(
        reauth.apps,
        "get_model",
        lambda *label, **kwargs: (
            Authenticators if label == ("mfa", "Authenticator") else get_model(*label, **kwargs)
        ),
    )
    assert reauth.has_second_factor(live_of(client).user)
    assert "reauth" not in page_config(client)


def test_django_allauths_mfa_is_where_reauth_looks() -> None:
    """A canary, read from allauth's source (its MFA app needs more to import than the tests
    install): the app label ``mfa`` and ``Authenticator.user``."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("allauth")
    assert spec is not None
    assert spec.origin is not None
    mfa = Path(spec.origin).parent / "mfa"
    app = (mfa / "apps.py").read_text()
    assert 'name = "allauth.mfa"' in app  # the label is the name's last part: "mfa"
    assert "label =" not in app
    models = (mfa / "models.py").read_text()
    assert "class Authenticator(models.Model):" in models
    assert "user = models.ForeignKey(settings.AUTH_USER_MODEL" in models
