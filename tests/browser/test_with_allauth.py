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
from .pages import dialog, signed_in_page, wait_for_client

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
    # allauth's own signed-in page (its template replaces the layout's extra_body block).
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
    expect(page.locator(".sessions-live-signed-out")).to_have_text(
        "You were signed out after 5 seconds of inactivity."
    )
    expect(dialog(page)).to_have_count(0)  # no client for a signed-out visitor
    # allauth honours the `next` the tab carried.
    page.get_by_label("Username").fill(allauth_site.username)
    page.get_by_label("Password").fill(allauth_site.password)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(allauth_site.url + "/accounts/email/")
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
    expect(oldest.locator(".sessions-live-signed-out")).to_have_text(
        "You were signed out because your account signed in elsewhere, beyond the number of "
        "sessions it may hold at once."
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
    expect(other.locator(".sessions-live-signed-out")).to_have_text("You signed out.")
    expect(first).to_have_url(re.compile(re.escape(LOGIN)))
    first.context.close()
