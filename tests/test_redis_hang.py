"""A Redis that hangs instead of refusing (SIGSTOP for 45 s, as a partition without a reset or
a failover that blackholes connections), under two deployments at once on the same Redis: one
daphne process, and two.

Every channel-layer call then waits its whole timeout, so this finds any call made on a
frame's path, a request's path or the database thread: there, it would hold up every tab of
the process (DESIGN.md, "A Redis that hangs is not a Redis that is down")."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection

from .postgres import Server
from .servers import Demo, RedisServer, run_on_postgres
from .web import Browser, frame_of

pytestmark = pytest.mark.slow

PAUSE = 45.0  # seconds Redis answers nothing
WARN_AFTER, EXPIRE_AFTER = 15.0, 20.0
IDLE_SESSIONS = 20  # due about 20 s into the pause
#: Seconds the promises allow: a tab told of its deadline, an HTTP answer, a new tab's hello,
#: cross-tab sync after SIGCONT.
TOLD_WITHIN, ANSWERED_WITHIN, SERVED_WITHIN, SYNCED_WITHIN = 1.0, 1.5, 1.5, 5.0


@pytest.fixture
def deployments(
    postgres: Server, redis: RedisServer, tmp_path: Path
) -> Iterator[tuple[list[Demo], list[Demo]]]:
    """One daphne process, and two, each deployment on a database of its own."""
    env = {
        "REDIS_URL": redis.url,
        "SESSIONS_LIVE_WARN_AFTER": str(WARN_AFTER),
        "SESSIONS_LIVE_EXPIRE_AFTER": str(EXPIRE_AFTER),
    }
    with (
        run_on_postgres(postgres, tmp_path / "one", 1, **env) as one,
        run_on_postgres(postgres, tmp_path / "two", 2, **env) as two,
    ):
        yield one, two


def timed_get(browser: Browser, path: str) -> tuple[int, float]:
    started = time.monotonic()
    status, _, _ = browser.get(path)
    return status, time.monotonic() - started


def timed_logout(browser: Browser) -> tuple[int, float]:
    """Sign out with the page's form: two requests (the page, then the POST), timed together."""
    started = time.monotonic()
    status, _ = browser.post("/logout", {}, "/")
    return status, time.monotonic() - started


async def expired_at(tab: ClientConnection) -> tuple[float, str]:
    """When (epoch seconds) the tab was told its session ended, and why."""
    frame = await frame_of(tab, "expired", timeout=PAUSE + 10)
    return time.time(), str(frame["reason"])


