"""The cache session engine sends no signal when a session leaves the cache: each process
looks for its tabs' sessions every LOOK_INTERVAL, and ends one missing at two looks in a row;
a request about to cycle its key marks its record so that no look ends it meanwhile."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.cache import SessionStore as CacheSession
from django.core.cache import caches
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone

from sessions_live import store
from sessions_live.models import LiveSession
from sessions_live.runtime import outages
from sessions_live.runtime import vanished as vanished_module
from sessions_live.runtime.outages import Outage
from sessions_live.runtime.vanished import (
    CYCLE_MARK_PREFIX,
    LOOK_INTERVAL,
    EvictionWatch,
    Vanished,
)

from .helpers import live_of
from .helpers import sign_in_with_form as sign_in
from .sockets import connect, frame

CACHE_ENGINE = "django.contrib.sessions.backends.cache"
NEW = "n3w-Secret!"
CHANGE = {"old_password": "pw-alice", "new_password1": NEW, "new_password2": NEW}


@pytest.fixture
def cache_sessions(settings: Any) -> Iterator[None]:
    settings.SESSION_ENGINE = CACHE_ENGINE
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert vanished_module.present(set()) is None  # the first look plants the canary
    yield
    caches["default"].clear()


def evict(key: str) -> None:
    caches["default"].delete(CacheSession.cache_key_prefix + key)


def look(vanished: Vanished, held: dict[Any, frozenset[str]], now: float = 1.0) -> list[Any]:
    """One look, as the watch makes it (synchronously); the sessions it ended."""
    asked = vanished.to_ask(held)
    if not asked:
        return []
    there = vanished_module.present(set().union(*asked.values()))
    if there is None:
        return []
    confirmed = vanished.confirm(asked, there)
    confirmed = {
        live_id: keys
        for live_id, keys in confirmed.items()
        if live_id not in vanished_module.marked_cycling(set(confirmed))
    }
    return vanished.end(confirmed, now) if confirmed else []


def watched(signed_in: Callable[..., Client]) -> tuple[LiveSession, str, Vanished, Any]:
    """A signed-in session, its key, a look of its own, and what a tab of it holds."""
    client = signed_in()
    live, key = live_of(client), client.session.session_key
    return live, key, Vanished(), {live.pk: frozenset({key})}


def test_the_cache_engine_names_its_entries_as_the_look_expects(cache_sessions: None) -> None:
    """A canary: ``vanished.present`` asks the cache for ``cache_key_prefix + key``."""
    session = CacheSession()
    session["a"] = 1
    session.save()
    assert session.cache_key == CacheSession.cache_key_prefix + session.session_key
    assert vanished_module.present({session.session_key, "gone"}) == {session.session_key}


def test_a_cache_that_answers_nothing_ends_nothing(
    cache_sessions: None, signed_in: Callable[..., Client], monkeypatch: Any
) -> None:
    """A client set to ignore its errors answers a failed ``get_many`` with nothing: the
    missing canary says not to believe it."""
    live, _, vanished, held = watched(signed_in)
    cache = caches["default"]
    monkeypatch.setattr(cache, "get_many", lambda keys, version=None: {})
    monkeypatch.setattr(cache, "set", lambda *args, **kwargs: None)
    for _ in range(4):
        assert look(vanished, held) == []
    assert LiveSession.objects.get(pk=live.pk).ended is None


def test_a_cache_that_lost_everything_ends_its_sessions_a_look_later(
    cache_sessions: None, signed_in: Callable[..., Client]
) -> None:
    """A restarted cache lost the canary too: the first look plants it again, and the
    sessions it lost are ended at the two looks after."""
    live, _, vanished, held = watched(signed_in)
    caches["default"].clear()
    assert look(vanished, held) == []  # no canary: not believed
    assert look(vanished, held) == []  # missing once
    assert look(vanished, held) == [(live.pk, "revoked")]


def test_a_session_missing_at_two_looks_ends_as_revoked(
    cache_sessions: None, signed_in: Callable[..., Client]
) -> None:
    live, key, vanished, held = watched(signed_in)
    assert look(vanished, held) == []  # there
    evict(key)
    assert look(vanished, held) == []  # missing once: it may be a key cycle in flight
    assert look(vanished, held) == [(live.pk, "revoked")]
    assert LiveSession.objects.get(pk=live.pk).end_reason == "revoked"
    assert look(vanished, held) == []  # over: nothing twice


def test_a_key_cycle_the_record_followed_ends_nothing_and_is_not_asked_again(
    cache_sessions: None, signed_in: Callable[..., Client], django_assert_num_queries: Any
) -> None:
    live, key, vanished, held = watched(signed_in)
    evict(key)  # the old key is gone; the record follows the new one a moment later
    assert look(vanished, held) == []
    new_key = "newkey0123456789abcdefghijklmnop"
    store.rekey(key, new_key)
    assert look(vanished, held) == []
    assert LiveSession.objects.get(pk=live.pk).ended is None
    with django_assert_num_queries(0):  # its tabs hold only the key it left: nothing to ask
        for _ in range(3):
            assert look(vanished, held) == []
    # A tab opened since holds the new key: the session is looked at again.
    assert vanished.to_ask({live.pk: frozenset({key, new_key})}) == {
        live.pk: frozenset({key, new_key})
    }


def test_a_record_marked_as_cycling_its_key_is_not_ended_until_unmarked(
    cache_sessions: None, signed_in: Callable[..., Client]
) -> None:
    live, key, vanished, held = watched(signed_in)
    request = HttpRequest()
    vanished_module.cycling(live.pk, request)
    assert vanished_module.marked_by(request)
    evict(key)
    for _ in range(4):  # however long the view runs
        assert look(vanished, held) == []
    vanished_module.done_cycling(request)  # the request is over, and its record did not follow
    assert not vanished_module.marked_by(request)
    assert look(vanished, held) == [(live.pk, "revoked")]


def test_a_session_ended_elsewhere_is_not_asked_about_again(
    cache_sessions: None, signed_in: Callable[..., Client], django_assert_num_queries: Any
) -> None:
    live, key, vanished, held = watched(signed_in)
    evict(key)
    assert look(vanished, held) == []
    LiveSession.objects.filter(pk=live.pk).update(ended=timezone.now(), end_reason="terminated")
    assert look(vanished, held) == []  # ended already: its ending told the tabs
    with django_assert_num_queries(0):
        for _ in range(3):
            assert look(vanished, held) == []


def test_a_record_that_follows_a_new_key_before_its_claim_is_not_ended(
    cache_sessions: None, signed_in: Callable[..., Client], monkeypatch: Any
) -> None:
    """Read as keyed by the missing key, moved by a request before the claim: the claim's
    UPDATE checks the key too."""
    live, key, vanished, held = watched(signed_in)
    evict(key)
    assert look(vanished, held) == []
    records = store.live_records

    def read_then_moved(live_ids: set[Any]) -> list[LiveSession]:
        found = records(live_ids)
        store.rekey(key, "newkey0123456789abcdefghijklmnop")
        return found

    monkeypatch.setattr(store, "live_records", read_then_moved)
    assert look(vanished, held) == []
    assert LiveSession.objects.get(pk=live.pk).ended is None


def test_one_key_of_two_tabs_present_keeps_the_session(
    cache_sessions: None, signed_in: Callable[..., Client]
) -> None:
    client = signed_in()
    live, key = live_of(client), client.session.session_key
    vanished = Vanished()
    held = {live.pk: frozenset({key, "an-old-key-a-tab-holds"})}
    for _ in range(3):
        assert look(vanished, held) == []
    assert vanished.suspects == {}


async def test_other_engines_are_not_watched() -> None:
    watch = EvictionWatch()
    watch.ensure_started()
    assert watch.task is None
    request, live_id = HttpRequest(), uuid.uuid4()
    vanished_module.cycling(live_id, request)  # nothing to keep a record through
    assert not vanished_module.marked_by(request)
    assert caches["default"].get(CYCLE_MARK_PREFIX + live_id.hex) is None


def test_django_s_password_change_view_marks_its_record_while_it_cycles(
    cache_sessions: None, make_user: Callable[..., AbstractUser], monkeypatch: Any
) -> None:
    """A look made between ``update_session_auth_hash`` (the old key is gone) and the end of
    the request (the record follows the new key) ends nothing; the mark goes with the
    request."""
    client = sign_in(make_user("alice"))
    live, key = live_of(client), client.session.session_key
    vanished, held = Vanished(), {live.pk: frozenset({key})}
    seen: list[list[Any]] = []
    keep_session = auth_views.update_session_auth_hash

    def keep_then_look(request: Any, user: Any) -> None:
        keep_session(request, user)
        assert request.session.session_key != key  # cycled: the old key left the cache
        seen.extend([look(vanished, held), look(vanished, held)])

    monkeypatch.setattr(auth_views, "update_session_auth_hash", keep_then_look)
    assert client.post("/password/", CHANGE).status_code == 302
    assert seen == [[], []]
    assert live_of(client).pk == live.pk  # the record followed the new key
    assert LiveSession.objects.get(pk=live.pk).ended is None
    assert caches["default"].get(CYCLE_MARK_PREFIX + live.pk.hex) is None
    assert client.get("/page/", headers={"accept": "text/html"}).status_code == 200


def test_signing_in_as_another_user_ends_the_first_as_a_sign_out_whatever_a_look_saw_after(
    cache_sessions: None, make_user: Callable[..., AbstractUser]
) -> None:
    client = sign_in(make_user("alice"))
    make_user("bob")
    first, key = live_of(client), client.session.session_key
    vanished, held = Vanished(), {first.pk: frozenset({key})}
    seen: list[list[Any]] = []

    def look_twice(**kwargs: Any) -> None:  # after sessions-live's: login() flushed alice's
        # (a look between the flush and this signal is the known limit in docs/ending.md)
        seen.extend([look(vanished, held), look(vanished, held)])

    user_logged_in.connect(look_twice)
    try:
        client.post("/login/", {"username": "bob", "password": "pw-bob"})
    finally:
        user_logged_in.disconnect(look_twice)
    assert seen == [[], []]
    assert LiveSession.objects.get(pk=first.pk).end_reason == "logout"
    assert caches["default"].get(CYCLE_MARK_PREFIX + first.pk.hex) is None


class Steps:
    """The watch's sleep: each call is one interval gone; the test says what happens in it."""

    def __init__(self, *between: Callable[[], Any]) -> None:
        self.between = list(between)
        self.slept: list[float] = []
        self.done = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.between:
            await sync_to_async(self.between.pop(0))()
        else:
            self.done.set()
            await asyncio.Event().wait()  # the test stops the watch here


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("cache_sessions", "stop_sweeper", "_close_sockets")
async def test_an_evicted_session_s_tab_is_told_at_the_second_look(
    asigned_in: Callable[..., Any],
) -> None:
    client = await asigned_in()
    tab = await connect(client)
    assert (await frame(tab))["type"] == "hello"
    await vanished_module.eviction_watch.stop()  # the one the socket started, on real time
    key = await sync_to_async(lambda: client.session.session_key)()
    live = await sync_to_async(live_of)(client)

    def still_live() -> None:  # after the first look that found it missing
        assert LiveSession.objects.get(pk=live.pk).ended is None

    steps = Steps(lambda: None, lambda: evict(key), still_live)
    watch = EvictionWatch(sleep=steps)
    watch.ensure_started()
    try:
        await asyncio.wait_for(steps.done.wait(), 30)
    finally:
        await watch.stop()
    assert steps.slept == [LOOK_INTERVAL] * 4  # looks 1, 2 (there), 3 (missing), 4 (ended)
    told = await frame(tab)
    assert (told["type"], told["reason"]) == ("expired", "revoked")
    assert (await sync_to_async(LiveSession.objects.get)(pk=live.pk)).end_reason == "revoked"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("cache_sessions", "stop_sweeper", "_close_sockets")
