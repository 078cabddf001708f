"""A process killed (SIGKILL) between an ending's claim and its signals, mid-burst, with two
real daphne processes on PostgreSQL and Redis: the ending's outbox lets the survivor finish
what the dead process left, so every ended session gets its ``user_logged_out`` and its
``session_ended`` (at least once), and every tab is told."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from pathlib import Path

import psycopg
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .postgres import Server
from .servers import Demo, run_on_postgres
from .web import Browser, frame_of, next_frame

pytestmark = pytest.mark.slow

SESSIONS = 200
WARN_AFTER, EXPIRE_AFTER = 10.0, 12.0
KILL_AT = 25  # process one kills itself at its 25th sign-out, inside the burst
#: Seconds after its deadline by which every tab must be told (on the survivor, or once it
#: reconnected to it).
TOLD_WITHIN = 5.0
#: The claimer's time to announce (store.ANNOUNCE_WITHIN) plus a prune interval, and slack.
ANNOUNCED_WITHIN = 20.0 + 5.0 + 15.0


@pytest.fixture
def two(postgres: Server, redis_url: str, tmp_path: Path) -> Iterator[list[Demo]]:
    with run_on_postgres(
        postgres,
        tmp_path / "demo",
        2,
        REDIS_URL=redis_url,
        SESSIONS_LIVE_WARN_AFTER=str(WARN_AFTER),
        SESSIONS_LIVE_EXPIRE_AFTER=str(EXPIRE_AFTER),
        SESSIONS_LIVE_MAX_TABS_PER_USER="none",
    ) as demos:
        doomed = demos[0].process  # the fault hook on process one only
        doomed.stop()
        doomed.env = {**doomed.env, "DEMO_KILL_AT_SIGN_OUT": str(KILL_AT)}
        doomed.start()
        yield demos


def ended_sessions(demo: Demo) -> list[tuple[str, str | None]]:
    with psycopg.connect(demo.process.env["DATABASE_URL"]) as connection:
        rows = connection.execute(
            "SELECT id::text, end_reason FROM sessions_live_livesession WHERE ended IS NOT NULL"
        ).fetchall()
    return [(row[0].replace("-", ""), row[1]) for row in rows]


def unannounced(demo: Demo) -> int:
    with psycopg.connect(demo.process.env["DATABASE_URL"]) as connection:
        row = connection.execute(
            "SELECT count(*) FROM sessions_live_livesession WHERE announce_by IS NOT NULL"
        ).fetchone()
    assert row is not None
    return int(row[0])


async def told_at(tab: ClientConnection, browser: Browser, survivor: Demo) -> float:
    """When the tab learnt its session ended: from its own socket, or, if its process died
    first, from the socket it reconnects to on the survivor (as the client does)."""
    try:
        await frame_of(tab, "expired", timeout=EXPIRE_AFTER + 30)
        return time.time()
    except ConnectionClosed:
        pass
    async with browser.tab(on=survivor) as again:
        frame = await next_frame(again, timeout=EXPIRE_AFTER + 30)
        if frame["type"] != "expired":  # not ended yet: the survivor's timer tells it
            assert frame["type"] == "hello", frame
            await frame_of(again, "expired", timeout=EXPIRE_AFTER + 30)
        return time.time()


async def test_a_process_killed_between_claim_and_signals_leaves_no_ending_unannounced(
    two: list[Demo], stack: AsyncExitStack
) -> None:
    one, survivor = two
    with ThreadPoolExecutor(8) as pool:
        browsers = [Browser(two[n % 2]) for n in range(SESSIONS)]
        list(pool.map(lambda browser: browser.sign_in(), browsers))
    tabs = [await stack.enter_async_context(browser.tab()) for browser in browsers]
    for tab in tabs:
        await frame_of(tab, "hello")
    # One burst: every session's deadline within the same two seconds.
    for tab in tabs:
        await tab.send('{"type": "extend"}')
    extended_at = time.time()
    told = await asyncio.gather(
        *(told_at(tab, browser, survivor) for tab, browser in zip(tabs, browsers, strict=True))
    )
    assert one.process.process is not None
    assert one.process.process.poll() is not None, "the fault hook did not kill process one"
    one.process.process = None  # killed: nothing to stop

    deadline = extended_at + EXPIRE_AFTER
    late = [at - deadline for at in told if at - deadline > TOLD_WITHIN + 2]  # +2: the burst
    assert late == [], late
    # The survivor announces what the dead process left, once its claim's time has passed.
    wait_until = time.monotonic() + ANNOUNCED_WITHIN
    while unannounced(survivor) and time.monotonic() < wait_until:
        await asyncio.sleep(1)
    assert unannounced(survivor) == 0

    ended = ended_sessions(survivor)
    assert len(ended) == SESSIONS  # every session, each once (one row each)
    assert {reason for _, reason in ended} == {"idle"}
    logged = one.log.read_text() + survivor.log.read_text()
    announced = set(re.findall(r"audit: session ended id=([0-9a-f-]+) reason=idle", logged))
    assert {pk.replace("-", "") for pk in announced} == {pk for pk, _ in ended}
    assert logged.count("audit: signed out user=") >= SESSIONS  # at least once each
    assert "was not announced by the process that ended it" in survivor.log.read_text()
