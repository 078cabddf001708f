"""The Wagtail recipe in Chromium (docs/recipes.md): tests/with_wagtail/ under daphne, its
admin warning after 2 s and signing out after 5 s to Wagtail's own sign-in page, with no
template or setting of sessions-live's (its hook, sessions_live/wagtail_hooks.py).

Under the newest Wagtail (this environment's) and its previous feature release (an
environment of its own: tests/with_wagtail/previous.py). One server each: the project runs all
of Wagtail's migrations first, which takes tens of seconds here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from ..servers import Demo, manage
from ..with_wagtail.previous import WAGTAIL, previous_wagtail_python, versions
from ..with_wagtail.server import serve_wagtail
from .pages import dialog, events, prepare, sign_in, signed_in_page, told, wait_for_client

pytestmark = pytest.mark.slow

LOGIN = "/admin/login/"
#: The page Wagtail's initial migration creates ("Welcome to your new Wagtail site!").
EDIT = "/admin/pages/2/edit/"
PING = "/admin/editing-sessions/ping/"


@pytest.fixture(scope="module", params=["newest", "previous"])
def wagtail_site(
    request: pytest.FixtureRequest, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    python = previous_wagtail_python() if request.param == "previous" else None
    with serve_wagtail(
        tmp_path_factory.mktemp("wagtail"),
        redis_url,
        python,
        RECIPE_WARN_AFTER="2",
        RECIPE_EXPIRE_AFTER="5",
    ) as server:
        # A saved revision, as any page edited once has: the editor's ping then carries its
        # id. (Without one, Wagtail 8.0.1 posts an empty form, which daphne's HTTP parser
        # refuses with 400 before Django sees it: see docs/recipes.md.)
        code = "from wagtail.models import Page; Page.objects.get(id=2).save_revision()"
        manage(server.process.env, "shell", "-c", code, python=python)
        if python is not None:  # the release it was made for, not one uv fell back to
            assert versions(python).startswith(f"Wagtail {WAGTAIL}.")
        yield server


def test_the_admin_warns_keeps_the_editor_then_signs_out_to_wagtails_login(
    browser: Browser, wagtail_site: Demo
) -> None:
    page = signed_in_page(browser, wagtail_site, "/admin/", login_path=LOGIN)
    expect(page.get_by_role("heading", name="Recipe site")).to_be_visible()  # Wagtail's home
    expect(dialog(page)).to_be_visible(timeout=6000)
    expect(dialog(page).get_by_role("heading")).to_have_text("Are you still there?")
    page.get_by_role("button", name="Stay signed in").click()
    expect(dialog(page)).to_be_hidden(timeout=3000)
    # Still signed in: the next warning comes a whole WARN_AFTER later, then the sign-out.
    expect(dialog(page)).to_be_visible(timeout=6000)
    assert page.url == wagtail_site.url + "/admin/"
    expect(page).to_have_url(
        re.compile(re.escape(LOGIN) + r"\?signed_out=idle&next=%2Fadmin%2F"), timeout=10000
    )
    expect(page.get_by_role("heading", name="Sign in to Wagtail")).to_be_visible()
    # In Wagtail's own messages, on its own sign-in template.
    told(page, "You were signed out after 5 seconds of inactivity.")
    expect(page.locator(".messages .sessions-live-signed-out")).to_have_count(1)
    expect(dialog(page)).to_have_count(0)  # no client for a signed-out visitor
    # Wagtail's login view honours the `next` the tab carried.
    page.get_by_label("Username").fill(wagtail_site.username)
    page.get_by_label("Password").fill(wagtail_site.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(wagtail_site.url + "/admin/")
    expect(page.get_by_text("You were signed out", exact=False)).to_have_count(0)  # told once
    # Every admin page carries the client through the hook: snippets, images too.
    for path in ("/admin/snippets/", "/admin/images/", EDIT):
        page.goto(wagtail_site.url + path)
        wait_for_client(page)
        expect(page.locator("#sessions-live-config")).to_have_count(1)
    page.context.close()


def test_the_editors_ping_does_not_keep_an_idle_editor_signed_in(
    browser: Browser, wagtail_site: Demo
) -> None:
    page = prepare(browser.new_context()).new_page()
    pings: list[int] = []
    page.on("response", lambda response: PING in response.url and pings.append(response.status))
    sign_in(page, wagtail_site, EDIT, login_path=LOGIN)
    expect(page.get_by_role("textbox", name="Title")).to_have_value(
        "Welcome to your new Wagtail site!"
    )
    # The editor pings every second (WAGTAIL_EDITING_SESSION_PING_INTERVAL here), each ping
    # answered by Wagtail, and there is no input: the warning comes all the same (the pings
    # are never activity: sessions_live.passive), with no `active` push in between.
    expect(dialog(page)).to_be_visible(timeout=8000)
    assert events(page, "active") == []
    expect(page).to_have_url(re.compile(re.escape(LOGIN) + r"\?signed_out=idle"), timeout=10000)
    told(page, "You were signed out after 5 seconds of inactivity.")
    # Answered while the session ran out (once it had ended, a last one may get 401).
    assert pings.count(200) >= 2
    page.context.close()


def test_signing_out_through_wagtails_menu_sends_the_other_tab_to_the_login_page(
    browser: Browser, wagtail_site: Demo
) -> None:
    first = signed_in_page(browser, wagtail_site, "/admin/", login_path=LOGIN)
    other = first.context.new_page()  # a second tab of the same session
    other.goto(wagtail_site.url + "/admin/pages/")
    wait_for_client(other)
    first.bring_to_front()
    first.get_by_role("button", name=wagtail_site.username).click()  # the account menu
    first.get_by_role("button", name="Log out").click()
    expect(other).to_have_url(
        re.compile(re.escape(LOGIN) + r"\?signed_out=logout&next=%2Fadmin%2Fpages%2F"),
        timeout=5000,
    )
    told(other, "You signed out.")
    expect(first).to_have_url(re.compile(re.escape(LOGIN)))
    first.context.close()
