"""The dashboard socket: who may watch and act, the snapshot, coalesced changes, ending."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Permission
from django.db import OperationalError
from django.test import Client

from sessions_live import dashboard, store
from sessions_live.dashboard.consumer import FRAME_BYTES, batches
from sessions_live.models import LiveSession
from sessions_live.runtime import outages

from .fake_time import EXACT, FakeTime, fake_time_of
from .helpers import eventually, live_of
from .sockets import (
    BOARD,
    PATIENCE,
    TAB,
    board_application,
    closed_with,
    connect,
    frame,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("layer", "stop_sweeper", "_close_sockets"),
]


@pytest.fixture(autouse=True)
def _fast_dashboard(timeouts: Callable[..., None]) -> None:
    timeouts(DASHBOARD_INTERVAL=0.2)


async def watch(client: Client | None) -> WebsocketCommunicator:
    return await connect(client, BOARD)


OUTAGE = "sessions_live: the database is unreachable; deadlines are still kept"

#: More sessions than one frame holds.
CROWD = 1200


def output_bytes(frame: dict[str, Any]) -> bytes:
    return json.dumps(frame, separators=(",", ":")).encode()


async def test_anonymous_is_refused_with_4401(db: None) -> None:
    socket = await watch(None)
    assert await closed_with(socket) == 4401


@pytest.mark.parametrize(
    ("perms", "flags"),
    [
        ((), {"is_staff": False}),  # a signed-in user who is not staff
        ((), {}),  # staff without the permission
        (("view_livesession",), {"is_staff": False}),  # the permission without staff
    ],
)
async def test_without_view_permission_no_data_is_sent(
    astaff: Callable[..., Any], perms: tuple[str, ...], flags: dict[str, Any]
) -> None:
    socket = await watch(await astaff("mallory", *perms, **flags))
    message = await frame(socket)
    assert message == {"type": "error", "code": "forbidden", "message": "Not allowed."}
    assert await closed_with(socket) == 4403


async def test_snapshot_lists_sessions_by_opaque_id_with_totals(
    astaff: Callable[..., Any], asigned_in: Callable[..., Any]
) -> None:
    user = await asigned_in("alice")
    tab = await connect(user, TAB)
    assert (await frame(tab))["type"] == "hello"
    board = await watch(await astaff("viewer", "view_livesession"))
    snapshot = await frame(board)
    assert snapshot["type"] == "snapshot"
    assert snapshot["can_end"] is False
    rows = {row["user"]["username"]: row for row in snapshot["sessions"]}
    alice = rows["alice"]
    live = await LiveSession.objects.aget(user__username="alice")
    assert alice["id"] == live.pk.hex
    assert alice["state"] == "active"
    assert alice["tabs"] == 1
    assert alice["user"]["url"] == f"/admin/auth/user/{alice['user']['id']}/change/"
    key = await sync_to_async(lambda: user.session.session_key)()
    assert key not in json.dumps(snapshot)
    assert live.key_hash not in json.dumps(snapshot)
    assert snapshot["totals"] == {"sessions": 2, "tabs": 1, "warning": 0}


async def test_changes_follow_tabs_and_are_coalesced(
    astaff: Callable[..., Any], asigned_in: Callable[..., Any]
) -> None:
    clock = FakeTime(start=time.time())
    app = board_application(**clock.dashboard_kwargs())
    board = await connect(await astaff("viewer", "view_livesession"), BOARD, app=app)
    assert (await frame(board))["type"] == "snapshot"
    user = await asigned_in("alice")
    tabs = [await connect(user, TAB) for _ in range(3)]
    for tab in tabs:
        assert (await frame(tab))["type"] == "hello"
    assert await board.receive_nothing(0.1)  # nothing until the interval is over
    # The sign-in and three tabs opened within one interval arrive as one frame.
    assert await clock.next() == pytest.approx(0.2, abs=EXACT)
    change = await frame(board)
    assert [(row["user"]["username"], row["tabs"]) for row in change["sessions"]] == [("alice", 3)]
    assert change["totals"]["tabs"] == 3
    await clock.next()  # the next interval: nothing changed, nothing sent
    assert await board.receive_nothing(0.1)
    await tabs[0].disconnect()
    await clock.next()
    change = await frame(board)
    assert [row["tabs"] for row in change["sessions"]] == [2]


async def test_a_warning_turns_the_rows_state(
    astaff: Callable[..., Any], asigned_in: Callable[..., Any]
) -> None:
    alice = await asigned_in("alice")
    tab_time, tab_app = await fake_time_of(alice)  # from alice's sign-in, a 540/600 session
    board_time = FakeTime(start=tab_time.now)
    viewer = await astaff("viewer", "view_livesession")
    board = await connect(viewer, BOARD, app=board_application(**board_time.dashboard_kwargs()))
    await frame(board)
    tab = await connect(alice, app=tab_app)
    assert (await frame(tab))["type"] == "hello"
    assert await tab_time.next() == pytest.approx(540, abs=EXACT)  # the tab's warning deadline
    assert (await frame(tab))["type"] == "warning"
    warned_at = store.to_datetime(tab_time.now)

    async def marked() -> bool:  # the tab writes the warning after it sent the frame
        return await LiveSession.objects.filter(
            user__username="alice", changed__gte=warned_at
        ).aexists()

    await eventually(marked, what="the warning to be written")
    board_time.move(540)
    await board_time.next()  # the dashboard's next look
    change = await frame(board)
    assert [row["state"] for row in change["sessions"] if row["user"]["username"] == "alice"] == [
        "warning"
    ]
    assert change["totals"]["warning"] == 1


async def test_view_only_staff_cannot_end(
    astaff: Callable[..., Any], asigned_in: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    await asigned_in("alice")
    board = await watch(await astaff("viewer", "view_livesession"))
    row = (await frame(board))["sessions"][0]
    await board.send_json_to({"type": "end", "id": row["id"]})
    assert await frame(board) == {
        "type": "error",
        "code": "forbidden",
        "message": "You may not end sessions.",
    }
    assert "viewer may not end sessions" in caplog.text
    assert await LiveSession.objects.filter(ended__isnull=False).acount() == 0


@pytest.mark.parametrize("who", ["with_permission", "superuser"])
async def test_ending_a_session_signs_its_tabs_out_and_records_who(
    astaff: Callable[..., Any], asigned_in: Callable[..., Any], who: str
) -> None:
    user = await asigned_in("alice")
    tab = await connect(user, TAB)
    assert (await frame(tab))["type"] == "hello"
    if who == "superuser":
        admin = await astaff("root", is_superuser=True)
    else:
        admin = await astaff("boss", "view_livesession", "end_livesession")
    board = await watch(admin)
    snapshot = await frame(board)
    assert snapshot["can_end"] is True
    alice = next(r for r in snapshot["sessions"] if r["user"]["username"] == "alice")
    await board.send_json_to({"type": "end", "id": alice["id"]})
    assert await frame(tab) == {
        "type": "expired",
        "reason": "terminated",
        "redirect": "/login/?signed_out=terminated",
    }
    change = await frame(board)
    ended = next(r for r in change["sessions"] if r["id"] == alice["id"])
    assert ended["state"] == "ended"
    assert ended["end_reason"] == "terminated"
    assert ended["ended_by"]["username"] == ("root" if who == "superuser" else "boss")
    # The old cookie is refused on HTTP too.
    response = await sync_to_async(user.get)("/page/", headers={"accept": "text/html"})
    assert response["Location"].startswith("/login/?signed_out=terminated")


async def test_end_user_ends_every_session_of_that_user(
    astaff: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    alice = await sync_to_async(make_user)("alice")
    for _ in range(2):  # signed in on two devices
        await sync_to_async(Client().force_login)(alice)
    board = await watch(await astaff("boss", "view_livesession", "end_livesession"))
    await frame(board)
    await board.send_json_to({"type": "end_user", "user_id": alice.pk})
    change = await frame(board)
    ended = [r for r in change["sessions"] if r["user"]["username"] == "alice"]
    assert [r["state"] for r in ended] == ["ended", "ended"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"type": "end", "id": "not-a-uuid"}, "not_found"),
        ({"type": "end", "id": "0" * 32}, "not_found"),
        ({"type": "end_user", "user_id": "nobody"}, "not_found"),
        # Ids no user can have: beyond the database's integers (an OverflowError in the
        # query on SQLite, once), negative, a fraction, an exponent.
        ({"type": "end_user", "user_id": int("9" * 64)}, "not_found"),
        ({"type": "end_user", "user_id": "9" * 64}, "not_found"),
        ({"type": "end_user", "user_id": -(10**40)}, "not_found"),
        ({"type": "end_user", "user_id": -1}, "not_found"),
        ({"type": "end_user", "user_id": "1.5"}, "not_found"),
        ({"type": "end_user", "user_id": "1e3"}, "not_found"),
        ({"type": "end_user", "user_id": 1.5}, "invalid_field"),
        ({"type": "end_user", "user_id": [1, 2, 3]}, "invalid_field"),  # one id a frame
        ({"type": "end_user", "user_id": "7" + "0" * 254}, "invalid_field"),  # refused, not cut
        ({"type": "end", "id": list(range(10_000))}, "too_large"),  # and 4 KiB at most
        ({"type": "end", "id": None}, "invalid_field"),
        ({"type": "dance"}, "unknown_type"),
    ],
)
async def test_bad_dashboard_frames_get_an_error(
    astaff: Callable[..., Any], payload: dict[str, Any], code: str
) -> None:
    board = await watch(await astaff("boss", "view_livesession", "end_livesession"))
    await frame(board)
    await board.send_json_to(payload)
    message = await frame(board)
    assert (message["type"], message["code"]) == ("error", code)


async def test_malformed_dashboard_frame_closes_with_4400(astaff: Callable[..., Any]) -> None:
    board = await watch(await astaff("boss", "view_livesession", "end_livesession"))
    await frame(board)
    await board.send_to(text_data="{nope")
    assert await closed_with(board, skipping_frames=True) == 4400


async def test_every_write_reaches_the_dashboard_not_only_recent_rows(
    astaff: Callable[..., Any], asigned_in: Callable[..., Any]
) -> None:
    alice = await asigned_in("alice")  # signed in, no tab open
    long_ago = store.to_datetime(time.time() - 60)  # well outside the re-read overlap
    await LiveSession.objects.filter(user__username="alice").aupdate(
        changed=long_ago, last_activity=long_ago
    )
    clock = FakeTime(start=time.time())
    app = board_application(**clock.dashboard_kwargs())
    boss = await astaff("boss", "view_livesession", "end_livesession")
    board = await connect(boss, BOARD, app=app)
    row = next(r for r in (await frame(board))["sessions"] if r["user"]["username"] == "alice")
    # The dashboard looks once (and finds nothing new) before the write, so the write is
    # found by a later look, not only by the first re-read after the snapshot.
    await clock.next()
    await eventually(lambda: clock.pending() != [], what="the dashboard's first look to end")
    await sync_to_async(alice.get)("/page/")  # HTTP activity moves the row's last activity
    await clock.next()
    moved = await frame(board)
    assert [r["last_activity"] > row["last_activity"] for r in moved["sessions"]] == [True]
    await board.send_json_to({"type": "end", "id": row["id"]})

    async def alice_ended() -> bool:
        return await LiveSession.objects.filter(pk=row["id"], ended__isnull=False).aexists()

    await eventually(alice_ended, what="the end to be recorded")
    await clock.next()
    ended = await frame(board)
    assert [(r["id"], r["state"]) for r in ended["sessions"]] == [(row["id"], "ended")]


async def test_dashboard_closes_when_its_own_session_ends(astaff: Callable[..., Any]) -> None:
    boss = await astaff("boss", "view_livesession", "end_livesession")
    board = await watch(boss)
    await frame(board)
    await sync_to_async(boss.post)("/logout/")
    assert await closed_with(board, skipping_frames=True) == 4401


async def test_dashboard_closes_when_permission_is_revoked(astaff: Callable[..., Any]) -> None:
    board = await watch(await astaff("viewer", "view_livesession"))
    await frame(board)
    await Permission.objects.filter(codename="view_livesession").adelete()
    assert await closed_with(board, skipping_frames=True) == 4403


async def test_a_database_outage_is_logged_once_not_each_interval_of_each_dashboard(
    astaff: Callable[..., Any],
    timeouts: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two dashboards fail several rounds each, then the database answers again: one error
    (with its traceback) for the outage, one line for its end, nothing per round."""
    monkeypatch.setattr(outages, "database", outages.Outage("the database"))
    timeouts(DASHBOARD_INTERVAL=0.01)
    boss = await astaff("boss", "view_livesession")
    boards = [await watch(boss) for _ in range(2)]
    for board in boards:
        assert (await frame(board))["type"] == "snapshot"
    failing, rounds = 10, 14  # rounds of both dashboards together
    calls, answered = itertools.count(1), threading.Event()
    real = dashboard.changed_since

    def changed_since(since: float, now: float) -> Any:
        call = next(calls)
        if call >= rounds:
            answered.set()
        if call <= failing:
            raise OperationalError("connection refused")
        return real(since, now)

    monkeypatch.setattr(dashboard, "changed_since", changed_since)
    caplog.clear()
    assert await asyncio.to_thread(answered.wait, 10)
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.levelname) for r in logged] == [
        ("sessions_live.runtime.outages", "ERROR"),  # one error over ten failed rounds
        ("sessions_live.runtime.outages", "WARNING"),
    ]
    assert logged[0].getMessage() == OUTAGE
    assert logged[0].exc_info is not None  # the traceback, once
    assert logged[1].getMessage().startswith("sessions_live: the database is back after ")
    for board in boards:  # both still open: any frame is a change, never a close
        while not await board.receive_nothing(0.05):
            assert (await frame(board))["type"] == "changes"


