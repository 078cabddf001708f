"""The Django admin in Chromium, with no template edit for sessions-live: the demo's admin
(which overrides admin/base_site.html for its branding, as projects do) warns on a change list
and a change form, keeps both tabs at "Stay signed in", and at expiry takes the tab to the
admin's login with `next` and the reason in the admin's messages. Its CSP is nonce-only."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from ..servers import Demo, demo_fixture
from .pages import dialog, signed_in_page, told, violations, wait_for_client

pytestmark = pytest.mark.slow

LOGIN = "/admin/login/"
USERS = "/admin/auth/user/"
BRANDING = "sessions-live demo administration"  # templates/admin/base_site.html
#: Warned after 4 s, signed out after 12 s: time to open the second tab on a busy machine.
admin_demo = demo_fixture(SESSIONS_LIVE_WARN_AFTER="4", SESSIONS_LIVE_EXPIRE_AFTER="12")
IDLE = "You were signed out after 12 seconds of inactivity."


def user_form(page: Page) -> str:
    """The change form of the first user in the change list."""
    href = page.locator("#result_list tbody th a").first.get_attribute("href")
    assert href, "no user in the change list"
    return href


def test_a_change_list_and_a_change_form_warn_stay_then_go_to_the_admins_login(
    browser: Browser, admin_demo: Demo
) -> None:
    demo = admin_demo
    listing = signed_in_page(browser, demo, USERS, login_path=LOGIN, button="Log in")
    expect(listing.get_by_role("link", name=BRANDING)).to_be_visible()  # the project's override
    form_path = user_form(listing)
    form = listing.context.new_page()  # a second tab of the same session
    form.goto(demo.url + form_path)
    wait_for_client(form)
    expect(form.get_by_label("Username")).to_have_value(demo.username)
    for page in (listing, form):
        expect(page.locator("#sessions-live-config")).to_have_count(1)
    # Both tabs are warned; "Stay signed in" in one closes the dialog in both.
    expect(dialog(listing)).to_be_visible(timeout=10000)
    expect(dialog(form)).to_be_visible(timeout=10000)
    form.get_by_role("button", name="Stay signed in").click()
    expect(dialog(form)).to_be_hidden(timeout=3000)
    expect(dialog(listing)).to_be_hidden(timeout=3000)
    # Then nothing more: both go to the admin's login, with where they were and why.
    expect(form).to_have_url(
        re.compile(re.escape(LOGIN) + r"\?signed_out=idle&next=" + re.escape("%2Fadmin%2Fauth")),
        timeout=30000,
    )
    expect(listing).to_have_url(
        re.compile(re.escape(LOGIN) + r"\?signed_out=idle&next=%2Fadmin%2Fauth%2Fuser%2F"),
        timeout=30000,
    )
    for page in (listing, form):
        told(page, IDLE)
        expect(page.locator(".messagelist .sessions-live-signed-out")).to_have_count(1)
        expect(dialog(page)).to_have_count(0)
        assert violations(page) == []
    # The admin's login honours `next`, and does not tell the reason again.
    listing.get_by_label("Username").fill(demo.username)
    listing.get_by_label("Password").fill(demo.password)
    listing.get_by_role("button", name="Log in").click()
    expect(listing).to_have_url(demo.url + USERS)
    expect(listing.get_by_text("You were signed out", exact=False)).to_have_count(0)
    listing.context.close()
