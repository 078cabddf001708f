"""Closing every tab, with EXPIRE_WHEN_ALL_TABS_CLOSED on (2 s grace) and off."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, expect

from ..servers import Demo
from .pages import signed_in_page, wait_for_client

pytestmark = pytest.mark.slow

WELCOME = re.compile("Welcome")


def test_closing_every_tab_ends_the_session_after_the_grace(
    browser: Browser, closing_demo: Demo
) -> None:
    page = signed_in_page(browser, closing_demo, "/")
    context = page.context
    page.close()
    time.sleep(5)  # grace 2 s, then at most one sweep interval (2 s)
    again = context.new_page()
    again.goto(closing_demo.url + "/")
    expect(again).to_have_url(re.compile(r"/login\?signed_out=closed"))
    expect(again.get_by_role("status")).to_have_text("You were signed out after closing every tab.")
    context.close()


def test_a_reload_within_the_grace_keeps_the_session(browser: Browser, closing_demo: Demo) -> None:
    page = signed_in_page(browser, closing_demo, "/")
    context = page.context
    page.reload()
    wait_for_client(page)
    page.get_by_role("link", name="Personnel").click()  # a link to another page
    wait_for_client(page)
    time.sleep(5)  # past the grace, with a tab open all along
    page.reload()
    expect(page).to_have_url(closing_demo.url + "/personnel")
    expect(page.get_by_text("Grace Hopper")).to_be_visible()
    context.close()


def test_with_the_setting_off_closing_every_tab_ends_nothing(
    browser: Browser, patient_demo: Demo
) -> None:
    page = signed_in_page(browser, patient_demo, "/")
    context = page.context
    page.close()
    time.sleep(5)
    again = context.new_page()
    again.goto(patient_demo.url + "/")
    expect(again).to_have_url(patient_demo.url + "/")
    expect(again.get_by_role("heading", name=WELCOME)).to_be_visible()
    context.close()
