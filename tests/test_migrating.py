"""Coming from django-session-security: its configuration works with sessions-live swapped in.

The end-to-end tests serve tests/migrating/ (its settings names only, its middleware and
include swapped) under daphne with a real Redis, and drive a tab's socket as tests/web.py does.
The others check, in process, each thing such a project relies on.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.checks import Warning
from django.template import Context, Template
from django.test import Client, RequestFactory

from sessions_live import checks
from sessions_live.conf import get_settings

from .helpers import age, live_of
from .migrating.server import project_env, serve_migrated
from .servers import ROOT, Demo
from .web import Browser, frame_of, next_frame

W002_NAMES = (
    "SESSION_SECURITY_WARN_AFTER, SESSION_SECURITY_EXPIRE_AFTER, "
    "SESSION_SECURITY_PASSIVE_URLS, SESSION_SECURITY_PASSIVE_URL_NAMES"
)


@pytest.fixture(scope="module")
def migrated(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with serve_migrated(tmp_path_factory.mktemp("migrated"), redis_url) as server:
        yield server


def signed_in(server: Demo) -> Browser:
    browser = Browser(server)
    browser.sign_in()
    return browser


# The project as django-session-security's documentation configures it ------------------------


def test_manage_py_check_reports_only_w002(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = project_env(tmp_path_factory.mktemp("check"), redis_url)
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    message = checks.W002_MSG.format(names=W002_NAMES)
    assert f"?: (sessions_live.W002) {message}\n\tHINT: {checks.W002_HINT}" in output
    assert re.findall(r"\((sessions_live\.\w+)\)", output) == ["sessions_live.W002"]
    assert "System check identified 1 issue (" in output


@pytest.mark.slow
def test_page_carries_the_client_where_the_include_stood(migrated: Demo) -> None:
    browser = signed_in(migrated)
    status, _, page = browser.get("/")
    assert status == 200
    body = page[page.index("<body>") : page.index("</body>")]
    assert '<dialog class="sessions-live-dialog"' in body
    assert '<script id="sessions-live-config" type="application/json">' in body
    script = re.search(r'<script type="module" src="([^"]+)"></script>', body)
    assert script
    assert script.group(1) == "/static/sessions_live/sessions_live.js"
    assert browser.get(script.group(1))[0] == 200
    # The sign-in page includes it too, and renders nothing there for an anonymous visitor.
    _, _, login = Browser(migrated).get("/login")
    assert "sessions-live" not in login


@pytest.mark.slow
async def test_warning_then_expiry_reach_the_tab_and_the_session_is_gone(
    migrated: Demo,
) -> None:
    browser = await asyncio.to_thread(signed_in, migrated)
    async with browser.tab() as ws:
        hello = await frame_of(ws, "hello")
        # SESSION_SECURITY_* timeouts, and an activity window that fits them.
        assert (hello["warn_after"], hello["expire_after"]) == (2.0, 4.0)
        assert hello["activity_interval"] == 0.5
        warning = await next_frame(ws)
        assert warning["type"] == "warning"
        assert warning["expires_in"] > 0
        expired = await frame_of(ws, "expired")
        assert expired["reason"] == "idle"
        assert expired["redirect"].startswith("/login?signed_out=idle")
    status, headers, _ = await asyncio.to_thread(browser.get, "/")
    assert status == 302
    assert headers["Location"].startswith("/login")


@pytest.mark.slow
async def test_passive_urls_do_not_extend_the_session(migrated: Demo) -> None:
    browser = await asyncio.to_thread(signed_in, migrated)
    async with browser.tab() as ws:
        await frame_of(ws, "hello")
        # Past the server's activity step (half of ACTIVITY_INTERVAL) since the sign-in, so
        # a request that counts is recorded, and pushed to the tab as `active`.
        await asyncio.sleep(0.5)
        assert (await asyncio.to_thread(browser.get, "/api/"))[0] == 200
        assert (await next_frame(ws))["type"] == "active"
        # By path (SESSION_SECURITY_PASSIVE_URLS) and by name in a namespace
        # (SESSION_SECURITY_PASSIVE_URL_NAMES): no `active`, the warning comes on time.
        await asyncio.sleep(0.5)
        assert (await asyncio.to_thread(browser.get, "/poll/"))[0] == 200
        assert (await asyncio.to_thread(browser.get, "/monitor/status/"))[0] == 200
        assert (await next_frame(ws))["type"] == "warning"
        assert (await next_frame(ws))["type"] == "expired"


# What each part does for such a project, in process ------------------------------------------


@pytest.fixture
def legacy_only(settings: Any) -> Any:
    """tests.settings without SESSIONS_LIVE: only django-session-security's names apply."""
    del settings.SESSIONS_LIVE
    return settings


