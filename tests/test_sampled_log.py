"""A refusal that may come thousands of times a minute is logged once a minute, with how many."""

from __future__ import annotations

from sessions_live.core.sampled_log import SampledLog


def test_the_first_is_logged_then_one_line_a_window_with_the_count() -> None:
    now = [100.0]
    log = SampledLog(60, clock=lambda: now[0])
    assert log.count() == 1  # the first, at once
    assert [log.count() for _ in range(3)] == [None, None, None]
    now[0] = 159.9
    assert log.count() is None
    now[0] = 160.0
    assert log.count() == 5  # the four held back, and this one
    now[0] = 500.0
    assert log.count() == 1
