"""Django sessions that vanish without a signal: the cache session engine's, evicted or
deleted from the cache (no row, so no ``post_delete``; see
:mod:`sessions_live.runtime.revocation` for every engine that has one).

While a process holds tabs, :class:`EvictionWatch` asks the session cache for their keys every
``LOOK_INTERVAL`` seconds, one ``get_many`` a look. A session whose every key was missing at
two looks in a row, while its record is still keyed by one of them, ends with ``revoked``: its
tabs hear of it within two looks and a push. Two looks, not one, because a key cycle writes the
new key and deletes the old one before the record follows it at the end of the request; the
request that is about to cycle its key (a password change kept by
``update_session_auth_hash``, a sign-in over another user's session,
:func:`sessions_live.ending.cycle_key`) marks its record in the cache until it returns
(:func:`cycling`, at most ``CYCLE_MARK_TIMEOUT``), and no look ends a marked record. Each look
also asks for a canary entry the watch keeps in the cache: a cache that answers nothing
without raising (a client set to ignore its errors) ends no session. Sessions of the other
engines are not looked at: their deletions send a signal, and a signed cookie cannot be
deleted by the server at all.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from importlib import import_module

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.sessions.backends import cache as cache_backend
from django.core.cache import BaseCache, caches
from django.http import HttpRequest

from sessions_live import store
from sessions_live.models import EndReason
from sessions_live.runtime import lifecycle, outages
from sessions_live.runtime.presence import PRESENCE_INTERVAL, presence

logger = logging.getLogger(__name__)

#: Seconds between two looks at the session cache.
LOOK_INTERVAL = 0.25
#: Seconds before the next look after a look failed for want of the database, or for a bug.
RETRY_INTERVAL = PRESENCE_INTERVAL
#: Seconds a record stays marked as cycling its key: beyond any request's view. The request
#: takes its marks off as it returns.
CYCLE_MARK_TIMEOUT = 60
#: The session cache's entry that marks a record as cycling its key (followed by its id).
CYCLE_MARK_PREFIX = "sessions_live.cycling."
#: The session cache's entry every look asks for with the keys: without it, the answer is not
#: believed (the cache lost everything, or answered nothing) and the watch writes it again.
CANARY = "sessions_live.watching"
#: The attribute of a request holding the ids of the records it marked.
_MARKED = "sessions_live_cycling"


def watched() -> bool:
    """Whether SESSION_ENGINE keeps sessions only in a cache."""
    engine = import_module(settings.SESSION_ENGINE).SessionStore
    return issubclass(engine, cache_backend.SessionStore)


def _cache() -> BaseCache:
    return caches[settings.SESSION_CACHE_ALIAS]


def present(keys: set[str]) -> set[str] | None:
    """Which of ``keys`` the session cache still holds (one ``get_many``); None when its
    answer cannot be believed (the canary is missing: it is written again for the next look)."""
    engine = import_module(settings.SESSION_ENGINE).SessionStore
    prefix: str = engine.cache_key_prefix  # how Django's cache engine names its entries
    found = _cache().get_many([CANARY, *(prefix + key for key in keys)])
    if CANARY not in found:
        _cache().set(CANARY, True, None)  # kept until the cache itself drops it
        return None
    return {key for key in keys if prefix + key in found}


def cycling(live_id: uuid.UUID, request: HttpRequest) -> None:
    """``request`` may cycle its session's key before it returns (the record ``live_id``
    follows the new key only then): no look ends the record until :func:`done_cycling`.
    Best effort: a cache that fails is logged, and the request goes on."""
    if not watched():
        return
    request.__dict__.setdefault(_MARKED, set()).add(live_id)
    try:
        _cache().set(CYCLE_MARK_PREFIX + live_id.hex, True, CYCLE_MARK_TIMEOUT)
    except Exception:
        outages.session_cache.failed()


def marked_by(request: HttpRequest) -> bool:
    """Whether ``request`` marked a record as :func:`cycling` (no I/O)."""
    return bool(request.__dict__.get(_MARKED))


def done_cycling(request: HttpRequest) -> None:
    """``request`` is returning: take off the marks it made (its records follow their new
    keys by now, or ended)."""
    marked: set[uuid.UUID] = request.__dict__.pop(_MARKED, set())
    if not marked:
        return
    try:
        _cache().delete_many([CYCLE_MARK_PREFIX + live_id.hex for live_id in marked])
    except Exception:
        outages.session_cache.failed()  # the marks lapse after CYCLE_MARK_TIMEOUT


def marked_cycling(live_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``live_ids`` a request marked as :func:`cycling` (one ``get_many``)."""
    found = _cache().get_many([CYCLE_MARK_PREFIX + live_id.hex for live_id in live_ids])
    return {live_id for live_id in live_ids if CYCLE_MARK_PREFIX + live_id.hex in found}


