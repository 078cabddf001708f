"""Group memberships re-asserted every beat, against the real Redis (a flush raises nothing)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
import redis
from channels.layers import channel_layers, get_channel_layer
from channels_redis.core import RedisChannelLayer

from sessions_live.runtime import outages
from sessions_live.sockets import group_watch as group_watch_module
from sessions_live.sockets.group_watch import GroupWatch, keeps_groups_as_keys, reassert

from .conftest import MEMORY_LAYER, redis_layer_settings


@pytest.fixture
def redis_layer(settings: Any, redis_url: str) -> Any:
    settings.CHANNEL_LAYERS = redis_layer_settings(redis_url)
    channel_layers.backends = {}
    yield get_channel_layer()
    channel_layers.backends = {}


def flush(redis_url: str) -> None:
    with redis.Redis.from_url(redis_url) as client:
        client.flushall()


async def test_canary_channels_redis_keeps_groups_as_keys_a_pipeline_can_put_back(
    redis_layer: Any, redis_url: str
) -> None:
    """Pins what group_watch assumes of channels-redis' internals: group keys, shards,
    ``group_expiry``, and that a ZADD of ours is a membership ``group_send`` delivers to."""
    assert isinstance(redis_layer, RedisChannelLayer)
    assert keeps_groups_as_keys(redis_layer)
    group, channel = f"sessions_live.s.{uuid.uuid4().hex}", await redis_layer.new_channel()
    await redis_layer.group_add(group, channel)
    assert await reassert(redis_layer, [(group, channel)]) == 0  # nothing was missing
    flush(redis_url)
    assert await reassert(redis_layer, [(group, channel)]) == 1  # the flush took it
    await redis_layer.group_send(group, {"type": "sessions_live.active", "n": 1})
    assert (await redis_layer.receive(channel))["n"] == 1
    with redis.Redis.from_url(redis_url) as client:
        key = redis_layer._group_key(group)
        assert 0 < client.ttl(key) <= redis_layer.group_expiry


def test_layers_that_keep_no_group_keys_are_left_alone(settings: Any) -> None:
    settings.CHANNEL_LAYERS = MEMORY_LAYER
    channel_layers.backends = {}
    assert not keeps_groups_as_keys(get_channel_layer())
    channel_layers.backends = {}


async def test_a_look_puts_lost_memberships_back_and_says_so_once_a_minute(
    redis_layer: Any,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(outages, "channel_layer", outages.Outage("the channel layer"))
    live_ids = [uuid.uuid4() for _ in range(3)]
    channels = [await redis_layer.new_channel() for _ in live_ids]
    held = dict(zip(channels, live_ids, strict=True))
    gone = channels[2]  # left while the look ran: put back, then out again

    class Presence:
        def channels(self) -> list[tuple[str, uuid.UUID]]:
            listed = list(held.items())
            held.pop(gone, None)  # it leaves just after the first look lists it
            return listed

        def holds(self, channel: str) -> bool:
            return channel in held

    monkeypatch.setattr(group_watch_module, "presence", Presence())
    watch = GroupWatch()
    with caplog.at_level(logging.WARNING, logger="sessions_live"):
        assert await watch.look() == 3  # never joined here: all added
        assert await watch.look() == 0  # the one that left was discarded again
        flush(redis_url)
        assert await watch.look() == 2
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1, lines  # the next is due a minute later, with the sum since
    assert lines[0].startswith(
        "sessions_live: the channel layer had lost 3 group memberships of this process's tabs "
        "(of 3 now); put back."
    )
    with redis.Redis.from_url(redis_url) as client:
        left_group = redis_layer._group_key(f"sessions_live.s.{live_ids[2].hex}")
        assert client.zcard(left_group) == 0
    for channel, live_id in held.items():
        await redis_layer.group_send(f"sessions_live.s.{live_id.hex}", {"type": "x", "to": channel})
        assert (await redis_layer.receive(channel))["to"] == channel


async def test_a_look_the_layer_does_not_answer_counts_as_its_outage(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(outages, "channel_layer", outages.Outage("the channel layer"))

    class Presence:
        def channels(self) -> list[tuple[str, uuid.UUID]]:
            return [("specific.x!y", uuid.uuid4())]

    async def failing(layer: Any, members: Any) -> int:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(group_watch_module, "presence", Presence())
    monkeypatch.setattr(group_watch_module, "reassert", failing)
    assert await GroupWatch().look() == 0
    assert outages.channel_layer.down
