"""Signing in again in place (REAUTH_IN_PLACE), as a person sees it in Chromium: a page whose
session timed out stays, hidden from sight and from the accessibility tree, and its dialog asks
for the password; the right one brings the page back as it was, its unsaved text kept, its
forms' CSRF token the one Django rotated, its socket open on a new session. A wrong password or
another user's credentials send the tab to the sign-in page, keeping nothing. The demo runs
Django's nonce-only CSP.

The demo is this module's own: warned after 10 s, signed out after 16 s, time enough on a busy
machine to type before the warning and to look at the page again (10 s) before the next one.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from ..servers import Demo, demo_fixture
from .csp import Watch
from .pages import dialog, events, prepare, sign_in, wait_for_client, wait_until

pytestmark = pytest.mark.slow

EXPIRE_AFTER = 16  # seconds
reauth_demo = demo_fixture(
    SESSIONS_LIVE_REAUTH_IN_PLACE="1",
    SESSIONS_LIVE_WARN_AFTER="10",
    SESSIONS_LIVE_EXPIRE_AFTER=str(EXPIRE_AFTER),
)

NOTES = "A long form field, to try typing:"
TYPED = "Half a report, not saved anywhere yet."
WELCOME = re.compile("Welcome")
SIGNED_OUT_IDLE = f"You were signed out after {EXPIRE_AFTER} seconds of inactivity."
SIGN_IN_AGAIN = "Sign in and carry on"
TO_LOGIN = "Go to the sign-in page"
#: The idle expiry comes EXPIRE_AFTER after the last activity the server heard: generous.
EXPIRY = (EXPIRE_AFTER + 20) * 1000  # ms
LOGOUT_CSRF = "form.demo-logout input[name=csrfmiddlewaretoken]"
#: The tab's state as the client tells it (docs/javascript.md).
STATE = "window.sessionsLive.state"


def device(browser: Browser) -> tuple[BrowserContext, Watch]:
    """A browser of its own (its own cookies), watched for CSP violations and console errors."""
    context = prepare(browser.new_context())
    return context, Watch(context)


def signed_in_home(context: BrowserContext, demo: Demo) -> Page:
    page = context.new_page()
    sign_in(page, demo, "/")
    wait_for_client(page)
    return page


def cookie(context: BrowserContext, name: str) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == name)


def reauth_form(page: Page) -> Locator:
    return dialog(page).locator("form[data-sessions-live-reauth]")


def type_then_wait_for_the_timeout(page: Page) -> Locator:
    """Type into the home page's textarea, then touch nothing until the session times out and
    the dialog asks for the password; the dialog's form."""
    page.get_by_label(NOTES).fill(TYPED)
    form = reauth_form(page)
    expect(form).to_be_visible(timeout=EXPIRY)
    expect(dialog(page)).to_have_accessible_name("Signed out")
    return form


def timed_out_tab(browser: Browser, demo: Demo) -> tuple[BrowserContext, Watch, Page, Locator]:
    """A browser of its own signed in on the home page, typed into, left until the dialog asks
    for the password: its context, its watch, the page and the dialog's form."""
    context, watch = device(browser)
    page = signed_in_home(context, demo)
    return context, watch, page, type_then_wait_for_the_timeout(page)


def left_for_the_sign_in_page(page: Page, demo: Demo) -> None:
    """The tab is on the sign-in page, told it timed out, with nothing of the page it was on."""
    expect(page).to_have_url(
        re.compile(re.escape(demo.url + "/login?signed_out=idle&next=%2F") + "$"), timeout=10000
    )
    expect(page.get_by_role("status")).to_have_text(SIGNED_OUT_IDLE)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_label(NOTES)).to_have_count(0)
    expect(page.get_by_text(TYPED)).to_have_count(0)
    expect(dialog(page)).to_have_count(0)  # no client: nobody is signed in


def refused_requests_only(watch: Watch, status: int) -> None:
    """No CSP violation; the only console error is Chromium's own line for the refused
    sign-in ("Failed to load resource: the server responded with a status of 403 ...")."""
    assert watch.violations == [], watch.violations
    assert len(watch.errors) <= 1, watch.errors
    assert all(f"status of {status}" in error for error in watch.errors), watch.errors


