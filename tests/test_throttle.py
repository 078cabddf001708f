"""The activity throttle on a fake monotonic clock: one write per window, on both edges."""

from __future__ import annotations

import itertools

from sessions_live.core.throttle import ActivityThrottle


def test_the_first_report_of_a_window_is_written_at_once() -> None:
    throttle = ActivityThrottle(10)
    assert throttle.offer(at=1000.0, now=50.0) == (True, None)
    assert throttle.flush(now=60.0) is None  # nothing came after it


def test_later_reports_wait_for_the_window_end_and_the_newest_is_written() -> None:
    throttle = ActivityThrottle(10)
    assert throttle.offer(at=1000.0, now=50.0) == (True, None)
    assert throttle.offer(at=1003.0, now=53.0) == (False, 7.0)  # schedule the trailing write
    assert throttle.offer(at=1006.0, now=56.0) == (False, None)  # already scheduled
    assert throttle.offer(at=1004.0, now=57.0) == (False, None)  # older than the pending one
    assert throttle.flush(now=60.0) == 1006.0
    # The trailing write opened a window: reports within it wait for its end again.
    assert throttle.offer(at=1011.0, now=61.0) == (False, 9.0)
    assert throttle.flush(now=70.0) == 1011.0
    assert throttle.offer(at=1025.0, now=81.0) == (True, None)


def test_continuous_input_is_written_once_per_window() -> None:
    throttle = ActivityThrottle(10)
    writes: list[float] = []
    flush_at: float | None = None
    now = 0.0
    while now < 100:  # five tabs reporting ten times a second each, for 100 s
        if flush_at is not None and now >= flush_at:
            at = throttle.flush(now)
            if at is not None:
                writes.append(now)
            flush_at = None
        for _ in range(5):
            write_now, flush_in = throttle.offer(at=1000 + now, now=now)
            if write_now:
                writes.append(now)
            if flush_in is not None:
                flush_at = now + flush_in
        now = round(now + 0.1, 1)
    assert len(writes) == 10
    assert all(later - earlier >= 10 for earlier, later in itertools.pairwise(writes))


def test_a_late_trailing_write_is_not_doubled_by_a_leading_one() -> None:
    """A busy event loop runs the window's trailing write late: reports that arrive after the
    window ended but before that write joins it instead of writing on their own."""
    throttle = ActivityThrottle(10)
    assert throttle.offer(at=1000.0, now=0.0) == (True, None)
    assert throttle.offer(at=1005.0, now=5.0) == (False, 5.0)
    assert throttle.offer(at=1011.0, now=11.0) == (False, None)  # the flush is 1 s late
    assert throttle.offer(at=1012.0, now=12.0) == (False, None)
    assert throttle.flush(now=12.5) == 1012.0
    assert throttle.offer(at=1013.0, now=13.0) == (False, 9.5)
