"""What every sessions-live socket does before its own work.

It accepts only pages of this site (against cross-site WebSocket hijacking), counts frames,
refuses bad input with an ``error`` frame and, where the protocol says so, a close code, and
outlives its channel layer (:mod:`sessions_live.runtime.outages`).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from channels.generic.websocket import AsyncWebsocketConsumer

from sessions_live.core.protocol import (
    CLOSE_FORBIDDEN,
    CLOSE_TOO_MANY,
    ERROR_FORBIDDEN,
    FrameError,
    FrameRate,
    ServerFrame,
    encode,
)
from sessions_live.core.scheduling import LOOP, Scheduler
from sessions_live.runtime.outages import resilient_receive
from sessions_live.runtime.push import pushes
from sessions_live.web.origins import origin_allowed

Frame = TypeVar("Frame")


class Phase(enum.Enum):
    """Where a socket is in its life: once it is not ``OPEN``, it sends nothing more."""

    OPEN = "open"
    CLOSING = "closing"  # a close was sent: frames still queued behind it are dropped
    OVER = "over"  # closed because its session is over (the ending removed its tab rows)
    GONE = "gone"  # disconnected


class SiteSocket(AsyncWebsocketConsumer):
    """Built by channels per connection; ``as_asgi(clock=..., monotonic=..., scheduler=...)``
    injects its time (each for tests: :mod:`sessions_live.core.scheduling`), so a test moves
    a socket to its next deadline or interval at once."""

    def __init__(
        self,
        *args: Any,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        scheduler: Scheduler = LOOP,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock  # epoch seconds, shared by every process through the store
        self.monotonic = monotonic
        self.scheduler = scheduler
        self.rate = FrameRate()
        self.phase = Phase.OPEN

    @property
    def done(self) -> bool:
        """Closed or closing: nothing may be sent or scheduled for this socket any more."""
        return self.phase is not Phase.OPEN

    # channels sets ``channel_receive`` once per connection, in ``AsyncConsumer.__call__``,
    # and ends the consumer when it raises; wrapped here, a layer outage is waited out
    # instead. channels documents no hook for this: tests/test_outages.py has a canary that
    # fails the day channels stops reading the layer through this attribute.
    @property
    def channel_receive(self) -> Callable[[], Awaitable[Any]]:
        return self._channel_receive

    @channel_receive.setter
    def channel_receive(self, receive: Callable[[], Awaitable[Any]]) -> None:
        self._channel_receive = resilient_receive(receive, self.layer_back)

    async def layer_back(self) -> None:
        """The channel layer answers again after an outage: join this socket's groups again."""

    async def accept_from_site(self) -> bool:
        """Accept the handshake; False (and closed with 4403) if it came from another site."""
        pushes.attach()  # this loop serves the process: pushes from its threads go here
        await self.accept()
        if origin_allowed(self.scope):
            return True
        await self.refuse(FrameError(ERROR_FORBIDDEN, "Origin not allowed.", CLOSE_FORBIDDEN))
        return False

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if self.phase is Phase.OPEN:
            self.phase = Phase.CLOSING
        await super().close(code=code, reason=reason)

    async def within_rate(self) -> bool:
        """Count one frame; False (and closed with 4429) past the documented rate, and False
        for every frame that arrives after the socket began to close."""
        if self.done:
            return False
        if self.rate.allow(self.monotonic()):
            return True
        await self.refuse(FrameError("too_many", "Too many frames.", CLOSE_TOO_MANY))
        return False

    async def read(
        self,
        parse: Callable[[str | None, bytes | None], Frame],
        text: str | None,
        data: bytes | None,
    ) -> Frame | None:
        """The frame ``parse`` makes of what arrived; None if it was refused (over the rate,
        behind a close, or bad input: answered with an error frame and its close code)."""
        if not await self.within_rate():
            return None
        try:
            return parse(text, data)
        except FrameError as error:
            await self.refuse(error)
            return None

    async def refuse(self, error: FrameError) -> None:
        await self.send_frame(error.frame())
        if error.close_code is not None:
            await self.close(code=error.close_code)

    async def send_frame(self, frame: ServerFrame) -> None:
        await self.send(text_data=encode(frame))
