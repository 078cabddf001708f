"""The session key is a bearer credential: it never reaches a frame, a group name, a Redis
key or value, a log line or the dashboard."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
import redis
from asgiref.sync import sync_to_async

from sessions_live.models import LiveSession

from .sockets import BOARD, TAB, connect, frame

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("stop_sweeper", "_close_sockets"),
]


def everything_in(url: str) -> bytes:
    """Every key and every value held in the Redis server, as one blob to search."""
    client = redis.Redis.from_url(url)
    blob = bytearray()
    for key in client.scan_iter(count=1000):
        blob += key + b"\n"
        kind = client.type(key)
        if kind == b"zset":
            for member in client.zrange(key, 0, -1):
                blob += member + b"\n"
        elif kind == b"list":
            for item in client.lrange(key, 0, -1):
                blob += item + b"\n"
        elif kind == b"string":
            blob += (client.get(key) or b"") + b"\n"
    client.close()
    return bytes(blob)


@pytest.mark.parametrize("layer", ["redis"], indirect=True)
async def test_the_session_key_is_nowhere(
    settings: Any,
    redis_url: str,
    layer: str,
    asigned_in: Callable[..., Any],
    astaff: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    user = await asigned_in("alice")
    key = await sync_to_async(lambda: user.session.session_key)()
    live = await LiveSession.objects.aget()
    a, b = await connect(user, TAB), await connect(user, TAB)
    frames = [await frame(a), await frame(b)]
    await a.send_json_to({"type": "extend"})
    frames += [await frame(a), await frame(b)]
    board = await connect(await astaff("boss", "view_livesession", "end_livesession"), BOARD)
    frames.append(await frame(board))
    redis_blob = everything_in(redis_url)  # while the tabs' groups exist
    await b.send_json_to({"type": "logout"})
    frames += [await frame(a), await frame(b)]
    text = repr(frames) + caplog.text
    for secret in (key, live.key_hash):
        assert secret not in text
        assert secret.encode() not in redis_blob
    assert f"sessions_live.s.{live.pk.hex}".encode() in redis_blob  # groups are by opaque id
