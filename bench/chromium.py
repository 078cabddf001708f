"""Headless Chromium for the benchmarks that load pages (idle tab cost, dashboard): where it
is, its flags, and signing in without touching the page."""

from __future__ import annotations

from playwright.sync_api import BrowserContext

#: Debian's Chromium, where the idle benchmark launches it (the dashboard's asks CHROMIUM_PATH
#: first).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def sign_in(context: BrowserContext, base: str, username: str, password: str) -> None:
    """Sign in over HTTP with the context's cookie jar: no click or key press reaches the
    page that then stays idle (a synthetic mouse move would count as activity)."""
    form = context.request.get(f"{base}/login?next=/")
    token = form.text().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    answer = context.request.post(
        f"{base}/login",
        form={
            "username": username,
            "password": password,
            "next": "/",
            "csrfmiddlewaretoken": token,
        },
        headers={"Referer": f"{base}/login"},
        max_redirects=0,
    )
    if answer.status != 302:
        raise RuntimeError(f"sign-in at {base} answered {answer.status}")
