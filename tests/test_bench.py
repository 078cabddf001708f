"""The benchmark harness runs end to end in quick mode, so it cannot rot.

No figure is asserted: benchmarks report numbers (docs/benchmarks.md), tests do not time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import BENCHMARKS

from .servers import ROOT

pytestmark = pytest.mark.slow


# The run's own limit (below), not the suite's 120 s: the quick run takes 60-80 s on an idle
# machine, and more beside the browser half of the suite and the other pairs' tests.
@pytest.mark.timeout(300)
def test_every_benchmark_runs_quick_and_writes_its_results(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "all", "--quick"],
        cwd=ROOT,
        env={**os.environ, "BENCH_RESULTS": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in BENCHMARKS:
        result = json.loads((tmp_path / f"{name}-quick.json").read_text())
        assert result["quick"] is True
        assert result["machine"]["cores"]
        assert result["notes"]
    report = (tmp_path / "report-quick.md").read_text()
    for heading in (
        "Floor",
        "Cross-tab propagation",
        "Timeliness",
        "Capacity",
        "Idle tab cost",
        "Activity storm",
        "Dashboard",
    ):
        assert f"## {heading}" in report
