"""Leases: a page keeps its session from idling out for a while, within MAX_LEASE and the
absolute limit, recorded as a session_extended signal with source "lease"."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from sessions_live import signals
from sessions_live.models import LiveSession
from sessions_live.runtime import lifecycle
from sessions_live.runtime.sweep import sweep_once

from .fake_time import EXACT, fake_time_of
from .helpers import age, live_of
from .sockets import connect, frame

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("layer", "stop_sweeper", "_close_sockets"),
]


@pytest.fixture
def leases() -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def receive(**kwargs: Any) -> None:
        if kwargs["source"] == "lease":
            seen.append(kwargs)

    signals.session_extended.connect(receive, weak=False, dispatch_uid="test.lease")
    yield seen
    signals.session_extended.disconnect(dispatch_uid="test.lease")


async def hello(client: Client, app: Any) -> Any:
    tab = await connect(client, app=app)
    assert (await frame(tab))["type"] == "hello"
    return tab


async def test_a_lease_moves_every_tabs_deadline_within_max_lease(
    asigned_in: Callable[..., Any],
    timeouts: Callable[..., None],
    leases: list[dict[str, Any]],
) -> None:
    timeouts(MAX_LEASE=1800)
    client = await asigned_in()
    clock, app = await fake_time_of(client)
    video, other = await hello(client, app), await hello(client, app)
    asked = clock.now
    await video.send_json_to({"type": "lease", "seconds": 7200})  # more than MAX_LEASE
    for tab in (video, other):
        message = await frame(tab)
        assert message["type"] == "active"
        assert message["expires_in"] == pytest.approx(1800, abs=EXACT)
        assert message["warn_in"] == pytest.approx(1800 - 60, abs=EXACT)
    live = await LiveSession.objects.aget()
    assert live.leased_until is not None
    assert live.leased_until.timestamp() == pytest.approx(asked + 1800, abs=EXACT)
    [lease] = leases
    assert lease["live_session"].pk == live.pk
    assert lease["until"] == live.leased_until
    # A shorter lease later never shortens it.
    await other.send_json_to({"type": "lease", "seconds": 60})
    assert (await frame(other))["expires_in"] > 1790
    assert (await LiveSession.objects.aget()).leased_until == live.leased_until


async def test_a_lease_never_passes_the_absolute_limit(
    asigned_in: Callable[..., Any], timeouts: Callable[..., None]
) -> None:
    timeouts(MAX_LEASE=1800, ABSOLUTE_EXPIRE_AFTER=1000)
    client = await asigned_in()
    _, app = await fake_time_of(client)
    tab = await hello(client, app)
    await tab.send_json_to({"type": "lease", "seconds": 1800})
    message = await frame(tab)
    assert message["type"] == "active"
    # The absolute limit counts from the session's creation, a moment before its sign-in.
    assert 999 < message["expires_in"] <= 1000


async def test_leases_are_refused_unless_enabled(asigned_in: Callable[..., Any]) -> None:
    client = await asigned_in()
    _, app = await fake_time_of(client)
    tab = await hello(client, app)
    await tab.send_json_to({"type": "lease", "seconds": 60})
    assert await frame(tab) == {
        "type": "error",
        "code": "forbidden",
        "message": "Leases are not enabled.",
    }
    assert (await LiveSession.objects.aget()).leased_until is None
    await tab.send_json_to({"type": "extend"})  # the socket stays
    assert (await frame(tab))["type"] == "active"


def test_http_and_the_sweep_honour_a_lease(
    signed_in: Callable[..., Client], timeouts: Callable[..., None]
) -> None:
    timeouts(MAX_LEASE=3600)
    leased, plain = signed_in("leased"), signed_in("plain")
    assert lifecycle.grant_lease(live_of(leased), 1800, now=time.time()) is not None
    for client in (leased, plain):
        age(client, idle=900)  # past EXPIRE_AFTER (600), within the lease
    assert sweep_once(time.time()).ended == 1
    assert live_of(leased).ended is None
    assert leased.get("/page/", headers={"accept": "text/html"}).status_code == 200


def test_granting_a_lease_while_leases_are_off_is_a_clear_error(
    signed_in: Callable[..., Client], timeouts: Callable[..., None], leases: list[dict[str, Any]]
) -> None:
    """A runtime condition, checked as one (an ``assert`` vanishes under ``python -O``)."""
    client = signed_in()
    timeouts(MAX_LEASE=None)
    with pytest.raises(ImproperlyConfigured, match=r"MAX_LEASE'\] is None"):
        lifecycle.grant_lease(live_of(client), 1800, now=time.time())
    assert live_of(client).leased_until is None
    assert leases == []


async def test_a_lease_is_told_to_a_tab_that_connects_later(
    asigned_in: Callable[..., Any], timeouts: Callable[..., None]
) -> None:
    timeouts(MAX_LEASE=1800)
    client = await asigned_in()
    clock, app = await fake_time_of(client)
    first = await hello(client, app)
    await first.send_json_to({"type": "lease", "seconds": 1200})
    assert (await frame(first))["type"] == "active"
    clock.move(30)
    late = await connect(client, app=app)
    message = await frame(late)
    assert message["type"] == "hello"
    assert message["expires_in"] == pytest.approx(1200 - 30, abs=EXACT)
    assert (await sync_to_async(live_of)(client)).leased_until is not None


async def test_a_tab_opened_after_a_lease_keeps_it_when_activity_arrives(
    asigned_in: Callable[..., Any], timeouts: Callable[..., None]
) -> None:
    """A new tab learns the session from its own read of the store, not from the copy of the
    record its sibling tabs share (which no lease or activity refreshes)."""
    timeouts(MAX_LEASE=1800)
    client = await asigned_in()
    clock, app = await fake_time_of(client)
    video = await hello(client, app)
    await video.send_json_to({"type": "lease", "seconds": 1800})
    assert (await frame(video))["expires_in"] == pytest.approx(1800, abs=EXACT)
    clock.move(560)  # past WARN_AFTER, within the lease
    late = await connect(client, app=app)
    greeting = await frame(late)
    assert greeting["type"] == "hello"
    assert greeting["expires_in"] == pytest.approx(1240, abs=EXACT)
    await video.send_json_to({"type": "extend"})  # its active event carries no lease
    for tab in (video, late):
        message = await frame(tab)
        assert message["type"] == "active"
        assert message["expires_in"] == pytest.approx(1240, abs=EXACT)
