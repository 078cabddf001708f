"""Messages to a session's tabs through the channel layer: best effort, never fatal.

No push is a guarantee (DESIGN.md): the store decides, and a tab that misses a push learns the
truth from its own timer or when it reconnects. A failed push is logged, never raised, so an
unreachable Redis cannot turn an HTTP request or an ending into an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from sessions_live.core.protocol import EVENT_ACTIVE, EVENT_EXPIRED
from sessions_live.runtime import outages

if TYPE_CHECKING:
    pass


def active_event(last_activity: float, leased_until: float | None = None) -> dict[str, Any]:
    """Activity (or a lease) moved the session's deadline: every tab recomputes its own."""
    return {"type": EVENT_ACTIVE, "last_activity": last_activity, "leased_until": leased_until}


def expired_event(reason: str, redirect: str) -> dict[str, Any]:
    """The session ended for ``reason``: every tab says so and goes to ``redirect``."""
    return {"type": EVENT_EXPIRED, "reason": reason, "redirect": redirect}


async def with_retry(call: Callable[[], Awaitable[None]]) -> None:
    """Run one channel-layer call, again once if the first attempt fails.

    A pooled Redis connection that the server closed while idle (Redis ``timeout``, a proxy)
    fails on its next use; the pool then drops it, so the second attempt gets a fresh one.
    """
    try:
        await call()
    except Exception:
        await call()


async def send(group: str, event: dict[str, Any]) -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        await with_retry(lambda: layer.group_send(group, event))
    except Exception:
        outages.channel_layer.failed()  # logged once per outage, not once per push
        return False
    outages.channel_layer.recovered()
    return True


def send_sync(group: str, event: dict[str, Any]) -> bool:
    result: bool = async_to_sync(send)(group, event)
    return result
