"""Staff's messages to open tabs in Chromium, against the demo under daphne with Redis.

A staff member writes in the dashboard's "Message to open tabs" form (to every open tab, or
aimed by a row's buttons at one session or one user); each tab it reaches shows the message in
its live region, as plain text, with a Dismiss button, in the tab's own language. Each test
has a staff member of its own (``manage.py demo_user --username``: a superuser), so the rate
limit (5 a minute by default) counts only that test's messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from ..servers import Demo, manage
from .pages import prepare, sign_in_as, violations, wait_for_client

pytestmark = pytest.mark.slow

BOARD = "/admin/sessions_live/livesession/"
MAINTENANCE = "Maintenance in 10 minutes: <b>save</b> your work."
SENT = re.compile(r"^Sent\. Sessions with a tab open that it reached: (\d+)\.$")
RATE_LIMITED = "Too many messages: wait a minute before sending another."

#: Every ``sessions-live:broadcast`` event the page raised: its text, and whether an app could
#: have cancelled it.
HEARD = """
window.__broadcasts = [];
document.addEventListener("sessions-live:broadcast", (event) => {
  window.__broadcasts.push({text: event.detail.text, cancelable: event.cancelable});
});
"""

NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser) -> Iterator[NewContext]:
    """Browser contexts (each its own cookies, so its own session) that record the client's
    events, CSP violations and broadcasts; all closed after the test, passed or not."""
    opened: list[BrowserContext] = []

    def new(**options: str) -> BrowserContext:
        context = prepare(browser.new_context(**options))  # type: ignore[arg-type]
        context.add_init_script(HEARD)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()


def staff_board(new_context: NewContext, demo: Demo, username: str) -> Page:
    """A new superuser ``username`` watching the dashboard, its own tab's client running."""
    printed = manage(demo.process.env, "demo_user", "--username", username)
    found = re.search(r"password: (\S+)", printed)
    assert found, printed
    page = new_context().new_page()
    sign_in_as(page, demo, username, found.group(1), BOARD)
    expect(page.locator("[data-board-status]")).to_have_text("Live")
    wait_for_client(page)
    return page


def user_tabs(
    new_context: NewContext, demo: Demo, username: str, tabs: int = 2, **options: str
) -> list[Page]:
    """A new plain user signed in, in one context, with ``tabs`` demo tabs open."""
    password = f"pw-{username}-x9!"
    demo.create_user(username, password)
    context = new_context(**options)
    pages = [context.new_page() for _ in range(tabs)]
    sign_in_as(pages[0], demo, username, password, "/")
    for page in pages[1:]:
        page.goto(demo.url + "/personnel")
    for page in pages:
        wait_for_client(page)
    return pages


def row_of(board: Page, username: str) -> Locator:
    return board.locator("tbody[data-rows] tr").filter(
        has=board.get_by_role("cell", name=username, exact=True)
    )


def send(board: Page, text: str) -> Locator:
    """Write ``text`` in the form and send it; the status line, once the server answered."""
    box = board.get_by_label("Message", exact=True)
    box.fill(text)
    board.get_by_role("button", name="Send", exact=True).click()
    expect(box).to_have_value("")  # emptied when the server says it was sent
    return board.locator("[data-broadcast-status]")


def banners(page: Page) -> Locator:
    """The messages the page shows (the dashboard's form shares their class name)."""
    return page.locator("[data-sessions-live-broadcasts] .sessions-live-broadcast")


def texts(page: Page) -> Locator:
    return banners(page).locator(".sessions-live-broadcast-text")


def tab_to(page: Page, target: Locator, presses: int = 100) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user would."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("(element) => element === document.activeElement"):
            return
    raise AssertionError(f"{presses} presses of Tab did not reach {target}")


def test_every_open_tab_shows_the_message_as_typed_and_it_can_be_dismissed_with_the_keyboard(
    new_context: NewContext, patient_demo: Demo
) -> None:
    board = staff_board(new_context, patient_demo, "staff-every")
    tabs = user_tabs(new_context, patient_demo, "reader")
    status = send(board, MAINTENANCE)
    expect(status).to_have_text(SENT)
    reached = SENT.match(status.text_content() or "")
    assert reached
    assert int(reached.group(1)) >= 2  # the reader's session and the staff's own, at least
    for page in tabs:
        region = page.locator("[data-sessions-live-broadcasts]")
        expect(region).to_have_attribute("aria-live", "polite")
        expect(banners(page)).to_have_count(1)
        expect(region).to_contain_text("Message from the site:")
        expect(texts(page)).to_have_text(MAINTENANCE)  # the markup shown as text
        expect(region.locator("b")).to_have_count(0)  # and never made
        expect(region.get_by_role("button", name="Dismiss")).to_be_visible()
        assert page.evaluate("window.__broadcasts") == [{"text": MAINTENANCE, "cancelable": True}]
    first, second = tabs
    dismiss = first.get_by_role("button", name="Dismiss")
    tab_to(first, dismiss)  # reachable with Tab
    expect(dismiss).to_be_focused()
    first.keyboard.press("Enter")
    expect(banners(first)).to_have_count(0)
    expect(texts(second)).to_have_text([MAINTENANCE])  # dismissed in that tab only
    second.get_by_role("button", name="Dismiss").focus()
    second.keyboard.press("Enter")
    expect(banners(second)).to_have_count(0)
    expect(texts(board)).to_have_text([MAINTENANCE])  # the staff's own tab was open too
    for page in (board, *tabs):
        assert violations(page) == []  # the demo's CSP allows only its nonces


