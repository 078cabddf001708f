"""A tab's membership of its session's channel-layer group, kept through layer outages.

A tab joins its session's group to hear the other tabs (``active``, ``expired``). Joining
waits ``JOIN_TIMEOUT`` at most: without the layer the tab goes on from the store alone, and
rejoins once the layer answers; a join that ends an outage puts every tab of the process back
(a restarted Redis forgot every group).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from . import outages, push
from .guarded import GuardedConsumer
from .models import LiveSession, session_group
from .presence import presence

#: Seconds a new tab waits to join its session's group before going on without it.
JOIN_TIMEOUT = 2.0

_background: set[asyncio.Task[Any]] = set()


def in_background(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` on its own, held until done (the loop keeps only a weak reference)."""
    task = asyncio.get_running_loop().create_task(work)
    _background.add(task)
    task.add_done_callback(_background.discard)


class SessionGroupMember(GuardedConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live: LiveSession | None = None
        self.ended = False  # this socket is done (closed, or closing)
        self.joined_after = -1  # outages.channel_layer.recoveries when it joined its group
        self.joining: asyncio.Task[None] | None = None

    @property
    def joined(self) -> bool:
        """A member of its session's group since the channel layer's last outage ended."""
        return self.joined_after == outages.channel_layer.recoveries

    async def join_group(self) -> None:
        """Join the session's group, waiting JOIN_TIMEOUT at most; without the channel layer,
        go on without it (this tab then hears other tabs only through the store until
        :meth:`rejoin_groups`)."""
        try:
            await asyncio.wait_for(self.rejoin_groups(), JOIN_TIMEOUT)
        except Exception:
            outages.channel_layer.failed()

    def join_in_background(self) -> None:
        """Rejoin without holding up a deadline: a Redis that drops packets takes seconds."""
        if self.joining is None or self.joining.done():
            self.joining = asyncio.get_running_loop().create_task(self.join_group())

    async def rejoin_groups(self) -> None:
        if self.live is None or self.ended:
            return
        group = self.live.group_name
        recoveries = outages.channel_layer.recoveries
        await push.with_retry(lambda: self.channel_layer.group_add(group, self.channel_name))
        outages.channel_layer.recovered()
        self.joined_after = max(recoveries, outages.channel_layer.recoveries)
        if self.joined_after > recoveries:
            # This join ended an outage: a restarted Redis forgot every group, and tabs whose
            # own receive never failed would not notice. Rejoin all of this process's tabs.
            in_background(rejoin_every_tab(self.channel_layer))


async def rejoin_every_tab(layer: Any) -> None:
    """Put every tab of this process back in its session's group."""
    try:
        for channel_name, live_id in list(presence.tabs.items()):
            await layer.group_add(session_group(live_id), channel_name)
    except Exception:
        outages.channel_layer.failed()  # each tab rejoins at its next check
