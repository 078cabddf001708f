"""The sweep: sessions with no tab watching still end on time, and dead tabs are forgotten."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.test import Client

from sessions_live import store
from sessions_live.models import LiveSession, LiveTab
from sessions_live.sweep import TAB_STALE_AFTER, sweep_once, sweeper

from .helpers import age, live_of

SignIn = Callable[..., Client]


def test_idle_session_without_tabs_is_ended_once(
    signed_in: SignIn, logouts: list[dict[str, Any]]
) -> None:
    client = signed_in()
    age(client, idle=600)
    assert sweep_once(time.time()).ended == 1
    assert sweep_once(time.time()).ended == 0
    live = live_of(client)
    assert live.end_reason == "idle"
    assert len(logouts) == 1
    assert logouts[0]["user"].get_username() == "alice"
    # The Django session is refused at its next use, though the sweep could not delete it.
    assert client.get("/page/", headers={"accept": "text/html"}).status_code == 302


def test_session_before_its_deadline_is_left_alone(signed_in: SignIn) -> None:
    client = signed_in()
    age(client, idle=599)
    assert sweep_once(time.time()).ended == 0
    assert live_of(client).ended is None


def test_absolute_limit_is_swept(signed_in: SignIn, timeouts: Callable[..., None]) -> None:
    timeouts(ABSOLUTE_EXPIRE_AFTER=3600)
    client = signed_in()
    age(client, since_start=3600)
    assert sweep_once(time.time()).ended == 1
    assert live_of(client).end_reason == "absolute"


def add_tab(client: Client, name: str, *, seen_ago: float = 0) -> None:
    now = time.time()
    store.add_tab(live_of(client).pk, name, now - seen_ago)


def close_tabs(client: Client, *, ago: float) -> None:
    LiveTab.objects.all().delete()
    LiveSession.objects.filter(pk=live_of(client).pk).update(
        tabs_seen=store.to_datetime(time.time() - ago)
    )


def test_all_tabs_closed_ends_after_the_grace_only(
    signed_in: SignIn, timeouts: Callable[..., None]
) -> None:
    timeouts(EXPIRE_WHEN_ALL_TABS_CLOSED=True, CLOSE_GRACE=15)
    client = signed_in()
    add_tab(client, "tab-1")
    assert sweep_once(time.time()).ended == 0  # a tab is open
    close_tabs(client, ago=14)
    assert sweep_once(time.time()).ended == 0  # a reload may still come
    close_tabs(client, ago=15)
    assert sweep_once(time.time()).ended == 1
    assert live_of(client).end_reason == "closed"


def test_all_tabs_closed_is_off_by_default(signed_in: SignIn) -> None:
    client = signed_in()
    add_tab(client, "tab-1")
    close_tabs(client, ago=3600)
    assert sweep_once(time.time()).ended == 0


def test_session_that_never_had_a_tab_is_not_ended_for_closing(
    signed_in: SignIn, timeouts: Callable[..., None]
) -> None:
    timeouts(EXPIRE_WHEN_ALL_TABS_CLOSED=True, CLOSE_GRACE=1)
    client = signed_in()  # e.g. JavaScript disabled: only the idle timeout applies
    LiveSession.objects.update(started=store.to_datetime(time.time() - 100))
    assert sweep_once(time.time()).ended == 0
    assert live_of(client).ended is None


def test_tabs_of_a_dead_process_are_pruned(signed_in: SignIn) -> None:
    client = signed_in()
    add_tab(client, "alive")
    add_tab(client, "dead", seen_ago=TAB_STALE_AFTER + 1)
    result = sweep_once(time.time())
    assert result.pruned == 1
    assert list(LiveTab.objects.values_list("channel_name", flat=True)) == ["alive"]
    assert live_of(client).tabs_seen > dt.datetime.now(tz=dt.UTC) - dt.timedelta(seconds=5)


def test_management_command_sweeps(signed_in: SignIn, capsys: pytest.CaptureFixture[str]) -> None:
    client = signed_in()
    age(client, idle=601)
    call_command("sessions_live_sweep")
    assert capsys.readouterr().out.strip() == "Ended 1 sessions, pruned 0 tabs."
    assert live_of(client).end_reason == "idle"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_sweeper")
async def test_in_process_sweeper_ends_due_sessions_on_its_own(
    asigned_in: Callable[..., Any], timeouts: Callable[..., None]
) -> None:
    timeouts(SWEEP_INTERVAL=0.1)
    client = await asigned_in()
    await sync_to_async(age)(client, idle=601)
    sweeper.ensure_started()
    for _ in range(50):
        live = await LiveSession.objects.aget()
        if live.ended is not None:
            break
        await asyncio.sleep(0.05)
    assert live.end_reason == "idle"


def test_ended_sessions_are_forgotten_after_the_retention(
    signed_in: SignIn, timeouts: Callable[..., None]
) -> None:
    timeouts(RETENTION=3600)
    kept, gone = signed_in("kept"), signed_in("gone")
    for client in (kept, gone):
        client.post("/logout/")
    LiveSession.objects.filter(user__username="gone").update(
        ended=store.to_datetime(time.time() - 3601)
    )
    assert sweep_once(time.time()).forgotten == 1
    assert list(LiveSession.objects.values_list("user__username", flat=True)) == ["kept"]


def test_a_pruned_tab_whose_socket_is_open_comes_back(signed_in: SignIn) -> None:
    client = signed_in()
    live = live_of(client)
    now = time.time()
    store.add_tab(live.pk, "stalled-process-tab", now - TAB_STALE_AFTER - 1)
    assert store.prune_tabs(now - TAB_STALE_AFTER, now) == 1  # another process pruned it
    store.refresh_tabs({"stalled-process-tab": live.pk}, now)  # its own process recovers
    assert list(LiveTab.objects.values_list("channel_name", flat=True)) == ["stalled-process-tab"]
    store.refresh_tabs({"tab-of-a-deleted-session": uuid.uuid4()}, now)
    assert LiveTab.objects.count() == 1
