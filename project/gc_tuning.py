"""Fewer and shorter pauses of Python's cycle collector, which stop every socket of a process.

Called at the end of an ASGI module, once the application is loaded: what is loaded by then is
never garbage, so it is left out of every collection, and young objects are collected every
10,000 allocations instead of 700. Measured in docs/benchmarks.md (timeliness); explained in
docs/deploying.md ("Garbage collector").
"""

from __future__ import annotations

import gc


def tune_garbage_collector() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
