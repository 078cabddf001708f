"""What a session's record keeps of its visitor (KEEP_IP, KEEP_USER_AGENT): applied at
sign-in, shown on the dashboard and "your sessions", and brought to old rows only by
``manage.py sessions_live_privacy``."""

from __future__ import annotations

import time
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.management import call_command

from sessions_live import checks
from sessions_live.checks import check_settings
from sessions_live.core.privacy import (
    device_of,
    is_family_form,
    kept_ip,
    kept_user_agent,
    shown_ip,
)
from sessions_live.dashboard.rows import row
from sessions_live.models import LiveSession

from .helpers import live_of
from .test_my_sessions import FIREFOX, HTML, IPHONE, PAGE, browser

pytestmark = pytest.mark.usefixtures("_base_template")


@pytest.fixture
def _base_template(timeouts: Callable[..., None]) -> None:
    timeouts(BASE_TEMPLATE="tests/base.html")


@pytest.mark.parametrize(
    ("ip", "keep", "kept", "shown"),
    [
        ("203.0.113.77", "full", "203.0.113.77", "203.0.113.77"),
        ("203.0.113.77", "network", "203.0.113.0", "203.0.113.0/24"),
        ("2001:db8:1234:5678::1", "network", "2001:db8:1234::", "2001:db8:1234::/48"),
        ("203.0.113.77", "none", None, None),
        (None, "full", None, None),
    ],
)
def test_what_is_kept_and_shown_of_an_address(
    ip: str | None, keep: str, kept: str | None, shown: str | None
) -> None:
    assert kept_ip(ip, keep) == kept
    assert kept_ip(kept, keep) == kept  # applied twice: the same
    assert shown_ip(ip, keep) == shown  # a row kept in full before shows no more than that


def test_what_is_kept_of_a_user_agent() -> None:
    assert kept_user_agent(FIREFOX, "full") == FIREFOX
    assert kept_user_agent(FIREFOX, "family") == "Firefox / Windows"
    assert kept_user_agent(IPHONE, "family") == "Mobile Safari / iOS"
    assert kept_user_agent("Firefox / Windows", "family") == "Firefox / Windows"  # idempotent
    assert kept_user_agent(FIREFOX, "none") == ""
    assert kept_user_agent("", "family") == ""
    assert is_family_form("Firefox / Windows")
    assert not is_family_form(FIREFOX)
    assert not is_family_form("")
    assert device_of("Firefox / Windows") == ("Firefox", "Windows")
    assert device_of(FIREFOX) == ("Firefox 128", "Windows 10")


@pytest.mark.parametrize(
    ("keep_ip", "keep_agent", "ip", "agent"),
    [
        ("full", "full", "198.51.100.7", FIREFOX),
        ("network", "family", "198.51.100.0", "Firefox / Windows"),
        ("none", "none", None, ""),
    ],
)
def test_a_sign_in_stores_only_what_the_settings_keep(
    make_user: Callable[..., AbstractUser],
    timeouts: Callable[..., None],
    keep_ip: str,
    keep_agent: str,
    ip: str | None,
    agent: str,
) -> None:
    timeouts(KEEP_IP=keep_ip, KEEP_USER_AGENT=keep_agent)
    live = live_of(browser(make_user("alice"), FIREFOX, "198.51.100.7"))
    assert (live.ip, live.user_agent) == (ip, agent)


def test_the_pages_show_what_is_kept(
    make_user: Callable[..., AbstractUser],
    staff: Callable[..., Any],
    timeouts: Callable[..., None],
) -> None:
    timeouts(KEEP_IP="network", KEEP_USER_AGENT="family")
    alice = browser(make_user("alice"), FIREFOX, "198.51.100.7")
    page = alice.get(PAGE, headers=HTML)
    [session] = page.context["sessions"]
    assert (session.device, session.ip) == ("Firefox on Windows", "198.51.100.0/24")
    html = page.content.decode()
    assert "Only the network of each IP address is kept (/24 for IPv4, /48 for IPv6)." in html
    assert "Only the names of the browser and the system are kept, without versions." in html
    board = staff("boss", "view_livesession").get("/admin/sessions_live/livesession/")
    assert "Only the network of each IP address is kept" in board.content.decode()
    shown = row(live_of(alice), time.time())
    assert (shown["ip"], shown["browser"], shown["os"]) == ("198.51.100.0/24", "Firefox", "Windows")
    assert shown["user_agent"] == "Firefox / Windows"


def test_a_row_kept_before_the_setting_shows_no_more_than_it_keeps(
    make_user: Callable[..., AbstractUser], timeouts: Callable[..., None]
) -> None:
    alice = browser(make_user("alice"), FIREFOX, "198.51.100.7")  # kept in full
    timeouts(KEEP_IP="none", KEEP_USER_AGENT="none")
    shown = row(live_of(alice), time.time())
    assert (shown["ip"], shown["user_agent"], shown["browser"]) == (None, "", "")
    [session] = alice.get(PAGE, headers=HTML).context["sessions"]
    assert (session.device, session.ip) == ("Unknown device", None)
    assert "No IP address is kept." in alice.get(PAGE, headers=HTML).content.decode()
    # ... and the row itself is untouched until the command runs.
    stored = LiveSession.objects.get(pk=live_of(alice).pk)
    assert (stored.ip, stored.user_agent) == ("198.51.100.7", FIREFOX)


def test_the_command_reduces_old_rows_and_says_how_many(
    make_user: Callable[..., AbstractUser], timeouts: Callable[..., None]
) -> None:
    alice = browser(make_user("alice"), FIREFOX, "198.51.100.7")
    browser(make_user("bob"), IPHONE, "2001:db8:1234:5678::1")
    timeouts(KEEP_IP="network", KEEP_USER_AGENT="family")
    out = StringIO()
    call_command("sessions_live_privacy", "--dry-run", stdout=out)
    assert out.getvalue() == (
        "Would reduce 2 of 2 sessions to KEEP_IP='network', KEEP_USER_AGENT='family'.\n"
    )
    assert LiveSession.objects.get(pk=live_of(alice).pk).ip == "198.51.100.7"  # dry: untouched
    call_command("sessions_live_privacy", stdout=out)
    assert "Reduced 2 of 2 sessions" in out.getvalue()
    reduced = {
        live.user.get_username(): (live.ip, live.user_agent) for live in LiveSession.objects.all()
    }
    assert reduced == {
        "alice": ("198.51.100.0", "Firefox / Windows"),
        "bob": ("2001:db8:1234::", "Mobile Safari / iOS"),
    }
    again = StringIO()
    call_command("sessions_live_privacy", stdout=again)
    assert again.getvalue().startswith("Reduced 0 of 2 sessions")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("KEEP_IP", "'full' or 'network' or 'none'"),
        ("KEEP_USER_AGENT", "'full' or 'family' or 'none'"),
    ],
)
def test_a_choice_that_does_not_exist_is_reported(settings: Any, key: str, expected: str) -> None:
    settings.SESSIONS_LIVE = {key: "partial"}
    found = [error for error in check_settings() if error.id == "sessions_live.E007"]
    assert [(e.msg, e.hint) for e in found] == [
        (checks.E007_MSG.format(key=key, expected=expected, value="partial"), checks.E007_HINT)
    ]
