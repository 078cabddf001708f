"""A Redis that forgets (FLUSHALL; maxmemory with volatile-lru evicting the group keys) and a
Redis that is full (noeviction), under a real daphne process. Neither raises on the calls
that lose the groups: memberships come back by the process's re-assertion each beat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
import redis as redis_py

from .servers import Demo, RedisServer, run_demo
from .test_faults import log_since, until_heard
from .web import Browser, frame_of

pytestmark = pytest.mark.slow

#: Seconds within which cross-tab sync must be back after Redis forgot or was freed.
SYNCED_WITHIN = 10.0
FILLER = b"x" * 65536


@pytest.fixture
def demo(redis: RedisServer, tmp_path: Path) -> Iterator[Demo]:
    with run_demo(
        tmp_path / "demo",
        REDIS_URL=redis.url,
        SESSIONS_LIVE_WARN_AFTER="25",
        SESSIONS_LIVE_EXPIRE_AFTER="30",
    ) as served:
        yield served


def group_keys(client: redis_py.Redis) -> int:
    return sum(1 for _ in client.scan_iter(match="asgi:group:*"))


def fill(client: redis_py.Redis) -> None:
    """Write keys that expire (so volatile-lru may evict them too) until Redis evicted every
    group key."""
    for written in range(1, 3000):
        client.set(f"filler:{written}", FILLER, ex=3600)
        if written % 10 == 0 and group_keys(client) == 0:
            return
    raise AssertionError("Redis evicted no group key")


async def synced_in(sender: object, listener: object) -> float:
    started = time.monotonic()
    await until_heard(sender, listener, within=SYNCED_WITHIN + 5)  # type: ignore[arg-type]
    return time.monotonic() - started


async def test_memberships_come_back_after_redis_forgets_them_or_fills_up(
    demo: Demo, redis: RedisServer, stack: AsyncExitStack
) -> None:
    client = redis_py.Redis.from_url(redis.url)
    busy = Browser(demo)
    busy.sign_in()
    tab_a = await stack.enter_async_context(busy.tab())
    await frame_of(tab_a, "hello")
    tab_b = await stack.enter_async_context(busy.tab())
    await frame_of(tab_b, "hello")
    idle = Browser(demo)  # its deadline passes while Redis is full
    idle.sign_in()
    idle_tab = await stack.enter_async_context(idle.tab())
    idle_deadline = time.time() + (await frame_of(idle_tab, "hello"))["expires_in"]
    await until_heard(tab_a, tab_b, within=5)
    log_start = demo.log.stat().st_size

    # 1. FLUSHALL: nothing fails, and both tabs are out of their group until re-asserted.
    client.flushall()
    assert group_keys(client) == 0
    assert await synced_in(tab_a, tab_b) < SYNCED_WITHIN
    assert group_keys(client) >= 2  # both sessions' groups (busy and idle)
    logged = log_since(demo.log, log_start)
    assert logged.count("the channel layer had lost") == 1, logged
    assert "the channel layer is unreachable" not in logged

    # 2. maxmemory with volatile-lru: Redis evicts the group keys (they carry a TTL).
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory", str(used + 4 * 1024 * 1024))
    client.config_set("maxmemory-policy", "volatile-lru")
    fill(client)
    assert group_keys(client) == 0
    assert await synced_in(tab_a, tab_b) < SYNCED_WITHIN

    # 3. Full, with noeviction: every write fails with OOM; deadlines are kept from the store.
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", str(int(client.info("memory")["used_memory"]) // 2))
    full_from = demo.log.stat().st_size
    await tab_a.send('{"type": "extend"}')  # its push fails: the layer's outage begins
    expired = await frame_of(idle_tab, "expired", timeout=idle_deadline - time.time() + 5)
    assert expired["reason"] == "idle"
    assert time.time() - idle_deadline < 2
    for _ in range(40):  # the outage is logged once, with Redis' own error
        full = log_since(demo.log, full_from)
        if "the channel layer is unreachable" in full:
            break
        await asyncio.sleep(0.5)
    assert "the channel layer is unreachable" in full, (client.info("memory"), full)
    assert "OutOfMemoryError" in full
    client.delete(*client.keys("filler:*"))  # memory freed
    assert await synced_in(tab_a, tab_b) < SYNCED_WITHIN
    full = log_since(demo.log, full_from)
    assert full.count("the channel layer is unreachable") == 1, full
    assert full.count("the channel layer is back after") == 1, full
    assert "Exception inside application" not in log_since(demo.log, log_start)
    client.close()
