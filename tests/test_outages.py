"""The channel layer's receive survives an outage, rejoins groups, and logs it once."""

from __future__ import annotations

import logging

import pytest

from sessions_live.runtime import outages


async def test_receive_waits_out_an_outage_and_rejoins_before_listening(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(outages, "channel_layer", outages.Outage("the channel layer"))
    events: list[str] = []
    failures = iter([True, True, False])
    rejoin_failures = iter([True, False, False])
    slept: list[float] = []

    async def receive() -> dict[str, str]:
        if next(failures):
            events.append("receive failed")
            raise ConnectionError("Redis is down")
        events.append("received")
        return {"type": "sessions_live.active"}

    async def rejoin() -> None:
        if next(rejoin_failures):
            events.append("rejoin failed")
            raise ConnectionError("still down")
        events.append("rejoined")

    async def sleep(delay: float) -> None:
        slept.append(delay)

    resilient = outages.resilient_receive(receive, rejoin, sleep=sleep)
    with caplog.at_level(logging.WARNING, logger="sessions_live"):
        assert await resilient() == {"type": "sessions_live.active"}
    # Once the layer failed, nothing is received before the groups are joined again.
    assert events == [
        "receive failed",
        "rejoin failed",
        "rejoined",
        "receive failed",
        "rejoined",
        "received",
    ]
    assert len(slept) == 3
    # Growing delays with jitter, reset after a recovery.
    assert 0.25 <= slept[0] <= 0.5
    assert 0.5 <= slept[1] <= 1.0
    assert 0.25 <= slept[2] <= 0.5
    # The second failure came right after the recovery: the tail of the same outage.
    levels = [record.levelname for record in caplog.records]
    assert levels == ["ERROR", "WARNING"]


def fail(outage: outages.Outage) -> None:
    try:
        raise ConnectionError("Connection closed by server.")
    except ConnectionError:
        outage.failed()


def test_an_outage_is_logged_when_it_begins_and_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    outage = outages.Outage("the database", clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="sessions_live"):
        outage.recovered()  # nothing was down: nothing to say
        for _ in range(1000):
            fail(outage)
        assert outage.down
        now[0] = 112.5
        outage.recovered()
    assert not outage.down
    assert [record.getMessage() for record in caplog.records] == [
        "sessions_live: the database is unreachable; deadlines are still kept",
        "sessions_live: the database is back after 12.5 s (1000 calls failed meanwhile)",
    ]


def test_a_failure_just_after_an_outage_ends_is_its_tail_unless_it_lasts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    outage = outages.Outage("the channel layer", clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="sessions_live"):
        fail(outage)
        now[0] = 120.0
        outage.recovered()
        # A connection pooled before the restart fails once, then calls get through again.
        now[0] = 120.05
        fail(outage)
        assert outage.down
        now[0] = 120.1
        outage.recovered()
        assert not outage.down
        # Down again soon after, and for good: logged once it has lasted RELAPSE_WINDOW.
        now[0] = 121.0
        fail(outage)
        now[0] = 121.0 + outages.RELAPSE_WINDOW
        fail(outage)
        fail(outage)
        now[0] = 130.0
        outage.recovered()
        # Later failures are a new outage at once.
        now[0] = 130.0 + outages.RELAPSE_WINDOW
        fail(outage)
    assert [record.getMessage() for record in caplog.records] == [
        "sessions_live: the channel layer is unreachable; deadlines are still kept",
        "sessions_live: the channel layer is back after 20.0 s (1 calls failed meanwhile)",
        "sessions_live: the channel layer is unreachable; deadlines are still kept",
        "sessions_live: the channel layer is back after 9.0 s (3 calls failed meanwhile)",
        "sessions_live: the channel layer is unreachable; deadlines are still kept",
    ]
    assert outage.recoveries == 3


async def test_the_layer_is_back_only_once_a_call_gets_through(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A socket with no group to rejoin (a rejoin that calls nothing) must not log the layer
    back while Redis still hangs: only a received message (or a join that got through) does."""
    monkeypatch.setattr(outages, "channel_layer", outages.Outage("the channel layer"))
    failures = iter([True, True, False])

    async def receive() -> dict[str, str]:
        if next(failures):
            raise TimeoutError("Timeout reading from redis")
        return {"type": "sessions_live.active"}

    async def rejoin() -> None:
        pass  # nothing to join

    async def sleep(delay: float) -> None:
        assert not any("is back" in record.getMessage() for record in caplog.records)

    resilient = outages.resilient_receive(receive, rejoin, sleep=sleep)
    with caplog.at_level(logging.WARNING, logger="sessions_live"):
        assert await resilient() == {"type": "sessions_live.active"}
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages
    assert "is back after" in messages[1]
    assert "(2 calls failed meanwhile)" in messages[1]


async def test_a_wait_for_the_layer_ends_when_a_call_gets_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    outage = outages.Outage("the channel layer")
    fail(outage)
    waiting = asyncio.ensure_future(outage.back_within(600))
    await asyncio.sleep(0)
    assert not waiting.done()
    outage.recovered()  # any call of the process got through
    await asyncio.wait_for(waiting, 60)
    assert outage.waiters == []
