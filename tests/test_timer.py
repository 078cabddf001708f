"""A tab's one pending wake-up (sessions_live.sockets.timer), on fake time: never two at once."""

from __future__ import annotations

import asyncio

from sessions_live.sockets.timer import DeadlineTimer, Work

from .fake_time import FakeTime


class Works:
    """Work for the timer that says when it ran, and can be held while it runs."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.release = asyncio.Event()

    def of(self, name: str) -> Work:
        async def work() -> None:
            self.ran.append(name)

        return work()

    async def held(self, name: str) -> None:
        self.ran.append(name)
        await self.release.wait()
        self.ran.append(f"{name} done")


async def test_a_wake_up_runs_its_work_at_its_delay() -> None:
    time, works = FakeTime(start=1000.0), Works()
    timer = DeadlineTimer(time)
    timer.wake_in(30, lambda: works.of("check"))
    assert [t.due for t in time.pending()] == [1030.0]
    assert works.ran == []
    assert await time.next() == 30
    await asyncio.sleep(0)  # the work runs as a task of its own
    assert works.ran == ["check"]


async def test_a_new_wake_up_replaces_the_pending_one() -> None:
    time, works = FakeTime(start=1000.0), Works()
    timer = DeadlineTimer(time)
    timer.wake_in(30, lambda: works.of("first"))
    timer.wake_in(10, lambda: works.of("second"))
    timer.wake_in(20, lambda: works.of("third"))
    assert [t.due for t in time.pending()] == [1020.0]  # only ever one pending
    await time.next()
    await asyncio.sleep(0)
    assert works.ran == ["third"]
    assert time.pending() == []


async def test_no_delay_schedules_nothing_and_cancels_the_pending_one() -> None:
    time, works = FakeTime(start=1000.0), Works()
    timer = DeadlineTimer(time)
    timer.wake_in(None, lambda: works.of("never"))
    assert time.pending() == []
    assert timer.pending is None
    timer.wake_in(30, lambda: works.of("cancelled"))
    timer.wake_in(None, lambda: works.of("never"))
    assert time.pending() == []
    assert timer.pending is None


async def test_running_now_replaces_a_pending_wake_up() -> None:
    time, works = FakeTime(start=1000.0), Works()
    timer = DeadlineTimer(time)
    timer.wake_in(30, lambda: works.of("later"))
    timer.run(works.of("now"))
    assert time.pending() == []  # the timer is cancelled
    assert isinstance(timer.pending, asyncio.Task)
    await timer.pending
    assert works.ran == ["now"]


async def test_a_running_wake_up_is_cancelled_by_the_next() -> None:
    time, works = FakeTime(start=1000.0), Works()
    timer = DeadlineTimer(time)
    timer.run(works.held("slow"))
    running = timer.pending
    assert isinstance(running, asyncio.Task)
    await asyncio.sleep(0)
    timer.run(works.of("next"))
    await asyncio.sleep(0)
    assert running.cancelled()
    assert works.ran == ["slow", "next"]


async def test_cancel_from_the_running_work_does_not_cancel_it() -> None:
    """The running wake-up schedules its successor (which cancels what is pending: itself)
    and carries on to its end."""
    time = FakeTime(start=1000.0)
    timer = DeadlineTimer(time)
    steps: list[str] = []

    async def check() -> None:
        steps.append("checked")
        timer.wake_in(60, next_check)  # replaces the pending wake-up, which is this task
        await asyncio.sleep(0)
        steps.append("carried on")

    async def next_check_work() -> None:
        steps.append("next check")

    def next_check() -> Work:
        return next_check_work()

    timer.run(check())
    running = timer.pending
    assert isinstance(running, asyncio.Task)
    await running
    assert not running.cancelled()
    assert steps == ["checked", "carried on"]
    assert [t.due for t in time.pending()] == [1060.0]
    await time.next()
    await asyncio.sleep(0)
    assert steps == ["checked", "carried on", "next check"]


async def test_cancel_cancels_whichever_is_pending() -> None:
    time, works = FakeTime(start=1000.0), Works()
    timer = DeadlineTimer(time)
    timer.wake_in(30, lambda: works.of("later"))
    timer.cancel()
    assert time.pending() == []
    timer.run(works.held("running"))
    running = timer.pending
    assert isinstance(running, asyncio.Task)
    await asyncio.sleep(0)
    timer.cancel()
    await asyncio.sleep(0)
    assert running.cancelled()
    assert timer.pending is None
    assert works.ran == ["running"]
