"""The admin's live-sessions dashboard in Chromium: rows appear, follow tabs, and end."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from ..servers import Demo
from .pages import prepare, wait_for_client

pytestmark = pytest.mark.slow

BOARD = "/admin/sessions_live/livesession/"
XSS_AGENT = "<img src=x onerror=alert(1)>"


def sign_in_as(page: Page, demo: Demo, username: str, password: str, path: str) -> None:
    page.goto(f"{demo.url}/login?next={path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(demo.url + path)


@pytest.fixture
def board(browser: Browser, patient_demo: Demo) -> Iterator[Page]:
    """The demo's staff user (a superuser) watching the dashboard."""
    context = browser.new_context()
    page = context.new_page()
    sign_in_as(page, patient_demo, patient_demo.username, patient_demo.password, BOARD)
    expect(page.locator("[data-board-status]")).to_have_text("Live")
    yield page
    context.close()


def row_of(board: Page, username: str) -> Locator:
    return board.locator("tbody[data-rows] tr").filter(
        has=board.get_by_role("cell", name=username, exact=True)
    )


def user_context(browser: Browser, demo: Demo, username: str, **options: str) -> BrowserContext:
    demo.create_user(username, "pw-" + username + "-x9!")
    return prepare(browser.new_context(**options))  # type: ignore[arg-type]


def test_rows_appear_and_follow_tabs(
    browser: Browser, patient_demo: Demo, board: Page, screenshots: Path
) -> None:
    context = user_context(browser, patient_demo, "alice")
    first = context.new_page()
    sign_in_as(first, patient_demo, "alice", "pw-alice-x9!", "/")
    wait_for_client(first)
    alice = row_of(board, "alice")
    expect(alice).to_have_count(1, timeout=1000)
    expect(alice.locator("td").nth(7)).to_have_text("1", timeout=1000)
    second = context.new_page()
    second.goto(patient_demo.url + "/personnel")
    wait_for_client(second)
    expect(alice.locator("td").nth(7)).to_have_text("2", timeout=1000)
    expect(board.locator('[data-total="tabs"]')).to_have_text(re.compile(r"[2-9]"))
    second.close()
    expect(alice.locator("td").nth(7)).to_have_text("1", timeout=1000)
    context.close()


def test_ending_a_session_sends_its_tabs_to_login(
    browser: Browser, patient_demo: Demo, board: Page, screenshots: Path
) -> None:
    context = user_context(browser, patient_demo, "bob")
    tabs = [context.new_page(), context.new_page()]
    sign_in_as(tabs[0], patient_demo, "bob", "pw-bob-x9!", "/")
    tabs[1].goto(patient_demo.url + "/personnel")
    for tab in tabs:
        wait_for_client(tab)
    bob = row_of(board, "bob")
    expect(bob).to_have_count(1, timeout=1000)
    board.once("dialog", lambda dialog: dialog.accept())  # the confirmation
    bob.get_by_role("button", name="End session").click()
    ended = time.monotonic()
    for tab in tabs:
        expect(tab).to_have_url(re.compile(r"/login\?signed_out=terminated"), timeout=1000)
    assert time.monotonic() - ended < 1.5
    expect(tabs[0].get_by_role("status")).to_have_text(
        "Your session was ended from another session or by an administrator."
    )
    expect(bob.locator(".sessions-live-state")).to_have_text(
        f"ended (ended by staff) by {patient_demo.username}", timeout=1000
    )
    board.screenshot(path=screenshots / "dashboard.png", full_page=True)  # several states
    context.close()


def test_markup_from_users_shows_as_text(browser: Browser, patient_demo: Demo, board: Page) -> None:
    alerts: list[str] = []
    board.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    name = "<b>eve</b><script>alert(2)</script>"
    context = user_context(browser, patient_demo, name, user_agent=XSS_AGENT)
    page = context.new_page()
    sign_in_as(page, patient_demo, name, f"pw-{name}-x9!", "/")
    wait_for_client(page)
    eve = row_of(board, name)
    expect(eve).to_have_count(1, timeout=1000)
    expect(eve.get_by_role("cell", name=XSS_AGENT)).to_have_count(1)
    expect(board.locator("tbody b, tbody img, tbody script")).to_have_count(0)
    time.sleep(0.5)
    assert alerts == []
    context.close()


def test_dashboard_says_when_it_lost_the_server_and_comes_back(
    patient_demo: Demo, board: Page
) -> None:
    status = board.locator("[data-board-status]")
    patient_demo.process.stop()
    expect(status).to_have_text("Connection lost. Reconnecting…")
    patient_demo.process.start()
    expect(status).to_have_text("Live", timeout=35000)
    expect(row_of(board, patient_demo.username).first).to_be_visible()
