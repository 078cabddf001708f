"""Work shared by key: concurrent callers share one run; later ones start afresh."""

from __future__ import annotations

import asyncio

import pytest

from sessions_live.core.single_flight import SingleFlight


async def test_concurrent_callers_share_one_run_and_later_ones_start_afresh() -> None:
    flight = SingleFlight()
    runs = 0
    release = asyncio.Event()

    async def work() -> int:
        nonlocal runs
        runs += 1
        await release.wait()
        return runs

    callers = [asyncio.ensure_future(flight.run("session", work)) for _ in range(50)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*callers) == [1] * 50
    assert await flight.run("session", work) == 2  # the first run is over: a new one
    assert await flight.run("another", work) == 3  # other keys never share
    assert flight.running == {}


async def test_an_error_reaches_every_caller_and_a_leaving_caller_cancels_nothing() -> None:
    flight = SingleFlight()
    release = asyncio.Event()

    async def failing() -> None:
        await release.wait()
        raise ConnectionError("database down")

    leaving = asyncio.ensure_future(flight.run("k", failing))
    staying = asyncio.ensure_future(flight.run("k", failing))
    await asyncio.sleep(0)
    leaving.cancel()
    release.set()
    with pytest.raises(ConnectionError):
        await staying
    with pytest.raises(asyncio.CancelledError):
        await leaving
