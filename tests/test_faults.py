"""Faults against real processes: Redis stopped mid-session, the database gone for a moment,
daphne restarted. A session monitor must fail closed (no session outlives its deadline), lose
nothing, and come back by itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.protocol import State

from .postgres import PrivateCluster, private_server
from .servers import Demo, RedisServer, run_demo
from .web import Browser, frame_of, next_frame

pytestmark = pytest.mark.slow


def signed_out(browser: Browser) -> bool:
    status, headers, _ = browser.get("/personnel")
    return status == 302 and headers["Location"].startswith("/login")


def log_since(log: Path, start: int) -> str:
    return log.read_bytes()[start:].decode(errors="replace")


async def until_heard(sender: ClientConnection, listener: ClientConnection, within: float) -> None:
    """Extend from ``sender`` until ``listener`` hears it (its group membership is back)."""
    deadline = time.monotonic() + within
    while True:
        await sender.send('{"type": "extend"}')
        try:
            await frame_of(listener, "active", timeout=1)
            return
        except TimeoutError:
            if time.monotonic() > deadline:
                raise


@pytest.fixture
def outage_demo(redis: RedisServer, tmp_path: Path) -> Iterator[Demo]:
    with run_demo(
        tmp_path / "demo",
        REDIS_URL=redis.url,
        SESSIONS_LIVE_WARN_AFTER="15",
        SESSIONS_LIVE_EXPIRE_AFTER="20",
    ) as demo:
        yield demo


async def test_redis_stopped_for_20_seconds(
    outage_demo: Demo, redis: RedisServer, stack: AsyncExitStack
) -> None:
    demo = outage_demo
    idle = Browser(demo)  # signs in and never acts again: must end during the outage
    idle.sign_in()
    idle_tab = await stack.enter_async_context(idle.tab())
    await frame_of(idle_tab, "hello")
    busy = Browser(demo)
    busy.sign_in()
    tab_a = await stack.enter_async_context(busy.tab())
    await frame_of(tab_a, "hello")
    tab_b = await stack.enter_async_context(busy.tab())
    await frame_of(tab_b, "hello")

    log_start = demo.log.stat().st_size
    redis.stop()
    outage_began = time.monotonic()
    # A tab opened during the outage is served from the database.
    tab_c = await stack.enter_async_context(busy.tab())
    await frame_of(tab_c, "hello")
    await asyncio.sleep(8)
    assert busy.get("/personnel")[0] == 200  # HTTP goes on without Redis, and is activity
    busy_deadline = time.time() + 20
    # The idle session's deadline passes while Redis is down: its tab's own timer ends it,
    # and HTTP refuses it, from the database alone.
    expired = await frame_of(idle_tab, "expired", timeout=15)
    assert expired["reason"] == "idle"
    assert signed_out(idle)
    await asyncio.sleep(max(0.0, 20 - (time.monotonic() - outage_began)))
    redis.start()

    # The sockets lived through the outage; a tab that reconnects now gets the stored
    # deadline, which the outage did not move.
    tab_d = await stack.enter_async_context(busy.tab())
    hello = await frame_of(tab_d, "hello")
    assert abs(time.time() + hello["expires_in"] - busy_deadline) < 1.5
    # Cross-tab sync comes back for the old tabs and the one opened during the outage: each
    # rejoins its group (the restarted Redis forgot them) within its retry delay (<= 10 s).
    for listener in (tab_b, tab_c):
        await until_heard(tab_a, listener, within=15)
    await until_heard(tab_d, tab_a, within=15)  # tab_a may be the last to rejoin

    logged = log_since(demo.log, log_start)
    assert "Exception inside application" not in logged
    assert logged.count("the channel layer is unreachable") == 1
    assert logged.count("the channel layer is back after") == 1
    assert logged.count("Traceback") == 1  # the first failure's, and no other


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[PrivateCluster]:
    """A PostgreSQL server of this test's own, since the test stops it."""
    with private_server() as server:
        yield server


