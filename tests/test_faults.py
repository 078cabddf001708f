"""Faults against real processes: Redis stopped mid-session, the database gone for a moment,
daphne restarted. A session monitor must fail closed (no session outlives its deadline), lose
nothing, and come back by itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection

from .servers import Demo, RedisServer, run_demo
from .web import Browser, frame_of

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
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as sockets:
        yield sockets


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
    await until_heard(tab_d, tab_a, within=5)

    logged = log_since(demo.log, log_start)
    assert "Exception inside application" not in logged
    assert logged.count("the channel layer is unreachable") == 1
    assert logged.count("the channel layer is back after") == 1
    assert logged.count("Traceback") == 1  # the first failure's, and no other