def test_a_message_aimed_at_one_session_reaches_only_its_tabs(
    new_context: NewContext, patient_demo: Demo
) -> None:
    board = staff_board(new_context, patient_demo, "staff-session")
    target = user_tabs(new_context, patient_demo, "aimed-at")
    bystander = user_tabs(new_context, patient_demo, "bystander", tabs=1)
    row_of(board, "aimed-at").get_by_role("button", name="Message this session").click()
    expect(board.locator("[data-broadcast-target]")).to_have_text("this session of aimed-at")
    expect(board.get_by_label("Message", exact=True)).to_be_focused()
    expect(send(board, "Only for you.")).to_have_text(
        "Sent. Sessions with a tab open that it reached: 1."
    )
    for page in target:
        expect(texts(page)).to_have_text(["Only for you."])
    # Then one to everyone: a tab the first one wrongly reached would show it before this.
    board.get_by_role("button", name="Send to every open tab instead").click()
    expect(board.locator("[data-broadcast-target]")).to_have_text("every open tab")
    expect(send(board, "For everyone.")).to_have_text(SENT)
    for page in target:
        expect(texts(page)).to_have_text(["Only for you.", "For everyone."])
    for page in (*bystander, board):
        expect(texts(page)).to_have_text(["For everyone."])
    for page in (board, *target, *bystander):
        assert violations(page) == []


def test_a_message_aimed_at_a_user_reaches_each_of_their_sessions(
    new_context: NewContext, patient_demo: Demo
) -> None:
    board = staff_board(new_context, patient_demo, "staff-user")
    laptop = user_tabs(new_context, patient_demo, "two-devices", tabs=1)
    password = "pw-two-devices-x9!"
    phone = new_context().new_page()  # a second session of the same user
    sign_in_as(phone, patient_demo, "two-devices", password, "/")
    wait_for_client(phone)
    bystander = user_tabs(new_context, patient_demo, "onlooker", tabs=1)
    rows = row_of(board, "two-devices")
    expect(rows).to_have_count(2)
    rows.first.get_by_role("button", name="Message all of this user's tabs").click()
    expect(board.locator("[data-broadcast-target]")).to_have_text("every session of two-devices")
    expect(send(board, "Both of yours.")).to_have_text(
        "Sent. Sessions with a tab open that it reached: 2."
    )
    for page in (*laptop, phone):
        expect(texts(page)).to_have_text(["Both of yours."])
    board.get_by_role("button", name="Send to every open tab instead").click()
    expect(send(board, "Everyone's.")).to_have_text(SENT)
    for page in (*laptop, phone):
        expect(texts(page)).to_have_text(["Both of yours.", "Everyone's."])
    for page in (*bystander, board):
        expect(texts(page)).to_have_text(["Everyone's."])


def test_a_french_browser_shows_the_message_in_french(
    new_context: NewContext, patient_demo: Demo
) -> None:
    board = staff_board(new_context, patient_demo, "staff-french")
    # locale= sets the context's Accept-Language, which the demo's LocaleMiddleware follows.
    (page,) = user_tabs(new_context, patient_demo, "lectrice", tabs=1, locale="fr-FR")
    row_of(board, "lectrice").get_by_role("button", name="Message this session").click()
    expect(send(board, "Maintenance à 18 h.")).to_have_text(
        "Sent. Sessions with a tab open that it reached: 1."
    )
    region = page.locator("[data-sessions-live-broadcasts]")
    expect(texts(page)).to_have_text(["Maintenance à 18 h."])
    expect(region).to_contain_text("Message du site :")
    expect(region).not_to_contain_text("Message from the site")
    dismiss = region.get_by_role("button", name="Fermer", exact=True)
    expect(dismiss).to_be_visible()
    dismiss.focus()
    page.keyboard.press("Enter")
    expect(banners(page)).to_have_count(0)
    assert violations(page) == []


def test_the_sixth_message_in_a_minute_is_refused_on_the_dashboard(
    new_context: NewContext, patient_demo: Demo
) -> None:
    board = staff_board(new_context, patient_demo, "staff-eager")
    (page,) = user_tabs(new_context, patient_demo, "patient-reader", tabs=1)
    sent = [f"Update {number} of 5." for number in range(1, 6)]
    for text in sent:
        expect(send(board, text)).to_have_text(SENT)
    box = board.get_by_label("Message", exact=True)
    box.fill("One too many.")
    board.get_by_role("button", name="Send", exact=True).click()
    status = board.locator("[data-broadcast-status]")
    expect(status).to_have_text(RATE_LIMITED)
    expect(box).to_have_value("One too many.")  # kept, to send a minute later
    # The refusal came before anything was pushed: the tabs show the five, not the sixth.
    for shown in (page, board):
        expect(texts(shown)).to_have_text(sent)
