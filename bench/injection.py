"""Benchmark 8: what putting the client into a page costs a request (INJECT_CLIENT).

The same page, 50 KB and 1 MB of HTML, through the whole middleware stack of a project
(the test suite's settings, bench/injection_settings.py; Django's test client, in a process
of its own with an SQLite database): once from a view the
middleware puts the client into, once from the same view marked ``@without_client``, which
goes through every step but the rewrite. Requests alternate between the two, so that both see
the same machine; p50 and p99 of each, and what the client adds.

Run as ``python -m bench.injection COUNTS`` it is that process, printing its samples as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .harness import summary_ms

#: Page sizes (bytes of HTML) and, for a full run, requests of each kind per size.
SIZES = {"50KB": 50_000, "1MB": 1_000_000}
FULL = {"50KB": 3000, "1MB": 600}
QUICK = {"50KB": 100, "1MB": 20}
#: In a page that has the client.
CONFIG = b'id="sessions-live-config"'


def run(context: Any) -> dict[str, Any]:
    counts = QUICK if context.quick else FULL
    folder = context.folder("injection")
    done = subprocess.run(
        [sys.executable, "-m", "bench.injection", json.dumps(counts)],
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "PYTHONHASHSEED": "0",
            "DJANGO_SETTINGS_MODULE": "bench.injection_settings",
            "BENCH_INJECTION_DB": str(folder / "db.sqlite3"),
        },
    )
    samples: dict[str, dict[str, list[float]]] = json.loads(done.stdout)
    result: dict[str, Any] = {"sizes": {}}
    for size, kinds in samples.items():
        with_client, without = summary_ms(kinds["with"]), summary_ms(kinds["without"])
        result["sizes"][size] = {
            "with": with_client,
            "without": without,
            "added_p50_ms": round(with_client["p50_ms"] - without["p50_ms"], 3),
            "added_p99_ms": round(with_client["p99_ms"] - without["p99_ms"], 3),
            "ratio_p50": round(with_client["p50_ms"] / without["p50_ms"], 3),
            "ratio_p99": round(with_client["p99_ms"] / without["p99_ms"], 3),
        }
        print(
            f"   {size}: p50 {without['p50_ms']:.3f} -> {with_client['p50_ms']:.3f} ms "
            f"(x{result['sizes'][size]['ratio_p50']}), p99 {without['p99_ms']:.3f} -> "
            f"{with_client['p99_ms']:.3f} ms (x{result['sizes'][size]['ratio_p99']})",
            flush=True,
        )
    result["notes"] = [
        "in process, through Django's test client: no network and no ASGI server, so the "
        "figures are the middleware stack's own; a real request adds the server's and the "
        "network's time to both columns alike."
    ]
    return result


# The measuring process ------------------------------------------------------------------------


def measure(counts: dict[str, int]) -> dict[str, dict[str, list[float]]]:
    import django
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    django.setup()
    call_command("migrate", verbosity=0)
    client = Client()
    client.force_login(get_user_model().objects.create_user("bench"))
    samples: dict[str, dict[str, list[float]]] = {}
    for size, count in counts.items():
        paths = {"with": f"/with/{size}/", "without": f"/without/{size}/"}
        for kind, path in paths.items():  # warm up: templates, the static files, the session
            for _ in range(20):
                body = client.get(path).content
            assert (CONFIG in body) == (kind == "with"), f"{path}: client {kind} it?"
        got: dict[str, list[float]] = {"with": [], "without": []}
        for number in range(count):
            order = ("with", "without") if number % 2 else ("without", "with")
            for kind in order:
                started = time.perf_counter()
                response = client.get(paths[kind])
                got[kind].append(time.perf_counter() - started)
                assert response.status_code == 200
        samples[size] = got
    return samples


if __name__ == "__main__":
    print(json.dumps(measure(json.loads(sys.argv[1]))))


def section(result: dict[str, Any], images: Path) -> list[str]:
    """docs/benchmarks.md's table for this benchmark (bench/report.py calls it)."""
    lines = [
        "## The client put into pages (benchmark 8)",
        "",
        "A request for the same HTML page through a project's whole middleware stack, with",
        "`INJECT_CLIENT` on: from a view the middleware puts the client into, and from the same",
        "view marked `@without_client` (every step but the rewrite), alternating. No reference:",
        "django-session-security has no injection (its template include is the tag's cost, paid",
        "in both columns by a page that renders it).",
        "",
        "| page | without: p50 / p99 (ms) | with the client: p50 / p99 (ms) | added p50 / p99 (ms)"
        " | with vs without, p50 / p99 |",
        "|---|---|---|---|---|",
    ]
    for size, row in result["sizes"].items():
        without, with_client = row["without"], row["with"]
        lines.append(
            f"| {size.replace('KB', ' KB').replace('MB', ' MB')} ({without['n']} requests each)"
            f" | {without['p50_ms']:.2f} / {without['p99_ms']:.2f}"
            f" | {with_client['p50_ms']:.2f} / {with_client['p99_ms']:.2f}"
            f" | {row['added_p50_ms']:.2f} / {row['added_p99_ms']:.2f}"
            f" | {row['ratio_p50']:.2f}x / {row['ratio_p99']:.2f}x |"
        )
    lines.append("")
    return lines
