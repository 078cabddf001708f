"""The cache session engine sends no signal when a session leaves the cache: a process's
heartbeat looks for its tabs' sessions, and ends one missing at two looks in a row."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.backends.cache import SessionStore as CacheSession
from django.core.cache import caches
from django.test import Client

from sessions_live import store
from sessions_live.models import LiveSession
from sessions_live.runtime import vanished as vanished_module
from sessions_live.runtime.presence import PRESENCE_INTERVAL
from sessions_live.runtime.sweep import Sweeper
from sessions_live.runtime.vanished import Vanished

from .helpers import live_of
from .sockets import connect, frame

CACHE_ENGINE = "django.contrib.sessions.backends.cache"


@pytest.fixture
def cache_sessions(settings: Any) -> Iterator[None]:
    settings.SESSION_ENGINE = CACHE_ENGINE
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    yield
    caches["default"].clear()


def evict(key: str) -> None:
    caches["default"].delete(CacheSession.cache_key_prefix + key)


def test_the_cache_engine_names_its_entries_as_the_look_expects(cache_sessions: None) -> None:
    """A canary: ``vanished.present`` asks the cache for ``cache_key_prefix + key``."""
    session = CacheSession()
    session["a"] = 1
    session.save()
    assert session.cache_key == CacheSession.cache_key_prefix + session.session_key
    assert vanished_module.present({session.session_key, "gone"}) == {session.session_key}


def watched(signed_in: Callable[..., Client]) -> tuple[LiveSession, str, Vanished, Any]:
    """A signed-in session, its key, a look of its own, and what a tab of it holds."""
    client = signed_in()
    live, key = live_of(client), client.session.session_key
    return live, key, Vanished(), {live.pk: frozenset({key})}


def test_a_session_missing_at_two_looks_ends_as_revoked(
    cache_sessions: None, signed_in: Callable[..., Client]
) -> None:
    live, key, look, held = watched(signed_in)
    assert look.look(held, now=1.0) == []  # there
    evict(key)
    assert look.look(held, now=2.0) == []  # missing once: it may be a key cycle in flight
    assert [ended.pk for ended in look.look(held, now=3.0)] == [live.pk]
    assert LiveSession.objects.get(pk=live.pk).end_reason == "revoked"
    assert look.look(held, now=4.0) == []  # over: nothing twice


def test_a_key_cycle_in_flight_ends_nothing(
    cache_sessions: None, signed_in: Callable[..., Client]
) -> None:
    live, key, look, held = watched(signed_in)
    evict(key)  # the old key is gone; the record follows the new one a moment later
    assert look.look(held, now=1.0) == []
    store.rekey(key, "newkey0123456789abcdefghijklmnop")
    assert look.look(held, now=2.0) == []
    assert LiveSession.objects.get(pk=live.pk).ended is None


def test_one_key_of_two_tabs_present_keeps_the_session(
    cache_sessions: None, signed_in: Callable[..., Client]
) -> None:
    client = signed_in()
    live, key = live_of(client), client.session.session_key
    look = Vanished()
    held = {live.pk: frozenset({key, "an-old-key-a-tab-holds"})}
    for now in (1.0, 2.0, 3.0):
        assert look.look(held, now=now) == []
    assert look.suspects == {}


def test_other_engines_are_not_looked_at(
    signed_in: Callable[..., Client], django_assert_num_queries: Any
) -> None:
    client = signed_in()
    held = {live_of(client).pk: frozenset({"not-in-any-cache"})}
    look = Vanished()
    with django_assert_num_queries(0):
        for now in (1.0, 2.0, 3.0):
            assert look.look(held, now=now) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("cache_sessions", "stop_sweeper", "_close_sockets")
async def test_an_evicted_session_s_tab_is_told_at_the_second_heartbeat(
    asigned_in: Callable[..., Any],
) -> None:
    client = await asigned_in()
    tab = await connect(client)
    assert (await frame(tab))["type"] == "hello"
    key = await sync_to_async(lambda: client.session.session_key)()
    await sync_to_async(evict)(key)
    sweep = Sweeper()
    start = time.time() + 100  # beyond any beat the process's own sweep makes meanwhile
    for beat in range(2):
        result = await sync_to_async(sweep.tick)(start + beat * PRESENCE_INTERVAL)
    assert [reason for _, reason in result.ended_elsewhere] == ["revoked"]
    assert (await frame(tab))["reason"] == "revoked"
