"""A browser that asks for French gets the dialog and the signed-out message in French.

The demo picks the language with Django's LocaleMiddleware (Accept-Language); the script shows
only what the server rendered. Timings are the demo's: warn after 2 s, expire after 5 s.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from ..servers import Demo
from .pages import dialog, prepare, sign_in, wait_for_client

pytestmark = pytest.mark.slow


def test_a_french_browser_is_warned_and_signed_out_in_french(browser: Browser, demo: Demo) -> None:
    # locale= sets the context's Accept-Language (and navigator.language) to French.
    page = prepare(browser.new_context(locale="fr-FR")).new_page()
    sign_in(page, demo)  # the demo's own sign-in page is English only
    wait_for_client(page)
    box = dialog(page)
    expect(box).to_be_visible(timeout=4000)
    expect(box).to_have_accessible_name("Êtes-vous toujours là\u00a0?")
    expect(box.locator(".sessions-live-text")).to_have_text(
        "Pour votre sécurité, votre session va bientôt être fermée pour cause d\u2019inactivité."
    )
    expect(box.locator("[data-sessions-live-countdown]")).to_have_text(
        re.compile(r"Votre session se fermera dans 0:0[1-3]\.")
    )
    expect(box.get_by_role("button", name="Rester connecté")).to_be_focused()
    expect(box.get_by_role("button", name="Se déconnecter")).to_be_visible()
    # Once the session is over, the sign-in page says why, in French too. (Asked for directly:
    # whether the tab arrives with ?signed_out=idle depends on the expired push beating the
    # tab's own countdown, which is not what this test is about.)
    expect(page).to_have_url(re.compile(r"/login\?"), timeout=8000)
    page.goto(demo.url + "/login?signed_out=idle")
    expect(page.get_by_role("status")).to_have_text(
        "Votre session a été fermée après 5 secondes d\u2019inactivité."
    )
    page.context.close()