class Vanished:
    """What the looks saw: the sessions missing at the last one, and those not worth asking
    about until their tabs' keys change (their record follows a newer key, or ended)."""

    def __init__(self) -> None:
        #: Sessions missing at the last look: live id -> the keys that were missing.
        self.suspects: dict[uuid.UUID, frozenset[str]] = {}
        #: Sessions settled for these keys of their tabs: live id -> the keys.
        self.settled: dict[uuid.UUID, frozenset[str]] = {}

    def to_ask(self, held: Mapping[uuid.UUID, frozenset[str]]) -> dict[uuid.UUID, frozenset[str]]:
        """The sessions of ``held`` (live id -> its tabs' session keys) worth a look."""
        self.settled = {
            live_id: keys for live_id, keys in self.settled.items() if held.get(live_id) == keys
        }
        return {live_id: keys for live_id, keys in held.items() if live_id not in self.settled}

    def confirm(
        self, held: Mapping[uuid.UUID, frozenset[str]], there: set[str]
    ) -> dict[uuid.UUID, frozenset[str]]:
        """The sessions of ``held`` whose every key is missing from ``there`` (the keys the
        cache holds) at this look and was at the last."""
        missing = {live_id: keys for live_id, keys in held.items() if not keys & there}
        confirmed = {
            live_id: keys for live_id, keys in missing.items() if self.suspects.get(live_id) == keys
        }
        self.suspects = missing
        return confirmed

    def end(
        self, confirmed: Mapping[uuid.UUID, frozenset[str]], now: float
    ) -> list[tuple[uuid.UUID, str]]:
        """End the sessions of ``confirmed`` whose record is still keyed by a missing key
        (synchronous: the database); those this call ended, with their reason. The others are
        settled until their tabs' keys change."""
        ended, found = [], set()
        for live in store.live_records(set(confirmed)):
            found.add(live.pk)
            keys = confirmed[live.pk]
            keyed_by = {digest for key in keys for digest in store.key_hashes(key)}
            if live.key_hash not in keyed_by:
                self.settled[live.pk] = keys
            elif lifecycle.end_session(live, EndReason.REVOKED, now=now, keyed_by=keyed_by):
                ended.append((live.pk, str(EndReason.REVOKED)))
            else:
                self.settled[live.pk] = keys  # it followed a new key or ended meanwhile
        for live_id in set(confirmed) - found:  # ended elsewhere: its tabs are told by it
            self.settled[live_id] = confirmed[live_id]
        return ended


class EvictionWatch:
    """The looks of this process, on its event loop: one task, started by the first tab that
    connects when the cache engine keeps sessions."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.clock, self.sleep = clock, sleep
        self.vanished = Vanished()
        self.task: asyncio.Task[None] | None = None

    def ensure_started(self) -> None:
        if not watched():
            return
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.vanished = Vanished()
            self.task = loop.create_task(self.run(), name="sessions_live.eviction_watch")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def look(self) -> list[tuple[uuid.UUID, str]]:
        """One look; the sessions it ended (their tabs here are told already)."""
        held = self.vanished.to_ask(presence.held_keys()) if watched() else {}
        if not held:
            self.vanished.suspects = {}
            return []
        try:
            # The cache, off the thread that runs the database calls of every socket: a look
            # waits on nobody's query, and no query waits on a look.
            there = await sync_to_async(present, thread_sensitive=False)(
                set().union(*held.values())
            )
            confirmed = self.vanished.confirm(held, there) if there is not None else {}
            if confirmed:
                marked = await sync_to_async(marked_cycling, thread_sensitive=False)(set(confirmed))
                confirmed = {key: keys for key, keys in confirmed.items() if key not in marked}
        except Exception:
            outages.session_cache.failed()
            return []
        outages.session_cache.recovered()
        if not confirmed:
            return []
        ended = await database_sync_to_async(self.vanished.end)(confirmed, self.clock())
        presence.tell_ended(ended)
        return ended

    async def run(self) -> None:
        while True:
            pause = RETRY_INTERVAL
            try:
                await self.look()
            except outages.DATABASE_UNAVAILABLE:
                outages.database.failed()  # the sweep logs its recovery
            except Exception:
                logger.exception("sessions_live: the eviction watch failed; looking again soon")
            else:
                pause = LOOK_INTERVAL
            await self.sleep(pause)


#: This process's looks at its tabs' sessions.
eviction_watch = EvictionWatch()
