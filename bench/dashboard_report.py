"""The dashboard benchmark's section of docs/benchmarks.md: one table of measures beside their
floors or bounds."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def section(result: dict[str, Any], images: Path) -> list[str]:
    """docs/benchmarks.md's table for this benchmark (bench/report.py calls it)."""
    paint_runs = result["paint"]["runs"]
    full = result["paint"]["full_paint"]
    snapshot = paint_runs[0] if paint_runs else {}
    windows = result["windows"]
    one, ten = windows.get("1", {}), windows.get("10", {})
    page = result.get("page_under_churn", {})
    interval = result.get("dashboard_interval_s", 0.5)
    floor_bytes = one.get("floor_bytes_per_s")
    ratio = f"{one['bytes_per_s'] / floor_bytes:.1f}x" if floor_bytes else "n/a"
    probe = result.get("as_deployed", {})
    if probe.get("snapshot_delivered"):
        deployed = f"sent ({probe['snapshot_bytes'] / 1e6:.1f} MB)"
    else:
        deployed = (
            f"**refused**: {(probe.get('snapshot_bytes') or 0) / 1e6:.1f} MB, closed with"
            f" {probe.get('close_code')}; the page never shows a row. Figures below: daphne"
            f" run with --websocket-max-message-size {result['message_limit_raised_to']}"
        )
    lines = [
        "## Dashboard (benchmark 6)",
        "",
        f"{result['sessions']} live sessions (one tab each, made in the database) on the"
        f" admin's live-sessions dashboard; churn: {result['churn_per_s']:g} sessions a second"
        " touched, ended or started through the store's functions. No reference:"
        " django-session-security has no dashboard.",
        "",
        "| measure | sessions-live | floor or bound |",
        "|---|---|---|",
        f"| snapshot under daphne's defaults | {deployed} | daphne sends no message over"
        " its --websocket-max-message-size, 1 MiB by default |",
        f"| time to first full paint in Chromium, p50 / max of {full['n']} (ms) |"
        f" {full['p50_ms']:.0f} / {full['max_ms']:.0f} | the snapshot frame"
        f" ({snapshot.get('snapshot_chars', 0) / 1e6:.1f} MB) arrived at"
        f" {snapshot.get('snapshot_arrived_ms', 0):.0f} ms, the HTML at"
        f" {snapshot.get('html_ms', 0):.0f} ms |",
        f"| frames / s reaching one dashboard under churn | {one.get('frames_per_s', 0):.2f} |"
        f" at most {1 / interval:g} (DASHBOARD_INTERVAL {interval:g} s) |",
        f"| bytes / s reaching one dashboard | {one.get('bytes_per_s', 0):,} |"
        f" {floor_bytes or 0:,} for the changed fields alone (ours: {ratio}) |",
        f"| rows / s sent to one dashboard | {one.get('rows_per_s', 0):g} |"
        f" {result['churn_per_s']:g} rows change a second |",
        f"| daphne CPU per connected dashboard (% of a core) |"
        f" {result.get('daphne_cpu_percent_per_dashboard')} | 1 dashboard:"
        f" {one.get('daphne_cpu_percent')}, 10: {ten.get('daphne_cpu_percent')}, none:"
        f" {windows.get('0', {}).get('daphne_cpu_percent')} |",
        f"| PostgreSQL CPU per connected dashboard (% of a core) |"
        f" {result.get('postgres_cpu_percent_per_dashboard')} | 1 dashboard:"
        f" {one.get('postgres_cpu_percent')}, 10: {ten.get('postgres_cpu_percent')} |",
        f"| Chromium main thread busy following the churn (%) |"
        f" {page.get('main_thread_busy_percent')} | script {page.get('script_percent')},"
        f" style and layout {page.get('layout_percent')} |",
        "",
    ]
    return lines
