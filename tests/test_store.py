"""The store's API (sessions_live.store) on explicit epoch seconds: one record's writes agree
without locks, tabs live as long as their process beats, and the questions over many
sessions. (The SQL deadlines themselves: test_deadlines.py; the sweep: test_sweep.py.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser

from sessions_live import store
from sessions_live.models import LiveProcess, LiveSession, LiveTab
from sessions_live.store import HOOK_SWEEP_LIMIT

pytestmark = pytest.mark.django_db

#: Epoch seconds the tests' sessions start at (tests.settings: warn at 540 s, end at 600 s).
T0 = 1_800_000_000.0
EXPIRE = 600.0

Start = Callable[..., LiveSession]


@pytest.fixture
def start(make_user: Callable[..., AbstractUser]) -> Start:
    """A session of a new user, started at ``now``."""
    keys = iter(range(1000))

    def begin(username: str = "alice", *, now: float = T0, **user_agent: Any) -> LiveSession:
        key = f"{username}-{next(keys)}".ljust(32, "k")
        live, created = store.start(
            key, make_user(username), ip="192.0.2.1", user_agent=user_agent.get("ua", ""), now=now
        )
        assert created
        return live

    return begin


def fresh(live: LiveSession) -> LiveSession:
    return LiveSession.objects.get(pk=live.pk)


def epoch(moment: Any) -> float:
    return store.to_epoch(moment)


# One record ---------------------------------------------------------------------------


def test_start_creates_the_record_once(make_user: Callable[..., AbstractUser]) -> None:
    alice = make_user()
    live, created = store.start("s" * 32, alice, ip=None, user_agent="x" * 600, now=T0)
    assert created
    assert (epoch(live.started), epoch(live.last_activity), epoch(live.changed)) == (T0, T0, T0)
    assert len(live.user_agent) == store.USER_AGENT_MAX
    again, created = store.start("s" * 32, alice, ip=None, user_agent="", now=T0 + 50)
    assert not created
    assert again.pk == live.pk
    assert epoch(again.started) == T0
    assert LiveSession.objects.count() == 1


def test_get_finds_by_id_only(start: Start) -> None:
    live = start()
    found = store.get(live.pk)
    assert found is not None
    assert found.user.get_username() == "alice"
    assert store.get(uuid.uuid4()) is None


def test_touch_never_revives_a_session_past_its_deadline(start: Start) -> None:
    live = start()
    assert store.touch(live.pk, at=T0 + EXPIRE - 1, now=T0 + EXPIRE - 1)
    assert epoch(fresh(live).changed) == T0 + EXPIRE - 1
    # Its idle deadline is now T0 + 2 * EXPIRE - 1: activity reported at it comes too late.
    assert not store.touch(live.pk, at=T0 + 2 * EXPIRE - 1, now=T0 + 2 * EXPIRE - 1)
    assert not store.touch(live.pk, at=T0 + 2 * EXPIRE, now=T0 + 2 * EXPIRE + 30)
    assert epoch(fresh(live).last_activity) == T0 + EXPIRE - 1


def test_touch_is_refused_once_the_session_ended(start: Start) -> None:
    live = start()
    assert store.claim_end(live.pk, "logout", now=T0 + 10)
    assert not store.touch(live.pk, at=T0 + 11, now=T0 + 11)
    assert epoch(fresh(live).last_activity) == T0


def test_a_lease_only_moves_later_and_is_refused_once_ended(start: Start) -> None:
    live = start()
    assert store.lease(live.pk, until=T0 + 3000, now=T0 + 1)
    assert store.lease(live.pk, until=T0 + 2000, now=T0 + 2)  # shorter: kept at the longer
    assert epoch(fresh(live).leased_until) == T0 + 3000
    # Leased, it is still live after its idle deadline, and activity still counts.
    assert store.touch(live.pk, at=T0 + 1000, now=T0 + 1000)
    assert store.claim_end(live.pk, "logout", now=T0 + 1001)
    assert not store.lease(live.pk, until=T0 + 5000, now=T0 + 1002)
    assert epoch(fresh(live).leased_until) == T0 + 3000


def test_a_lease_is_refused_past_the_deadline(start: Start) -> None:
    live = start()
    assert not store.lease(live.pk, until=T0 + 3000, now=T0 + EXPIRE)
    assert fresh(live).leased_until is None


def test_claim_end_succeeds_exactly_once(start: Start, make_user: Callable[..., Any]) -> None:
    live = start()
    boss = make_user("boss")
    assert store.claim_end(live.pk, "terminated", now=T0 + 5, by=boss)
    assert not store.claim_end(live.pk, "terminated", now=T0 + 6)
    assert not store.claim_end(live.pk, "logout", now=T0 + 7)
    ended = fresh(live)
    assert (ended.end_reason, ended.ended_by_id) == ("terminated", boss.pk)
    assert (epoch(ended.ended), epoch(ended.changed)) == (T0 + 5, T0 + 5)


def test_a_timeout_is_claimed_only_while_still_due(start: Start) -> None:
    live = start()
    assert not store.claim_end(live.pk, "idle", now=T0 + EXPIRE - 1)  # not due yet
    # Activity recorded between a sweep's read and its claim wins over the claim.
    assert store.touch(live.pk, at=T0 + EXPIRE - 1, now=T0 + EXPIRE - 1)
    assert not store.claim_end(live.pk, "idle", now=T0 + EXPIRE)
    assert store.claim_end(live.pk, "idle", now=T0 + 2 * EXPIRE - 1)
    assert fresh(live).end_reason == "idle"


def test_closed_is_claimed_after_the_grace_with_no_tab_open(start: Start) -> None:
    live = start()
    assert not store.claim_end(live.pk, "closed", now=T0 + 100)  # no tab was ever seen
    store.add_tab(live.pk, "tab-1", "p", now=T0)
    assert not store.claim_end(live.pk, "closed", now=T0 + 100)  # a tab is open
    store.remove_tab(live.pk, "tab-1", now=T0 + 10)
    assert not store.claim_end(live.pk, "closed", now=T0 + 24)  # within CLOSE_GRACE (15 s)
    assert store.claim_end(live.pk, "closed", now=T0 + 25)


def test_move_and_rekey_follow_a_new_key_until_the_session_ends(start: Start) -> None:
    live = start()
    assert store.move(live.pk, "m" * 32)
    assert store.find("m" * 32) == live
    assert store.rekey("m" * 32, "n" * 32)
    assert store.find("m" * 32) is None
    assert store.find("n" * 32) == live
    assert not store.rekey("unknown", "o" * 32)
    assert store.claim_end(live.pk, "logout", now=T0 + 1)
    assert not store.move(live.pk, "p" * 32)
    assert not store.rekey("n" * 32, "q" * 32)
    assert store.find("n" * 32) == live  # an ended record keeps its key


def test_mark_changed_stamps_only_changed(start: Start) -> None:
    live = start()
    store.mark_changed(live.pk, now=T0 + 540)
    marked = fresh(live)
    assert epoch(marked.changed) == T0 + 540
    assert epoch(marked.last_activity) == T0


# Tabs and processes -------------------------------------------------------------------


def test_adding_and_removing_tabs_stamps_when_tabs_were_seen(start: Start) -> None:
    live = start()
    store.add_tab(live.pk, "tab-1", "p", now=T0 + 1)
    assert (epoch(fresh(live).tabs_seen), epoch(fresh(live).changed)) == (T0 + 1, T0 + 1)
    store.add_tab(live.pk, "tab-2", "p", now=T0 + 2)
    store.remove_tab(live.pk, "tab-1", now=T0 + 3)
    assert list(LiveTab.objects.values_list("channel_name", flat=True)) == ["tab-2"]
    assert (epoch(fresh(live).tabs_seen), epoch(fresh(live).changed)) == (T0 + 3, T0 + 3)


def test_forget_tabs_deletes_one_sessions_tabs(start: Start) -> None:
    ended, other = start("alice"), start("bob")
    store.add_tab(ended.pk, "a-1", "p", now=T0)
    store.add_tab(ended.pk, "a-2", "p", now=T0)
    store.add_tab(other.pk, "b-1", "p", now=T0)
    store.forget_tabs(ended.pk)
    assert list(LiveTab.objects.values_list("channel_name", flat=True)) == ["b-1"]


def process(name: str) -> LiveProcess:
    return LiveProcess(name=name, started=store.to_datetime(T0))


def test_beating_keeps_a_processs_tabs_and_silence_loses_them(start: Start) -> None:
    live = start()
    alive, silent = process("alive"), process("silent")
    store.beat(alive, {}, now=T0)
    store.beat(silent, {}, now=T0)
    store.add_tab(live.pk, "alive-tab", "alive", now=T0)
    store.add_tab(live.pk, "silent-tab", "silent", now=T0)
    assert store.beat(alive, {"alive-tab": live.pk}, now=T0 + 25)  # "silent" stops beating
    assert store.prune_tabs(stale_before=T0 + 10, now=T0 + 30) == 1
    assert list(LiveTab.objects.values_list("channel_name", flat=True)) == ["alive-tab"]
    assert list(LiveProcess.objects.values_list("name", flat=True)) == ["alive"]
    assert (epoch(fresh(live).tabs_seen), epoch(fresh(live).changed)) == (T0 + 30, T0 + 30)


def test_pruning_nothing_stale_writes_nothing(start: Start) -> None:
    live = start()
    store.beat(process("p"), {}, now=T0)
    store.add_tab(live.pk, "tab-1", "p", now=T0)
    assert store.prune_tabs(stale_before=T0 - 1, now=T0 + 30) == 0
    assert LiveTab.objects.count() == 1
    assert epoch(fresh(live).changed) == T0


def test_forget_processes_deletes_only_those_that_stopped_beating() -> None:
    store.beat(process("old"), {}, now=T0)
    store.beat(process("new"), {}, now=T0 + 30)
    store.forget_processes(stale_before=T0 + 10)
    assert list(LiveProcess.objects.values_list("name", flat=True)) == ["new"]


# Many sessions ------------------------------------------------------------------------


def test_due_lists_each_session_past_its_deadline_with_its_reason(
    start: Start, timeouts: Callable[..., None]
) -> None:
    timeouts(ABSOLUTE_EXPIRE_AFTER=3600)
    start("idle")
    busy, long, ended = start("busy"), start("long", now=T0 - 3000), start("ended")
    store.touch(busy.pk, at=T0 + 500, now=T0 + 500)
    # Signed in 50 minutes before the others and busy ever since:
    LiveSession.objects.filter(pk=long.pk).update(last_activity=store.to_datetime(T0 + 590))
    store.claim_end(ended.pk, "logout", now=T0 + 1)
    due = {live.user.get_username(): reason for live, reason in store.due(now=T0 + EXPIRE)}
    assert due == {"idle": "idle", "long": "absolute"}
    assert store.due(now=T0 + EXPIRE - 1) == []
    assert len(store.due(now=T0 + EXPIRE, limit=1)) == 1


def test_due_lists_closed_sessions_only_when_configured(
    start: Start, timeouts: Callable[..., None]
) -> None:
    live = start()
    store.add_tab(live.pk, "tab-1", "p", now=T0)
    store.remove_tab(live.pk, "tab-1", now=T0 + 1)
    assert store.due(now=T0 + 100) == []
    timeouts(EXPIRE_WHEN_ALL_TABS_CLOSED=True, CLOSE_GRACE=15)
    assert [(found.pk, reason) for found, reason in store.due(now=T0 + 100)] == [
        (live.pk, "closed")
    ]


def test_next_deadline_is_the_earliest_live_one_at_most_expire_after_away(
    start: Start, timeouts: Callable[..., None]
) -> None:
    assert store.next_deadline(now=T0) == T0 + EXPIRE  # no session: one starting now
    first, second = start("first"), start("second", now=T0 + 50)
    assert store.next_deadline(now=T0 + 100) == T0 + EXPIRE
    store.claim_end(first.pk, "logout", now=T0 + 100)
    assert store.next_deadline(now=T0 + 100) == T0 + 50 + EXPIRE  # ended ones do not count
    store.touch(second.pk, at=T0 + 400, now=T0 + 400)
    assert store.next_deadline(now=T0 + 450) == T0 + 400 + EXPIRE
    timeouts(ABSOLUTE_EXPIRE_AFTER=200)
    assert store.next_deadline(now=T0 + 100) == T0 + 250


def no_own_timeouts(**kwargs: Any) -> None:
    return None


def test_with_a_timeouts_hook_next_deadline_is_near(timeouts: Callable[..., None]) -> None:
    timeouts(TIMEOUTS_FOR=f"{__name__}.no_own_timeouts")
    assert store.next_deadline(now=T0) == T0 + HOOK_SWEEP_LIMIT


def test_ended_since_lists_endings_at_or_after_a_moment(start: Start) -> None:
    early, late = start("early"), start("late")
    start("live")
    store.claim_end(early.pk, "logout", now=T0 + 10)
    store.claim_end(late.pk, "terminated", now=T0 + 20)
    assert store.ended_since(T0 + 20) == [(late.pk, "terminated")]
    assert sorted(store.ended_since(T0)) == sorted([(early.pk, "logout"), (late.pk, "terminated")])
    assert store.ended_since(T0 + 21) == []


def test_count_by_state_counts_live_sessions_by_their_dashboard_state(start: Start) -> None:
    active, warned = start("active"), start("warned", now=T0 - 560)
    start("idle")  # no tab open
    store.add_tab(active.pk, "a", "p", now=T0)
    store.add_tab(warned.pk, "w", "p", now=T0)
    store.claim_end(start("ended").pk, "logout", now=T0)
    assert store.count_by_state(now=T0) == {"active": 1, "warning": 1, "idle": 1}


def test_delete_ended_before_forgets_only_old_endings(start: Start) -> None:
    old, recent = start("old"), start("recent")
    start("live")
    store.claim_end(old.pk, "logout", now=T0 + 10)
    store.claim_end(recent.pk, "logout", now=T0 + 20)
    assert store.delete_ended_before(T0 + 20) == 1
    assert sorted(LiveSession.objects.values_list("user__username", flat=True)) == [
        "live",
        "recent",
    ]