def test_session_security_test_project_timeouts_get_a_fitting_activity_window(
    legacy_only: Any,
) -> None:
    # django-session-security's own test project: warn after 5 s, expire after 10 s.
    legacy_only.SESSION_SECURITY_WARN_AFTER = 5
    legacy_only.SESSION_SECURITY_EXPIRE_AFTER = 10
    assert get_settings().ACTIVITY_INTERVAL == 1.25  # a quarter of WARN_AFTER, not 10
    assert checks.check_settings() == [
        Warning(
            checks.W002_MSG.format(
                names="SESSION_SECURITY_WARN_AFTER, SESSION_SECURITY_EXPIRE_AFTER"
            ),
            hint=checks.W002_HINT,
            id="sessions_live.W002",
        )
    ]  # and no W004: an active user is never warned


def test_usual_timeouts_keep_the_documented_activity_window(legacy_only: Any) -> None:
    legacy_only.SESSION_SECURITY_WARN_AFTER = 540
    assert get_settings().ACTIVITY_INTERVAL == 10


def test_a_warn_after_that_is_no_number_leaves_the_window_alone(legacy_only: Any) -> None:
    legacy_only.SESSION_SECURITY_WARN_AFTER = "5"  # E002 reports it; reading never raises
    assert get_settings().ACTIVITY_INTERVAL == 10
    assert "sessions_live.E002" in [message.id for message in checks.check_settings()]


@pytest.mark.parametrize("path", ["/ns/status/", "/passive-name/"])
def test_session_security_passive_names_match_in_any_namespace(
    legacy_only: Any, signed_in: Callable[..., Client], path: str
) -> None:
    # django-session-security compares the URL name alone, whatever the namespace.
    legacy_only.SESSION_SECURITY_PASSIVE_URL_NAMES = ["status", "passive_name"]
    client = signed_in()
    age(client, idle=100)
    before = live_of(client).last_activity
    assert client.get(path).status_code == 200
    assert live_of(client).last_activity == before


def test_session_security_passive_urls_match_the_path(
    legacy_only: Any, signed_in: Callable[..., Client]
) -> None:
    legacy_only.SESSION_SECURITY_PASSIVE_URLS = ["/passive-path/"]
    client = signed_in()
    age(client, idle=100)
    before = live_of(client).last_activity
    assert client.get("/passive-path/").status_code == 200
    assert live_of(client).last_activity == before
    assert client.get("/api/").status_code == 200  # any other request is activity
    assert live_of(client).last_activity > before


def test_include_needs_no_load_and_renders_inside_body(make_user: Callable[..., Any]) -> None:
    request = RequestFactory().get("/")
    request.user = make_user()
    page = Template("<body><main>page</main>{% include 'sessions_live/all.html' %}</body>").render(
        Context({"request": request})
    )
    assert page.startswith("<body><main>page</main><link rel=")
    assert '<dialog class="sessions-live-dialog"' in page
    assert re.sub(r"\s+", " ", page).endswith("></script> </body>")


def test_include_uses_django_csp_request_nonce(make_user: Callable[..., Any]) -> None:
    # django-csp puts the nonce on the request, where session_security/all.html read it.
    request = RequestFactory().get("/")
    request.user = make_user()
    request.csp_nonce = "r3quest-n0nce"  # type: ignore[attr-defined]
    page = Template("{% include 'sessions_live/all.html' %}").render(Context({"request": request}))
    assert '<script type="module" src="/static/sessions_live/sessions_live.js" ' in page
    assert 'nonce="r3quest-n0nce"' in page


def test_session_security_urls_left_in_is_w005(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.migrating.urls_unchanged"
    assert checks.check_legacy_urls() == [
        Warning(checks.W005_MSG, hint=checks.W005_HINT, id="sessions_live.W005")
    ]
    settings.ROOT_URLCONF = "tests.migrating.urls"
    assert checks.check_legacy_urls() == []
