"""The admin's live-sessions dashboard in Chromium: rows appear, follow tabs, and end."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, WebSocketRoute, expect

from bench.seeding import seed

from ..servers import Demo, demo_fixture
from .pages import prepare, sign_in_as, wait_for_client

pytestmark = pytest.mark.slow

BOARD = "/admin/sessions_live/livesession/"
XSS_AGENT = "<img src=x onerror=alert(1)>"


@pytest.fixture
def board(browser: Browser, patient_demo: Demo) -> Iterator[Page]:
    """The demo's staff user (a superuser) watching the dashboard."""
    context = browser.new_context()
    page = context.new_page()
    sign_in_as(page, patient_demo, patient_demo.username, patient_demo.password, BOARD)
    expect(page.locator("[data-board-status]")).to_have_text("Live")
    yield page
    context.close()


def row_of(board: Page, username: str) -> Locator:
    return board.locator("tbody[data-rows] tr").filter(
        has=board.get_by_role("cell", name=username, exact=True)
    )


def user_context(browser: Browser, demo: Demo, username: str, **options: str) -> BrowserContext:
    demo.create_user(username, "pw-" + username + "-x9!")
    return prepare(browser.new_context(**options))  # type: ignore[arg-type]


def test_rows_appear_and_follow_tabs(
    browser: Browser, patient_demo: Demo, board: Page, screenshots: Path
) -> None:
    context = user_context(browser, patient_demo, "alice")
    first = context.new_page()
    sign_in_as(first, patient_demo, "alice", "pw-alice-x9!", "/")
    wait_for_client(first)
    alice = row_of(board, "alice")
    expect(alice).to_have_count(1, timeout=1000)
    expect(alice.locator("td").nth(7)).to_have_text("1", timeout=1000)
    second = context.new_page()
    second.goto(patient_demo.url + "/personnel")
    wait_for_client(second)
    expect(alice.locator("td").nth(7)).to_have_text("2", timeout=1000)
    expect(board.locator('[data-total="tabs"]')).to_have_text(re.compile(r"[2-9]"))
    second.close()
    expect(alice.locator("td").nth(7)).to_have_text("1", timeout=1000)
    context.close()


def test_ending_a_session_sends_its_tabs_to_login(
    browser: Browser, patient_demo: Demo, board: Page, screenshots: Path
) -> None:
    context = user_context(browser, patient_demo, "bob")
    tabs = [context.new_page(), context.new_page()]
    sign_in_as(tabs[0], patient_demo, "bob", "pw-bob-x9!", "/")
    tabs[1].goto(patient_demo.url + "/personnel")
    for tab in tabs:
        wait_for_client(tab)
    bob = row_of(board, "bob")
    expect(bob).to_have_count(1, timeout=1000)
    board.once("dialog", lambda dialog: dialog.accept())  # the confirmation
    bob.get_by_role("button", name="End session").click()
    ended = time.monotonic()
    for tab in tabs:
        expect(tab).to_have_url(re.compile(r"/login\?signed_out=terminated"), timeout=1000)
    assert time.monotonic() - ended < 1.5
    expect(tabs[0].get_by_role("status")).to_have_text(
        "Your session was ended from another session or by an administrator."
    )
    expect(bob.locator(".sessions-live-state")).to_have_text(
        f"ended (ended by staff) by {patient_demo.username}", timeout=1000
    )
    board.screenshot(path=screenshots / "dashboard.png", full_page=True)  # several states
    context.close()


def test_markup_from_users_shows_as_text(browser: Browser, patient_demo: Demo, board: Page) -> None:
    alerts: list[str] = []
    board.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    name = "<b>eve</b><script>alert(2)</script>"
    context = user_context(browser, patient_demo, name, user_agent=XSS_AGENT)
    page = context.new_page()
    sign_in_as(page, patient_demo, name, f"pw-{name}-x9!", "/")
    wait_for_client(page)
    eve = row_of(board, name)
    expect(eve).to_have_count(1, timeout=1000)
    expect(eve.get_by_role("cell", name=XSS_AGENT)).to_have_count(1)
    expect(board.locator("tbody b, tbody img, tbody script")).to_have_count(0)
    time.sleep(0.5)
    assert alerts == []
    context.close()


