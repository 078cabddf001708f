"""What the records keep of visitors, as a person reads it (KEEP_IP="network",
KEEP_USER_AGENT="family"): "your sessions" and the dashboard show the network and the
browser's name, and say so."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from ..servers import Demo, demo_fixture
from .pages import signed_in_page

pytestmark = pytest.mark.slow

private_demo = demo_fixture(
    SESSIONS_LIVE_WARN_AFTER="40",
    SESSIONS_LIVE_EXPIRE_AFTER="60",
    SESSIONS_LIVE_KEEP_IP="network",
    SESSIONS_LIVE_KEEP_USER_AGENT="family",
)
NETWORK = "Only the network of each IP address is kept (/24 for IPv4, /48 for IPv6)."
FAMILY = "Only the names of the browser and the system are kept, without versions."


def test_your_sessions_and_the_dashboard_show_only_what_is_kept(
    browser: Browser, private_demo: Demo
) -> None:
    page = signed_in_page(browser, private_demo, "/account/sessions/")
    mine = page.locator("table tbody tr").first
    expect(mine.get_by_role("cell", name="127.0.0.0/24", exact=True)).to_be_visible()
    expect(mine.get_by_role("rowheader")).not_to_have_text(re.compile(r"\d"))  # no version
    expect(page.get_by_text(NETWORK, exact=False)).to_be_visible()
    expect(page.get_by_text(FAMILY, exact=False)).to_be_visible()
    page.goto(private_demo.url + "/admin/sessions_live/livesession/")
    row = page.locator("tbody[data-rows] tr").filter(
        has=page.get_by_role("cell", name=private_demo.username, exact=True)
    )
    expect(row.get_by_role("cell", name="127.0.0.0/24", exact=True)).to_be_visible()
    expect(page.get_by_text(NETWORK, exact=False)).to_be_visible()
    page.context.close()
