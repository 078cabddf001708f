"""The django-allauth recipe in Chromium (docs/recipes.md): tests/with_allauth/ under daphne,
signing in through allauth's form, warn after 2 s, expire after 5 s, at most 2 sessions a user.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from ..servers import Demo
from ..with_allauth.server import LOGIN, serve_allauth, sign_in
from .pages import dialog, signed_in_page, told, violations, wait_for_client

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def allauth_site(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with serve_allauth(
        tmp_path_factory.mktemp("allauth-browser"),
        redis_url,
        RECIPE_WARN_AFTER="2",
        RECIPE_EXPIRE_AFTER="5",
    ) as server:
        yield server


def test_an_allauth_page_warns_keeps_the_session_then_signs_out_to_allauths_login(
    browser: Browser, allauth_site: Demo
) -> None:
    # allauth's own signed-in page: the client is put in by the middleware (INJECT_CLIENT).
    page = signed_in_page(browser, allauth_site, "/accounts/email/", login_path=LOGIN)
    expect(dialog(page)).to_be_visible(timeout=6000)
    page.get_by_role("button", name="Stay signed in").click()
    expect(dialog(page)).to_be_hidden(timeout=3000)
    # Still signed in: the next warning comes a whole WARN_AFTER later, then the sign-out.
    expect(dialog(page)).to_be_visible(timeout=6000)
    assert page.url == allauth_site.url + "/accounts/email/"
    expect(page).to_have_url(
        re.compile(re.escape(LOGIN) + r"\?signed_out=idle&next=%2Faccounts%2Femail%2F"),
        timeout=10000,
    )
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    # In allauth's own messages, on its own template: no template of ours.
    told(page, "You were signed out after 5 seconds of inactivity.")
    expect(dialog(page)).to_have_count(0)  # no client for a signed-out visitor
    # allauth honours the `next` the tab carried, and the reason is not told again there.
    page.get_by_label("Username").fill(allauth_site.username)
    page.get_by_label("Password").fill(allauth_site.password)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(allauth_site.url + "/accounts/email/")
    expect(page.get_by_text("Successfully signed in", exact=False)).to_be_visible()
    expect(page.get_by_text("You were signed out", exact=False)).to_have_count(0)
    page.context.close()


def test_a_third_sign_in_sends_the_oldest_tab_to_the_login_page_saying_why(
    browser: Browser, allauth_site: Demo
) -> None:
    oldest = signed_in_page(browser, allauth_site, "/", login_path=LOGIN)
    newer = signed_in_page(browser, allauth_site, "/", login_path=LOGIN)
    sign_in(allauth_site)  # a third sign-in, elsewhere
    expect(oldest).to_have_url(
        re.compile(re.escape(LOGIN) + r"\?signed_out=replaced&next=%2F"), timeout=5000
    )
    told(
        oldest,
        "You were signed out because your account signed in elsewhere, beyond the number of "
        "sessions it may hold at once.",
    )
    assert newer.url == allauth_site.url + "/"
    expect(newer.get_by_role("heading", name="Welcome")).to_be_visible()
    for page in (oldest, newer):
        page.context.close()


def test_signing_out_through_allauth_sends_the_other_tab_to_the_login_page(
    browser: Browser, allauth_site: Demo
) -> None:
    first = signed_in_page(browser, allauth_site, "/", login_path=LOGIN)
    other = first.context.new_page()  # a second tab of the same session
    other.goto(allauth_site.url + "/")
    wait_for_client(other)
    first.goto(allauth_site.url + "/accounts/logout/")
    first.get_by_role("button", name="Sign Out").click()
    expect(other).to_have_url(
        re.compile(re.escape(LOGIN) + r"\?signed_out=logout&next=%2F"), timeout=5000
    )
    told(other, "You signed out.")
    expect(first).to_have_url(re.compile(re.escape(LOGIN)))
    first.context.close()


def test_the_admin_of_a_project_without_admin_templates_warns_and_signs_out_to_its_login(
    browser: Browser, allauth_site: Demo
) -> None:
    # This project has no admin template of its own, and LOGIN_URL is allauth's: the admin's
    # pages go to the admin's own login, as the admin sends anonymous visitors.
    page = signed_in_page(browser, allauth_site, "/admin/auth/user/", "/admin/login/", "Log in")
    expect(page.get_by_role("link", name="Django administration")).to_be_visible()
    expect(dialog(page)).to_be_visible(timeout=6000)
    expect(page).to_have_url(
        re.compile(r"/admin/login/\?signed_out=idle&next=%2Fadmin%2Fauth%2Fuser%2F"),
        timeout=10000,
    )
    told(page, "You were signed out after 5 seconds of inactivity.")
    page.context.close()


def test_a_third_party_page_gets_the_client_once_under_a_nonce_only_csp(
    browser: Browser, allauth_site: Demo
) -> None:
    # allauth's password page: put in by the middleware (INJECT_CLIENT), with the nonce.
    page = signed_in_page(browser, allauth_site, "/accounts/password/change/", login_path=LOGIN)
    expect(page.locator("#sessions-live-config")).to_have_count(1)
    expect(dialog(page)).to_be_visible(timeout=6000)
    assert violations(page) == []
    # The site's page has the tag too: still one client.
    page.goto(allauth_site.url + "/")
    wait_for_client(page)
    expect(page.locator("#sessions-live-config")).to_have_count(1)
    expect(page.locator("dialog.sessions-live-dialog")).to_have_count(1)
    expect(page.locator('script[src$="sessions_live.js"]')).to_have_count(1)
    assert violations(page) == []
    page.context.close()
