"""What every sessions-live socket does before its own work.

It accepts only pages of this site (against cross-site WebSocket hijacking), counts frames,
refuses bad input with an ``error`` frame and, where the protocol says so, a close code, and
outlives its channel layer (:mod:`sessions_live.outages`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from .clients import origin_allowed
from .outages import resilient_receive
from .protocol import (
    CLOSE_FORBIDDEN,
    CLOSE_TOO_MANY,
    ERROR_FORBIDDEN,
    FrameError,
    FrameRate,
    encode,
)


class GuardedConsumer(AsyncWebsocketConsumer):
    def __init__(
        self, *args: Any, monotonic: Callable[[], float] = time.monotonic, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.monotonic = monotonic
        self.rate = FrameRate()
        self.closing = False  # a close was sent: frames still queued behind it are dropped

    # channels sets ``channel_receive`` once per connection and ends the consumer when it
    # raises; wrapped here, a layer outage is waited out instead.
    @property
    def channel_receive(self) -> Callable[[], Awaitable[Any]]:
        return self._channel_receive

    @channel_receive.setter
    def channel_receive(self, receive: Callable[[], Awaitable[Any]]) -> None:
        self._channel_receive = resilient_receive(receive, self.rejoin_groups)

    async def rejoin_groups(self) -> None:
        """Join this socket's groups again after the channel layer came back."""

    async def accept_from_site(self) -> bool:
        """Accept the handshake; False (and closed with 4403) if it came from another site."""
        await self.accept()
        if origin_allowed(self.scope):
            return True
        await self.refuse(FrameError(ERROR_FORBIDDEN, "Origin not allowed.", CLOSE_FORBIDDEN))
        return False

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.closing = True
        await super().close(code=code, reason=reason)

    async def within_rate(self) -> bool:
        """Count one frame; False (and closed with 4429) past the documented rate, and False
        for every frame that arrives after the socket began to close."""
        if self.closing:
            return False
        if self.rate.allow(self.monotonic()):
            return True
        await self.refuse(FrameError("too_many", "Too many frames.", CLOSE_TOO_MANY))
        return False

    async def refuse(self, error: FrameError) -> None:
        await self.send(text_data=encode(error.frame()))
        if error.close_code is not None:
            await self.close(code=error.close_code)
