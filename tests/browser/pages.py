"""What the browser tests do as a person would: sign in, wait, look, and measure."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from ..servers import Demo

#: Recorded in every page before its own scripts run: the client's events with their time on
#: the page's clock, and every Content-Security-Policy violation the browser reports.
RECORDER = """
window.__recorded = {events: [], violations: []};
for (const name of ["hello", "warning", "active", "expired", "connection"]) {
  document.addEventListener("sessions-live:" + name, (event) => {
    window.__recorded.events.push({type: name, t: performance.now(), detail: event.detail});
  });
}
document.addEventListener("securitypolicyviolation", (event) => {
  window.__recorded.violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def prepare(context: BrowserContext) -> BrowserContext:
    context.add_init_script(RECORDER)
    return context


def dialog(page: Page) -> Locator:
    return page.locator("dialog.sessions-live-dialog")


def sign_in(
    page: Page, demo: Demo, path: str = "/", login_path: str = "/login", button: str = "Sign in"
) -> None:
    """Open ``path``, be sent to the sign-in page at ``login_path``, and sign in there (with
    the button named ``button``: the admin's says "Log in")."""
    page.goto(demo.url + path)
    expect(page).to_have_url(re.compile(re.escape(login_path) + r"\?next="))
    page.get_by_label("Username").fill(demo.username)
    page.get_by_label("Password").fill(demo.password)
    page.get_by_role("button", name=button).click()
    expect(page).to_have_url(demo.url + path)


def sign_in_as(page: Page, demo: Demo, username: str, password: str, path: str) -> None:
    """Sign in as ``username`` on the demo's sign-in page, then land on ``path``."""
    page.goto(f"{demo.url}/login?next={path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(demo.url + path)


def told(page: Page, reason: str) -> None:
    """The page says ``reason`` once: through the tag, or in the page's own messages."""
    expect(page.get_by_text(reason, exact=True)).to_have_count(1)


def events(page: Page, kind: str | None = None) -> list[dict[str, Any]]:
    recorded: list[dict[str, Any]] = page.evaluate("window.__recorded.events")
    return [event for event in recorded if kind is None or event["type"] == kind]


def violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.__recorded.violations")
    return found


def warning_lateness(page: Page) -> float:
    """Seconds between the server's warning deadline and the `warning` in this page.

    The deadline is the one the server last gave the page (``hello`` or ``active``), placed
    on the page's clock when it arrived.
    """
    recorded = events(page)
    warning = next(event for event in recorded if event["type"] == "warning")
    synced = [
        event
        for event in recorded
        if event["type"] in ("hello", "active") and event["t"] <= warning["t"]
    ][-1]
    deadline = synced["t"] + synced["detail"]["warn_in"] * 1000
    return float(warning["t"] - deadline) / 1000


def wait_until(page: Page, expression: str, timeout: float = 10) -> None:
    """Poll a JavaScript expression from here until it is true.

    Playwright's ``wait_for_function`` polls with ``eval`` inside the page, which the demo's
    strict CSP forbids; ``evaluate`` runs through the debugging protocol and is not blocked.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {expression}")
        time.sleep(0.05)


def wait_for_client(page: Page) -> None:
    """Until the page's socket said hello (the client is running)."""
    wait_until(page, "window.__recorded.events.some((e) => e.type === 'hello')")


def signed_in_page(
    browser: Browser,
    demo: Demo,
    path: str = "/",
    login_path: str = "/login",
    button: str = "Sign in",
) -> Page:
    """A new browser context (its own cookies), signed in, on ``path``, its client running."""
    page = prepare(browser.new_context()).new_page()
    sign_in(page, demo, path, login_path, button)
    wait_for_client(page)
    return page
