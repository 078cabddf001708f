"""Staff's messages to open tabs, from the dashboard socket: who may send, to whom they go,
the audit trail, the rate limit, and the frames on both sockets."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from sessions_live.core.protocol import (
    BROADCAST_MAX_CHARS,
    BroadcastRequest,
    FrameError,
    parse_dashboard_frame,
)
from sessions_live.models import Broadcast, LiveSession
from sessions_live.runtime.sweep import forget
from sessions_live.store import to_datetime

from .helpers import live_of
from .sockets import BOARD, TAB, connect, frame

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("layer", "stop_sweeper", "_close_sockets"),
]

SENDER = ("boss", "view_livesession", "broadcast_livesession")


async def answer(board: WebsocketCommunicator) -> dict[str, Any]:
    """The dashboard's next frame that is not a ``changes`` (tabs come and go meanwhile)."""
    while (received := await frame(board))["type"] == "changes":
        pass
    return received


async def open_tab(client: Client) -> WebsocketCommunicator:
    tab = await connect(client, TAB)
    assert (await frame(tab))["type"] == "hello"
    return tab


async def board_of(astaff: Callable[..., Any], *who: str, **flags: Any) -> WebsocketCommunicator:
    board = await connect(await astaff(*who, **flags), BOARD)
    assert (await frame(board))["type"] == "snapshot"
    return board


@pytest.mark.parametrize(
    ("frame_data", "expected"),
    [
        (
            {"type": "broadcast", "text": " Back soon "},
            BroadcastRequest(to="all", text="Back soon"),
        ),
        (
            {"type": "broadcast", "text": "x", "to": "user", "user_id": 7},
            BroadcastRequest(to="user", text="x", target="7"),
        ),
        (
            {"type": "broadcast", "text": "x", "to": "session", "id": "ab"},
            BroadcastRequest(to="session", text="x", target="ab"),
        ),
    ],
)
def test_a_broadcast_frame_is_read(frame_data: dict[str, Any], expected: BroadcastRequest) -> None:
    assert parse_dashboard_frame(json.dumps(frame_data)) == expected


@pytest.mark.parametrize(
    ("frame_data", "message"),
    [
        ({"type": "broadcast"}, "'text' must be a message."),
        ({"type": "broadcast", "text": "   "}, "'text' must be a message."),
        ({"type": "broadcast", "text": 5}, "'text' must be a message."),
        (
            {"type": "broadcast", "text": "x" * (BROADCAST_MAX_CHARS + 1)},
            f"'text' is limited to {BROADCAST_MAX_CHARS} characters.",
        ),
        (
            {"type": "broadcast", "text": "x", "to": "everyone"},
            "'to' must be 'all', 'user' or 'session'.",
        ),
        (
            {"type": "broadcast", "text": "x", "to": "user"},
            "'user_id' must be a string or an integer.",
        ),
        (
            {"type": "broadcast", "text": "x", "to": "session", "id": True},
            "'id' must be a string or an integer.",
        ),
    ],
)
def test_a_bad_broadcast_frame_is_refused_saying_why(
    frame_data: dict[str, Any], message: str
) -> None:
    with pytest.raises(FrameError) as refused:
        parse_dashboard_frame(json.dumps(frame_data))
    assert (refused.value.code, refused.value.message, refused.value.close_code) == (
        "invalid_field",
        message,
        None,
    )


async def test_a_message_to_every_open_tab_reaches_them_verbatim_and_is_audited(
    astaff: Callable[..., Any], asigned_in: Callable[..., Any]
) -> None:
    alice, bob = await asigned_in("alice"), await asigned_in("bob")
    tabs = [await open_tab(alice), await open_tab(alice), await open_tab(bob)]
    board = await connect(await astaff(*SENDER), BOARD)
    snapshot = await frame(board)
    assert (snapshot["can_broadcast"], snapshot["can_end"]) == (True, False)
    text = 'Maintenance in 10 minutes: <b>save</b> your work & "reload".'
    await board.send_json_to({"type": "broadcast", "text": text})
    sent = await answer(board)
    assert sent["type"] == "broadcast_sent"
    assert sent["sessions"] == 2  # alice's and bob's; the board's own session has no tab
    for tab in tabs:
        assert await frame(tab) == {"type": "broadcast", "id": sent["id"], "text": text}
    audit = await Broadcast.objects.select_related("sent_by").aget()
    assert (str(audit.pk), audit.sent_by.username, audit.to, audit.text, audit.sessions) == (
        sent["id"],
        "boss",
        "all",
        text,
        2,
    )


