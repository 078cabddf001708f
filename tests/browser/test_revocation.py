"""Sessions that Django stops accepting, as a person sees them in Chromium: a password changed
on one device signs out the other devices' tabs at once, told why, and the device that changed
it stays signed in; an account deactivated, or its sessions ended, from another process (a
shell, a command) sends its open tabs to the sign-in page by themselves.

Each test signs in a user of its own (created through manage.py), so the demo's user keeps its
password; the demo is this module's own, with timeouts far beyond a test's length, so every
tab that leaves was pushed, never timed out.
"""

from __future__ import annotations

import dataclasses
import re
import uuid

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ..servers import Demo, demo_fixture, manage
from .csp import Watch
from .pages import events, prepare, sign_in, told, wait_for_client, wait_until

pytestmark = pytest.mark.slow

#: No warning, no idle expiry while a test runs: a tab that leaves was told to.
revocation_demo = demo_fixture(SESSIONS_LIVE_WARN_AFTER="120", SESSIONS_LIVE_EXPIRE_AFTER="180")

PASSWORD_CHANGED = (
    "You were signed out because your password was changed. Please sign in with your new password."
)
DEACTIVATED = "You were signed out because your account was deactivated."
REVOKED = "You were signed out because your session was ended elsewhere. Please sign in again."
WRONG_PASSWORD = "Your username and password didn't match. Please try again."
#: How many `active` frames the page heard (tests/browser/pages.py records them).
ACTIVE_EVENTS = "window.__recorded.events.filter((e) => e.type === 'active').length"


def person(demo: Demo, username: str) -> Demo:
    """The demo as a new user ``username`` with a random password sees it."""
    password = uuid.uuid4().hex
    demo.create_user(username, password)
    return dataclasses.replace(demo, username=username, password=password)


def shell(demo: Demo, username: str, code: str) -> str:
    """Run ``code`` in ``manage.py shell``, another process on the demo's database and Redis,
    with ``user``: the user named ``username``."""
    lookup = (
        "import os; from django.contrib.auth import get_user_model; "
        "user = get_user_model().objects.get(username=os.environ['TEST_USERNAME']); "
    )
    env = {**demo.process.env, "TEST_USERNAME": username}
    return manage(env, "shell", "-v", "0", "-c", lookup + code)


def device(browser: Browser) -> tuple[BrowserContext, Watch]:
    """A browser of its own (its own cookies: its own session), watched for CSP violations
    and console errors on every page it opens."""
    context = prepare(browser.new_context())
    return context, Watch(context)


def open_tab(context: BrowserContext, demo: Demo, path: str) -> Page:
    """Another tab of ``context``'s session, on ``path``, its client running."""
    page = context.new_page()
    page.goto(demo.url + path)
    expect(page).to_have_url(demo.url + path)
    wait_for_client(page)
    return page


def signed_in_tab(context: BrowserContext, demo: Demo, path: str) -> Page:
    page = context.new_page()
    sign_in(page, demo, path)
    wait_for_client(page)
    return page


def signed_out_to(demo: Demo, reason: str, path: str) -> re.Pattern[str]:
    """The sign-in page, told ``reason``, to come back to ``path``."""
    query = f"/login?signed_out={reason}&next={path.replace('/', '%2F')}"
    return re.compile(re.escape(demo.url + query) + "$")


