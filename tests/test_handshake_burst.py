"""Bursts of 2,000 anonymous WebSocket handshakes (200 at a time) against a real daphne: each
is refused (4401) without a database query and without a hop to the database's thread, a
signed-in user's handshake meanwhile is served, not starved. (How fast is a figure, not an
assertion: 0.28 s at most under ../shared/tools/under-load alone, but over 1 s once in the
full suite under load, where this test's own client opening 200 sockets at once shares the
machine with daphne. daphne's RSS is not asserted either:
measured over rounds it rose 136, 149, 165, 167, 167 MB in one run and kept rising in
another, so "back to baseline" is not shown yet: issue 21, item 6.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from .postgres import Server
from .servers import Demo, run_on_postgres
from .web import Browser, frame_of

pytestmark = pytest.mark.slow

BURST = 2000
AT_ONCE = 200  # handshakes in flight at once
#: Seconds: a signed-in user's handshake, hello included, during a burst, is not starved (the
#: issue's 1 s is a benchmark's figure: see the module docstring).
SERVED_WITHIN = 5.0


@pytest.fixture
def demo(postgres: Server, redis_url: str, tmp_path: Path) -> Iterator[Demo]:
    with run_on_postgres(postgres, tmp_path / "demo", 1, REDIS_URL=redis_url) as (served,):
        yield served


def transactions(demo: Demo) -> int:
    """Transactions committed in the demo's database so far (one per autocommit query)."""
    url = demo.process.env["DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        connection.execute("SELECT pg_stat_clear_snapshot()")
    assert row is not None
    return int(row[0])


async def anonymous(demo: Demo) -> int | None:
    """One handshake with no cookie: the close code it got (None: dropped without one)."""
    try:
        async with connect(demo.ws_url, origin=demo.url, open_timeout=30) as ws:  # type: ignore[arg-type]
            await asyncio.wait_for(ws.recv(), 30)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except (InvalidHandshake, OSError, TimeoutError):
        return None  # dropped by daphne before the application saw it
    return None


async def burst(demo: Demo) -> list[int | None]:
    codes: list[int | None] = []
    for _ in range(BURST // AT_ONCE):
        codes += await asyncio.gather(*(anonymous(demo) for _ in range(AT_ONCE)))
    return codes


async def signed_in_handshakes(browser: Browser, during: asyncio.Task[object]) -> list[float]:
    """A signed-in tab opened again and again while ``during`` runs: how long each took to
    get its hello, as the client sees it (a handshake daphne drops under the burst is tried
    again at once, as the client does, and counts in the time)."""
    took: list[float] = []
    while not during.done() or not took:
        started = time.monotonic()
        for attempt in range(5):
            try:
                async with browser.tab() as tab:
                    await frame_of(tab, "hello", timeout=30)
                break
            except (InvalidHandshake, ConnectionClosed, OSError):
                if attempt == 4:
                    raise
                await asyncio.sleep(0.05)
        took.append(time.monotonic() - started)
        await asyncio.sleep(0.2)
    return took


async def round_of(demo: Demo, browser: Browser) -> tuple[list[int | None], list[float]]:
    """One burst, with a signed-in user's handshakes meanwhile."""
    flooding = asyncio.ensure_future(burst(demo))
    took = await signed_in_handshakes(browser, flooding)
    return await flooding, took


async def test_a_burst_of_anonymous_handshakes_costs_no_query_and_slows_no_user(
    demo: Demo,
) -> None:
    browser = Browser(demo)
    browser.sign_in()
    async with browser.tab() as tab:
        await frame_of(tab, "hello")  # the process's tasks (sweep, watches) have started
    took = (await round_of(demo, browser))[1]

    # A burst alone: what the database sees of it. PostgreSQL counts a backend's commits
    # when it is idle again: read after a pause.
    before = transactions(demo)
    codes = await burst(demo)
    await asyncio.sleep(2)
    queries = transactions(demo) - before
    more, last = await round_of(demo, browser)
    codes += more
    took += last

    # Refused with 4401, but for the few daphne drops under the burst before the application
    # sees them (the issue measured 0 to 1.4 %): no other close code, no server error.
    counted = {code: codes.count(code) for code in set(codes)}
    assert set(counted) <= {4401, None}, counted
    assert counted[4401] >= 2 * BURST * 0.97, counted
    assert max(took) < SERVED_WITHIN, took
    # The process's own beats and sweeps meanwhile, and not one query per refusal (2,000).
    assert queries < 100, queries
