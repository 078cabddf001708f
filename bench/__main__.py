"""``python -m bench [NAME ...] [--quick]``: run benchmarks, save results, rewrite the report.

With no NAME (or ``all``) every benchmark runs, in the order below. Each starts what it needs
(Redis on a free loopback port, the demo under daphne, the reference project) and stops it.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
import tempfile
import time
from pathlib import Path

from tests.servers import RedisServer

from .harness import Context, save
from .report import write_report

#: name -> module under bench/ with ``run(context) -> dict``.
BENCHMARKS = {
    "floor": "floor",
    "propagation": "propagation",
    "timeliness": "timeliness",
    "idle": "idle_cost",
    "capacity": "capacity",
    "storm": "storm",
    "dashboard": "dashboard_load",
    "injection": "injection",
    "kills": "kills",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"all, or some of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="a smoke run in under a minute")
    args = parser.parse_args(argv)
    names = [name for name in args.names if name != "all"] or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    command = "python3 dev.py bench " + shlex.join(argv)
    with tempfile.TemporaryDirectory(prefix="sessions-live-bench-") as folder:
        work = Path(folder)
        redis = RedisServer(work)
        redis.start()
        try:
            context = Context(quick=args.quick, work=work, redis=redis, command=command.strip())
            for name in names:
                module = importlib.import_module(f"bench.{BENCHMARKS[name]}")
                print(f"== {name}", flush=True)
                started = time.monotonic()
                result = module.run(context)
                path = save(name, result, context)
                print(f"   {path} ({time.monotonic() - started:.1f} s)", flush=True)
        finally:
            redis.stop()
    write_report(quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
