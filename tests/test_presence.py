"""This process's tabs (sessions_live.runtime.presence), on a Presence of the test's own: who
is here, what the tabs of one session share, and the heartbeat that tells of lost endings."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions_live import store
from sessions_live.models import LiveProcess, LiveSession, LiveTab
from sessions_live.runtime.presence import ENDED_OVERLAP, PRESENCE_INTERVAL, Presence

#: Epoch seconds the tests' time starts at.
T0 = 1_800_000_000.0


class FakeTab:
    def __init__(self, channel_name: str, live: LiveSession) -> None:
        self.channel_name = channel_name
        self.live = live
        self.told: list[str] = []

    def notice_ended(self, reason: str) -> None:
        self.told.append(reason)


def tab_of(live: LiveSession, channel_name: str, here: Presence) -> FakeTab:
    tab = FakeTab(channel_name, live)
    here.add(tab, live.pk)  # type: ignore[arg-type]
    return tab


def test_tabs_are_found_by_session_and_by_channel() -> None:
    here = Presence()
    one, other = LiveSession(id=uuid.uuid4()), LiveSession(id=uuid.uuid4())
    a, b, c = tab_of(one, "a", here), tab_of(one, "b", here), tab_of(other, "c", here)
    assert here.tabs_of(one.pk) == [a, b]
    assert here.siblings(one.pk, a) == [b]
    assert here.siblings(other.pk, c) == []
    assert sorted(here.channels()) == sorted([("a", one.pk), ("b", one.pk), ("c", other.pk)])
    assert here.tabs_of(uuid.uuid4()) == []


def test_removing_forgets_a_tab_once() -> None:
    here = Presence()
    live = LiveSession(id=uuid.uuid4())
    a, b = tab_of(live, "a", here), tab_of(live, "b", here)
    assert here.remove(a)
    assert not here.remove(a)  # it was not here any more
    assert here.tabs_of(live.pk) == [b]
    assert here.remove(b)
    assert here.channels() == []
    assert live.pk not in here.by_session


def test_tabs_of_one_session_share_one_record() -> None:
    here = Presence()
    held = LiveSession(id=uuid.uuid4())
    tab_of(held, "a", here)
    read_again = LiveSession(id=held.pk)
    assert here.record_of(read_again) is held
    unknown = LiveSession(id=uuid.uuid4())
    assert here.record_of(unknown) is unknown


def test_one_tab_of_the_process_marks_each_warning() -> None:
    here = Presence()
    live = LiveSession(id=uuid.uuid4())
    tab = tab_of(live, "a", here)
    assert here.first_to_mark(live.pk, T0)
    assert not here.first_to_mark(live.pk, T0)  # another tab of the session: done already
    assert here.first_to_mark(live.pk, T0 + 30)  # activity since: a new warning
    here.remove(tab)  # the session's last tab: its marks go too
    assert here.first_to_mark(live.pk, T0 + 30)


def test_tabs_of_one_session_share_its_throttle_until_the_last_goes() -> None:
    here = Presence()
    live = LiveSession(id=uuid.uuid4())
    a, b = tab_of(live, "a", here), tab_of(live, "b", here)
    throttle = here.throttle(live.pk, 5)
    assert here.throttle(live.pk, 5) is throttle
    assert here.throttle(uuid.uuid4(), 5) is not throttle  # another session's
    changed = here.throttle(live.pk, 2)  # ACTIVITY_INTERVAL changed
    assert changed is not throttle
    assert changed.interval == 2
    here.remove(a)
    assert here.throttle(live.pk, 2) is changed
    here.remove(b)
    assert here.throttle(live.pk, 2) is not changed


async def test_a_pending_activity_write_is_cancelled_with_the_sessions_last_tab() -> None:
    here = Presence()
    live = LiveSession(id=uuid.uuid4())
    a, b = tab_of(live, "a", here), tab_of(live, "b", here)
    here.start_flush(live.pk, asyncio.Event().wait())  # a trailing write, not done yet
    flush = here.flushes[live.pk]
    here.remove(a)
    await asyncio.sleep(0)
    assert not flush.done()  # another tab of the session is still open
    here.remove(b)
    await asyncio.gather(flush, return_exceptions=True)
    assert flush.cancelled()
    assert here.flushes == {}


# The heartbeat, with the database ---------------------------------------------------------


@pytest.fixture
def live(make_user: Callable[..., AbstractUser]) -> LiveSession:
    """A session that started at T0."""
    record, _ = store.start("k" * 32, make_user(), ip=None, user_agent="", now=T0)
    return record


@pytest.mark.django_db
def test_a_process_without_tabs_never_beats() -> None:
    here = Presence()
    with CaptureQueriesContext(connection) as queries:
        assert here.beat_if_due(T0) == []
    assert len(queries) == 0
    assert not LiveProcess.objects.exists()


def test_a_beat_vouches_for_the_tabs_and_is_due_every_interval(live: LiveSession) -> None:
    here = Presence()
    tab_of(live, "a", here)
    tab_of(live, "b", here)
    assert here.beat_if_due(T0) == []
    process = LiveProcess.objects.get()
    assert (process.name, store.to_epoch(process.seen)) == (here.name, T0)
    assert sorted(LiveTab.objects.values_list("channel_name", "process")) == [
        ("a", here.name),
        ("b", here.name),
    ]
    with CaptureQueriesContext(connection) as queries:
        here.beat_if_due(T0 + PRESENCE_INTERVAL - 0.1)
    assert len(queries) == 0  # not due yet
    here.beat_if_due(T0 + PRESENCE_INTERVAL)
    assert store.to_epoch(LiveProcess.objects.get().seen) == T0 + PRESENCE_INTERVAL


def test_the_first_beat_finds_endings_just_before_it_not_long_before(
    live: LiveSession, make_user: Callable[..., AbstractUser]
) -> None:
    old, _ = store.start("o" * 32, make_user("bob"), ip=None, user_agent="", now=T0)
    here = Presence()
    tab_of(live, "a", here)
    tab_of(old, "b", here)
    assert store.claim_end(old.pk, "logout", now=T0)
    assert store.claim_end(live.pk, "terminated", now=T0 + 100 - ENDED_OVERLAP)
    assert here.beat_if_due(T0 + 100) == [(live.pk, "terminated")]


def test_later_beats_read_endings_from_the_last_beat_on(live: LiveSession) -> None:
    here = Presence()
    tab_of(live, "a", here)
    assert here.beat_if_due(T0) == []
    later = T0 + 60  # the process stalled: no beat for a minute
    assert store.claim_end(live.pk, "logout", now=T0 + 1)
    assert here.beat_if_due(later) == [(live.pk, "logout")]


def test_endings_are_told_to_every_tab_of_the_ended_session_only(
    live: LiveSession, make_user: Callable[..., AbstractUser]
) -> None:
    other, _ = store.start("p" * 32, make_user("bob"), ip=None, user_agent="", now=T0)
    here = Presence()
    a, b, c = tab_of(live, "a", here), tab_of(live, "b", here), tab_of(other, "c", here)
    here.remove(b)
    here.tell_ended([(live.pk, "logout"), (uuid.uuid4(), "idle")])
    assert (a.told, b.told, c.told) == (["logout"], [], [])
