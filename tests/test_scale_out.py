"""Scale-out: one session's tabs on two daphne processes sharing one Redis and one PostgreSQL.

Nothing here may rely on one process: activity, warnings, expiry, presence and the dashboard
must cross processes, and a process killed outright must leave nothing behind that looks live.
The last test shows that the embedded default (one process, SQLite, in-memory layer) still works.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from websockets.asyncio.client import ClientConnection

from .helpers import eventually
from .postgres import Server
from .servers import Demo, run_demo, run_demos
from .web import Browser, close_code, frame_of, next_frame

pytestmark = pytest.mark.slow

#: Presence of a killed process is pruned after TAB_STALE_AFTER (20 s) plus one sweep.
PRUNED_WITHIN = 30.0
_names = itertools.count(1)


def cluster(**env: str) -> Any:
    """A module-scoped fixture: two daphne processes on one PostgreSQL database and one Redis."""

    @pytest.fixture(scope="module")
    def serve(
        postgres: Server, redis_url: str, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[list[Demo]]:
        database = f"scale_out_{uuid.uuid4().hex[:12]}"
        url = postgres.create(database)
        try:
            with run_demos(
                tmp_path_factory.mktemp("cluster"),
                2,
                DATABASE_URL=url,
                REDIS_URL=redis_url,
                **env,
            ) as demos:
                yield demos
        finally:
            postgres.drop(database)

    return serve


quick = cluster(SESSIONS_LIVE_WARN_AFTER="2", SESSIONS_LIVE_EXPIRE_AFTER="4")
patient = cluster(SESSIONS_LIVE_WARN_AFTER="100", SESSIONS_LIVE_EXPIRE_AFTER="120")


def new_user(demo: Demo) -> Browser:
    """A browser signed in (through process 1) as a user of its own."""
    username, password = f"user{next(_names)}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    demo.create_user(username, password)
    browser = Browser(demo)
    browser.sign_in(username=username, password=password)
    return browser


def staff(demo: Demo) -> Browser:
    browser = Browser(demo)
    browser.sign_in()
    return browser


async def open_tabs(
    stack: AsyncExitStack, browser: Browser, servers: list[Demo]
) -> list[tuple[ClientConnection, dict[str, Any]]]:
    """One tab per entry of ``servers``, each with its ``hello``."""
    tabs = []
    for server in servers:
        ws = await stack.enter_async_context(browser.tab(on=server))
        tabs.append((ws, await frame_of(ws, "hello")))
    return tabs


def sessions_of(demo: Demo, username: str) -> list[tuple[str | None, bool]]:
    """(end reason, ended?) of every recorded session of ``username``, from the database."""
    with psycopg.connect(demo.process.env["DATABASE_URL"]) as connection:
        rows = connection.execute(
            "SELECT s.end_reason, s.ended IS NOT NULL FROM sessions_live_livesession s "
            "JOIN auth_user u ON u.id = s.user_id WHERE u.username = %s",
            (username,),
        ).fetchall()
    return [(reason, ended) for reason, ended in rows]


def tabs_recorded(demo: Demo, username: str) -> int:
    with psycopg.connect(demo.process.env["DATABASE_URL"]) as connection:
        row = connection.execute(
            "SELECT count(*) FROM sessions_live_livetab t "
            "JOIN sessions_live_livesession s ON s.id = t.session_id "
            "JOIN auth_user u ON u.id = s.user_id WHERE u.username = %s",
            (username,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def log_lines(demos: list[Demo], text: str) -> int:
    return sum(Path(demo.log).read_text().count(text) for demo in demos)


async def assert_signed_out_once(demos: list[Demo], username: str, reason: str) -> None:
    # Both processes' timers fired at the deadline and both sweeps ran since: give any second
    # ending the time to show before counting.
    await asyncio.sleep(2.5)
    assert sessions_of(demos[0], username) == [(reason, True)]
    assert log_lines(demos, f"audit: signed out user={username}\n") == 1
    assert log_lines(demos, f"ended ({reason})") >= 1  # this session's line, among others


def signed_out(browser: Browser) -> bool:
    status, headers, _ = browser.get("/")
    return status == 302 and headers["Location"].startswith("/login")


class Dashboard:
    """A dashboard socket and the rows it has been told about."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.rows: dict[str, dict[str, Any]] = {}

    async def until(
        self, holds: Callable[[Dashboard], bool], timeout: float
    ) -> dict[str, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while not holds(self):
            frame = await next_frame(self.ws, max(0.01, deadline - time.monotonic()))
            if frame["type"] == "snapshot":
                self.rows = {row["id"]: row for row in frame["sessions"]}
            elif frame["type"] == "changes":
                self.rows.update((row["id"], row) for row in frame["sessions"])
                for row_id in frame["removed"]:
                    self.rows.pop(row_id, None)
        return self.rows

    def live_row(self, username: str) -> dict[str, Any] | None:
        rows = [
            row
            for row in self.rows.values()
            if row["user"]["username"] == username and row["ended"] is None
        ]
        return rows[0] if rows else None

    def tabs_of(self, username: str) -> int | None:
        row = self.live_row(username)
        return None if row is None else int(row["tabs"])


async def watched(stack: AsyncExitStack, demo: Demo) -> tuple[Dashboard, Browser, str]:
    """A staff dashboard on ``demo``, and a new user signed in whose session it will show."""
    board = Dashboard(await stack.enter_async_context(staff(demo).dashboard()))
    browser = new_user(demo)
    return board, browser, browser.username


async def watched_tabs(
    stack: AsyncExitStack, demo: Demo, servers: list[Demo], timeout: float
) -> tuple[Dashboard, Browser, str, list[ClientConnection]]:
    """:func:`watched`, with one tab of the new user on each of ``servers``, until the
    dashboard counts them all."""
    board, browser, name = await watched(stack, demo)
    tabs = [ws for ws, _ in await open_tabs(stack, browser, servers)]
    await board.until(lambda b: b.tabs_of(name) == len(servers), timeout=timeout)
    return board, browser, name, tabs


async def test_activity_warning_and_expiry_cross_processes(
    quick: list[Demo], stack: AsyncExitStack
) -> None:
    one, two = quick
    browser = new_user(one)
    (a, _), (b, _) = await open_tabs(stack, browser, [one, two])

    await frame_of(a, "warning")
    await frame_of(b, "warning")
    await a.send('{"type": "extend"}')
    extended = await frame_of(b, "active", timeout=1)  # tab B is on the other process
    assert extended["expires_in"] > 3

    assert (await frame_of(a, "warning"))["reason"] == "idle"
    await frame_of(b, "warning")
    for tab in (a, b):
        expired = await frame_of(tab, "expired")
        assert expired["reason"] == "idle"
        assert await close_code(tab) == 4401
    await assert_signed_out_once(quick, browser.username, "idle")


async def test_ten_tabs_on_two_processes_end_exactly_once(
    quick: list[Demo], stack: AsyncExitStack
) -> None:
    one, two = quick
    browser = new_user(one)
    tabs = [ws for ws, _ in await open_tabs(stack, browser, [one, two] * 5)]

    for ws in tabs:
        await frame_of(ws, "warning")
    await tabs[-1].send('{"type": "extend"}')  # from a tab on process 2
    for ws in tabs:
        await frame_of(ws, "active", timeout=1)
    for ws in tabs:
        assert (await frame_of(ws, "expired", timeout=8))["reason"] == "idle"
    await assert_signed_out_once(quick, browser.username, "idle")
    assert signed_out(browser)  # the HTTP side agrees, on either process
    browser.demo = two
    assert signed_out(browser)


async def test_dashboard_on_one_process_follows_tabs_on_the_other(
    patient: list[Demo], stack: AsyncExitStack
) -> None:
    one, two = patient
    board, browser, name = await watched(stack, one)

    await open_tabs(stack, browser, [two])
    await board.until(lambda b: b.tabs_of(name) == 1, timeout=2)
    second = await stack.enter_async_context(browser.tab(on=two))
    await frame_of(second, "hello")
    await board.until(lambda b: b.tabs_of(name) == 2, timeout=2)
    await second.close()
    await board.until(lambda b: b.tabs_of(name) == 1, timeout=2)


async def test_ending_on_process_one_signs_out_tabs_on_process_two(
    patient: list[Demo], stack: AsyncExitStack
) -> None:
    one, two = patient
    board, browser, name, tabs = await watched_tabs(stack, one, [two, two, one], timeout=3)
    rows = board.rows
    row = next(row for row in rows.values() if row["user"]["username"] == name)

    started = time.monotonic()
    await board.ws.send(f'{{"type": "end", "id": "{row["id"]}"}}')
    for ws in tabs:
        frame = await frame_of(ws, "expired", timeout=max(0.01, 1 - (time.monotonic() - started)))
        assert frame["reason"] == "terminated"
    await board.until(lambda b: b.live_row(name) is None, timeout=2)
    assert sessions_of(one, name) == [("terminated", True)]
    assert signed_out(browser)


async def test_a_killed_process_is_forgotten_and_its_tabs_move(
    patient: list[Demo], stack: AsyncExitStack
) -> None:
    one, two = patient
    board, browser, name = await watched(stack, one)
    opened = await open_tabs(stack, browser, [one, two, two])
    deadline = time.time() + opened[1][1]["expires_in"]
    await board.until(lambda b: b.tabs_of(name) == 3, timeout=3)

    two.process.kill()
    try:
        killed = time.monotonic()
        await board.until(lambda b: b.tabs_of(name) == 1, timeout=PRUNED_WITHIN)
        pruned_after = time.monotonic() - killed
        assert pruned_after < PRUNED_WITHIN
        assert tabs_recorded(one, name) == 1  # nothing of process 2 is left live
        assert sessions_of(one, name) == [("", False)]  # the session itself goes on

        # The two tabs of process 2 reconnect (as a proxy would send them) to process 1.
        moved = await open_tabs(stack, browser, [one, one])
        for _, hello in moved:
            assert abs(time.time() + hello["expires_in"] - deadline) < 1.0
        await board.until(lambda b: b.tabs_of(name) == 3, timeout=3)
        assert tabs_recorded(one, name) == 3
    finally:
        two.process.start()


async def test_single_process_embedded_default_still_works(
    tmp_path: Path, stack: AsyncExitStack
) -> None:
    """SQLite and the in-memory channel layer: no Redis, no PostgreSQL, one process."""
    with run_demo(tmp_path, SESSIONS_LIVE_WARN_AFTER="1", SESSIONS_LIVE_EXPIRE_AFTER="2.5") as demo:
        assert "REDIS_URL" not in demo.process.env
        browser = Browser(demo)
        browser.sign_in()
        (a, _), (b, _) = await open_tabs(stack, browser, [demo, demo])
        await frame_of(b, "warning")
        await a.send('{"type": "extend"}')
        await frame_of(b, "active", timeout=1)
        for tab in (a, b):
            assert (await frame_of(tab, "expired"))["reason"] == "idle"
        assert signed_out(browser)
        # The signals (and the audit line) follow the pushes: on a busy machine, a moment later.
        line = f"audit: signed out user={demo.username}\n"
        await eventually(lambda: log_lines([demo], line) >= 1, what="the audit line")
        assert log_lines([demo], line) == 1


#: Sessions in the cache alone (Redis, shared by both processes): no row, no signal.
cached = cluster(
    DJANGO_SESSION_ENGINE="django.contrib.sessions.backends.cache",
    SESSIONS_LIVE_WARN_AFTER="100",
    SESSIONS_LIVE_EXPIRE_AFTER="120",
)


def evict(demo: Demo, session_key: str) -> None:
    """Take a session out of the cache as an eviction does (RedisCache's name for it)."""
    client = redis.Redis.from_url(demo.process.env["REDIS_URL"])
    assert client.delete(f":1:django.contrib.sessions.cache{session_key}") == 1


async def test_a_session_evicted_from_the_cache_signs_out_its_tabs_on_both_processes(
    cached: list[Demo], stack: AsyncExitStack
) -> None:
    one, two = cached
    board, browser, name, tabs = await watched_tabs(stack, one, [one, two, two], timeout=10)
    evict(one, browser.session_key)
    for ws in tabs:
        assert (await frame_of(ws, "expired", timeout=10))["reason"] == "revoked"
    rows = await board.until(lambda b: b.live_row(name) is None, timeout=10)
    ended = [row for row in rows.values() if row["user"]["username"] == name]
    assert [row["end_reason"] for row in ended] == ["revoked"]
    assert sessions_of(one, name) == [("revoked", True)]
    status, headers, _ = browser.get("/")
    assert (status, headers["Location"]) == (302, "/login?signed_out=revoked&next=%2F")


async def test_a_password_change_keeps_its_cache_session_while_the_others_end(
    cached: list[Demo], stack: AsyncExitStack
) -> None:
    """The change cycles the key (the old entry leaves the cache) before the record follows,
    while both processes' eviction watches keep looking: only the other session ends. (The
    window is short here; tests/test_vanished.py looks inside it, deterministically.)"""
    one, two = cached
    username, password = f"user{next(_names)}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    one.create_user(username, password)
    laptop, phone = Browser(one), Browser(two)
    for browser in (laptop, phone):
        browser.sign_in(username=username, password=password)
    kept = [ws for ws, _ in await open_tabs(stack, laptop, [one, two])]
    told = [ws for ws, _ in await open_tabs(stack, phone, [one, two])]
    new = uuid.uuid4().hex
    status, _ = laptop.post(
        "/password",
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    assert status == 302
    for ws in told:
        assert (await frame_of(ws, "expired", timeout=10))["reason"] == "password_changed"
    await kept[0].send('{"type": "extend"}')
    for ws in kept:  # still live on both processes: `active`, never `expired` before it
        while (frame := await next_frame(ws, 10))["type"] != "active":
            assert frame["type"] != "expired", frame
    assert sorted(sessions_of(one, username)) == [("", False), ("password_changed", True)]
    status, _, _ = laptop.get("/")
    assert status == 200
