"""What the demo's Content-Security-Policy let through, as Chromium saw it, across navigations.

On Django 6.1+ the demo sends Django's nonce-only policy (project/settings.py); these helpers
check that the policy really was that, that each script and stylesheet of ours carried the
header's nonce, and that the browser reported no violation on any page of a browser context.
"""

from __future__ import annotations

import re

import django
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Response

from project.csp import POLICY as DJANGO_5_POLICY

#: Calls back into the test for each violation, whatever document it happens in (a binding
#: goes through the debugging protocol, which the page's CSP does not govern).
REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = location.pathname + ": ";
  window.__cspViolation(where + event.violatedDirective + " " + event.blockedURI);
});
"""
#: Each script and stylesheet of ours on the page, with its nonce as the browser holds it (the
#: attribute itself reads as empty once a CSP applies: nonce hiding).
OURS = """
[...document.querySelectorAll("script[src], link[rel=stylesheet]")]
  .map((e) => [new URL(e.src || e.href).pathname, e.nonce])
  .filter(([path]) => path.startsWith("/static/sessions_live/"))
"""


class Watch:
    """Every CSP violation and console error in one browser context, and each page's policy."""

    def __init__(self, context: BrowserContext) -> None:
        self.violations: list[str] = []
        self.errors: list[str] = []
        self.policies: dict[Page, str] = {}
        context.expose_function("__cspViolation", self._violation)
        context.add_init_script(REPORTER)
        context.on("page", self.follow)
        for page in context.pages:
            self.follow(page)

    def follow(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("response", lambda response: self._response(page, response))

    def _violation(self, text: str) -> None:
        self.violations.append(text)

    def _console(self, message: ConsoleMessage) -> None:
        # The admin's pages name no icon, so Chromium asks for /favicon.ico, which the demo
        # does not serve: that 404 is no error of a page.
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            self.errors.append(message.text)

    def _response(self, page: Page, response: Response) -> None:
        if response.request.is_navigation_request() and response.frame == page.main_frame:
            self.policies[page] = response.headers.get("content-security-policy", "")

    def check(self, page: Page, *ours: str) -> None:
        """The page's policy was the demo's strict one, and ``ours`` (paths under
        /static/sessions_live/) are exactly our tags on it, each with the header's nonce."""
        policy = self.policies[page]
        directives = dict(part.split(" ", 1) for part in policy.split("; "))
        tags = dict(page.evaluate(OURS))
        paths = [f"/static/sessions_live/{name}" for name in ours]
        if django.VERSION < (6, 0):
            assert policy == DJANGO_5_POLICY
            assert tags == dict.fromkeys(paths, ""), tags
            return
        assert "'unsafe-inline'" not in policy, policy
        assert "'unsafe-eval'" not in policy, policy
        found = re.search(r"'nonce-([^']+)'", policy)
        nonce = found.group(1) if found else None
        # A page with no tag of ours may send no nonce (nothing read it), never the reverse.
        assert nonce or not ours, policy
        sources = [f"'nonce-{nonce}'"] if nonce else []
        script_src = (
            [*sources, "'strict-dynamic'"]
            if django.VERSION >= (6, 1)
            else ["'self'", *sources]  # Django 6.0's admin scripts carry no nonce
        )
        assert directives == {
            "default-src": "'self'",
            "script-src": " ".join(script_src),
            "style-src": " ".join(["'self'", *sources]),
            "img-src": "'self'",
            "connect-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'none'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        }, policy
        assert tags == dict.fromkeys(paths, nonce), (nonce, tags)

    def clean(self) -> None:
        assert self.violations == [], self.violations
        assert self.errors == [], self.errors