def test_dashboard_says_when_it_lost_the_server_and_comes_back(
    patient_demo: Demo, board: Page
) -> None:
    status = board.locator("[data-board-status]")
    patient_demo.process.stop()
    expect(status).to_have_text("Connection lost. Reconnecting…")
    patient_demo.process.start()
    expect(status).to_have_text("Live", timeout=35000)
    expect(row_of(board, patient_demo.username).first).to_be_visible()


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (4401, "You are signed out. Sign in again to watch live sessions."),
        (4403, "You are not allowed to watch live sessions."),
    ],
)
def test_dashboard_says_why_it_stopped_and_does_not_reconnect_after_4401_or_4403(
    browser: Browser, patient_demo: Demo, code: int, said: str
) -> None:
    """The dashboard's socket runs through the real server until it is closed with ``code``
    (the server's side of both codes: tests/test_dashboard.py). The page's clock is Playwright's,
    so the backoff timers a reconnection would wait for (0.25 s to 30 s) run at once."""
    context = browser.new_context()
    page = context.new_page()
    page.clock.install()
    sockets: list[WebSocketRoute] = []

    def through(socket: WebSocketRoute) -> None:
        socket.connect_to_server()
        sockets.append(socket)

    page.route_web_socket(re.compile(r"/ws/sessions-live/dashboard/$"), through)
    sign_in_as(page, patient_demo, patient_demo.username, patient_demo.password, BOARD)
    status = page.locator("[data-board-status]")
    expect(status).to_have_text("Live")
    assert len(sockets) == 1
    sockets[0].close(code=code, reason="")
    expect(status).to_have_text(said)
    expect(page.locator(".sessions-live-board")).to_have_class(re.compile("sessions-live-offline"))
    page.clock.run_for(30_000)  # the longest backoff delay
    expect(status).to_have_text(said)
    assert len(sockets) == 1  # no second connection was attempted
    context.close()


# The table is kept, not rebuilt ------------------------------------------------------------

#: Run in the page before its own scripts: every change under the table's body, batched as the
#: browser delivers them, with the animation frame each batch happened in (the frame's time).
WATCH_TABLE = """
window.__table = { batches: [], added: [], removed: [] };
new MutationObserver((records) => {
  const mine = records.filter((record) => {
    const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
    return node && node.closest("tbody[data-rows]");
  });
  if (!mine.length) return;
  window.__table.batches.push(document.timeline.currentTime);
  for (const record of mine) {
    if (!record.target.matches || !record.target.matches("tbody[data-rows]")) continue;
    for (const node of record.addedNodes) window.__table.added.push(node.dataset.id);
    for (const node of record.removedNodes) window.__table.removed.push(node.dataset.id);
  }
}).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
"""

#: Marks a row's element (and its idle cell) from outside, to tell later if it is the same node.
MARK = """([id, mark]) => {
  const tr = document.querySelector(`tbody[data-rows] tr[data-id="${id}"]`);
  tr.__mark = mark;
  tr.querySelector(".sessions-live-idle").__mark = mark;
}"""
MARKED = """(id) => {
  const tr = document.querySelector(`tbody[data-rows] tr[data-id="${id}"]`);
  return [tr.__mark || null, tr.querySelector(".sessions-live-idle").__mark || null];
}"""
#: Forgets the changes seen so far (the batches' frame times are kept).
RESET = "() => { window.__table.added = []; window.__table.removed = []; }"


def watched_board(browser: Browser, demo: Demo) -> Page:
    context = browser.new_context()
    context.add_init_script(WATCH_TABLE)
    page = context.new_page()
    sign_in_as(page, demo, demo.username, demo.password, BOARD)
    expect(page.locator("[data-board-status]")).to_have_text("Live")
    return page


def row_id(board: Page, username: str) -> str:
    row = row_of(board, username)
    expect(row).to_have_count(1, timeout=1000)
    found = row.get_attribute("data-id")
    assert found
    return found


def changes(board: Page) -> tuple[list[str], list[str]]:
    seen: dict[str, list[str]] = board.evaluate("window.__table")
    return seen["added"], seen["removed"]


def assert_one_paint_per_frame(board: Page) -> None:
    """Every batch of changes to the table fell in an animation frame of its own."""
    frames: list[float] = board.evaluate("window.__table.batches")
    assert frames, "the table never changed"
    assert len(set(frames)) == len(frames), f"{len(frames) - len(set(frames))} frames painted twice"


