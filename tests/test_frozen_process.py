"""A daphne process frozen (SIGSTOP 30 s) while sessions with tabs on it and on another
process fall due: the other process ends them on time and tells its tabs; once thawed, the
frozen process's tabs (clients sending no pings, as browsers send none) are told at once, and
nothing is ended or announced twice."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import psycopg
import pytest
from websockets.asyncio.client import ClientConnection

from .postgres import Server
from .servers import Demo, run_on_postgres
from .web import Browser, frame_of

pytestmark = pytest.mark.slow

FREEZE = 30.0
WARN_AFTER, EXPIRE_AFTER = 8.0, 12.0
SESSIONS = 6
#: Seconds within which a tab must be told: on the live process after the deadline, on the
#: frozen one after SIGCONT.
TOLD_WITHIN = 2.0


@pytest.fixture
def two(postgres: Server, redis_url: str, tmp_path: Path) -> Iterator[list[Demo]]:
    with run_on_postgres(
        postgres,
        tmp_path / "demo",
        2,
        REDIS_URL=redis_url,
        SESSIONS_LIVE_WARN_AFTER=str(WARN_AFTER),
        SESSIONS_LIVE_EXPIRE_AFTER=str(EXPIRE_AFTER),
    ) as demos:
        yield demos


async def expired_at(tab: ClientConnection, timeout: float) -> tuple[float, str]:
    frame = await frame_of(tab, "expired", timeout=timeout)
    return time.time(), str(frame["reason"])


def endings(demo: Demo) -> list[tuple[str, str | None]]:
    with psycopg.connect(demo.process.env["DATABASE_URL"]) as connection:
        rows = connection.execute(
            "SELECT id::text, end_reason FROM sessions_live_livesession WHERE ended IS NOT NULL"
        ).fetchall()
    return [(str(row[0]), row[1]) for row in rows]


async def test_a_frozen_process_s_sessions_end_on_time_and_its_tabs_are_told_when_it_thaws(
    two: list[Demo], stack: AsyncExitStack
) -> None:
    live, frozen = two
    pairs: list[tuple[ClientConnection, ClientConnection, float]] = []
    for _ in range(SESSIONS):
        browser = Browser(live)
        browser.sign_in()
        here = await stack.enter_async_context(browser.tab(on=live, pings=False))
        hello = await frame_of(here, "hello")
        there = await stack.enter_async_context(browser.tab(on=frozen, pings=False))
        await frame_of(there, "hello")
        pairs.append((here, there, time.time() + hello["expires_in"]))
    frozen.process.freeze()
    frozen_at = time.monotonic()
    told_here = await asyncio.gather(*(expired_at(here, EXPIRE_AFTER + 10) for here, _, _ in pairs))
    lateness = [at - deadline for (at, _), (_, _, deadline) in zip(told_here, pairs, strict=True)]
    assert max(lateness) < TOLD_WITHIN, lateness
    assert {reason for _, reason in told_here} == {"idle"}
    await asyncio.sleep(max(0.0, FREEZE - (time.monotonic() - frozen_at)))
    frozen.process.thaw()
    thawed_at = time.time()
    told_there = await asyncio.gather(*(expired_at(there, 10) for _, there, _ in pairs))
    assert max(at - thawed_at for at, _ in told_there) < TOLD_WITHIN
    assert {reason for _, reason in told_there} == {"idle"}

    await asyncio.sleep(6)  # the thawed process's timers, sweep and beat have all run
    ended = endings(live)
    assert len(ended) == SESSIONS
    logged = live.log.read_text() + frozen.log.read_text()
    announced = Counter(re.findall(r"audit: session ended id=([0-9a-f-]+) reason=idle", logged))
    assert sorted(announced) == sorted(pk for pk, _ in ended)
    assert set(announced.values()) == {1}  # one announcement each
    assert logged.count("audit: signed out user=") == SESSIONS  # one user_logged_out each
    assert "Exception inside application" not in logged
