"""The activity storm's section of docs/benchmarks.md: a table and a line per layer, and a plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .harness import pyplot, save_figure
from .storm import ACTIVITY_INTERVAL
from .storm_tabs import TABS

LAYER_NAMES = {"core": "RedisChannelLayer", "pubsub": "RedisPubSubChannelLayer"}


def section(result: dict[str, Any], images: Path) -> list[str]:
    """docs/benchmarks.md's table for this benchmark (bench/report.py calls it)."""
    window = result.get("activity_interval_s", ACTIVITY_INTERVAL)
    lines = [
        "## Activity storm (benchmark 5)",
        "",
        f"{result['sessions']} sessions x {result['tabs_per_session']} tabs on one daphne"
        f" process, every tab sending {result['frames_per_tab_per_s']:g} `activity` frame/s for"
        f" {result['duration_s']:g} s (the browser client sends at most 2 per"
        f" {window:g} s), on PostgreSQL. Target and floor: one write and one fan-out per"
        f" session per activity window ({window:g} s), however many tabs and events. No"
        " reference: django-session-security has no push, and writes the session on every"
        " ping of every tab.",
        "",
        "| layer | writes / session / window (target 1) | group sends / session / window"
        " (target 1) | Redis commands / session / min | pushed `active` frames delivered |"
        " daphne / Redis / PostgreSQL / client CPU (% of a core) |",
        "|---|---|---|---|---|---|",
    ]
    for layer in ("core", "pubsub"):
        entry = result.get(layer)
        if not entry:
            continue
        figures, cpu = entry["per_session"], entry["storm"]["cpu_percent"]
        idle = entry["idle_per_session"]
        delivered = entry.get("active_delivered_fraction")
        lines.append(
            f"| {LAYER_NAMES[layer]} | {figures['writes_per_session_per_window']:.2f} |"
            f" {figures['group_sends_per_session_per_window']:.2f} |"
            f" {figures['redis_commands_per_session_per_minute']:.1f}"
            f" (idle: {idle['redis_commands_per_session_per_minute']:.1f}) |"
            f" {'n/a' if delivered is None else f'{delivered:.0%}'} |"
            f" {cpu['daphne']:.0f} / {cpu['redis']:.0f} / {cpu['postgres']:.0f} /"
            f" {cpu['client']:.0f} |"
        )
    lines.append("")
    for layer in ("core", "pubsub"):
        entry = result.get(layer)
        if not entry:
            continue
        log = entry.get("daphne_log", {})
        lines.append(
            f"- {LAYER_NAMES[layer]}: {entry['frames_sent']} frames sent"
            f" ({entry['frames_per_tab_per_s']:g} per tab per s), {entry['storm']['touch_rows']}"
            f" activity writes ({entry['drain']['touch_rows']} more in the"
            f" {entry['drain']['seconds']:g} s after the last frame), {entry['group_sends']}"
            f" group sends; daphne logged {log.get('push_failed_pool_full', 0)} pushes refused"
            f" by a full Redis connection pool and {log.get('channels_over_capacity_logged', 0)}"
            f" channels over capacity; opening the {result['sessions'] * TABS} sockets took"
            f" {entry['open_s']:g} s."
        )
    lines.append("")
    return [*lines, *plot_series(result, images)]


def plot_series(result: dict[str, Any], images: Path) -> list[str]:
    """Activity writes per second and daphne's CPU through the storm, per layer."""
    plt = pyplot()
    layers = [layer for layer in ("core", "pubsub") if result.get(layer, {}).get("series")]
    if not layers:
        return []
    figure, (writes, cpu) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    for layer in layers:
        series = result[layer]["series"]
        t = [row["t"] for row in series]
        writes.plot(t, [row["touch_rows_per_s"] for row in series], label=LAYER_NAMES[layer])
        cpu.plot(t, [row["daphne_cpu_percent"] for row in series], label=LAYER_NAMES[layer])
    target = result["sessions"] / result.get("activity_interval_s", ACTIVITY_INTERVAL)
    writes.axhline(target, color="grey", linestyle="--", label="target: 1 per session per window")
    writes.set_ylabel("activity writes / s")
    cpu.set_ylabel("daphne CPU (% of a core)")
    cpu.set_xlabel("seconds since the storm began")
    for axes in (writes, cpu):
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
    return save_figure(figure, "storm", images)