def test_rows_are_patched_in_place_not_rebuilt(
    browser: Browser, patient_demo: Demo, board: Page
) -> None:
    board.close()  # the fixture's page is not watched
    watched = watched_board(browser, patient_demo)
    other = user_context(browser, patient_demo, "dora")  # a session that only sits there
    sign_in_as(other.new_page(), patient_demo, "dora", "pw-dora-x9!", "/")
    dora = row_id(watched, "dora")
    watched.evaluate(MARK, [dora, "dora"])
    watched.evaluate(RESET)  # the rows of the first paint
    context = user_context(browser, patient_demo, "carol")
    page = context.new_page()
    sign_in_as(page, patient_demo, "carol", "pw-carol-x9!", "/")
    wait_for_client(page)
    carol = row_id(watched, "carol")  # a new session: its row added, no other touched
    assert changes(watched) == ([carol], [])
    assert watched.evaluate(MARKED, dora) == ["dora", "dora"]
    watched.evaluate(MARK, [carol, "carol"])
    watched.evaluate(RESET)

    second = context.new_page()  # a changed session: its row patched where it is
    second.goto(patient_demo.url + "/personnel")
    wait_for_client(second)
    expect(row_of(watched, "carol").locator("td").nth(7)).to_have_text("2", timeout=1000)
    assert watched.evaluate(MARKED, carol) == ["carol", "carol"]

    idle = row_of(watched, "dora").locator(".sessions-live-idle")
    before = idle.text_content()  # the tick rewrites the time cell's text, in the same cell
    expect(idle).not_to_have_text(before or "", timeout=3000)
    assert watched.evaluate(MARKED, dora) == ["dora", "dora"]

    search = watched.locator('[data-filter="user"]')  # filters hide rows, they stay
    search.fill("carol")
    expect(row_of(watched, "dora")).to_be_hidden()
    expect(watched.locator("tbody[data-rows] tr:not([hidden])")).to_have_count(1)
    expect(watched.locator("[data-empty]")).to_be_hidden()
    search.fill("nobody-is-called-this")
    expect(watched.locator("[data-empty]")).to_be_visible()
    search.fill("")
    expect(row_of(watched, "dora")).to_be_visible()
    watched.locator('[data-filter="state"]').select_option("ended")
    expect(row_of(watched, "carol")).to_be_hidden()
    watched.locator('[data-filter="state"]').select_option("")
    expect(row_of(watched, "carol")).to_be_visible()
    assert changes(watched) == ([], [])  # nothing was made again or taken out

    sort = watched.locator('[data-sort="idle"]')  # sorting moves rows, it does not make them
    sort.click()
    expect(watched.locator("th[aria-sort=descending]")).to_have_count(1)
    sort.click()
    expect(watched.locator("th[aria-sort=none]")).to_have_count(1)
    watched.wait_for_timeout(100)
    added, removed = changes(watched)
    assert sorted(added) == sorted(removed)  # moves only
    assert watched.evaluate(MARKED, dora) == ["dora", "dora"]
    assert watched.evaluate(MARKED, carol) == ["carol", "carol"]

    watched.once("dialog", lambda dialog: dialog.accept())  # an ended session: patched too
    row_of(watched, "carol").get_by_role("button", name="End session").click()
    expect(row_of(watched, "carol").locator(".sessions-live-state")).to_have_text(
        f"ended (ended by staff) by {patient_demo.username}", timeout=1000
    )
    expect(row_of(watched, "carol").get_by_role("button")).to_have_count(0)
    assert watched.evaluate(MARKED, carol) == ["carol", "carol"]
    assert_one_paint_per_frame(watched)
    for opened in (context, other, watched.context):
        opened.close()


#: A demo of its own for the crowd below, so the other tests keep a small table.
crowded_demo = demo_fixture(SESSIONS_LIVE_WARN_AFTER="40", SESSIONS_LIVE_EXPIRE_AFTER="60")
CROWD = 1100  # a snapshot frame, then changes frames (60 KiB of sessions each)


def test_a_snapshot_in_several_frames_fills_the_table(browser: Browser, crowded_demo: Demo) -> None:
    seed(crowded_demo.process.env, CROWD, "crowd-")  # as bench/dashboard_load.py does
    board = watched_board(browser, crowded_demo)
    rows = board.locator("tbody[data-rows] tr")
    expect(rows).to_have_count(CROWD + 1, timeout=10000)  # and the staff's own session
    expect(board.locator('[data-total="sessions"]')).to_have_text(str(CROWD + 1))
    ids = board.evaluate(
        "[...document.querySelectorAll('tbody[data-rows] tr')].map((tr) => tr.dataset.id)"
    )
    assert len(set(ids)) == CROWD + 1
    added, removed = changes(board)
    assert (sorted(added), removed) == (sorted(ids), [])  # each row made once, none undone
    board.locator('[data-filter="state"]').select_option("active")  # only the staff's tab
    expect(board.locator("tbody[data-rows] tr:not([hidden])")).to_have_count(1)
    expect(rows).to_have_count(CROWD + 1)
    board.locator('[data-filter="state"]').select_option("")
    expect(board.locator("tbody[data-rows] tr:not([hidden])")).to_have_count(CROWD + 1)
    assert_one_paint_per_frame(board)
    board.context.close()


def test_sorting_moves_the_fewest_rows(browser: Browser, patient_demo: Demo) -> None:
    """``settled``: given where each row of the sorted list stands now (-1: not in the table
    yet), the rows that may stay, all on one longest run already in order."""
    page = browser.new_page()
    page.goto(patient_demo.url + "/login")
    cases = [[0, 1, 2, 3], [3, 0, 1, 2], [1, 2, 3, 0], [-1, 0, -1, 1], [], [2, 1, 0], [-1, -1]]
    found = page.evaluate(
        """async (cases) => {
            const { settled } = await import("/static/sessions_live/dashboard.js");
            return cases.map((positions) => settled(positions));
        }""",
        cases,
    )
    assert found[:5] == [
        [True, True, True, True],
        [False, True, True, True],  # the row that went to the top moves, alone
        [True, True, True, False],
        [False, True, False, True],  # new rows are placed, the others stay
        [],
    ]
    assert sum(found[5]) == 1  # reversed: all but one move
    assert found[6] == [False, False]
    page.close()
