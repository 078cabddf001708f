"""Every page of ours under the demo's nonce-only Content-Security-Policy, in Chromium.

The "your sessions" pages, the admin's live-sessions dashboard and its confirm page, and the
login page with its signed-out message: each sends Django's nonce-only policy (Django 6.1+),
each script and stylesheet of ours carries that response's nonce, the scripts run, and the
browser reports no violation anywhere. The signed-in page with the warning dialog is
``test_what_people_see.py::test_strict_content_security_policy_reports_nothing``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ..servers import Demo
from .csp import Watch
from .pages import prepare, sign_in_as, wait_for_client

pytestmark = pytest.mark.slow

BOARD = "/admin/sessions_live/livesession/"
CLIENT = ("sessions_live.css", "sessions_live.js")
SIGNED_OUT = ("sessions_live.css",)


def watched(browser: Browser) -> tuple[BrowserContext, Watch]:
    context = prepare(browser.new_context())
    return context, Watch(context)


def signed_in_elsewhere(browser: Browser, demo: Demo, username: str) -> tuple[Page, Watch]:
    """Another browser of ``username``, on the demo's home page with its client running."""
    context, watch = watched(browser)
    page = context.new_page()
    sign_in_as(page, demo, username, "pw-" + username + "-x9!", "/")
    wait_for_client(page)
    watch.check(page, *CLIENT)
    return page, watch


def test_your_sessions_and_its_confirm_page(browser: Browser, patient_demo: Demo) -> None:
    patient_demo.create_user("erin", "pw-erin-x9!")
    other, other_watch = signed_in_elsewhere(browser, patient_demo, "erin")
    context, watch = watched(browser)
    page = context.new_page()
    sign_in_as(page, patient_demo, "erin", "pw-erin-x9!", "/account/sessions/")
    wait_for_client(page)
    expect(page.get_by_role("table")).to_contain_text("this session")
    watch.check(page, *CLIENT)

    page.get_by_role("button", name="End all other sessions").click()
    expect(page.get_by_role("heading", name="End sessions?")).to_be_visible()
    wait_for_client(page)
    watch.check(page, *CLIENT)

    page.get_by_role("button", name="Yes, end it").click()
    expect(page.get_by_role("status")).to_contain_text("1 session was ended")
    wait_for_client(page)
    watch.check(page, *CLIENT)

    # The other browser is sent to the login page, which says why: our signed-out message.
    expect(other).to_have_url(re.compile(r"/login\?signed_out=terminated"), timeout=10000)
    expect(other.get_by_role("status")).to_have_text(
        "Your session was ended from another session or by an administrator."
    )
    other_watch.check(other, *SIGNED_OUT)
    watch.clean()
    other_watch.clean()
    context.close()
    other.context.close()


def test_the_dashboard_and_the_admin_confirm_page(browser: Browser, patient_demo: Demo) -> None:
    patient_demo.create_user("frank", "pw-frank-x9!")
    frank, frank_watch = signed_in_elsewhere(browser, patient_demo, "frank")
    context, watch = watched(browser)
    board = context.new_page()
    # The demo's staff user is a superuser: it may watch and end sessions.
    sign_in_as(board, patient_demo, patient_demo.username, patient_demo.password, BOARD)
    # dashboard.js ran: its socket is live and it filled the table from the snapshot.
    expect(board.locator("[data-board-status]")).to_have_text("Live")
    frank_row = board.locator("tbody[data-rows] tr").filter(
        has=board.get_by_role("cell", name="frank", exact=True)
    )
    expect(frank_row).to_have_count(1, timeout=5000)
    expect(board.locator('[data-total="sessions"]')).to_have_text(re.compile(r"[2-9]"))
    wait_for_client(board)  # the tab client runs on the dashboard too
    watch.check(board, "dashboard.css", "dashboard.js", *CLIENT)

    # The HTTP way to end frank's sessions: his admin page, then the confirm page.
    frank_row.get_by_role("link", name="frank").click()
    board.get_by_role("button", name="End all live sessions").click()
    expect(board.get_by_role("button", name="Yes, end them")).to_be_visible()
    expect(board.get_by_role("main")).to_contain_text("This ends 1 live session.")
    # The confirm page has no script of its own: only the tab client, which the middleware
    # puts on every admin page (ADMIN_CLIENT), with the header's nonce.
    wait_for_client(board)
    watch.check(board, *CLIENT)
    board.get_by_role("button", name="Yes, end them").click()
    expect(board.get_by_text("1 session was ended.")).to_be_visible()

    expect(frank).to_have_url(re.compile(r"/login\?signed_out=terminated"), timeout=10000)
    frank_watch.check(frank, *SIGNED_OUT)
    watch.clean()
    frank_watch.clean()
    context.close()
    frank.context.close()