async def test_a_session_cache_that_fails_is_logged_once_and_looked_at_again(
    asigned_in: Callable[..., Any], monkeypatch: Any, caplog: Any
) -> None:
    client = await asigned_in()
    tab = await connect(client)
    assert (await frame(tab))["type"] == "hello"
    await vanished_module.eviction_watch.stop()
    answers: list[Callable[[set[str]], set[str]]] = []
    present = vanished_module.present

    def failing(keys: set[str]) -> set[str]:
        raise ConnectionError("the cache is away")

    def flaky(keys: set[str]) -> set[str]:
        return (answers.pop(0) if answers else present)(keys)

    answers.extend([failing, failing, failing])
    monkeypatch.setattr(vanished_module, "present", flaky)
    monkeypatch.setattr(outages, "session_cache", Outage("the session cache"))
    steps = Steps(lambda: None, lambda: None, lambda: None)
    watch = EvictionWatch(sleep=steps)
    caplog.set_level(logging.INFO, logger="sessions_live.runtime.outages")
    watch.ensure_started()
    try:
        await asyncio.wait_for(steps.done.wait(), 30)
    finally:
        await watch.stop()
    logged = [r.getMessage() for r in caplog.records if r.name == "sessions_live.runtime.outages"]
    assert logged[0] == "sessions_live: the session cache is unreachable; deadlines are still kept"
    assert len(logged) == 2, logged
    assert logged[1].startswith("sessions_live: the session cache is back after"), logged
    live = await sync_to_async(live_of)(client)
    assert (await sync_to_async(LiveSession.objects.get)(pk=live.pk)).ended is None


