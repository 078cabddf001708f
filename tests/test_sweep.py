"""The sweep: sessions with no tab watching still end on time, and dead tabs are forgotten."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sessions_live import store
from sessions_live.models import LiveProcess, LiveSession, LiveTab
from sessions_live.runtime.presence import PRESENCE_INTERVAL, TAB_STALE_AFTER, Presence
from sessions_live.runtime.sweep import PRUNE_INTERVAL, Sweeper, sweep_once, sweeper

from .helpers import age, eventually, live_of

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


def add_tab(client: Client, name: str, *, process: str = "here", ago: float = 0) -> None:
    now = time.time()
    store.add_tab(live_of(client).pk, name, process, now - ago)


def beating(name: str, tabs: dict[str, uuid.UUID], *, ago: float = 0) -> LiveProcess:
    """A process row, as a process holding ``tabs`` writes it at a heartbeat ``ago`` seconds
    back."""
    moment = time.time() - ago
    process = LiveProcess(name=name, started=store.to_datetime(moment))
    store.beat(process, tabs, moment)
    return process


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
    beating("alive", {"alive-tab": live_of(client).pk}, ago=TAB_STALE_AFTER + 5)
    beating("alive", {}, ago=1)  # it beat again since
    beating("dead", {"dead-tab": live_of(client).pk}, ago=TAB_STALE_AFTER + 5)
    add_tab(client, "new-tab", process="new", ago=1)  # its process has not beaten yet
    result = sweep_once(time.time())
    assert result.pruned == 1
    assert sorted(LiveTab.objects.values_list("channel_name", flat=True)) == [
        "alive-tab",
        "new-tab",
    ]
    assert list(LiveProcess.objects.values_list("name", flat=True)) == ["alive"]
    assert live_of(client).tabs_seen > dt.datetime.now(tz=dt.UTC) - dt.timedelta(seconds=5)


def test_a_heartbeat_is_one_statement_however_many_tabs(signed_in: SignIn) -> None:
    live_id = live_of(signed_in()).pk
    tabs = {f"tab-{number}": live_id for number in range(200)}
    process = beating("busy", tabs)
    assert LiveTab.objects.filter(process="busy").count() == 200
    with CaptureQueriesContext(connection) as queries:
        assert store.beat(process, tabs, time.time())
    assert len(queries) == 1
    assert queries[0]["sql"].startswith("UPDATE")


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

    async def ended() -> bool:
        return await LiveSession.objects.filter(ended__isnull=False).aexists()

    await eventually(ended, what="the sweeper to end the session")
    live = await LiveSession.objects.aget()
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
    tabs = {"stalled-process-tab": live.pk, "tab-of-a-deleted-session": uuid.uuid4()}
    process = beating("stalled", {"stalled-process-tab": live.pk}, ago=TAB_STALE_AFTER + 1)
    assert store.prune_tabs(now - TAB_STALE_AFTER, now) == 1  # another process pruned it
    assert not LiveProcess.objects.exists()
    assert not store.beat(process, tabs, now)  # its own process recovers: written again
    assert list(LiveTab.objects.values_list("channel_name", flat=True)) == ["stalled-process-tab"]
    assert store.beat(process, tabs, now)  # and from then on, beats as usual
    assert LiveTab.objects.count() == 1


def test_the_in_process_sweep_asks_the_database_only_when_something_is_due(
    signed_in: SignIn,
) -> None:
    client = signed_in()
    sweep = Sweeper()
    now = time.time()
    sweep.tick(now)  # prunes, looks for due sessions, forgets old ones, learns the deadline
    for later in (1, 2.5, PRUNE_INTERVAL - 1):
        with CaptureQueriesContext(connection) as queries:
            assert sweep.tick(now + later).ended == 0
        assert [query["sql"] for query in queries] == [], later
    for later in (60, 599):
        # Every PRUNE_INTERVAL only: the prune of dead processes' tabs, and one indexed look
        # for endings a dead process left unannounced.
        with CaptureQueriesContext(connection) as queries:
            assert sweep.tick(now + later).ended == 0
        assert len(queries) == 2
        assert "sessions_live_liveprocess" in queries[0]["sql"], queries[0]["sql"]
        assert '"announce_by" <' in queries[1]["sql"], queries[1]["sql"]
    assert sweep.tick(now + 601).ended == 1  # its deadline: 600 s after its last activity
    assert live_of(client).end_reason == "idle"


def test_closing_the_last_tab_wakes_the_sweep_for_the_grace(
    signed_in: SignIn, timeouts: Callable[..., None]
) -> None:
    timeouts(EXPIRE_WHEN_ALL_TABS_CLOSED=True, CLOSE_GRACE=15)
    client = signed_in()
    add_tab(client, "tab-1")
    sweep = Sweeper()
    now = time.time()
    sweep.tick(now)
    assert sweep.due_at == pytest.approx(now + 15)  # a tab may close elsewhere at any moment
    close_tabs(client, ago=-10)  # the last tab closes in this process at now + 10
    sweep.wake_by(now + 10 + 15)
    assert sweep.tick(now + 15).ended == 0
    assert sweep.due_at == now + 25  # not now + 30, as the store alone would say
    assert sweep.tick(now + 25.5).ended == 1
    assert live_of(client).end_reason == "closed"


class FakeTab:
    def __init__(self, channel_name: str) -> None:
        self.channel_name = channel_name
        self.told: list[str] = []

    def notice_ended(self, reason: str) -> None:
        self.told.append(reason)

    def hand(self, live: LiveSession | None) -> None:
        raise AssertionError("not used here")

    async def finish(self, reason: str, redirect: str | None = None) -> None:
        raise AssertionError("not used here")


def test_the_heartbeat_tells_tabs_of_endings_whose_push_was_lost(signed_in: SignIn) -> None:
    ended, other, elsewhere = signed_in("ended"), signed_in("other"), signed_in("elsewhere")
    ended_id, other_id = live_of(ended).pk, live_of(other).pk
    here = Presence()
    tabs = {name: FakeTab(name) for name in ("a", "b", "c")}
    here.add(tabs["a"], ended_id)
    here.add(tabs["b"], ended_id)
    here.add(tabs["c"], other_id)
    now = time.time()
    assert here.beat_if_due(now) == []
    assert here.beat_if_due(now + 1) == []  # not due: no statement
    for client in (ended, elsewhere):
        client.post("/logout/")  # its push may have been lost
    found = here.beat_if_due(time.time() + PRESENCE_INTERVAL)
    assert found == [(ended_id, "logout")]
    here.tell_ended(found)
    assert [tab.told for tab in tabs.values()] == [["logout"], ["logout"], []]
    assert here.siblings(ended_id, tabs["a"]) == [tabs["b"]]


def test_adding_a_tab_again_moves_it_to_its_new_process(signed_in: SignIn) -> None:
    live_id = live_of(signed_in()).pk
    store.add_tab(live_id, "tab-1", "first", time.time())
    with CaptureQueriesContext(connection) as queries:
        store.add_tab(live_id, "tab-1", "second", time.time())
    statements = [
        query["sql"] for query in queries if not query["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    # The tab's upsert and the session's "tabs seen" stamp, committed together.
    assert len(statements) == 2
    assert list(LiveTab.objects.values_list("channel_name", "process")) == [("tab-1", "second")]
