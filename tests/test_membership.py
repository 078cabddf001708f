"""A tab's group membership (sessions_live.sockets.membership) through channel-layer outages,
against a layer the test controls: it answers, fails at once, or never answers."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sessions_live.runtime import outages
from sessions_live.runtime.presence import Presence
from sessions_live.sockets import membership
from sessions_live.sockets.membership import GroupMembership

from .helpers import eventually

GROUP = "sessions_live.s.group"


class FakeLayer:
    """The two calls a membership makes of a channel layer, and the groups they made."""

    def __init__(self) -> None:
        self.groups: dict[str, set[str]] = {}
        self.calls: list[tuple[str, str, str]] = []
        self.failing = False
        self.hanging = False

    async def answer(self, call: str, group: str, channel: str) -> None:
        self.calls.append((call, group, channel))
        if self.hanging:
            await asyncio.Event().wait()  # a Redis that drops every packet
        if self.failing:
            raise ConnectionError("Connection refused")

    async def group_add(self, group: str, channel: str) -> None:
        await self.answer("add", group, channel)
        self.groups.setdefault(group, set()).add(channel)

    async def group_discard(self, group: str, channel: str) -> None:
        await self.answer("discard", group, channel)
        self.groups.get(group, set()).discard(channel)


class FakeTab:
    def __init__(self, channel_name: str) -> None:
        self.channel_name = channel_name


@pytest.fixture(autouse=True)
def channel_layer(monkeypatch: pytest.MonkeyPatch) -> outages.Outage:
    """This process's view of its channel layer, fresh for each test."""
    outage = outages.Outage("the channel layer", clock=lambda: 100.0)
    monkeypatch.setattr(outages, "channel_layer", outage)
    return outage


@pytest.fixture(autouse=True)
def presence(monkeypatch: pytest.MonkeyPatch) -> Presence:
    """This process's tabs, none but the test's."""
    here = Presence()
    monkeypatch.setattr(membership, "presence", here)
    return here


@pytest.fixture
def layer() -> FakeLayer:
    return FakeLayer()


def fail(outage: outages.Outage) -> None:
    try:
        raise ConnectionError("Connection closed by server.")
    except ConnectionError:
        outage.failed()


async def test_a_join_puts_the_channel_in_its_group(
    layer: FakeLayer, channel_layer: outages.Outage
) -> None:
    member = GroupMembership(layer, "tab-1", GROUP)
    assert not member.joined
    await member.join()
    assert member.joined
    assert layer.groups == {GROUP: {"tab-1"}}
    assert not channel_layer.down


async def test_a_join_without_the_layer_goes_on_and_counts_an_outage(
    layer: FakeLayer, channel_layer: outages.Outage
) -> None:
    layer.failing = True
    member = GroupMembership(layer, "tab-1", GROUP)
    await member.join()  # does not raise
    assert not member.joined
    assert layer.calls == [("add", GROUP, "tab-1")] * 2  # tried again once
    assert channel_layer.down


