"""Caps on open tabs: a session past MAX_TABS_PER_SESSION, or a user past MAX_TABS_PER_USER
over all of their sessions, has its next tab refused at the handshake (4409, with an `error`
frame and a log line); no open tab is dropped, and a tab gets in once another closes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from sessions_live.models import LiveTab

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
    asigned_in: Callable[..., Any], timeouts: Callable[..., None], caplog: Any
) -> None:
    timeouts(MAX_TABS_PER_SESSION=2)
    client = await asigned_in()
    tabs = [await connect(client) for _ in range(2)]
    for tab in tabs:
        assert (await frame(tab))["type"] == "hello"
    caplog.set_level(logging.WARNING, logger="sessions_live.sockets.caps")
    extra = await connect(client)
    await refused(extra, "This session has 2 tabs open already (MAX_TABS_PER_SESSION).")
    assert "MAX_TABS_PER_SESSION (2) tabs open already" in caplog.text
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
