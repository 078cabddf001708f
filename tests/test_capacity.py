"""A full channel drops pushes silently; the tab still learns its session is over.

channels-redis drops a group message for a channel already holding ``capacity`` messages,
without an error. The store, not the push, is the truth: the process's presence beat reads the
endings from it every ``PRESENCE_INTERVAL`` and tells its tabs, and a tab that connects is told
from it at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers, get_channel_layer

from sessions_live.models import EndReason
from sessions_live.runtime import lifecycle, push
from sessions_live.runtime import presence as presence_module

from .helpers import live_of
from .sockets import close_all, connect, frame

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stop_sweeper")]

CAPACITY = 2
BURST = 200


@pytest.fixture
def small_layer(redis_url: str, settings: Any) -> Any:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": redis_url, "socket_timeout": 10}],
                "capacity": CAPACITY,
            },
        }
    }
    channel_layers.backends = {}
    yield get_channel_layer()
    channel_layers.backends = {}


async def test_a_burst_to_a_full_channel_loses_the_expired_push_but_not_the_ending(
    small_layer: Any,
    asigned_in: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    timeouts: Callable[..., None],
) -> None:
    monkeypatch.setattr(presence_module, "PRESENCE_INTERVAL", 0.5)
    timeouts(SWEEP_INTERVAL=0.1)  # the sweep's tick drives the presence beat
    client = await asigned_in()
    live = await sync_to_async(live_of)(client)
    tab = await connect(client)
    assert (await frame(tab))["type"] == "hello"
    # A listener that does not read, to see what the layer does with the burst.
    deaf = await small_layer.new_channel()
    await small_layer.group_add(live.group_name, deaf)

    for _ in range(BURST):
        await small_layer.group_send(live.group_name, push.active_event(time.time()))
    ended = await sync_to_async(lifecycle.end_session)(live, EndReason.TERMINATED, now=time.time())
    assert ended

    # The deaf channel holds what fitted: the `expired` push was dropped without a word.
    held = [await small_layer.receive(deaf) for _ in range(CAPACITY)]
    assert [message["type"] for message in held] == ["sessions_live.active"] * CAPACITY
    # The tab learns the ending anyway: from the push if it fitted, else from the store.
    seen = []
    while not seen or seen[-1]["type"] != "expired":
        seen.append(await frame(tab, timeout=3))
    assert seen[-1]["reason"] == "terminated"
    await close_all()

    # And a tab that connects now is told at once, from the store.
    late = await connect(client)
    assert (await frame(late))["type"] == "expired"
    await close_all()
