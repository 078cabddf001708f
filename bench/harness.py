"""What every benchmark shares: services on loopback, timing statistics, results on disk.

Benchmarks reuse the test suite's process helpers (tests/servers.py, tests/web.py), so the
demo runs here exactly as the end-to-end tests run it.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers import ROOT, Demo, RedisServer, redis_server_binary, run_demos

#: Where results go; the smoke test points it at a temporary folder.
RESULTS = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results"))


@dataclass
class Context:
    """One invocation: quick or full, its work folder, and its private Redis."""

    quick: bool
    work: Path
    redis: RedisServer
    command: str
    _folders: int = field(default=0)

    @property
    def layers(self) -> tuple[str, ...]:
        """The channels-redis layers to compare: both in a full run, one in a quick run (the
        smoke test has a minute; the other layer is one setting away)."""
        return ("core",) if self.quick else ("core", "pubsub")

    def folder(self, name: str) -> Path:
        self._folders += 1
        path = self.work / f"{self._folders:02d}-{name}"
        path.mkdir(parents=True)
        return path

    @contextmanager
    def demo(self, count: int = 1, **env: str) -> Iterator[list[Demo]]:
        """The demo under ``count`` daphne processes sharing this run's Redis, with no cap on
        open tabs (a benchmark opens thousands in one session)."""
        env = {
            "SESSIONS_LIVE_MAX_TABS_PER_SESSION": "none",
            "SESSIONS_LIVE_MAX_TABS_PER_USER": "none",
            **env,
        }
        with run_demos(self.folder("demo"), count, (), REDIS_URL=self.redis.url, **env) as demos:
            yield demos


def summary_ms(samples: list[float]) -> dict[str, Any]:
    """p50, p99 and max of samples in seconds, as milliseconds, with the samples (for plots)."""
    ordered = sorted(samples)
    if not ordered:
        return {"n": 0}

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(pick(0.99), 3),
        "max_ms": round(ordered[-1] * 1000, 3),
        "samples_ms": [round(sample * 1000, 3) for sample in ordered],
    }


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its live children and the children it reaped."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    total = sum(int(value) for value in fields[11:15]) / ticks  # utime stime cutime cstime
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # it exited
            total += cpu_seconds(int(child))
    return total


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    redis = subprocess.run(
        [redis_server_binary(), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "redis": redis,
        "open_files_limit": {"soft": soft, "hard": hard},
    }


def save(name: str, result: dict[str, Any], context: Context) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}{'-quick' if context.quick else ''}.json"
    record = {
        "benchmark": name,
        "quick": context.quick,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": context.command,
        "machine": machine(),
        **result,
    }
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend (files, no display), imported only to plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure: Any, name: str, images: Path) -> list[str]:
    """Write a matplotlib figure to ``images/bench-NAME.png``; the Markdown that shows it."""
    plt = pyplot()
    images.mkdir(parents=True, exist_ok=True)
    path = images / f"bench-{name}.png"
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return [f"![{name}](images/{path.name})", ""]
