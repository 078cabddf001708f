"""Coming from django-session-security, in Chromium: the project of tests/migrating/ (its
settings names, warn after 2 s, expire after 4 s) shows the warning, signs out on time, and a
playing video that calls ``window.sessionsLive.activity()`` keeps the session alive.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from ..migrating.server import serve_migrated
from ..servers import Demo
from .pages import dialog, events, signed_in_page, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def migrated(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with serve_migrated(tmp_path_factory.mktemp("migrated-browser"), redis_url) as server:
        yield server


def test_the_include_warns_then_signs_out(browser: Browser, migrated: Demo) -> None:
    page = signed_in_page(browser, migrated, "/")
    expect(dialog(page)).to_be_visible(timeout=4000)
    expect(dialog(page).get_by_role("heading")).to_have_text("Are you still there?")
    expect(page).to_have_url(re.compile(r"/login\?signed_out=idle"), timeout=6000)
    expect(page.get_by_role("status")).to_have_text(
        "You were signed out after 4 seconds of inactivity."
    )
    page.context.close()


def test_a_playing_video_calling_activity_keeps_the_session(
    browser: Browser, migrated: Demo
) -> None:
    page = signed_in_page(browser, migrated, "/watch/")
    wait_until(page, "document.querySelector('video').currentTime > 0.5")
    time.sleep(6)  # past EXPIRE_AFTER (4 s), with no input but the video
    assert events(page, "warning") == []
    assert page.evaluate("document.querySelector('video').currentTime") > 6
    assert page.url == migrated.url + "/watch/"
    # Paused, the video reports nothing: the warning comes, then the sign-out.
    page.evaluate("document.querySelector('video').pause()")
    expect(dialog(page)).to_be_visible(timeout=4000)
    expect(page).to_have_url(re.compile(r"/login\?signed_out=idle"), timeout=6000)
    page.context.close()
