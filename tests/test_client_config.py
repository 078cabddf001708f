"""What a page carries for the client: strings from the server, nothing for anonymous users."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import Client, RequestFactory

from sessions_live.admin import dashboard_strings
from sessions_live.models import EndReason
from sessions_live.web.client_config import client_config, duration_text, signed_out_message

SCRIPT = Template("{% load sessions_live %}{% sessions_live_script %}")
ALL = Template('{% include "sessions_live/all.html" %}')


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (600, "10 minutes"),
        (60, "1 minute"),
        (90, "90 seconds"),
        (1, "1 second"),
        (2.5, "2 seconds"),
    ],
)
def test_duration_text(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_signed_out_messages(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"ABSOLUTE_EXPIRE_AFTER": 8 * 3600}
    assert signed_out_message("idle") == "You were signed out after 10 minutes of inactivity."
    assert signed_out_message("absolute") == (
        "You were signed out because your session reached its limit of 480 minutes."
    )
    assert signed_out_message("terminated") == (
        "Your session was ended from another session or by an administrator."
    )
    assert signed_out_message("<script>") == ""


def test_every_end_reason_is_in_the_protocol_on_the_dashboard_and_on_the_login_page(
    settings: Any,
) -> None:
    settings.SESSIONS_LIVE = {"ABSOLUTE_EXPIRE_AFTER": 8 * 3600}
    reasons = {reason.value for reason in EndReason}  # the one vocabulary (test_vocabulary)
    assert set(dashboard_strings()["reasons"]) == reasons
    assert [reason for reason in sorted(reasons) if not signed_out_message(reason)] == []


def test_config_announces_only_within_the_warning_window(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"WARN_AFTER": 540, "EXPIRE_AFTER": 600}
    config = client_config()
    assert config["url"] == "/ws/sessions-live/"
    assert config["loginUrl"] == "/login/"
    assert sorted(config["strings"]["announce"], key=int) == ["20", "40"]
    assert config["strings"]["announce"]["40"] == "You will be signed out in 40 seconds."


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (20, []),  # the opening announcement only
        (30, [20]),
        (60, [40, 20]),  # opening at 1:00, then every 20 s
        (61, [60, 40, 20]),
        (150, [120, 60, 40, 20]),
        (600, [540, 480, 420, 360, 300, 240, 180, 120, 60, 40, 20]),  # each minute
    ],
)
def test_announcements_follow_the_hmrc_cadence(window: float, expected: list[int]) -> None:
    from sessions_live.web.client_config import announce_at

    assert announce_at(window) == expected


def render(template: Template, user: Any) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return template.render(Context({"request": request}))


def test_script_renders_nothing_for_anonymous_visitors() -> None:
    assert render(SCRIPT, AnonymousUser()).strip() == ""


def test_script_renders_dialog_config_and_module(make_user: Callable[..., Any]) -> None:
    html = render(SCRIPT, make_user())
    assert '<dialog class="sessions-live-dialog" aria-labelledby="sessions-live-title"' in html
    assert '<script type="module" src="/static/sessions_live/sessions_live.js">' in html
    assert "onclick" not in html
    assert "style=" not in html
    config = re.search(
        r'<script id="sessions-live-config" type="application/json">(.*?)</script>', html
    )
    assert config
    assert json.loads(config.group(1))["activityInterval"] == 10
    assert render(ALL, make_user("bob")).strip() == render(SCRIPT, make_user("carol")).strip()


def test_script_uses_the_csp_nonce(make_user: Callable[..., Any]) -> None:
    request = RequestFactory().get("/")
    request.user = make_user()
    html = SCRIPT.render(Context({"request": request, "csp_nonce": "n0nce"}))
    assert 'nonce="n0nce"' in html


def test_login_page_message_comes_from_a_known_reason_only(
    signed_in: Callable[..., Client],
) -> None:
    page = Client().get("/login/?signed_out=%3Cimg%20src%3Dx%3E").content.decode()
    assert "sessions-live-signed-out" not in page
    page = Client().get("/login/?signed_out=logout").content.decode()
    assert '<p class="sessions-live-signed-out" role="status">You signed out.</p>' in page