class Deployment:
    """What the test does to one deployment, and what it saw."""

    def __init__(self, demos: list[Demo], stack: AsyncExitStack) -> None:
        self.demos, self.stack = demos, stack
        self.first, self.last = demos[0], demos[-1]
        self.idle: list[tuple[Browser, ClientConnection, float]] = []
        self.answers: list[tuple[str, int, float]] = []
        self.served_in = self.logout_in = self.synced_in = -1.0
        self.told: list[tuple[float, str]] = []

    async def open(self) -> None:
        for number in range(IDLE_SESSIONS):
            browser = Browser(self.demos[number % len(self.demos)])
            browser.sign_in()
            tab = await self.stack.enter_async_context(browser.tab())
            hello = await frame_of(tab, "hello")
            # Taken when the hello arrived: no earlier than the server's own deadline.
            self.idle.append((browser, tab, time.time() + hello["expires_in"]))
        self.leaving = Browser(self.last)  # signs out over HTTP during the pause
        self.leaving.sign_in()
        self.leaving_tab = await self.stack.enter_async_context(self.leaving.tab())
        await frame_of(self.leaving_tab, "hello")
        self.busy = Browser(self.first)  # active throughout: must not end
        self.busy.sign_in()
        self.tab_a = await self.stack.enter_async_context(self.busy.tab())
        await frame_of(self.tab_a, "hello")
        self.tab_b = await self.stack.enter_async_context(self.busy.tab(on=self.last))
        await frame_of(self.tab_b, "hello")
        self.log_starts = [demo.log.stat().st_size for demo in self.demos]

    async def through_the_pause(self, paused_at: float) -> None:
        watchers = [asyncio.ensure_future(expired_at(tab)) for _, tab, _ in self.idle]
        self.last_extend = time.time()
        while time.monotonic() - paused_at < PAUSE:
            tab = self.tab_a if len(self.answers) % 2 else self.tab_b
            await tab.send('{"type": "extend"}')
            self.last_extend = time.time()
            status, took = await asyncio.to_thread(timed_get, self.busy, "/personnel")
            self.answers.append(("/personnel", status, took))
            if self.served_in < 0 and time.monotonic() - paused_at > 5:
                started = time.monotonic()  # a new tab, served from the database alone
                tab_c = await self.stack.enter_async_context(self.busy.tab(on=self.last))
                await frame_of(tab_c, "hello", timeout=10)
                self.served_in = time.monotonic() - started
            if self.logout_in < 0 and time.monotonic() - paused_at > 8:
                status, self.logout_in = await asyncio.to_thread(timed_logout, self.leaving)
                self.answers.append(("/logout", status, self.logout_in))
            await asyncio.sleep(3)
        self.told = await asyncio.gather(*watchers)
        # An idle session's next request is refused at once too.
        status, took = await asyncio.to_thread(timed_get, self.idle[0][0], "/personnel")
        self.answers.append(("/personnel (ended)", status, took))
        self.logs_at_resume = [demo.log.stat().st_size for demo in self.demos]

    async def after(self, resumed_at: float) -> None:
        # Cross-tab sync returns: an extend in one tab closes the dialog in the other (on
        # the other process, with two).
        while True:
            await self.tab_a.send('{"type": "extend"}')
            try:
                await frame_of(self.tab_b, "active", timeout=1)
                break
            except TimeoutError:
                assert time.monotonic() - resumed_at < SYNCED_WITHIN + 5, "no sync came back"
        self.synced_in = time.monotonic() - resumed_at
        assert (await frame_of(self.leaving_tab, "expired", timeout=15))["reason"] == "logout"
        assert (await asyncio.to_thread(timed_get, self.busy, "/personnel"))[0] == 200
        tab_d = await self.stack.enter_async_context(self.busy.tab())
        hello = await frame_of(tab_d, "hello")
        self.expires_after_resume = time.time() + hello["expires_in"]

    def check(self) -> None:
        # Every idle session was ended at its deadline (not before) and its tab told at once.
        lateness = [
            at - deadline for (at, _), (_, _, deadline) in zip(self.told, self.idle, strict=True)
        ]
        assert [reason for _, reason in self.told] == ["idle"] * IDLE_SESSIONS
        assert max(lateness) < TOLD_WITHIN, lateness
        assert min(lateness) > -TOLD_WITHIN, lateness  # the hello's estimate is a bit late
        # Every request answered in time; the active session's activity was all written.
        slow = [answer for answer in self.answers if answer[2] >= ANSWERED_WITHIN]
        assert slow == [], slow
        statuses = {path: status for path, status, _ in self.answers}
        assert statuses == {"/personnel": 200, "/logout": 302, "/personnel (ended)": 302}
        assert 0 <= self.served_in < SERVED_WITHIN
        assert 0 <= self.synced_in < SYNCED_WITHIN
        assert abs(self.expires_after_resume - (self.last_extend + EXPIRE_AFTER)) < 5
        # Each process said once that the layer was unreachable, and once that it was back,
        # after SIGCONT.
        for demo, start, resume in zip(
            self.demos, self.log_starts, self.logs_at_resume, strict=True
        ):
            logged = demo.log.read_bytes()[start:].decode(errors="replace")
            assert logged.count("the channel layer is unreachable") == 1, logged
            assert "the channel layer is back after" not in logged[: resume - start]
            assert logged.count("the channel layer is back after") == 1, logged
            assert "Exception inside application" not in logged
        audit = [
            line
            for demo in self.demos
            for line in demo.log.read_text().splitlines()
            if "audit: signed out" in line
        ]
        assert len(audit) == IDLE_SESSIONS + 1, audit  # each ending announced once


async def test_a_redis_that_hangs_holds_up_no_tab_request_or_deadline(
    deployments: tuple[list[Demo], list[Demo]], redis: RedisServer, stack: AsyncExitStack
) -> None:
    both = [Deployment(demos, stack) for demos in deployments]
    for deployment in both:
        await deployment.open()
    redis.pause()
    paused_at = time.monotonic()
    await asyncio.gather(*(deployment.through_the_pause(paused_at) for deployment in both))
    redis.resume()
    resumed_at = time.monotonic()
    await asyncio.gather(*(deployment.after(resumed_at) for deployment in both))
    await asyncio.sleep(2.5)  # a second ending, if any, has shown by now
    for deployment in both:
        deployment.check()
