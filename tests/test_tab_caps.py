"""Caps on open tabs: a session past MAX_TABS_PER_SESSION, or a user past MAX_TABS_PER_USER
over all of their sessions, has its next tab refused at the handshake (4409, with an `error`
frame and a log line); no open tab is dropped, and a tab gets in once another closes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from sessions_live.core.sampled_log import SampledLog
from sessions_live.models import LiveSession, LiveTab
from sessions_live.sockets import caps

from .helpers import live_of
from .sockets import closed_with, connect, frame

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("stop_sweeper", "_close_sockets"),
]


async def refused(tab: Any, message: str) -> None:
    assert await frame(tab) == {"type": "error", "code": "too_many_tabs", "message": message}
    assert await closed_with(tab) == 4409


async def test_a_session_past_its_cap_is_refused_until_a_tab_closes(
    asigned_in: Callable[..., Any], timeouts: Callable[..., None], caplog: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(caps, "refusals", SampledLog(caps.LOG_EVERY))
    timeouts(MAX_TABS_PER_SESSION=2)
    client = await asigned_in()
    tabs = [await connect(client) for _ in range(2)]
    for tab in tabs:
        assert (await frame(tab))["type"] == "hello"
    caplog.set_level(logging.WARNING, logger="sessions_live.sockets.caps")
    extra = await connect(client)
    await refused(extra, "This session has 2 tabs open already (MAX_TABS_PER_SESSION).")
    assert "MAX_TABS_PER_SESSION (2) tabs open already (1 tabs refused" in caplog.text
    await refused(
        await connect(client), "This session has 2 tabs open already (MAX_TABS_PER_SESSION)."
    )
    assert caplog.text.count("tabs open already") == 1  # one line a minute
    assert await LiveTab.objects.acount() == 2  # the open ones stay, and are still served
    await tabs[0].send_json_to({"type": "extend"})
    assert (await frame(tabs[1]))["type"] == "active"
    await tabs[0].disconnect()
    again = await connect(client)
    assert (await frame(again))["type"] == "hello"


async def test_a_user_s_sessions_share_the_user_cap(
    asigned_in: Callable[..., Any], timeouts: Callable[..., None]
) -> None:
    timeouts(MAX_TABS_PER_USER=3)
    laptop = await asigned_in()
    phone = Client()  # the same user, signed in on a second device
    alice = await sync_to_async(lambda: live_of(laptop).user)()
    await sync_to_async(phone.force_login)(alice)
    for client in (laptop, laptop, phone):
        assert (await frame(await connect(client)))["type"] == "hello"
    await refused(await connect(phone), "This user has 3 tabs open already (MAX_TABS_PER_USER).")
    # Another user is not counted with alice.
    bob = await asigned_in("bob")
    assert (await frame(await connect(bob)))["type"] == "hello"


async def test_no_cap_lets_every_tab_in(
    asigned_in: Callable[..., Any], timeouts: Callable[..., None]
) -> None:
    timeouts(MAX_TABS_PER_SESSION=None, MAX_TABS_PER_USER=None)
    client = await asigned_in()
    for _ in range(4):
        assert (await frame(await connect(client)))["type"] == "hello"


async def test_handshakes_at_once_never_all_pass_the_cap(
    asigned_in: Callable[..., Any], timeouts: Callable[..., None]
) -> None:
    """Each handshake writes its row before it counts: of six at once with room for two, no
    more than two are let in (all may be refused, and try again)."""
    timeouts(MAX_TABS_PER_SESSION=2)
    client = await asigned_in()
    tabs = await asyncio.gather(*(connect(client) for _ in range(6)))
    firsts = [await frame(tab) for tab in tabs]
    admitted = [tab for tab, first in zip(tabs, firsts, strict=True) if first["type"] == "hello"]
    assert len(admitted) <= 2
    assert all(first["code"] == "too_many_tabs" for first in firsts if first["type"] != "hello")
    assert await LiveTab.objects.acount() == len(admitted)


async def test_tabs_of_ended_sessions_are_not_counted(
    asigned_in: Callable[..., Any], timeouts: Callable[..., None]
) -> None:
    timeouts(MAX_TABS_PER_USER=1)
    old = await asigned_in()
    assert (await frame(await connect(old)))["type"] == "hello"
    live = await sync_to_async(live_of)(old)
    await LiveSession.objects.filter(pk=live.pk).aupdate(ended=timezone.now(), end_reason="idle")
    new = Client()
    await sync_to_async(new.force_login)(await sync_to_async(lambda: live.user)())
    assert (await frame(await connect(new)))["type"] == "hello"
