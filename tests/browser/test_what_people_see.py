"""The loop as a person sees it, in Chromium: warning, staying, expiry, sign-out, keyboard, CSP.

Timings are the demo's: warn after 2 s, expire after 5 s (the `demo` fixture). Every scenario
runs under daphne and under uvicorn (the fixtures' ids).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ..servers import EVERY_SERVER, Demo, demo_fixture
from .conftest import DEMO_ENV, PATIENT_ENV
from .csp import Watch
from .pages import (
    dialog,
    events,
    prepare,
    sign_in,
    signed_in_page,
    violations,
    wait_for_client,
    wait_until,
    warning_lateness,
)

pytestmark = pytest.mark.slow

# The conftest's two demos, each under every server.
demo = demo_fixture(EVERY_SERVER, **DEMO_ENV)
patient_demo = demo_fixture(EVERY_SERVER, **PATIENT_ENV)

SIGNED_OUT_IDLE = "You were signed out after 5 seconds of inactivity."


def two_tabs(browser: Browser, demo: Demo, path: str = "/personnel") -> tuple[Page, Page]:
    context = prepare(browser.new_context())
    a = context.new_page()
    sign_in(a, demo, path)
    b = context.new_page()
    b.goto(demo.url + "/")
    for page in (a, b):
        wait_for_client(page)
    return a, b


def test_idle_tabs_are_warned_on_time_with_a_live_countdown(
    browser: Browser, demo: Demo, screenshots: Path
) -> None:
    a, b = two_tabs(browser, demo)
    for page in (a, b):
        expect(dialog(page)).to_be_visible(timeout=4000)
        expect(dialog(page).get_by_role("heading")).to_have_text("Are you still there?")
    for page in (a, b):
        # Warned while there is still time to act: before the deadline it warns of (3 s after
        # the warning's). How late within that is benchmark 2's figure, not a test's: a
        # sub-second bound here failed on a loaded machine (0.74 s).
        assert warning_lateness(page) < 3
    countdown = a.locator("[data-sessions-live-countdown]")
    first = countdown.inner_text()
    assert re.fullmatch(r"You will be signed out in 0:0[1-3]\.", first), first
    expect(countdown).not_to_have_text(first, timeout=2000)  # it counts down by itself
    a.screenshot(path=screenshots / "warning-dialog.png")
    a.context.close()


def test_stay_signed_in_closes_the_dialog_in_every_tab(browser: Browser, demo: Demo) -> None:
    a, b = two_tabs(browser, demo)
    expect(dialog(b)).to_be_visible(timeout=4000)
    a.get_by_role("button", name="Stay signed in").click()
    clicked = time.monotonic()
    expect(dialog(b)).to_be_hidden(timeout=1000)
    assert time.monotonic() - clicked < 1
    # No dialog comes back before the new warning time (2 s after the click).
    time.sleep(1.5)
    for page in (a, b):
        expect(dialog(page)).to_be_hidden()
    expect(dialog(b)).to_be_visible(timeout=2000)
    a.context.close()


def test_activity_in_one_tab_keeps_every_tab_signed_in(browser: Browser, demo: Demo) -> None:
    a, b = two_tabs(browser, demo)
    started = time.monotonic()
    step = 0
    while time.monotonic() - started < 7:  # longer than EXPIRE_AFTER
        step += 1
        a.mouse.move(100 + step % 50, 200 + step % 30)
        if step % 3 == 0:
            a.keyboard.press("Shift")
        for page in (a, b):
            assert not dialog(page).is_visible(), f"warned after {time.monotonic() - started:.1f} s"
        time.sleep(0.25)
    expect(a).to_have_url(demo.url + "/personnel")
    expect(b).to_have_url(demo.url + "/")
    expect(b.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    a.context.close()


def test_idle_tabs_land_on_login_and_back_shows_nothing(
    browser: Browser, demo: Demo, screenshots: Path
) -> None:
    a, b = two_tabs(browser, demo)
    for page in (a, b):
        expect(page).to_have_url(re.compile(r"/login\?signed_out=idle"), timeout=8000)
        expect(page.get_by_role("status")).to_have_text(SIGNED_OUT_IDLE)
    a.screenshot(path=screenshots / "signed-out-message.png")
    a.go_back()
    expect(a).to_have_url(re.compile(r"/login"))
    expect(a.get_by_text("Grace Hopper")).to_have_count(0)
    a.context.close()


def test_sign_out_in_one_tab_sends_the_other_to_login(browser: Browser, demo: Demo) -> None:
    a, b = two_tabs(browser, demo)
    a.get_by_role("banner").get_by_role("button", name="Sign out").click()
    clicked = time.monotonic()
    expect(b).to_have_url(re.compile(r"/login\?signed_out=logout"), timeout=1000)
    assert time.monotonic() - clicked < 1
    expect(b.get_by_role("status")).to_have_text("You signed out.")
    a.context.close()


def test_without_javascript_the_server_alone_signs_out(browser: Browser, demo: Demo) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, demo, "/personnel")
    expect(page.get_by_text("Grace Hopper")).to_be_visible()
    time.sleep(5.2)
    page.reload()
    expect(page).to_have_url(re.compile(r"/login\?signed_out=idle&next=%2Fpersonnel"))
    expect(page.get_by_role("status")).to_have_text(SIGNED_OUT_IDLE)
    context.close()


def test_keyboard_only(browser: Browser, demo: Demo, screenshots: Path) -> None:
    page = signed_in_page(browser, demo, "/")
    context = page.context
    notes = page.get_by_label("A long form field, to try typing:")
    notes.focus()
    box = dialog(page)
    expect(box).to_be_visible(timeout=4000)
    expect(box).to_have_accessible_name("Are you still there?")
    stay = box.get_by_role("button", name="Stay signed in")
    sign_out = box.get_by_role("button", name="Sign out")
    expect(stay).to_be_focused()
    page.screenshot(path=screenshots / "keyboard-focused-dialog.png")
    page.keyboard.press("Tab")
    expect(sign_out).to_be_focused()
    page.keyboard.press("Tab")
    expect(stay).to_be_focused()  # Tab cycles inside the dialog
    page.keyboard.press("Shift+Tab")
    expect(sign_out).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(stay).to_be_focused()
    # The countdown is announced politely on opening, not every second.
    live = box.locator("[aria-live=polite]")
    # Filled 100 ms after opening (a live region speaks only when its content changes).
    expect(live).to_contain_text("signed out in", timeout=1000)
    announced = live.inner_text()
    shown = box.locator("[data-sessions-live-countdown]").inner_text()
    expect(box.locator("[data-sessions-live-countdown]")).not_to_have_text(shown, timeout=2000)
    assert live.inner_text() == announced
    page.keyboard.press("Enter")
    expect(box).to_be_hidden(timeout=1000)
    expect(notes).to_be_focused()
    assert [event["type"] for event in events(page)].count("active") >= 1
    context.close()


def test_strict_content_security_policy_reports_nothing(browser: Browser, demo: Demo) -> None:
    # Django's nonce-only policy (on Django 6.1+); the demo's base template never reads the
    # nonce, so it is in the header only because our tag put it on the client's tags.
    context = prepare(browser.new_context())
    watch = Watch(context)
    page = context.new_page()
    sign_in(page, demo, "/")
    wait_for_client(page)
    page.goto(demo.url + "/personnel")
    wait_for_client(page)  # the module script ran and its socket said hello
    watch.check(page, "sessions_live.css", "sessions_live.js")
    expect(dialog(page)).to_be_visible(timeout=4000)
    page.get_by_role("button", name="Stay signed in").click()
    expect(dialog(page)).to_be_hidden(timeout=1000)
    assert violations(page) == []
    watch.clean()
    context.close()


def test_a_restarted_server_keeps_the_deadline(browser: Browser, patient_demo: Demo) -> None:
    page = signed_in_page(browser, patient_demo, "/")
    context = page.context
    before = events(page, "hello")[-1]
    deadline_before = before["t"] + before["detail"]["expires_in"] * 1000
    patient_demo.process.stop()
    wait_until(
        page,
        "window.__recorded.events.some((e) => e.type === 'connection'"
        " && e.detail.state === 'reconnecting')",
    )
    time.sleep(1)
    # Nothing alarming while the server is away: no dialog, the page as it was.
    expect(dialog(page)).to_be_hidden()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    patient_demo.process.start()
    wait_until(
        page, "window.__recorded.events.filter((e) => e.type === 'hello').length >= 2", timeout=20
    )
    after = events(page, "hello")[-1]
    deadline_after = after["t"] + after["detail"]["expires_in"] * 1000
    assert abs(deadline_after - deadline_before) < 250  # ms: the server kept it
    expect(dialog(page)).to_be_hidden()
    context.close()


def test_sign_out_in_the_dialog_ends_the_session_everywhere(browser: Browser, demo: Demo) -> None:
    a, b = two_tabs(browser, demo)
    expect(dialog(a)).to_be_visible(timeout=4000)
    dialog(a).get_by_role("button", name="Sign out").click()
    for page in (a, b):
        expect(page).to_have_url(re.compile(r"/login\?signed_out=logout"), timeout=1000)
    a.goto(demo.url + "/personnel")  # the cookie no longer signs anyone in
    expect(a).to_have_url(re.compile(r"/login\?next=/personnel"))
    a.context.close()
