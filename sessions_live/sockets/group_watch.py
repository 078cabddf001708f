"""Group memberships put back when Redis forgot them: a flush, an eviction, a failover.

A Redis that forgets raises nothing (DESIGN.md): after ``FLUSHALL``, or a ``volatile-*``
policy evicting channels-redis' group keys (they carry a TTL), or a failover to a replica that
lacked them, no call fails, so no outage is noticed and tabs stay out of their session's group
for good. So every ``PRESENCE_INTERVAL`` each process re-asserts the memberships of all of
its tabs in one pipeline per Redis shard (``ZADD`` + ``EXPIRE``, what ``group_add`` does), and
the replies say how many were missing: those are logged, once a minute at most.

Only channels-redis' ``RedisChannelLayer`` keeps groups as keys that can be lost this way; its
group keys are not a documented API, so tests/test_group_watch.py has a canary that fails the
day they change. Other layers are left alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import get_channel_layer

from sessions_live.core.sampled_log import SampledLog
from sessions_live.models import session_group
from sessions_live.runtime import outages
from sessions_live.runtime.presence import PRESENCE_INTERVAL, presence

logger = logging.getLogger(__name__)

#: Seconds between two log lines about memberships the layer had lost.
LOG_EVERY = 60.0


def keeps_groups_as_keys(layer: Any) -> bool:
    """Whether ``layer`` is channels-redis' ``RedisChannelLayer`` (or works as it does)."""
    return all(
        hasattr(layer, name) for name in ("_group_key", "consistent_hash", "connection")
    ) and isinstance(getattr(layer, "group_expiry", None), int)


async def reassert(layer: Any, members: list[tuple[str, str]]) -> int:
    """Add each (group, channel) of ``members`` again, one pipeline per shard; how many of
    them the layer no longer had."""
    by_shard: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for group, channel in members:
        by_shard[layer.consistent_hash(group)].append((layer._group_key(group), channel))
    now, missing = time.time(), 0
    for index, entries in by_shard.items():
        async with layer.connection(index).pipeline(transaction=False) as pipe:
            for key, channel in entries:
                pipe.zadd(key, {channel: now})
                pipe.expire(key, layer.group_expiry)
            replies = await pipe.execute()
        missing += sum(int(added) for added in replies[0::2])  # ZADD: members it added
    return missing


class GroupWatch:
    """One task per process, started by the first tab socket where the layer needs it."""

    def __init__(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.sleep = sleep
        self.task: asyncio.Task[None] | None = None
        self.lost = SampledLog(LOG_EVERY)
        self.missing = 0  # memberships put back since the last log line

    def ensure_started(self) -> None:
        if not keeps_groups_as_keys(get_channel_layer()):
            return
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self.run(), name="sessions_live.group_watch")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def look(self) -> int:
        """Re-assert every tab's membership once; how many were missing."""
        members = [(session_group(live_id), channel) for channel, live_id in presence.channels()]
        if not members:
            return 0
        layer: Any = get_channel_layer()  # a RedisChannelLayer: ensure_started checked
        try:
            async with asyncio.timeout(PRESENCE_INTERVAL):
                missing = await reassert(layer, members)
                # A tab that left while this ran is out again (its discard may have come first).
                for group, channel in members:
                    if not presence.holds(channel):
                        await layer.group_discard(group, channel)
        except Exception:
            outages.channel_layer.failed()
            return 0
        outages.channel_layer.recovered()
        if missing:
            self.missing += missing
            if self.lost.count() is not None:
                logger.warning(
                    "sessions_live: the channel layer had lost %d group memberships of this "
                    "process's tabs (of %d now); put back. Redis was flushed, evicted keys "
                    "or failed over to a replica without them",
                    self.missing,
                    len(members),
                )
                self.missing = 0
        return missing

    async def run(self) -> None:
        while True:
            await self.sleep(PRESENCE_INTERVAL)
            await self.look()


#: This process's watch over its tabs' memberships.
group_watch = GroupWatch()
