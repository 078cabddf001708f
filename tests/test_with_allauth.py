"""The django-allauth recipe (docs/recipes.md), over real HTTP and tab sockets.

tests/with_allauth/ is served under daphne with a real Redis, as a project of its own: allauth
is never installed into tests/settings.py. Chromium drives the same project in
tests/browser/test_with_allauth.py.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest

from .servers import Demo
from .web import Browser, close_code, frame_of
from .with_allauth.server import LOGIN, serve_allauth, sign_in

pytestmark = pytest.mark.slow

CLIENT = '<dialog class="sessions-live-dialog"'
#: The project's CSP is nonce-only: the script carries the request's nonce.
SCRIPT = '<script type="module" src="/static/sessions_live/sessions_live.js" nonce="'
#: allauth's layout shows messages as plain list items.
MESSAGE = "<li>"


@pytest.fixture(scope="module")
def allauth_site(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with serve_allauth(
        tmp_path_factory.mktemp("allauth"),
        redis_url,
        RECIPE_WARN_AFTER="2",
        RECIPE_EXPIRE_AFTER="5",
    ) as server:
        yield server


def test_allauth_pages_and_the_sites_own_carry_the_client(allauth_site: Demo) -> None:
    browser = sign_in(allauth_site)
    # The site's page, and allauth's own signed-in pages, whose templates are allauth's: the
    # middleware puts the client in (INJECT_CLIENT), once.
    for path in ("/", "/accounts/email/", "/accounts/password/change/", "/accounts/logout/"):
        status, _, page = browser.get(path)
        assert status == 200, path
        body = page[page.index("<body>") : page.index("</body>")]
        assert body.count(CLIENT) == 1, path
        assert body.count(SCRIPT) == 1, path
    # Signed out: allauth's login page has no client, and a message only when told why.
    anonymous = Browser(allauth_site)
    _, _, login = anonymous.get(LOGIN)
    assert "sessions-live" not in login
    _, _, told = anonymous.get(LOGIN + "?signed_out=idle&next=/")
    assert told.count(f"{MESSAGE}You were signed out after 5 seconds of inactivity.</li>") == 1
    assert re.search(r"<h1>\s*Sign In\s*</h1>", told)  # allauth's page, as allauth has it


async def test_a_sign_in_through_allauth_starts_the_live_session(allauth_site: Demo) -> None:
    browser = await asyncio.to_thread(sign_in, allauth_site)
    async with browser.tab() as ws:
        hello = await frame_of(ws, "hello")
        assert (hello["warn_after"], hello["expire_after"]) == (2.0, 5.0)


async def test_a_third_sign_in_ends_the_oldest_session_as_replaced(allauth_site: Demo) -> None:
    oldest = await asyncio.to_thread(sign_in, allauth_site)
    async with oldest.tab() as ws:
        await frame_of(ws, "hello")
        second = await asyncio.to_thread(sign_in, allauth_site)
        # MAX_SESSIONS_PER_USER is 2: allauth's login() sends user_logged_in, whose receiver
        # ends the oldest session at once, before the new one makes another request.
        third = await asyncio.to_thread(sign_in, allauth_site)
        expired = await frame_of(ws, "expired")
        assert expired["reason"] == "replaced"
        assert expired["redirect"] == LOGIN + "?signed_out=replaced"
        assert await close_code(ws) == 4401
    status, headers, _ = await asyncio.to_thread(oldest.get, "/")
    assert (status, headers["Location"]) == (302, LOGIN + "?signed_out=replaced&next=%2F")
    _, _, page = await asyncio.to_thread(oldest.get, headers["Location"])
    assert (
        f"{MESSAGE}You were signed out because your account signed in elsewhere, beyond the "
        "number of sessions it may hold at once.</li>"
    ) in page
    for kept in (second, third):
        assert (await asyncio.to_thread(kept.get, "/"))[0] == 200


async def test_allauths_logout_ends_the_live_session(allauth_site: Demo) -> None:
    browser = await asyncio.to_thread(sign_in, allauth_site)
    async with browser.tab() as ws:
        await frame_of(ws, "hello")
        status, headers = await asyncio.to_thread(browser.post, "/accounts/logout/", {})
        assert (status, headers["Location"]) == (302, "/")
        expired = await frame_of(ws, "expired")
        assert expired["reason"] == "logout"
        assert expired["redirect"] == LOGIN + "?signed_out=logout"
    status, headers, _ = await asyncio.to_thread(browser.get, "/")
    assert (status, headers["Location"]) == (302, LOGIN + "?next=/")  # signed out, not refused
