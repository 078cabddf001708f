"""The middleware under ASGI: Django runs it in the event loop, and it reaches the store in a
thread only when a request carries a session (once), and once more only to write."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient, Client

from sessions_live import middleware, store
from sessions_live.middleware import SessionsLiveMiddleware

from .helpers import age, live_of

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions the middleware ran in a thread, in order."""
    seen: list[str] = []

    def counting(function: Callable[..., Any], **kwargs: Any) -> Any:
        seen.append(function.__name__)
        return sync_to_async(function, **kwargs)

    monkeypatch.setattr(middleware, "sync_to_async", counting)
    return seen


@pytest.fixture
def loop_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The threads the middleware decided in after each view (the event loop's, or not)."""
    seen: list[int] = []
    decide = SessionsLiveMiddleware.has_work_after

    def spy(self: SessionsLiveMiddleware, *args: Any) -> bool:
        seen.append(threading.get_ident())
        return decide(self, *args)

    monkeypatch.setattr(SessionsLiveMiddleware, "has_work_after", spy)
    return seen


def as_async(client: Client) -> AsyncClient:
    moved = AsyncClient()
    moved.cookies = client.cookies
    return moved


def test_it_is_sync_and_async_capable() -> None:
    async def view(request: Any) -> None:
        return None

    assert SessionsLiveMiddleware.sync_capable
    assert SessionsLiveMiddleware.async_capable
    assert middleware.iscoroutinefunction(SessionsLiveMiddleware(view))
    assert not middleware.iscoroutinefunction(SessionsLiveMiddleware(lambda request: None))


async def test_an_anonymous_request_costs_no_thread(
    hops: list[str], loop_threads: list[int]
) -> None:
    response = await AsyncClient().get("/api/")
    assert response.status_code == 200
    assert hops == []
    assert loop_threads == [threading.get_ident()]  # run in the loop, not adapted by Django


async def test_a_signed_in_request_reads_the_store_once(
    asigned_in: Callable[..., Any], hops: list[str], loop_threads: list[int]
) -> None:
    client = as_async(await asigned_in())
    response = await client.get("/page/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert hops == ["enforce"]  # activity this recent is not written again
    assert loop_threads == [threading.get_ident()]


async def test_activity_is_written_in_a_second_call(
    asigned_in: Callable[..., Any], hops: list[str]
) -> None:
    signed_in = await asigned_in()
    await sync_to_async(age)(signed_in, idle=100)
    before = time.time()
    response = await as_async(signed_in).get("/page/")
    assert response.status_code == 200
    assert hops == ["enforce", "after"]
    live = await sync_to_async(live_of)(signed_in)
    assert store.to_epoch(live.last_activity) >= before


async def test_a_passive_request_writes_nothing(
    asigned_in: Callable[..., Any], hops: list[str]
) -> None:
    signed_in = await asigned_in()
    await sync_to_async(age)(signed_in, idle=100)
    recorded = (await sync_to_async(live_of)(signed_in)).last_activity
    assert (await as_async(signed_in).get("/poll/")).status_code == 200
    assert hops == ["enforce"]
    assert (await sync_to_async(live_of)(signed_in)).last_activity == recorded


async def test_an_expired_session_is_refused_under_asgi_too(
    asigned_in: Callable[..., Any], hops: list[str]
) -> None:
    signed_in = await asigned_in()
    await sync_to_async(age)(signed_in, idle=601)
    record = await sync_to_async(live_of)(signed_in)
    response = await as_async(signed_in).get("/page/", headers={"accept": "text/html"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?signed_out=idle&next=")
    assert hops == ["enforce"]
    ended = await sync_to_async(store.get)(record.pk)
    assert ended is not None
    assert ended.end_reason == "idle"


async def test_a_cycled_key_is_followed_under_asgi(
    asigned_in: Callable[..., Any], hops: list[str]
) -> None:
    signed_in = await asigned_in()
    started = (await sync_to_async(live_of)(signed_in)).started
    client = as_async(signed_in)
    assert (await client.get("/cycle/")).status_code == 200
    assert hops == ["enforce", "after"]
    signed_in.cookies = client.cookies
    live = await sync_to_async(live_of)(signed_in)  # found by the new key
    assert live.started == started
