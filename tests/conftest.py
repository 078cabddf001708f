"""Shared fixtures: a private Redis server, the channel layer under test, signed-in sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Permission
from django.contrib.auth.signals import user_logged_out
from django.db import connection
from django.dispatch import Signal
from django.test import Client
from pytest_redis import factories

from sessions_live import signals
from sessions_live.runtime.sweep import sweeper
from sessions_live.runtime.vanished import eviction_watch
from sessions_live.sockets.group_watch import group_watch

from .postgres import Server, postgres_server
from .servers import RedisServer, redis_server_binary
from .sockets import close_all

#: Where the browser tests wrote their screenshots, for the run's last line.
SCREENSHOTS = pytest.StashKey[Path]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots-dir",
        default=None,
        help="Folder for the browser tests' screenshots (default: the run's temporary folder).",
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last: sync Playwright keeps an event loop running in the main
    thread from its first test to the end of the session, where asyncio tests cannot start
    their own."""
    browser = [item for item in items if "tests/browser/" in item.nodeid]
    items[:] = [item for item in items if item not in browser] + browser


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if SCREENSHOTS in config.stash:
        terminalreporter.write_line(f"Browser screenshots: {config.stash[SCREENSHOTS]}")


redis_proc = factories.redis_proc(executable=redis_server_binary(), port=None)


@pytest.fixture(scope="session")
def redis_url(redis_proc: Any) -> str:
    return f"redis://{redis_proc.host}:{redis_proc.port}/0"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """A PostgreSQL server for the run: DATABASE_URL's, else a private one (tests/postgres.py)."""
    with postgres_server() as server:
        yield server


def redis_layer_settings(url: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_timeout": 10}]},
        }
    }


MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(scope="session", autouse=True)
def close_thread_connections(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Connections opened in sync_to_async threads outlive the tests, and PostgreSQL will not
    drop a test database still in use (DATABASE_URL=postgres://...): end them first."""
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(params=["memory", "redis"])
def layer(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    """Run the test on the in-memory layer and on channels-redis against the real Redis."""
    if request.param == "redis":
        settings.CHANNEL_LAYERS = redis_layer_settings(request.getfixturevalue("redis_url"))
    else:
        settings.CHANNEL_LAYERS = MEMORY_LAYER
    channel_layers.backends = {}
    yield request.param
    channel_layers.backends = {}


@pytest.fixture
def timeouts(settings: Any) -> Callable[..., None]:
    """Set SESSIONS_LIVE for one test, e.g. ``timeouts(WARN_AFTER=0.3, EXPIRE_AFTER=0.6)``."""

    def apply(**values: Any) -> None:
        settings.SESSIONS_LIVE = {**settings.SESSIONS_LIVE, **values}

    return apply


@pytest.fixture
async def stop_sweeper() -> AsyncIterator[None]:
    """The in-process sweep (and the eviction watch, with the cache engine) starts with the
    first socket; stop them before the test's DB goes."""
    yield
    await sweeper.stop()
    await eviction_watch.stop()
    await group_watch.stop()


@pytest.fixture
def logouts() -> Iterator[list[dict[str, Any]]]:
    """Every ``user_logged_out`` sent during the test, with its arguments."""
    seen: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        seen.append(kwargs)

    user_logged_out.connect(receiver)
    yield seen
    user_logged_out.disconnect(receiver)


@pytest.fixture
async def _close_sockets() -> AsyncIterator[None]:
    """Disconnect every socket the test opened (tests.sockets.connect) once it is done, as a
    browser would, so no consumer is left waiting."""
    yield
    await close_all()


@pytest.fixture
def endings() -> Iterator[list[dict[str, Any]]]:
    """Every ``session_ended`` sent during the test, with its arguments."""
    seen: list[dict[str, Any]] = []

    def receive(*, signal: Signal, sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    signals.session_ended.connect(receive, weak=False, dispatch_uid="tests.endings")
    yield seen
    signals.session_ended.disconnect(dispatch_uid="tests.endings")


@pytest.fixture
def make_user(db: None) -> Callable[..., AbstractUser]:
    def make(username: str = "alice", **extra: Any) -> AbstractUser:
        user: AbstractUser = get_user_model().objects.create_user(
            username=username, password="pw-" + username, **extra
        )
        return user

    return make


@pytest.fixture
def signed_in(make_user: Callable[..., AbstractUser]) -> Callable[..., Client]:
    """A test client signed in through Django's login (so the login signal runs)."""

    def sign_in(username: str = "alice") -> Client:
        client = Client()
        client.force_login(make_user(username))
        return client

    return sign_in


@pytest.fixture
def staff(make_user: Callable[..., AbstractUser]) -> Callable[..., Client]:
    """A signed-in client for a user with these permissions (codenames) and flags."""

    def sign_in(username: str, *perms: str, csrf: bool = False, **flags: Any) -> Client:
        user = make_user(username, is_staff=flags.pop("is_staff", True), **flags)
        for codename in perms:
            user.user_permissions.add(Permission.objects.get(codename=codename))
        client = Client(enforce_csrf_checks=csrf)
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def astaff(staff: Callable[..., Client]) -> Callable[..., Any]:
    return sync_to_async(staff)


@pytest.fixture
def asigned_in(signed_in: Callable[..., Client]) -> Callable[..., Any]:
    return sync_to_async(signed_in)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of this test's own, which it may stop, pause or fill."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    """Sockets the test opens, closed when it ends."""
    async with AsyncExitStack() as sockets:
        yield sockets
