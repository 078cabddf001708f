"""How often one session's activity is written: once per window, on both edges.

Every tab of a session reports its input (each at most twice per ``ACTIVITY_INTERVAL``), and
several tabs may be busy at once. A process writes the session's activity at most once per
window: the first report of a window is written at once (the leading edge, so a warning in
other tabs closes without delay), later ones are kept and the newest is written when the
window ends (the trailing edge, so the recorded activity is never more than one window older
than the real one). Pure: the caller passes monotonic time and does the writing.
"""

from __future__ import annotations

import math


class ActivityThrottle:
    def __init__(self, interval: float) -> None:
        self.interval = interval  # seconds: one write per window
        self.window_start = -math.inf  # monotonic time of the last write
        self.pending: float | None = None  # the newest activity (epoch) not written yet
        self.flush_scheduled = False

    def offer(self, at: float, now: float) -> tuple[bool, float | None]:
        """Activity at ``at`` (epoch seconds) reported at ``now`` (monotonic): whether to
        write it now, and, when the caller must schedule the window's trailing write, in how
        many seconds."""
        if self.flush_scheduled:
            # The window's trailing write is on its way (late, if the event loop is busy):
            # it takes this activity too, and starts the next window.
            self.pending = at if self.pending is None else max(self.pending, at)
            return False, None
        if now - self.window_start >= self.interval:
            self.window_start, self.pending = now, None
            return True, None
        self.pending = at if self.pending is None else max(self.pending, at)
        self.flush_scheduled = True
        return False, self.window_start + self.interval - now

    def flush(self, now: float) -> float | None:
        """At the end of the window: the activity to write (a new window starts with it),
        or None if nothing is pending."""
        self.flush_scheduled = False
        at, self.pending = self.pending, None
        if at is not None:
            self.window_start = now
        return at
