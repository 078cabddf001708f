"""The SQL deadlines agree with the pure policy, row by row: with and without own timeouts,
with and without a lease."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from sessions_live import store
from sessions_live.core.policy import State
from sessions_live.models import LiveSession
from sessions_live.store import deadlines
from sessions_live.store.user_timeouts import timeouts_of

pytestmark = pytest.mark.django_db

OWN = [
    {},  # the settings'
    {"warn_after": dt.timedelta(seconds=50), "expire_after": dt.timedelta(seconds=60)},
    {"absolute_expire_after": dt.timedelta(seconds=400)},
    {
        "warn_after": dt.timedelta(seconds=200),
        "expire_after": dt.timedelta(seconds=900),
        "absolute_expire_after": dt.timedelta(seconds=1000),
    },
]


@pytest.mark.parametrize("site_absolute", [None, 700])
def test_every_sql_deadline_matches_evaluate(
    timeouts: Callable[..., None], site_absolute: Any
) -> None:
    timeouts(WARN_AFTER=540, EXPIRE_AFTER=600, ABSOLUTE_EXPIRE_AFTER=site_absolute)
    user = get_user_model().objects.create_user("alice")
    t0 = time.time() - 5000
    rows = []
    for number, (own, idle, age, lease) in enumerate(
        itertools.product(
            OWN,
            [0, 45, 55, 59, 61, 199, 201, 599, 601, 899, 901],
            [0, 399, 401],
            [None, -100, 30, 500],  # leased until, from the base moment; None: no lease
        )
    ):
        started = t0 + 4000 - age
        rows.append(
            LiveSession(
                key_hash=f"{number:064x}",
                user=user,
                started=store.to_datetime(started),
                last_activity=store.to_datetime(max(started, t0 + 4000 - idle)),
                leased_until=None if lease is None else store.to_datetime(t0 + 4000 + lease),
                **own,
            )
        )
    LiveSession.objects.bulk_create(rows)
    for offset in (0.25, 0.75, 60.25, 250.25, 699.25):  # never exactly at a deadline
        now = t0 + 4000 + offset
        within = set(LiveSession.objects.filter(deadlines.within(now)).values_list("pk", flat=True))
        due = set(
            LiveSession.objects.filter(
                deadlines.idle_due(now) | deadlines.absolute_due(now)
            ).values_list("pk", flat=True)
        )
        warned = set(LiveSession.objects.filter(deadlines.warned(now)).values_list("pk", flat=True))
        everyone = set(LiveSession.objects.values_list("pk", flat=True))
        # Negated, each condition keeps exactly the other rows (no NULL falls through).
        for condition, rows in [
            (deadlines.within(now), within),
            (deadlines.idle_due(now) | deadlines.absolute_due(now), due),
            (deadlines.warned(now), warned),
        ]:
            negated = LiveSession.objects.filter(~condition).values_list("pk", flat=True)
            assert set(negated) == everyone - rows
        for live in LiveSession.objects.all():
            state = store.status(live, now).state
            assert (live.pk in within) is (state is not State.EXPIRED), (offset, live.__dict__)
            assert (live.pk in due) is (state is State.EXPIRED), (offset, live.__dict__)
            assert (live.pk in warned) is (state is not State.ACTIVE), (offset, live.__dict__)
            assert timeouts_of(live).expire_after == (
                live.expire_after.total_seconds() if live.expire_after else 600
            )
