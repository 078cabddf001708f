"""Time is UTC epoch seconds everywhere: daylight-saving changes, time-zone settings and a
clock that jumps forward (a laptop waking up, an NTP step) give the outcome the deadlines say,
never a spurious sign-out."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import path

from sessions_live.consumers import SessionConsumer
from sessions_live.core.policy import ExpiryReason, State, Timeouts, evaluate
from sessions_live.core.protocol import TAB_SOCKET_PATH
from sessions_live.models import LiveSession
from sessions_live.routing import AuthMiddlewareStack

from .helpers import eventually
from .sockets import Socket, closed_with, frame

TIMEOUTS = Timeouts(warn_after=540, expire_after=600)


def transitions(zone: str, year: int) -> list[float]:
    """The epoch seconds at which ``zone`` changes its UTC offset during ``year``."""
    tz = ZoneInfo(zone)
    found = []
    moment = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    step = dt.timedelta(minutes=15)
    while moment.year == year:
        if moment.astimezone(tz).utcoffset() != (moment + step).astimezone(tz).utcoffset():
            low, high = moment, moment + step
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.timestamp())
        moment += step
    return found


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York", "Australia/Lord_Howe"])
def test_daylight_saving_changes_move_no_deadline(zone: str) -> None:
    changes = transitions(zone, 2026)
    assert len(changes) == 2  # one forward, one back (Lord Howe shifts by 30 minutes)
    for change in changes:
        last_activity = change - 300  # idle across the change
        wall_before = dt.datetime.fromtimestamp(last_activity, ZoneInfo(zone)).replace(tzinfo=None)
        wall_after = dt.datetime.fromtimestamp(change + 240, ZoneInfo(zone)).replace(tzinfo=None)
        # Local wall clocks disagree with the 540 s that really passed...
        assert (wall_after - wall_before).total_seconds() != 540
        for elapsed, state in [(539, State.ACTIVE), (540, State.WARNING), (600, State.EXPIRED)]:
            status = evaluate(
                last_activity=last_activity,
                started=last_activity,
                timeouts=TIMEOUTS,
                now=last_activity + elapsed,
            )
            # ...the policy does not: warned and expired exactly when due.
            assert status.state is state, (zone, change, elapsed)
        assert status.reason is ExpiryReason.IDLE


@pytest.mark.django_db
def test_a_time_zone_setting_change_signs_nobody_out(
    signed_in: Callable[..., Client], settings: Any
) -> None:
    client = signed_in()
    for zone in ["Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kathmandu", "UTC"]:
        settings.TIME_ZONE = zone
        response = client.get("/page/")
        assert response.status_code == 200, zone


class JumpingClock:
    """Wall-clock time that a test can move forward, as a suspended laptop or an NTP step
    does; asyncio's timers still run on the monotonic clock."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
async def jumping_tab(
    asigned_in: Callable[..., Any], timeouts: Callable[..., None]
) -> AsyncIterator[tuple[WebsocketCommunicator, JumpingClock]]:
    timeouts(WARN_AFTER=1, EXPIRE_AFTER=3600)
    clock = JumpingClock()
    app = AuthMiddlewareStack(
        URLRouter([path(TAB_SOCKET_PATH, SessionConsumer.as_asgi(clock=clock))])
    )
    client = await asigned_in()
    key = await sync_to_async(lambda: client.session.session_key)()
    tab = Socket(
        app,
        "/" + TAB_SOCKET_PATH,
        headers=[
            (b"origin", b"http://testserver"),
            (b"host", b"testserver"),
            (b"cookie", f"sessionid={key}".encode()),
        ],
    )
    connected, _ = await tab.connect()
    assert connected
    yield tab, clock
    await tab.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_sweeper")
async def test_a_clock_jumping_two_hours_forward_ends_the_session_once_when_next_checked(
    jumping_tab: tuple[WebsocketCommunicator, JumpingClock], logouts: list[dict[str, Any]]
) -> None:
    tab, clock = jumping_tab
    hello = await frame(tab)
    assert hello["type"] == "hello"
    assert hello["expires_in"] == pytest.approx(3600, abs=2)
    clock.offset = 2 * 3600.0  # the machine slept for two hours
    # The tab's timer (due at the warning, 1 s) finds the deadline an hour gone: the session
    # ends as idle, once, and is not first "warned" for a deadline already passed.
    expired = await frame(tab, timeout=5)
    assert expired["type"] == "expired"
    assert expired["reason"] == "idle"
    # The tab is told first; the Django session and the signals follow, once.
    assert await closed_with(tab) == 4401
    await eventually(lambda: bool(logouts), what="the logout signal")
    assert len(logouts) == 1
    live = await LiveSession.objects.aget()
    assert live.end_reason == "idle"
