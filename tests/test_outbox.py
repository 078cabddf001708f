"""The ending's outbox: the claim marks an ending unannounced in its own UPDATE, the
announcement clears it, and a sweep announces what a process that died in between left."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from sessions_live import store
from sessions_live.core.vocabulary import EndReason
from sessions_live.models import LiveSession
from sessions_live.runtime import lifecycle
from sessions_live.runtime.sweep import Sweeper, sweep_once

from .helpers import live_of

pytestmark = pytest.mark.django_db


def test_an_announced_ending_leaves_nothing_to_announce(
    signed_in: Callable[..., Client], logouts: list[dict[str, Any]]
) -> None:
    live = live_of(signed_in())
    now = time.time()
    assert lifecycle.end_session(live, EndReason.TERMINATED, now=now)
    assert LiveSession.objects.get(pk=live.pk).announce_by is None
    assert lifecycle.announce_left(now + store.ANNOUNCE_WITHIN + 60) == 0
    assert len(logouts) == 1


def test_an_ending_whose_process_died_before_announcing_it_is_announced_once_by_a_sweep(
    signed_in: Callable[..., Client],
    logouts: list[dict[str, Any]],
    endings: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = signed_in()
    live = live_of(client)
    now = time.time()
    # What a process killed right after its claim leaves: the record ended, nothing sent.
    assert store.claim_end(live.pk, EndReason.TERMINATED, now)
    left = LiveSession.objects.get(pk=live.pk)
    assert left.ended is not None
    assert left.announce_by is not None
    assert store.to_epoch(left.announce_by) == pytest.approx(now + store.ANNOUNCE_WITHIN)
    # While the claimer may still be announcing, nobody else does.
    assert lifecycle.announce_left(now + store.ANNOUNCE_WITHIN - 1) == 0
    assert logouts == []
    assert endings == []
    with caplog.at_level(logging.WARNING, logger="sessions_live"):
        assert sweep_once(now + store.ANNOUNCE_WITHIN + 1).announced == 1
    assert [logout["user"].pk for logout in logouts] == [live.user_id]
    assert [(ending["live_session"].pk, ending["reason"]) for ending in endings] == [
        (live.pk, EndReason.TERMINATED)
    ]
    assert "was not announced by the process that ended it" in caplog.text
    assert LiveSession.objects.get(pk=live.pk).announce_by is None
    # Announced: no second time, whoever sweeps.
    assert lifecycle.announce_left(now + 3600) == 0
    assert len(logouts) == 1
    assert len(endings) == 1
    # The Django session is left to the middleware: the next request is refused.
    assert client.get("/personnel").status_code == 401  # refused (a non-HTML request)


def test_two_sweeps_at_once_take_each_unannounced_ending_once(
    signed_in: Callable[..., Client],
) -> None:
    lives = [live_of(signed_in(f"user{n}")) for n in range(3)]
    now = time.time()
    for live in lives:
        assert store.claim_end(live.pk, EndReason.IDLE, now + 10_000)  # all past due
    later = now + 10_000 + store.ANNOUNCE_WITHIN + 1
    first, second = store.take_unannounced(later), store.take_unannounced(later)
    assert sorted(live.pk for live in first) == sorted(live.pk for live in lives)
    assert second == []
    # The taker has ANNOUNCE_WITHIN more; if it dies too, another takes them after that.
    assert store.take_unannounced(later + store.ANNOUNCE_WITHIN - 1) == []
    assert len(store.take_unannounced(later + store.ANNOUNCE_WITHIN + 1)) == 3


def test_the_in_process_sweep_announces_what_a_dead_process_left(
    signed_in: Callable[..., Client], logouts: list[dict[str, Any]]
) -> None:
    live = live_of(signed_in())
    now = time.time()
    assert store.claim_end(live.pk, EndReason.LOGOUT, now)
    sweeper = Sweeper()
    assert sweeper.tick(now).announced == 0  # the claimer may still be announcing
    assert sweeper.tick(now + store.ANNOUNCE_WITHIN + 1).announced == 1
    assert [logout["user"].pk for logout in logouts] == [live.user_id]