async def test_a_message_to_one_user_or_one_session_reaches_only_those_tabs(
    astaff: Callable[..., Any], asigned_in: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    alice = await sync_to_async(make_user)("alice")
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        await sync_to_async(device.force_login)(alice)
    bob = await asigned_in("bob")
    laptop_tab, phone_tab, bob_tab = [await open_tab(c) for c in (laptop, phone, bob)]
    board = await board_of(astaff, *SENDER)

    await board.send_json_to(
        {"type": "broadcast", "text": "to alice", "to": "user", "user_id": alice.pk}
    )
    assert (await answer(board))["sessions"] == 2
    for tab in (laptop_tab, phone_tab):
        assert (await frame(tab))["text"] == "to alice"

    phone_id = str((await sync_to_async(live_of)(phone)).pk)
    await board.send_json_to(
        {"type": "broadcast", "text": "to the phone", "to": "session", "id": phone_id}
    )
    assert (await answer(board))["sessions"] == 1
    assert (await frame(phone_tab))["text"] == "to the phone"
    # Bob and alice's laptop heard nothing of either: their next frame is the next message's.
    await board.send_json_to({"type": "broadcast", "text": "to all"})
    assert (await answer(board))["sessions"] == 3
    for tab in (laptop_tab, bob_tab):
        assert (await frame(tab))["text"] == "to all"
    rows = [
        (b.to, b.user_id, b.session_id and str(b.session_id), b.sessions)
        async for b in Broadcast.objects.order_by("sent")
    ]
    assert rows == [
        ("user", alice.pk, None, 2),
        ("session", None, phone_id, 1),
        ("all", None, None, 3),
    ]


async def test_a_user_or_session_with_no_tab_open_is_not_found(
    astaff: Callable[..., Any], asigned_in: Callable[..., Any]
) -> None:
    alice = await asigned_in("alice")  # signed in, no tab open
    board = await board_of(astaff, *SENDER)
    alice_pk = (await sync_to_async(live_of)(alice)).user_id
    for target in (
        {"to": "user", "user_id": alice_pk},
        {"to": "user", "user_id": "9" * 64},  # not an id the database can hold
        {"to": "session", "id": "not-a-uuid"},
    ):
        await board.send_json_to({"type": "broadcast", "text": "hello", **target})
        assert await answer(board) == {
            "type": "broadcast_refused",
            "code": "not_found",
            "message": "No open tab to send it to.",
        }
    assert await Broadcast.objects.acount() == 0


@pytest.mark.parametrize("perms", [("view_livesession",), ("view_livesession", "end_livesession")])
async def test_staff_without_the_permission_may_not_send(
    astaff: Callable[..., Any],
    asigned_in: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    perms: tuple[str, ...],
) -> None:
    tab = await open_tab(await asigned_in("alice"))
    board = await connect(await astaff("viewer", *perms), BOARD)
    assert (await frame(board))["can_broadcast"] is False
    await board.send_json_to({"type": "broadcast", "text": "hi"})
    assert await answer(board) == {
        "type": "broadcast_refused",
        "code": "forbidden",
        "message": "You may not send messages.",
    }
    assert "viewer may not send messages to tabs" in caplog.text
    assert await Broadcast.objects.acount() == 0
    await board.send_json_to({"type": "broadcast", "text": "hi"})  # the socket stays open
    assert (await answer(board))["code"] == "forbidden"
    # The tab heard none of it: its next frame is the next message that was sent.
    allowed = await board_of(astaff, *SENDER)
    await allowed.send_json_to({"type": "broadcast", "text": "allowed"})
    assert (await answer(allowed))["type"] == "broadcast_sent"
    assert (await frame(tab))["text"] == "allowed"


async def test_a_superuser_may_send(
    astaff: Callable[..., Any], asigned_in: Callable[..., Any]
) -> None:
    tab = await open_tab(await asigned_in("alice"))
    board = await board_of(astaff, "root", is_superuser=True)
    await board.send_json_to({"type": "broadcast", "text": "from root"})
    assert (await answer(board))["type"] == "broadcast_sent"
    assert (await frame(tab))["text"] == "from root"


async def test_one_staff_member_sends_at_most_the_limit_a_minute(
    astaff: Callable[..., Any], asigned_in: Callable[..., Any], timeouts: Callable[..., None]
) -> None:
    timeouts(BROADCASTS_PER_MINUTE=2)
    await open_tab(await asigned_in("alice"))
    board = await board_of(astaff, *SENDER)
    other = await board_of(astaff, "deputy", "view_livesession", "broadcast_livesession")
    for number in range(2):
        await board.send_json_to({"type": "broadcast", "text": f"message {number}"})
        assert (await answer(board))["type"] == "broadcast_sent"
    await board.send_json_to({"type": "broadcast", "text": "one too many"})
    assert await answer(board) == {
        "type": "broadcast_refused",
        "code": "rate_limited",
        "message": "At most 2 messages a minute.",
    }
    await other.send_json_to({"type": "broadcast", "text": "another sender"})  # their own limit
    assert (await answer(other))["type"] == "broadcast_sent"
    # A minute later (the audit rows are the count), the first may send again.
    await Broadcast.objects.filter(sent_by__username="boss").aupdate(
        sent=(await Broadcast.objects.aearliest("sent")).sent.replace(year=2000)
    )
    await board.send_json_to({"type": "broadcast", "text": "later"})
    assert (await answer(board))["type"] == "broadcast_sent"
    assert await Broadcast.objects.filter(text="one too many").acount() == 0


def test_messages_are_forgotten_with_the_ended_sessions(make_user: Callable[..., Any]) -> None:
    staff = make_user("boss")
    now = time.time()
    for age in (8 * 24 * 3600, 3600):  # past the 7-day RETENTION, and recent
        Broadcast.objects.create(
            sent=to_datetime(now - age), sent_by=staff, to="all", text=f"{age}"
        )
    forget(now)
    assert list(Broadcast.objects.values_list("text", flat=True)) == ["3600"]
    assert not LiveSession.objects.exists()


class Pauses:
    """A scheduler that records its pauses and takes none."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


async def test_a_message_to_many_sessions_is_paced_and_no_push_holds_it_up(
    monkeypatch: pytest.MonkeyPatch, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio

    from sessions_live.dashboard import broadcasting
    from sessions_live.runtime import outages

    sent: list[str] = []

    class Layer:
        async def group_send(self, group: str, event: dict[str, Any]) -> None:
            if group == "hung":
                await asyncio.Event().wait()  # a Redis that never answers
            sent.append(group)

    monkeypatch.setattr(broadcasting.push, "get_channel_layer", Layer)
    monkeypatch.setattr(outages, "channel_layer", outages.Outage("the channel layer"))
    settings.SESSIONS_LIVE = {"PUSH_TIMEOUT": 0.01}
    groups = ["hung", *(f"g{n}" for n in range(119))]
    sending = broadcasting.Sending(Broadcast(pk=1, text="hi"), groups)
    pauses = Pauses()
    await broadcasting.push_all(sending, pauses)
    assert sent == groups[1:]  # all but the hung one, which was given up
    assert pauses.slept == [broadcasting.PUSH_PAUSE] * 2  # 120 groups: 3 batches of 50
    assert "was not pushed to 1 of 120 sessions" in caplog.text


def test_the_audit_trail_is_listed_read_only_in_the_admin(
    staff: Callable[..., Client], make_user: Callable[..., Any]
) -> None:
    sender = make_user("boss")
    Broadcast.objects.create(
        sent=to_datetime(time.time()), sent_by=sender, to="all", text="Back soon"
    )
    admin = staff("root", is_superuser=True)
    listing = admin.get("/admin/sessions_live/broadcast/")
    assert listing.status_code == 200
    assert "Back soon" in listing.content.decode()
    assert admin.get("/admin/sessions_live/broadcast/add/").status_code == 403
    row = Broadcast.objects.get()
    assert (
        admin.post(f"/admin/sessions_live/broadcast/{row.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Broadcast.objects.count() == 1
