"""WebSocket test clients for the consumers, through channels' WebsocketCommunicator."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django import urls
from django.test import Client

from sessions_live.consumers import SessionConsumer
from sessions_live.core.protocol import DASHBOARD_SOCKET_PATH, TAB_SOCKET_PATH
from sessions_live.dashboard.consumer import DashboardConsumer
from sessions_live.routing import AuthMiddlewareStack, websocket_urlpatterns

APP = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
TAB = "/ws/sessions-live/"
BOARD = "/ws/sessions-live/dashboard/"


def tab_application(**consumer_kwargs: Any) -> Any:
    """The routing of the README with tab consumers built with ``consumer_kwargs`` (e.g. the
    clocks and scheduler of a :class:`tests.fake_time.FakeTime`)."""
    return AuthMiddlewareStack(
        URLRouter([urls.path(TAB_SOCKET_PATH, SessionConsumer.as_asgi(**consumer_kwargs))])
    )


def board_application(**consumer_kwargs: Any) -> Any:
    """The dashboard's routing with its consumers built with ``consumer_kwargs`` (the clock
    and scheduler of a :class:`tests.fake_time.FakeTime`)."""
    return AuthMiddlewareStack(
        URLRouter([urls.path(DASHBOARD_SOCKET_PATH, DashboardConsumer.as_asgi(**consumer_kwargs))])
    )


#: Seconds a socket may take to connect, answer or finish, however busy the machine: channels'
#: communicator waits 1 s by default, then cancels the consumer mid-way (a loaded CI machine
#: took longer: the cancelled consumer's database work then failed every later test).
PATIENCE = 20.0


class Socket(WebsocketCommunicator):  # type: ignore[misc]
    """A test's WebSocket: channels' communicator, patient by default."""

    async def connect(self, timeout: float = PATIENCE) -> Any:
        return await super().connect(timeout)

    async def disconnect(self, code: int = 1000, timeout: float = PATIENCE) -> None:
        await super().disconnect(code, timeout)

    async def receive_output(self, timeout: float = PATIENCE) -> Any:
        return await super().receive_output(timeout)


_open: list[WebsocketCommunicator] = []


async def close_all() -> None:
    """Disconnect every socket a test opened, as a browser would, so no consumer is left
    waiting (use from an autouse fixture)."""
    while _open:
        # A consumer a failed test left cancelled re-raises its CancelledError here.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await _open.pop().disconnect()


async def connect(
    client: Client | None,
    path: str = TAB,
    headers: list[tuple[bytes, bytes]] | None = None,
    app: Any = APP,
) -> WebsocketCommunicator:
    """A socket with the client's session cookie (none for ``None``), from this site's page
    unless ``headers`` name another origin."""
    headers = list(headers or [])
    if not any(name == b"origin" for name, _ in headers):
        headers.append((b"origin", b"http://testserver"))
    if not any(name == b"host" for name, _ in headers):
        headers.append((b"host", b"testserver"))  # what a browser's handshake carries
    if client is not None:
        key = await sync_to_async(lambda: client.session.session_key)()
        headers.append((b"cookie", f"sessionid={key}".encode()))
    socket = Socket(app, path, headers=headers)
    _open.append(socket)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def frame(socket: WebsocketCommunicator, timeout: float = PATIENCE) -> dict[str, Any]:
    output = await socket.receive_output(timeout)
    assert output["type"] == "websocket.send", output
    data: dict[str, Any] = json.loads(output["text"])
    return data


async def closed_with(socket: WebsocketCommunicator, *, skipping_frames: bool = False) -> int:
    """The close code of the socket's next output (after any frames, if told to skip them)."""
    output = await socket.receive_output(PATIENCE)
    while skipping_frames and output["type"] == "websocket.send":
        output = await socket.receive_output(PATIENCE)
    assert output["type"] == "websocket.close", output
    code: int = output["code"]
    return code
