"""Something that may happen thousands of times a minute (a refused handshake), logged at most
once in a while with how many there were. Pure: the caller logs, on the clock it passes."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class SampledLog:
    """Counts occurrences; says when a log line is due, at most every ``every`` seconds."""

    def __init__(self, every: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.every, self.clock = every, clock
        self.last = -math.inf
        self.since = 0

    def count(self) -> int | None:
        """Count one occurrence: how many since the last line (this one included) if a line
        is due now, else None."""
        self.since += 1
        now = self.clock()
        if now - self.last < self.every:
            return None
        counted, self.last, self.since = self.since, now, 0
        return counted
