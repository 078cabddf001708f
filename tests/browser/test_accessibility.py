"""axe-core finds nothing on what sessions-live shows: the warning, the signed-out notice, and
the staff dashboard with live and ended sessions in it (docs/accessibility.md).

Every WCAG 2.0-2.2 A and AA rule runs, with axe's best practices, on the pages as Chromium
renders them under the demo's strict Content-Security-Policy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ..servers import Demo, demo_fixture
from . import axe
from .axe import AXE_VERSION, CACHE, audit, axe_source, describe, verified
from .pages import dialog, prepare, sign_in, wait_for_client

pytestmark = pytest.mark.slow

BOARD = "/admin/sessions_live/livesession/"

#: Warn after 2 s and expire after 12 s: the dialog stays open long enough to audit it.
a11y_demo = demo_fixture(SESSIONS_LIVE_WARN_AFTER="2", SESSIONS_LIVE_EXPIRE_AFTER="12")


def assert_accessible(page: Page, context: str = "html") -> None:
    found = audit(page, context)
    assert found == [], f"axe-core found {len(found)} violation(s) on {page.url}:\n" + describe(
        found
    )


def test_axe_is_the_pinned_npm_release_and_a_tampered_tarball_fails() -> None:
    assert axe_source().startswith(f"/*! axe v{AXE_VERSION}\n")
    with pytest.raises(AssertionError, match="not the pinned"):
        verified(CACHE.read_bytes() + b"\0")


def test_an_unreachable_registry_fails_loudly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(axe, "AXE_URL", "http://127.0.0.1:9/axe-core.tgz")  # nothing listens
    monkeypatch.setattr(axe, "CACHE", tmp_path / "axe-core.tgz")
    with pytest.raises(AssertionError, match="Cannot download axe-core"):
        axe.download()
    assert list(tmp_path.iterdir()) == []


def test_axe_reports_what_it_finds(browser: Browser) -> None:
    """The harness is not blind: a picture without alt text is reported."""
    page = browser.new_page()
    page.set_content(
        '<html lang="en"><title>t</title><main><h1>t</h1><img src="x.png"></main></html>'
    )
    found = audit(page)
    assert [violation["id"] for violation in found] == ["image-alt"], describe(found)
    assert page.evaluate("axe.version") == AXE_VERSION
    page.close()


def test_the_warning_dialog_and_the_signed_out_notice(browser: Browser, a11y_demo: Demo) -> None:
    page = prepare(browser.new_context()).new_page()
    sign_in(page, a11y_demo, "/")
    wait_for_client(page)
    box = dialog(page)
    expect(box).to_be_visible(timeout=4000)
    expect(box.get_by_role("button", name="Stay signed in")).to_be_focused()
    expect(box.locator("[data-sessions-live-countdown]")).to_have_text(re.compile(r"\d"))
    assert_accessible(page)
    assert_accessible(page, "dialog.sessions-live-dialog")  # the part this app ships, alone
    expect(box).to_be_visible()  # audited while open: the session did not end meanwhile
    expect(page).to_have_url(re.compile(r"/login\?signed_out=idle"), timeout=15000)
    expect(page.get_by_role("status")).to_have_text(
        "You were signed out after 12 seconds of inactivity."
    )
    assert_accessible(page)
    page.context.close()


def signed_in_user(browser: Browser, demo: Demo, username: str) -> BrowserContext:
    password = f"pw-{username}-x9!"
    demo.create_user(username, password)
    context = prepare(browser.new_context())
    page = context.new_page()
    page.goto(f"{demo.url}/login?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(demo.url + "/")
    wait_for_client(page)
    return context


def test_the_dashboard_with_live_and_ended_sessions(browser: Browser, patient_demo: Demo) -> None:
    users = [signed_in_user(browser, patient_demo, name) for name in ("ada", "brian", "chen")]
    users[1].new_page().goto(patient_demo.url + "/personnel")  # a second tab
    users[2].pages[0].get_by_role("banner").get_by_role("button", name="Sign out").click()
    staff = browser.new_context()
    board = staff.new_page()
    board.goto(f"{patient_demo.url}/login?next={BOARD}")
    board.get_by_label("Username").fill(patient_demo.username)
    board.get_by_label("Password").fill(patient_demo.password)
    board.get_by_role("button", name="Sign in").click()
    expect(board).to_have_url(patient_demo.url + BOARD)
    expect(board.locator("[data-board-status]")).to_have_text("Live")
    rows = board.locator("tbody[data-rows] tr")
    for name in ("ada", "brian", "chen"):
        expect(rows.filter(has=board.get_by_role("cell", name=name, exact=True))).to_have_count(1)
    expect(board.locator(".sessions-live-state", has_text="ended")).not_to_have_count(0)
    assert_accessible(board)
    for context in (*users, staff):
        context.close()