async def test_dashboard_from_a_foreign_origin_is_refused(astaff: Callable[..., Any]) -> None:
    boss = await astaff("boss", "view_livesession", "end_livesession")
    board = await connect(boss, BOARD, headers=[(b"origin", b"https://evil.example")])
    assert await frame(board) == {
        "type": "error",
        "code": "forbidden",
        "message": "Origin not allowed.",
    }
    assert await closed_with(board) == 4403


async def test_a_large_snapshot_comes_in_frames_that_daphne_lets_through(
    astaff: Callable[..., Any], asigned_in: Callable[..., Any]
) -> None:
    alice = await sync_to_async(live_of)(await asigned_in("alice"))
    now = time.time()
    await LiveSession.objects.abulk_create(
        LiveSession(
            key_hash=f"{number:064x}",
            user_id=alice.user_id,
            ip="192.0.2.1",
            user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
            started=store.to_datetime(now),
            last_activity=store.to_datetime(now),
        )
        for number in range(CROWD)
    )
    board = await watch(await astaff("viewer", "view_livesession"))
    expected = CROWD + 2  # and alice's own, and the viewer's
    output = await board.receive_output(PATIENCE)
    snapshot = json.loads(output["text"])
    assert snapshot["type"] == "snapshot"
    assert snapshot["more"] is True
    assert snapshot["totals"]["sessions"] == expected
    frames, ids = [snapshot], {row["id"] for row in snapshot["sessions"]}
    while len(ids) < expected:
        output = await board.receive_output(PATIENCE)
        following = json.loads(output["text"])
        assert following["type"] == "changes"
        assert following["removed"] == []
        assert following["totals"] == snapshot["totals"]
        frames.append(following)
        ids.update(row["id"] for row in following["sessions"])
    assert len(frames) > 2
    # Under the 64 KiB --websocket-max-message-size of docs/deploying.md, which daphne applies
    # to what it sends too.
    assert max(len(output_bytes(f)) for f in frames) <= 64 * 1024
    assert len(ids) == expected


def test_batches_keep_order_and_stay_under_the_budget() -> None:
    rows: list[Any] = [{"id": str(n), "user": {"username": "ü" * (n % 50)}} for n in range(500)]
    cut = batches(rows, budget=2000)
    assert [row for batch in cut for row in batch] == rows
    assert all(len(output_bytes({"sessions": batch})) <= 2000 + 20 for batch in cut)
    assert len(cut) > 10
    assert batches([]) == [[]]
    huge = [{"id": "x" * (FRAME_BYTES * 2)}]
    assert batches(huge) == [huge]  # alone in its frame rather than never sent