def reachable_texts(page: Page) -> list[str]:
    """The name and value of every node of the page's accessibility tree that is not ignored
    (what a screen reader can reach), from Chromium's own tree; not the document's own node,
    named by the page's <title>."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes: list[dict[str, Any]] = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    found = []
    for node in nodes:
        if node.get("ignored") or node.get("role", {}).get("value") == "RootWebArea":
            continue
        for key in ("name", "value"):
            text = node.get(key, {}).get("value")
            if isinstance(text, str) and text:
                found.append(text)
    return found


def test_the_right_password_brings_the_page_back_as_it_was(
    browser: Browser, reauth_demo: Demo
) -> None:
    demo = reauth_demo
    context, watch = device(browser)
    page = signed_in_home(context, demo)
    watch.check(page, "sessions_live.css", "sessions_live.js")
    session_before = cookie(context, "sessionid")
    csrf_cookie_before = cookie(context, "csrftoken")
    token_before = page.locator(LOGOUT_CSRF).input_value()
    assert NOTES in reachable_texts(page)  # while signed in, the tree holds the page
    form = type_then_wait_for_the_timeout(page)

    # The dialog asks for the password of the user it names; the page's content is out of
    # sight and out of the accessibility tree (visibility: hidden), though still in the DOM.
    expect(form.get_by_label("Username")).to_have_value(demo.username)
    expect(form.get_by_label("Password")).to_be_focused()
    expect(dialog(page).get_by_role("button", name=SIGN_IN_AGAIN)).to_be_visible()
    expect(dialog(page).get_by_role("button", name=TO_LOGIN)).to_be_visible()
    expect(page.get_by_role("heading", name=WELCOME)).to_have_count(0)
    expect(page.get_by_role("textbox", name=NOTES)).to_have_count(0)
    expect(page.get_by_role("banner")).to_have_count(0)
    expect(page.get_by_label(NOTES)).to_be_hidden()
    expect(page.get_by_label(NOTES)).to_have_value(TYPED)  # kept, unseen
    reachable = reachable_texts(page)
    assert SIGN_IN_AGAIN in reachable, reachable  # the tree is the live one
    for text in (NOTES, TYPED, "Welcome", "This page is watched", "sessions-live demo", "Sign out"):
        assert all(text not in found for found in reachable), (text, reachable)
    assert page.evaluate(STATE + ".dialog") == "reauth"

    form.get_by_label("Password").fill(demo.password)
    form.get_by_role("button", name=SIGN_IN_AGAIN).click()

    # The page is back, as it was; its socket opened again, on a new session.
    expect(dialog(page)).to_be_hidden()
    expect(page.get_by_role("heading", name=WELCOME)).to_be_visible()
    expect(page.get_by_role("textbox", name=NOTES)).to_have_value(TYPED)
    assert TYPED in reachable_texts(page)
    wait_until(page, f"{STATE}.connection === 'open' && {STATE}.dialog === null")
    hellos = events(page, "hello")
    assert len(hellos) == 2, hellos
    assert hellos[-1]["detail"]["expires_in"] > EXPIRE_AFTER / 2, hellos[-1]
    assert page.evaluate(STATE + ".expiresIn") > EXPIRE_AFTER / 2
    assert cookie(context, "sessionid") != session_before
    # The logout form carries the token Django rotated at the sign-in, and it works.
    token_after = page.locator(LOGOUT_CSRF).input_value()
    assert token_after
    assert token_after != token_before
    assert cookie(context, "csrftoken") != csrf_cookie_before  # rotated, not only re-masked
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(demo.url + "/login?signed_out=logout&next=%2F")
    expect(page.get_by_role("status")).to_have_text("You signed out.")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("CSRF verification failed")).to_have_count(0)
    page.goto(demo.url + "/")
    expect(page).to_have_url(demo.url + "/login?next=/")
    watch.clean()
    context.close()


def test_a_wrong_password_sends_the_tab_to_sign_in_keeping_nothing(
    browser: Browser, reauth_demo: Demo
) -> None:
    demo = reauth_demo
    context, watch, page, form = timed_out_tab(browser, demo)

    form.get_by_label("Password").fill("not-" + demo.password)
    form.get_by_role("button", name=SIGN_IN_AGAIN).click()

    left_for_the_sign_in_page(page, demo)
    # Signing in again from there starts afresh: the text typed before is gone for good.
    page.get_by_label("Username").fill(demo.username)
    page.get_by_label("Password").fill(demo.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(demo.url + "/")
    expect(page.get_by_label(NOTES)).to_have_value("")
    refused_requests_only(watch, 403)
    context.close()


def test_another_users_credentials_sign_nobody_in(browser: Browser, reauth_demo: Demo) -> None:
    demo = reauth_demo
    other = dataclasses.replace(demo, username="mallory", password=uuid.uuid4().hex)
    demo.create_user(other.username, other.password)
    context, watch, page, form = timed_out_tab(browser, demo)

    name = form.get_by_label("Username")
    expect(name).to_have_attribute("readonly", "")
    expect(name).to_have_value(demo.username)
    # Even a name changed in the page is not the one checked: the page's user's password is.
    name.evaluate("(input, other) => { input.value = other; }", other.username)
    form.get_by_label("Password").fill(other.password)
    form.get_by_role("button", name=SIGN_IN_AGAIN).click()

    left_for_the_sign_in_page(page, demo)
    expect(page.get_by_text(other.username)).to_have_count(0)
    page.goto(demo.url + "/")  # neither user is signed in
    expect(page).to_have_url(demo.url + "/login?next=/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    refused_requests_only(watch, 403)
    context.close()


def test_the_keyboard_stays_in_the_dialog_and_enter_signs_in(
    browser: Browser, reauth_demo: Demo
) -> None:
    demo = reauth_demo
    context, watch, page, form = timed_out_tab(browser, demo)
    username = form.get_by_label("Username")
    password = form.get_by_label("Password")
    submit = dialog(page).get_by_role("button", name=SIGN_IN_AGAIN)
    to_login = dialog(page).get_by_role("button", name=TO_LOGIN)

    expect(password).to_be_focused()  # the username is filled in already
    for key, focused in [
        ("Tab", submit),
        ("Tab", to_login),
        ("Tab", username),  # round again, never out of the dialog
        ("Tab", password),
        ("Shift+Tab", username),
        ("Shift+Tab", to_login),
        ("Shift+Tab", submit),
        ("Shift+Tab", password),
    ]:
        page.keyboard.press(key)
        expect(focused).to_be_focused()
    page.keyboard.type(demo.password)
    page.keyboard.press("Enter")

    expect(dialog(page)).to_be_hidden()
    notes = page.get_by_role("textbox", name=NOTES)
    expect(notes).to_have_value(TYPED)
    expect(notes).to_be_focused()  # back where it was before the dialog opened
    wait_until(page, f"{STATE}.connection === 'open' && {STATE}.dialog === null")
    watch.clean()
    context.close()
