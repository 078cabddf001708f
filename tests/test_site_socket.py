"""What every sessions-live socket does first (sessions_live/sockets/base.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from channels.layers import get_channel_layer

from sessions_live.sockets.base import Phase, SiteSocket

from .sockets import Socket

# channels closes the thread's old database connections around every message it handles.
pytestmark = pytest.mark.django_db(transaction=True)


class Probe(SiteSocket):
    """A socket that counts the channel-layer reads made through the receive it wraps."""

    reads = 0

    async def connect(self) -> None:
        await self.accept()
        await self.send(text_data=self.channel_name)

    async def probe_ping(self, event: dict[str, Any]) -> None:
        await self.send(text_data="pong")

    @SiteSocket.channel_receive.setter  # type: ignore[attr-defined, misc]
    def channel_receive(self, receive: Callable[[], Awaitable[Any]]) -> None:
        async def counted() -> Any:
            Probe.reads += 1
            return await receive()

        SiteSocket.channel_receive.fset(self, counted)  # type: ignore[attr-defined]


async def test_channels_still_reads_the_layer_through_channel_receive() -> None:
    """Canary. SiteSocket outlives channel-layer outages by wrapping the ``channel_receive``
    attribute that channels' ``AsyncConsumer.__call__`` sets and then reads the layer through
    (undocumented). If this fails, channels changed that: move the wrapping in
    sessions_live/sockets/base.py to whatever replaced it, or the first Redis outage ends
    every tab consumer."""
    Probe.reads = 0
    socket = Socket(Probe.as_asgi(), "/probe/")
    connected, _ = await socket.connect()
    assert connected
    channel_name = await socket.receive_from()
    await get_channel_layer().send(channel_name, {"type": "probe.ping"})
    assert await socket.receive_from() == "pong"
    assert Probe.reads >= 1  # the message came through the wrapped receive
    await socket.disconnect()


async def test_a_closed_socket_is_done_and_drops_later_frames() -> None:
    class Closing(SiteSocket):
        async def connect(self) -> None:
            await self.accept()
            assert not self.done
            await self.close(code=4000)
            assert self.phase is Phase.CLOSING
            assert not await self.within_rate()  # a frame behind the close is dropped

    socket = Socket(Closing.as_asgi(), "/closing/")
    connected, _ = await socket.connect()
    assert connected
    assert await socket.receive_output() == {"type": "websocket.close", "code": 4000}
