"""A tab's membership of its session's channel-layer group, kept through layer outages.

A tab joins its session's group to hear the other tabs (``active``, ``expired``). Joining
waits ``JOIN_TIMEOUT`` at most: without the layer the tab goes on from the store alone, and
rejoins once the layer answers; a join that ends an outage puts every tab of the process back
(a restarted Redis forgot every group).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sessions_live.core.scheduling import in_background
from sessions_live.models import session_group
from sessions_live.runtime import outages, push
from sessions_live.runtime.presence import presence

#: Seconds a new tab waits to join its session's group before going on without it.
JOIN_TIMEOUT = 2.0


class GroupMembership:
    """One channel's membership of one group (``layer`` is None where none is configured)."""

    def __init__(self, layer: Any, channel_name: str, group: str) -> None:
        self.layer = layer
        self.channel_name = channel_name
        self.group = group
        self.joined_after = -1  # outages.channel_layer.recoveries when it joined
        self.joining: asyncio.Task[None] | None = None
        self.left = False
        self.tried = False  # a join was attempted: leaving must discard

    @property
    def joined(self) -> bool:
        """A member since the channel layer's last outage ended."""
        return self.joined_after == outages.channel_layer.recoveries

    async def join(self) -> None:
        """Join, waiting JOIN_TIMEOUT at most; without the channel layer, go on without it
        (the tab then hears other tabs only through the store until :meth:`rejoin`)."""
        try:
            await asyncio.wait_for(self.rejoin(), JOIN_TIMEOUT)
        except Exception:
            outages.channel_layer.failed()

    def join_in_background(self) -> None:
        """Join without holding up a deadline: a Redis that drops packets takes seconds."""
        if self.joining is None or self.joining.done():
            self.joining = asyncio.get_running_loop().create_task(self.join())

    async def rejoin(self) -> None:
        """Join (again): after an outage, or when a check finds the tab not joined."""
        if self.left:
            return
        recoveries = outages.channel_layer.recoveries
        self.tried = True
        async with asyncio.timeout(push.timeout()):
            await push.with_retry(lambda: self.layer.group_add(self.group, self.channel_name))
        outages.channel_layer.recovered()
        if self.left:  # it left while the join was on its way: undo the join
            await self.discard()
            return
        self.joined_after = max(recoveries, outages.channel_layer.recoveries)
        if self.joined_after > recoveries:
            # This join ended an outage: a restarted Redis forgot every group, and tabs whose
            # own receive never failed would not notice. Rejoin all of this process's tabs.
            in_background(rejoin_every_tab(self.layer))

    async def leave(self) -> None:
        """Leave for good (its membership expires with the layer's groups if it is down)."""
        self.left = True
        if self.joining is not None:
            self.joining.cancel()
        if self.tried:
            await self.discard()

    async def discard(self) -> None:
        try:
            async with asyncio.timeout(push.timeout()):
                await push.with_retry(
                    lambda: self.layer.group_discard(self.group, self.channel_name)
                )
        except Exception:
            outages.channel_layer.failed()


async def rejoin_every_tab(layer: Any) -> None:
    """Put every tab of this process back in its session's group."""
    try:
        for channel_name, live_id in presence.channels():
            if presence.holds(channel_name):  # not one that left while this ran
                async with asyncio.timeout(push.timeout()):
                    await layer.group_add(session_group(live_id), channel_name)
    except Exception:
        outages.channel_layer.failed()  # each tab rejoins at its next check