async def test_database_gone_for_a_moment(
    cluster: PrivateCluster, redis_url: str, tmp_path: Path, stack: AsyncExitStack
) -> None:
    with run_demo(
        tmp_path / "demo",
        DATABASE_URL=cluster.server.create("demo"),
        REDIS_URL=redis_url,
        SESSIONS_LIVE_WARN_AFTER="4",
        # The outage (stop, 5 s, start: longer on a busy machine) must end inside the warning
        # period for the tab to be warned after it.
        SESSIONS_LIVE_EXPIRE_AFTER="16",
    ) as demo:
        browser = Browser(demo)
        browser.sign_in()
        tab_a = await stack.enter_async_context(browser.tab())
        hello = await frame_of(tab_a, "hello")
        deadline = time.time() + hello["expires_in"]
        log_start = demo.log.stat().st_size

        cluster.stop()
        # A new tab cannot be told it is signed in: channels' AuthMiddleware cannot read the
        # session, and daphne refuses the handshake (the client comes back with backoff).
        with pytest.raises(InvalidStatus) as refused:
            await stack.enter_async_context(browser.tab())
        assert refused.value.response.status_code == 500
        status, _, _ = browser.get("/personnel")
        assert status == 500  # the session cannot be read: nothing is shown
        await asyncio.sleep(5)  # past the warning time: the tab's check fails and retries
        assert tab_a.state is State.OPEN
        cluster.start()

        # The connected tab carries on from the store: warned, then ended at its deadline.
        warning = await frame_of(tab_a, "warning", timeout=5)
        assert abs(time.time() + warning["expires_in"] - deadline) < 1.0
        expired = await frame_of(tab_a, "expired", timeout=15)
        assert expired["reason"] == "idle"
        assert time.time() >= deadline - 0.2
        assert signed_out(browser)

        logged = log_since(demo.log, log_start)
        assert logged.count("sessions_live: the database is unreachable") == 1
        assert logged.count("sessions_live: the database is back after") == 1
        # daphne logs the refused handshake; the connected tab's failed checks add nothing.
        assert logged.count("Exception inside application") == 1


async def collect(ws: ClientConnection, until: str, timeout: float) -> list[dict[str, Any]]:
    """Every frame up to and including the first of type ``until``."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not frames or frames[-1]["type"] != until:
        frames.append(await next_frame(ws, max(0.01, deadline - time.monotonic())))
    return frames


async def test_daphne_restarted_tabs_resume_from_the_store(
    redis_url: str, tmp_path: Path, stack: AsyncExitStack
) -> None:
    with run_demo(
        tmp_path / "demo",
        REDIS_URL=redis_url,
        # Long enough that a busy machine restarts daphne before the session expires (7 s
        # was not always), short enough to wait for the warning and the expiry.
        SESSIONS_LIVE_WARN_AFTER="12",
        SESSIONS_LIVE_EXPIRE_AFTER="18",
    ) as demo:
        browser = Browser(demo)
        browser.sign_in()
        tabs = [await stack.enter_async_context(browser.tab()) for _ in range(2)]
        deadlines = [time.time() + (await frame_of(ws, "hello"))["expires_in"] for ws in tabs]

        demo.process.stop()
        for ws in tabs:
            with pytest.raises(ConnectionClosed):
                await next_frame(ws, timeout=5)
        demo.process.start()

        assert abs(deadlines[0] - deadlines[1]) < 0.5
        moved = []
        for _ in range(2):
            ws = await stack.enter_async_context(browser.tab())
            hello = await frame_of(ws, "hello")
            assert abs(time.time() + hello["expires_in"] - deadlines[0]) < 1.0  # not moved
            moved.append(ws)
        for ws in moved:
            frames = await collect(ws, "expired", timeout=30)
            assert [frame["type"] for frame in frames] == ["warning", "expired"]  # no duplicates
            assert time.time() >= deadlines[0] - 0.5
        await asyncio.sleep(2.5)  # a second ending, if any, would be logged by now
        assert demo.log.read_text().count("audit: signed out user=demo") == 1