@pytest.mark.parametrize(
    ("path", "ended"), [("/cycle-kept/", None), ("/cycle/", "revoked")], ids=["ending", "bare"]
)
def test_a_view_s_own_key_cycle_is_kept_through_the_ending_module(
    cache_sessions: None,
    signed_in: Callable[..., Client],
    monkeypatch: Any,
    path: str,
    ended: str | None,
) -> None:
    """``sessions_live.ending.cycle_key`` marks the record while the view goes on; a bare
    ``cycle_key()`` followed by two looks is the known limit docs/ending.md describes."""
    client = signed_in()
    live, key = live_of(client), client.session.session_key
    vanished, held = Vanished(), {live.pk: frozenset({key})}
    seen: list[list[Any]] = []
    cycle_key = CacheSession.cycle_key

    def cycle_then_look(session: CacheSession) -> None:
        cycle_key(session)
        seen.extend([look(vanished, held), look(vanished, held)])

    monkeypatch.setattr(CacheSession, "cycle_key", cycle_then_look)
    client.get(path)
    assert [bool(ends) for ends in seen] == [False, ended is not None]
    assert LiveSession.objects.get(pk=live.pk).end_reason == (ended or "")
    assert caches["default"].get(CYCLE_MARK_PREFIX + live.pk.hex) is None


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login/", {"username": "alice", "password": "pw-alice"}),  # same user: no cycle
        ("/set-password-then-fail/", {"password": "n3w-Secret!"}),  # rolled back: no cycle
    ],
    ids=["signed-in-again", "rolled-back-change"],
)
def test_a_request_that_did_not_cycle_leaves_no_mark(
    cache_sessions: None, make_user: Callable[..., AbstractUser], path: str, data: Any
) -> None:
    client = sign_in(make_user("alice"))
    live, key = live_of(client), client.session.session_key
    client.post(path, data)
    assert client.session.session_key == key
    assert caches["default"].get(CYCLE_MARK_PREFIX + live.pk.hex) is None
    assert LiveSession.objects.get(pk=live.pk).ended is None
