"""Small helpers shared by the tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
from collections.abc import Awaitable, Callable

from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import AbstractUser
from django.db.models import F
from django.test import Client

from sessions_live import store
from sessions_live.models import LiveSession

from .sockets import PATIENCE


def live_of(client: Client) -> LiveSession:
    """The record of a test client's session."""
    live = store.find(client.session.session_key or "")
    assert live is not None, "the sign-in created no LiveSession"
    return live


def age(client: Client, *, idle: float = 0, since_start: float = 0) -> None:
    """Move a session's clock back, as if ``idle`` seconds passed without activity."""
    LiveSession.objects.filter(pk=live_of(client).pk).update(
        last_activity=F("last_activity") - dt.timedelta(seconds=idle),
        started=F("started") - dt.timedelta(seconds=since_start),
    )


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], *, within: float = PATIENCE, what: str = ""
) -> None:
    """Wait until ``condition()`` (which may be a coroutine function) is true: for work a
    consumer, a sweep or a signal does after what the test awaited. Polls as long as a busy
    machine may need (PATIENCE, like the sockets) and fails saying what it waited for."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        outcome = condition()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if asyncio.get_running_loop().time() > deadline:
            waited_for = what or getattr(condition, "__qualname__", repr(condition))
            raise AssertionError(f"waited {within} s in vain for {waited_for}")
        await asyncio.sleep(0.01)


class UpgradedHasher(MD5PasswordHasher):
    """A hasher that comes first, so that Django upgrades the tests' MD5 hashes at sign-in
    (as fast as MD5: the tests are not about hashing)."""

    algorithm = "md5_upgraded"


def sign_in_with_form(user: AbstractUser) -> Client:
    """A new browser signing in through the login form (the way people do), with the tests'
    password of ``user`` (``make_user``'s)."""
    client = Client()
    response = client.post(
        "/login/", {"username": user.get_username(), "password": "pw-" + user.get_username()}
    )
    assert response.status_code == 302, response.content
    return client