async def test_a_join_waits_join_timeout_at_most(
    layer: FakeLayer, channel_layer: outages.Outage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(membership, "JOIN_TIMEOUT", 0)
    layer.hanging = True
    member = GroupMembership(layer, "tab-1", GROUP)
    await member.join()  # returns, though the layer never answers
    assert not member.joined
    assert channel_layer.down


async def test_joined_means_since_the_last_outage_ended(
    layer: FakeLayer, channel_layer: outages.Outage
) -> None:
    member = GroupMembership(layer, "tab-1", GROUP)
    await member.join()
    fail(channel_layer)
    assert member.joined  # still, as far as it knows: the outage has not ended
    channel_layer.recovered()  # a restarted Redis forgot every group
    assert not member.joined
    await member.rejoin()
    assert member.joined


async def test_after_leaving_a_rejoin_does_nothing(layer: FakeLayer) -> None:
    member = GroupMembership(layer, "tab-1", GROUP)
    await member.join()
    await member.leave()
    assert layer.groups == {GROUP: set()}
    await member.rejoin()
    await member.join()
    assert layer.groups == {GROUP: set()}
    assert [call for call, _, _ in layer.calls] == ["add", "discard"]


async def test_leaving_without_the_layer_counts_an_outage(
    layer: FakeLayer, channel_layer: outages.Outage
) -> None:
    member = GroupMembership(layer, "tab-1", GROUP)
    await member.join()
    layer.failing = True
    await member.leave()  # does not raise
    assert member.left
    assert channel_layer.down


async def test_leaving_cancels_a_join_under_way(layer: FakeLayer) -> None:
    layer.hanging = True
    member = GroupMembership(layer, "tab-1", GROUP)
    member.join_in_background()
    joining = member.joining
    assert joining is not None
    member.join_in_background()  # one join at a time
    assert member.joining is joining
    # Until the join waits on the layer: before that, Python 3.11's wait_for lets a join
    # that finds the tab gone return instead of being cancelled.
    await eventually(lambda: bool(layer.calls), what="the join to reach the layer")
    layer.hanging = False
    await member.leave()
    await asyncio.gather(joining, return_exceptions=True)
    assert joining.cancelled()
    assert not member.joined


async def test_a_join_that_ends_an_outage_rejoins_every_tab_of_the_process(
    layer: FakeLayer, channel_layer: outages.Outage, presence: Presence
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    presence.add(FakeTab("tab-1"), first)
    presence.add(FakeTab("tab-2"), first)
    presence.add(FakeTab("tab-3"), second)
    fail(channel_layer)
    await GroupMembership(layer, "tab-1", f"sessions_live.s.{first.hex}").rejoin()
    assert not channel_layer.down
    expected = {
        f"sessions_live.s.{first.hex}": {"tab-1", "tab-2"},
        f"sessions_live.s.{second.hex}": {"tab-3"},
    }
    await eventually(lambda: layer.groups == expected, what="every tab to rejoin")


async def test_a_join_outside_an_outage_rejoins_only_its_tab(
    layer: FakeLayer, presence: Presence
) -> None:
    live_id = uuid.uuid4()
    presence.add(FakeTab("tab-1"), live_id)
    presence.add(FakeTab("tab-2"), live_id)
    await GroupMembership(layer, "tab-2", GROUP).join()
    for _ in range(3):
        await asyncio.sleep(0)  # room for a rejoin of every tab, were one started
    assert layer.calls == [("add", GROUP, "tab-2")]


async def test_rejoining_every_tab_without_the_layer_counts_an_outage(
    layer: FakeLayer, channel_layer: outages.Outage, presence: Presence
) -> None:
    presence.add(FakeTab("tab-1"), uuid.uuid4())
    layer.failing = True
    await membership.rejoin_every_tab(layer)  # does not raise
    assert channel_layer.down


async def test_a_rejoin_still_on_its_way_when_the_tab_leaves_is_undone(
    layer: FakeLayer,
) -> None:
    """The resilient receive rejoins by itself (not as ``joining``): a leave meanwhile must
    not leave the channel in the group once that join lands."""
    member = GroupMembership(layer, "tab-1", GROUP)
    arrived = asyncio.Event()
    landing = asyncio.Event()
    real_add = layer.group_add

    async def slow_add(group: str, channel: str) -> None:
        arrived.set()
        await landing.wait()
        await real_add(group, channel)

    layer.group_add = slow_add  # type: ignore[method-assign]
    rejoining = asyncio.ensure_future(member.rejoin())
    await arrived.wait()
    await member.leave()  # the discard runs before the add lands
    landing.set()
    await rejoining
    assert layer.groups == {GROUP: set()}
    assert [call for call, _, _ in layer.calls] == ["discard", "add", "discard"]


async def test_rejoining_every_tab_skips_a_tab_that_left_meanwhile(
    layer: FakeLayer, presence: Presence
) -> None:
    live_id = uuid.uuid4()
    staying, leaving = FakeTab("tab-1"), FakeTab("tab-2")
    presence.add(staying, live_id)
    presence.add(leaving, live_id)
    real_add = layer.group_add

    async def add_then_the_other_leaves(group: str, channel: str) -> None:
        await real_add(group, channel)
        presence.remove(leaving)  # it disconnects while the first add is on its way

    layer.group_add = add_then_the_other_leaves  # type: ignore[method-assign]
    await membership.rejoin_every_tab(layer)
    assert layer.groups == {f"sessions_live.s.{live_id.hex}": {"tab-1"}}
