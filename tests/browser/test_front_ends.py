"""sessions-live in a project whose pages use htmx (hx-boost) and Turbo Drive, in Chromium.

Both libraries replace the page without loading a new document (htmx swaps the body's content,
Turbo the body itself), so the client keeps running while the dialog it shows is replaced by a
new element; and both load pages with XHR/fetch, so a refused request must still bring the user
to the login page. The project is tests/front_ends/ (warn after 5 s, sign out after 11 s, one
session per user), with the pinned npm releases of htmx and Turbo (tests/front_ends/vendor.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect

from ..front_ends.server import serve_front_ends
from ..front_ends.vendor import HTMX
from ..servers import Demo
from .pages import dialog, events, prepare, sign_in, wait_for_client, wait_until

pytestmark = pytest.mark.slow

TAB_SOCKET = re.compile(r"/ws/sessions-live/$")
REPLACED = (
    "You were signed out because your account signed in elsewhere, beyond the number of "
    "sessions it may hold at once."
)
#: Set before a navigation: still there after it only if no new document was loaded.
MARK = """() => {
  window.__sameDocument = true;
  window.__oldBody = document.body;
  window.__oldDialog = document.querySelector("dialog.sessions-live-dialog");
}"""
SAME_DOCUMENT = "window.__sameDocument === true"
NEW_DIALOG = """(() => {
  const now = document.querySelector("dialog.sessions-live-dialog");
  return now !== null && now !== window.__oldDialog && !window.__oldDialog.isConnected;
})()"""
#: The deadline the page counts down to, in seconds on its own clock.
DEADLINE = "sessionsLive.state.expiresIn + performance.now() / 1000"


@pytest.fixture(scope="module")
def front_ends(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with serve_front_ends(tmp_path_factory.mktemp("front-ends"), redis_url) as server:
        yield server


@dataclass
class Tab:
    """A signed-in page, with every tab socket it opened and every uncaught error."""

    page: Page
    sockets: list[WebSocket] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open_sockets(self) -> list[WebSocket]:
        return [socket for socket in self.sockets if not socket.is_closed()]

    def assert_one_socket(self) -> None:
        assert len(self.sockets) == 1, [socket.url for socket in self.sockets]
        assert len(self.open_sockets()) == 1


def signed_in_tab(browser: Browser, server: Demo, path: str, *, deaf: bool = False) -> Tab:
    """Signed in on ``path``; ``deaf``: the tab's socket is answered by nobody, so only HTTP
    can tell the page its session is over."""
    context = prepare(browser.new_context())
    if deaf:
        context.route_web_socket(TAB_SOCKET, lambda socket: None)
    tab = Tab(context.new_page())
    tab.page.on(
        "websocket", lambda socket: TAB_SOCKET.search(socket.url) and tab.sockets.append(socket)
    )
    tab.page.on("pageerror", lambda error: tab.errors.append(str(error)))
    sign_in(tab.page, server, path)
    # htmx and Turbo take the page over once it has loaded: a click before that does nothing.
    tab.page.wait_for_load_state("load")
    if not deaf:
        wait_for_client(tab.page)
    return tab


def sign_in_elsewhere(browser: Browser, server: Demo) -> None:
    """The same user signs in from another browser: one session per user, so this ends the
    first one (``replaced``) without a word to its deaf tab."""
    other = prepare(browser.new_context()).new_page()
    sign_in(other, server, "/htmx/bare/")
    other.context.close()


def warnings(page: Page) -> int:
    return len(events(page, "warning"))


def assert_warning_shows_and_counts_down(page: Page) -> None:
    box = dialog(page)
    expect(box).to_be_visible(timeout=8000)
    assert page.evaluate("document.querySelector('dialog.sessions-live-dialog').matches(':modal')")
    expect(box.get_by_role("button", name="Stay signed in")).to_be_focused()
    countdown = box.locator("[data-sessions-live-countdown]")
    expect(countdown).to_have_text(re.compile(r"You will be signed out in 0:0\d\."))
    shown = countdown.inner_text()
    expect(countdown).not_to_have_text(shown, timeout=3000)


def stay_signed_in(page: Page) -> None:
    actives = len(events(page, "active"))
    dialog(page).get_by_role("button", name="Stay signed in").click()
    expect(dialog(page)).to_be_hidden(timeout=5000)
    assert len(events(page, "active")) > actives  # the server moved the deadline


def test_after_boosted_navigations_the_warning_shows_and_one_socket_stays(
    browser: Browser, front_ends: Demo
) -> None:
    tab = signed_in_tab(browser, front_ends, "/htmx/")
    page = tab.page
    assert page.evaluate("htmx.version") == HTMX.version
    page.evaluate(MARK)
    page.get_by_role("link", name="Bare").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bare")
    assert page.url == front_ends.url + "/htmx/bare/"
    assert page.evaluate(SAME_DOCUMENT), "hx-boost loaded a new document"
    # A page without the dialog: the warning comes, nothing shows, nothing breaks.
    before = warnings(page)
    wait_until(
        page, f"window.__recorded.events.filter(e => e.type === 'warning').length > {before}"
    )
    expect(page.locator("dialog")).to_have_count(0)

    page.get_by_role("link", name="Two").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two")
    assert page.evaluate(SAME_DOCUMENT)
    assert page.evaluate("document.querySelector('dialog.sessions-live-dialog') !== null")
    expect(dialog(page)).to_be_hidden()  # the navigation was activity
    before = warnings(page)
    assert_warning_shows_and_counts_down(page)
    assert warnings(page) == before + 1
    # Its live region is the new dialog's: the opening announcement is there.
    expect(dialog(page).locator("[data-sessions-live-announce]")).to_have_text(
        re.compile(r"You will be signed out in 0:0\d\.")
    )
    stay_signed_in(page)
    tab.assert_one_socket()
    assert tab.errors == []
    page.context.close()


def test_a_dialog_open_during_a_swap_shows_again_in_the_new_body(
    browser: Browser, front_ends: Demo
) -> None:
    """The board polls itself (a passive URL) and swaps its whole body every second."""
    tab = signed_in_tab(browser, front_ends, "/htmx/board/")
    page = tab.page
    expect(dialog(page)).to_be_visible(timeout=8000)
    page.keyboard.press("Tab")  # to "Sign out": keys in the dialog are not activity
    expect(dialog(page).get_by_role("button", name="Sign out")).to_be_focused()
    deadline = page.evaluate(DEADLINE)
    page.evaluate(MARK)
    wait_until(page, NEW_DIALOG, timeout=5)
    assert page.evaluate(SAME_DOCUMENT)
    box = dialog(page)
    expect(box).to_be_visible()
    assert page.evaluate("document.querySelector('dialog.sessions-live-dialog').matches(':modal')")
    # Focus is back on the button that had it, so Enter keeps its meaning.
    expect(box.get_by_role("button", name="Sign out")).to_be_focused()
    assert page.evaluate(DEADLINE) == pytest.approx(deadline, abs=0.05)  # the same deadline
    countdown = box.locator("[data-sessions-live-countdown]")
    shown = countdown.inner_text()
    expect(countdown).not_to_have_text(shown, timeout=3000)
    # Escape in the new dialog means "Stay signed in".
    actives = len(events(page, "active"))
    page.keyboard.press("Escape")
    expect(dialog(page)).to_be_hidden(timeout=5000)
    assert len(events(page, "active")) > actives
    tab.assert_one_socket()
    assert tab.errors == []
    page.context.close()


def test_an_htmx_request_after_the_session_ended_lands_on_the_login_page(
    browser: Browser, front_ends: Demo
) -> None:
    tab = signed_in_tab(browser, front_ends, "/htmx/", deaf=True)
    page = tab.page
    page.get_by_role("button", name="Refresh").click()
    expect(page.locator("#fresh")).to_have_text(re.compile(r"Fresh at"))
    sign_in_elsewhere(browser, front_ends)
    page.get_by_role("button", name="Refresh").click()
    expect(page).to_have_url(
        f"{front_ends.url}/login?signed_out=replaced&next={quote('/htmx/', safe='')}"
    )
    expect(page.get_by_role("status")).to_have_text(REPLACED)
    page.context.close()


def test_after_a_turbo_navigation_the_warning_shows_and_one_socket_stays(
    browser: Browser, front_ends: Demo
) -> None:
    tab = signed_in_tab(browser, front_ends, "/turbo/")
    page = tab.page
    assert page.evaluate("typeof Turbo.session") == "object"  # Turbo Drive is running
    page.evaluate(MARK)
    page.get_by_role("link", name="Two").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two")
    assert page.url == front_ends.url + "/turbo/two/"
    assert page.evaluate(SAME_DOCUMENT), "Turbo loaded a new document"
    assert page.evaluate("document.body !== window.__oldBody")  # Turbo replaced the body
    assert page.evaluate(NEW_DIALOG)
    assert_warning_shows_and_counts_down(page)
    stay_signed_in(page)
    tab.assert_one_socket()
    assert tab.errors == []
    page.context.close()


def test_a_turbo_visit_after_the_session_ended_lands_on_the_login_page(
    browser: Browser, front_ends: Demo
) -> None:
    tab = signed_in_tab(browser, front_ends, "/turbo/", deaf=True)
    page = tab.page
    sign_in_elsewhere(browser, front_ends)
    page.get_by_role("link", name="Two").click()
    expect(page).to_have_url(
        f"{front_ends.url}/login?signed_out=replaced&next={quote('/turbo/two/', safe='')}"
    )
    expect(page.get_by_role("status")).to_have_text(REPLACED)
    page.context.close()