def sign_in_here(page: Page, demo: Demo, password: str) -> None:
    """On the sign-in page already: type the username and ``password``, press the button."""
    page.get_by_label("Username").fill(demo.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_password_changed_on_the_laptop_signs_out_the_phone_and_not_the_laptop(
    browser: Browser, revocation_demo: Demo
) -> None:
    ada = person(revocation_demo, "ada")
    laptop, laptop_watch = device(browser)
    phone, phone_watch = device(browser)
    phone_tabs = [signed_in_tab(phone, ada, "/personnel"), open_tab(phone, ada, "/")]
    settings = signed_in_tab(laptop, ada, "/")
    other_laptop_tab = open_tab(laptop, ada, "/personnel")

    # On the laptop, through the demo's nav and Django's own password change page.
    settings.get_by_role("link", name="Change password").click()
    expect(settings).to_have_url(ada.url + "/password")
    new_password = "new-" + uuid.uuid4().hex
    settings.get_by_label("Old password:", exact=True).fill(ada.password)
    settings.get_by_label("New password:", exact=True).fill(new_password)
    settings.get_by_label("New password confirmation:", exact=True).fill(new_password)
    settings.get_by_role("button", name="Change password").click()
    expect(settings).to_have_url(ada.url + "/password/done")
    expect(settings.locator("#demo-password-changed")).to_be_visible()
    # Someone moves the mouse over the laptop's other tab, opened before the change.
    heard = len(events(other_laptop_tab, "active"))
    other_laptop_tab.mouse.move(120, 240)

    # Every phone tab goes to the sign-in page by itself, told why and where it was.
    for tab, path in zip(phone_tabs, ["/personnel", "/"], strict=True):
        expect(tab).to_have_url(signed_out_to(ada, "password_changed", path))
        expect(tab.get_by_role("status")).to_have_text(PASSWORD_CHANGED)
        told(tab, PASSWORD_CHANGED)

    # The laptop is still signed in: the tab that changed the password, and the other tab,
    # whose socket still hears the session's activity (pushed once per ACTIVITY_INTERVAL,
    # 10 s here, hence the wait).
    expect(settings).to_have_url(ada.url + "/password/done")
    wait_until(other_laptop_tab, f"{ACTIVE_EVENTS} > {heard}", timeout=30)
    expect(other_laptop_tab).to_have_url(ada.url + "/personnel")
    settings.goto(ada.url + "/")
    expect(settings).to_have_url(ada.url + "/")
    expect(settings.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    wait_for_client(settings)
    other_laptop_tab.reload()
    expect(other_laptop_tab).to_have_url(ada.url + "/personnel")
    wait_for_client(other_laptop_tab)

    # On the phone the old password no longer signs in; the new one does, back where it was.
    first = phone_tabs[0]
    sign_in_here(first, ada, ada.password)
    expect(first.get_by_role("alert")).to_have_text(WRONG_PASSWORD)
    sign_in_here(first, ada, new_password)
    expect(first).to_have_url(ada.url + "/personnel")
    wait_for_client(first)

    phone_watch.clean()
    laptop_watch.clean()
    phone.close()
    laptop.close()


def test_an_account_deactivated_in_a_shell_sends_its_tabs_to_sign_in(
    browser: Browser, revocation_demo: Demo
) -> None:
    grace = person(revocation_demo, "grace")
    phone, watch = device(browser)
    tabs = [signed_in_tab(phone, grace, "/personnel"), open_tab(phone, grace, "/")]

    shell(revocation_demo, grace.username, "user.is_active = False; user.save()")

    for tab, path in zip(tabs, ["/personnel", "/"], strict=True):
        expect(tab).to_have_url(signed_out_to(grace, "deactivated", path))
        expect(tab.get_by_role("status")).to_have_text(DEACTIVATED)
        told(tab, DEACTIVATED)
    # A deactivated account cannot sign in again, with its right password.
    sign_in_here(tabs[0], grace, grace.password)
    expect(tabs[0].get_by_role("alert")).to_have_text(WRONG_PASSWORD)
    watch.clean()
    phone.close()


def test_sessions_ended_from_a_shell_send_every_tab_of_every_device_to_sign_in(
    browser: Browser, revocation_demo: Demo
) -> None:
    alan = person(revocation_demo, "alan")
    laptop, laptop_watch = device(browser)
    phone, phone_watch = device(browser)
    tabs = {
        "/personnel": signed_in_tab(laptop, alan, "/personnel"),
        "/": signed_in_tab(phone, alan, "/"),
    }

    ended = shell(
        revocation_demo,
        alan.username,
        "from sessions_live.ending import end_user_sessions; "
        "print(end_user_sessions(user, reason='revoked'))",
    )
    assert ended.strip() == "2", ended  # the laptop's session and the phone's

    for path, tab in tabs.items():
        expect(tab).to_have_url(signed_out_to(alan, "revoked", path))
        expect(tab.get_by_role("status")).to_have_text(REVOKED)
        told(tab, REVOKED)
    # The account itself is fine: the same password signs in again, back where it was.
    sign_in_here(tabs["/personnel"], alan, alan.password)
    expect(tabs["/personnel"]).to_have_url(alan.url + "/personnel")
    wait_for_client(tabs["/personnel"])
    laptop_watch.clean()
    phone_watch.clean()
    laptop.close()
    phone.close()
