"""Django sessions that vanish without a signal: the cache session engine's, evicted or
deleted from the cache (no row, so no ``post_delete``; see
:mod:`sessions_live.runtime.revocation` for every engine that has one).

At each heartbeat of a process that holds tabs (:mod:`sessions_live.runtime.presence`), one
``get_many`` asks the session cache for the keys of its tabs. A key missing at two heartbeats
in a row, while the record is still keyed by it, ends the session with ``revoked``: a key
cycle in flight (the new key written, the old one deleted, the record not moved yet) is gone
by the second look. Sessions of the other engines are not looked at: their deletions send a
signal, and a signed cookie cannot be deleted by the server at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends import cache as cache_backend
from django.core.cache import caches

from sessions_live import store
from sessions_live.models import EndReason, LiveSession
from sessions_live.runtime import lifecycle


def watched() -> bool:
    """Whether SESSION_ENGINE keeps sessions only in a cache."""
    engine = import_module(settings.SESSION_ENGINE).SessionStore
    return issubclass(engine, cache_backend.SessionStore)


def present(keys: set[str]) -> set[str]:
    """Which of ``keys`` the session cache still holds (one ``get_many``)."""
    engine = import_module(settings.SESSION_ENGINE).SessionStore
    prefix: str = engine.cache_key_prefix  # how Django's cache engine names its entries
    found = caches[settings.SESSION_CACHE_ALIAS].get_many([prefix + key for key in keys])
    return {key for key in keys if prefix + key in found}


class Vanished:
    def __init__(self) -> None:
        #: Sessions missing at the last look: live id -> the keys that were missing.
        self.suspects: dict[uuid.UUID, frozenset[str]] = {}

    def look(self, held: Mapping[uuid.UUID, frozenset[str]], now: float) -> list[LiveSession]:
        """End the sessions of ``held`` (live id -> its tabs' session keys) whose every key
        was missing at this look and the last; the sessions this call ended."""
        if not held or not watched():
            self.suspects = {}
            return []
        there = present(set().union(*held.values()))
        missing = {live_id: keys for live_id, keys in held.items() if not keys & there}
        confirmed = {
            live_id: keys for live_id, keys in missing.items() if self.suspects.get(live_id) == keys
        }
        self.suspects = missing
        if not confirmed:
            return []
        ended = []
        for live in LiveSession.objects.select_related("user").filter(
            pk__in=confirmed, ended__isnull=True
        ):
            keyed_by = {store.key_hash(key) for key in confirmed[live.pk]}
            if live.key_hash in keyed_by and lifecycle.end_session(
                live, EndReason.REVOKED, now=now
            ):
                ended.append(live)
        return ended


#: This process's look at its tabs' sessions.
vanished = Vanished()
