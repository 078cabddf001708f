"""The browser client's unit tests (tests/js/*.test.js), run in the suite's Chromium.

Each module of the client (sessions_live/static/sessions_live/client/ and utils.js) is tested
on its own, with its collaborators faked (tests/js/fakes.js: a WebSocket the test drives and
timers on a virtual clock), by plain JS modules and the tiny runner of tests/js/runner.js. No
server runs and nothing is installed: the page, the static files and the tests are served from
disk through ``page.route`` on a made-up origin, so the tests need only the Chromium the other
browser tests drive. Each JS test is one pytest test here, failing with the JS message.
"""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import Browser, Route

import sessions_live
from sessions_live.web.client_config import client_config

pytestmark = pytest.mark.slow  # a real browser process, as the other browser tests

ORIGIN = "http://sessions-live-units.test"
STATIC = Path(sessions_live.__file__).parent / "static"
JS = Path(__file__).parent.parent / "js"
FILES = sorted(JS.glob("*.test.js"))
#: Where each URL path is served from.
CLIENT_MODULES = ("activity", "banner", "countdown", "dialog", "reauth", "transport")
ROOTS = {"/static/": STATIC, "/js/": JS}
PAGE = b"<!doctype html><html lang=en><meta charset=utf-8><title>JS unit tests</title><body></body>"
#: The tests' names, as each file declares them: `test("name", ...)` at the start of a line.
#: A name computed at run time would not be collected: test_every_js_test_is_collected says so.
DECLARED = re.compile(r'^test\(\s*"((?:[^"\\]|\\.)*)"', re.MULTILINE)
#: A page that loads both entry modules as script.html and the dashboard template do.
CLIENT_PAGE = b"""<!doctype html><html lang=en><meta charset=utf-8><title>CSP</title>
<script id="sessions-live-config" type="application/json">{"url": "/ws/", "strings": {}}</script>
<dialog class="sessions-live-dialog"><button data-sessions-live-extend>Stay</button></dialog>
<script type="module" nonce="n0nce" src="/static/sessions_live/sessions_live.js"></script>
<script type="module" nonce="n0nce" src="/static/sessions_live/dashboard.js"></script>"""
#: The entry modules and every module they import.
MODULES = [
    "sessions_live",
    "dashboard",
    "broadcast_form",
    "utils",
    *(f"client/{m}" for m in CLIENT_MODULES),
]
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
#: Every policy docs/content-security-policy.md offers, and a nonce alone: the entry modules'
#: imports must load under each (a descendant module fetch carries its importer's nonce).
POLICIES = [
    "script-src 'nonce-n0nce' 'strict-dynamic'",
    "script-src 'self' 'nonce-n0nce'",
    "script-src 'self'",
    "script-src 'nonce-n0nce'",
]
RUN = """async (paths) => {
  const runner = await import("/js/runner.js");
  await runner.load(paths);
  return runner.run();
}"""


#: The strings the server gives a page whose warning lasts 150 s (WARN_AFTER 30, EXPIRE_AFTER
#: 180), for tests/js/announcements.test.js: the server's own cadence, run by the client.
SERVER_STRINGS = "/server/strings-150.json"


def server_strings() -> bytes:
    with override_settings(SESSIONS_LIVE={"WARN_AFTER": 30, "EXPIRE_AFTER": 180}):
        return json.dumps(client_config()["strings"]).encode()


def serve(route: Route, page: bytes = PAGE, policy: str | None = None) -> None:
    path = route.request.url.removeprefix(ORIGIN).split("?", 1)[0]
    if path == SERVER_STRINGS:
        route.fulfill(status=200, content_type="application/json", body=server_strings())
        return
    if path == "/":
        headers = {"Content-Security-Policy": policy} if policy else {}
        route.fulfill(status=200, content_type="text/html", body=page, headers=headers)
        return
    for prefix, root in ROOTS.items():
        if path.startswith(prefix):
            file = (root / path.removeprefix(prefix)).resolve()
            if file.is_file() and file.is_relative_to(root.resolve()):
                kind = "text/javascript" if file.suffix == ".js" else mimetypes.guess_type(file)[0]
                route.fulfill(
                    status=200,
                    content_type=kind or "application/octet-stream",
                    body=file.read_bytes(),
                )
                return
    route.fulfill(status=404, body=b"not found")


def declared() -> list[tuple[str, str]]:
    return [
        (file.name, json.loads(f'"{name}"'))
        for file in FILES
        for name in DECLARED.findall(file.read_text())
    ]


@dataclass
class Run:
    results: dict[tuple[str, str], dict[str, Any]]  # (file, name) -> {ok, message}
    errors: list[str]  # uncaught in the page: a timer of a test that had already returned


@pytest.fixture(scope="module")
def run(browser: Browser) -> Run:
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.route(f"{ORIGIN}/**", lambda route: serve(route))
        page.goto(f"{ORIGIN}/")
        reported = page.evaluate(RUN, [f"/js/{file.name}" for file in FILES])
    finally:
        context.close()
    return Run({(r["file"], r["name"]): r for r in reported}, errors)


@pytest.mark.parametrize(("file", "name"), declared(), ids=[f"{f}: {n}" for f, n in declared()])
def test_js(run: Run, file: str, name: str) -> None:
    result = run.results.get((file, name))
    assert result is not None, f"tests/js/{file} declares {name!r}, but the runner did not run it"
    if not result["ok"]:
        pytest.fail(f"tests/js/{file}: {name}\n{result['message']}", pytrace=False)


def test_every_js_test_is_collected_and_nothing_else_failed(run: Run) -> None:
    """Each test the runner ran is one of the tests above, once (none runs unreported), and
    no error escaped a test."""
    names = declared()
    assert len(names) == len(set(names)), "two JS tests of one file share a name"
    assert set(run.results) == set(names)
    assert len(FILES) >= 5
    assert not run.errors


@pytest.mark.parametrize("policy", POLICIES)
def test_the_modules_load_under_each_documented_policy(browser: Browser, policy: str) -> None:
    context = browser.new_context()
    try:
        context.add_init_script(VIOLATIONS)
        page = context.new_page()
        page.route(f"{ORIGIN}/**", lambda route: serve(route, CLIENT_PAGE, policy))
        loaded: list[str] = []
        page.on("response", lambda response: loaded.append(response.url.removeprefix(ORIGIN)))
        page.goto(f"{ORIGIN}/")
        page.wait_for_function("typeof window.sessionsLive === 'object'")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == []
    finally:
        context.close()
    modules = {path for path in loaded if path.endswith(".js")}
    assert modules == {f"/static/sessions_live/{name}.js" for name in MODULES}
