"""docs/benchmarks.md's sections of the floor, propagation, timeliness, idle, capacity and
kill-to-tab benchmarks, with their plots (the storm's and the dashboard's are in
storm_report.py and dashboard_report.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .harness import pyplot, save_figure
from .idle_windows import METRICS
from .kills import KINDS


def ms(entry: dict[str, Any]) -> str:
    if not entry or not entry.get("n"):
        return "n/a"
    return f"{entry['p50_ms']:.1f} / {entry['p99_ms']:.1f} / {entry['max_ms']:.1f}"


def p99(entry: dict[str, Any]) -> str:
    return f"{entry['p99_ms']:.1f}" if entry.get("n") else "n/a"


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "n/a"
    return f"{a / b:.1f}x"


def floor_section(result: dict[str, Any], images: Path) -> list[str]:
    return [
        "## Floor (benchmark 7)",
        "",
        "| hop | p50 / p99 / max (ms) |",
        "|---|---|",
        f"| raw websockets relay, tab to tab via one process | {ms(result['websocket_relay'])} |",
        f"| raw Redis PUBLISH to a subscriber | {ms(result['redis_publish'])} |",
        "",
    ]


def propagation_section(
    result: dict[str, Any], images: Path, floor: dict[str, Any] | None = None
) -> list[str]:
    relay_p99 = floor["websocket_relay"]["p99_ms"] if floor else None
    lines = [
        "## Cross-tab propagation (benchmark 3)",
        "",
        '"Stay signed in" in tab A until tab B hears `active`. The reference learns of another',
        "tab's activity at its next poll: up to EXPIRE_AFTER - WARN_AFTER, 60 s at its defaults"
        " (by design).",
        "",
        "| layer, tabs on | p50 / p99 / max (ms) | p99 vs reference (60 s) | p99 vs floor relay |",
        "|---|---|---|---|",
    ]
    for key, label in [
        ("core_same_process", "RedisChannelLayer, one process"),
        ("core_two_processes", "RedisChannelLayer, two processes"),
        ("pubsub_same_process", "RedisPubSubChannelLayer, one process"),
        ("pubsub_two_processes", "RedisPubSubChannelLayer, two processes"),
    ]:
        entry = result.get(key, {})
        p99 = entry.get("p99_ms")
        lines.append(
            f"| {label} | {ms(entry)} | {ratio(60_000, p99)} faster | {ratio(p99, relay_p99)} |"
        )
    lines.append("")
    return [*lines, *plot_cdf("propagation", result, "latency (ms)", images)]


#: What each scope of benchmark 9's kinds ends.
ENDS = {
    "other": "the other session",
    "user": "both sessions",
    "session": "one session",
}


def kills_section(result: dict[str, Any], images: Path) -> list[str]:
    push = result.get("bare_push", {})
    lines = [
        "## Kill to tab (benchmark 9)",
        "",
        "Each way Django ends a session's validity, from the moment the kill is made to",
        "`expired` reaching each open tab of the sessions it ends. Each sample: a fresh user",
        f"signed in twice, {result.get('tabs_per_session')} tabs per session over two daphne"
        " processes (RedisChannelLayer); the",
        "password view is a POST from the client, the rest run in a Django process of their",
        "own (as a shell, a script or a Celery task does); a session a kill must spare is",
        "checked to live on. Against the bare push, taken on the same tabs in each sample just",
        "before the kill (an `extend` until `active` reaches a tab on the other process, as in",
        "benchmark 3), and the reference, which pushes nothing: a killed session's tab learns at",
        "its next request or poll, up to EXPIRE_AFTER - WARN_AFTER, 60 s at its defaults (by",
        "design). Target: p99 under 1 s.",
        "",
        "| kill (reason told) | ends | tabs told (samples) | p50 / p99 / max (ms) |"
        " p50 / p99 vs bare push | p99 vs reference (60 s) | missed | the call, p50 / p99 (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, (scope, reason, label) in KINDS.items():
        entry = result["kinds"].get(kind, {})
        ends = "one session or both, in turns" if kind == "ending_api" else ENDS[scope]
        calls = ", ".join(f"{c['p50_ms']:.0f} / {c['p99_ms']:.0f}" for c in entry["call"].values())
        lines.append(
            f"| {label} (`{reason}`) | {ends} | {entry.get('n', 0)} ({entry.get('samples')}) |"
            f" {ms(entry)} | {ratio(entry.get('p50_vs_bare_push'), 1.0)} /"
            f" {ratio(entry.get('p99_vs_bare_push'), 1.0)} |"
            f" {ratio(60_000, entry.get('p99_ms'))} faster | {entry.get('missed')} | {calls} |"
        )
    lines += [
        f"| bare push: `extend` to `active` on the other process | - | {push.get('n')} |"
        f" {ms(push)} | 1.0x / 1.0x | {ratio(60_000, push.get('p99_ms'))} faster | - | - |",
        "",
        "The call: how long the kill itself took, as its caller saw it (the POST until its",
        "response; the Django call in its process); for the ending API, `end_session` then",
        "`end_user_sessions`.",
        "",
        "The cache entry gone runs on a second pair of daphne processes whose sessions the",
        "`cache` engine keeps in the run's Redis: the kill process deletes the entry, as an",
        "eviction leaves it, and no signal says so; each process's eviction watch finds it",
        "missing (a `get_many` every 0.25 s, two looks in a row). Its ratios are against the",
        "bare push measured on that pair"
        + (
            f" (p50 / p99 / max {ms(cache)} ms)."
            if (cache := result.get("bare_push_cache_engine"))
            else "."
        ),
        "",
    ]
    return lines


def timeliness_section(result: dict[str, Any], images: Path) -> list[str]:
    lines = [
        "## Timeliness (benchmark 2)",
        "",
        "How late `warning` and `expired` reach a tab after the server's deadline: the activity",
        "the server recorded for an `extend` plus WARN_AFTER or EXPIRE_AFTER, read from its",
        "database after the run (same machine, same clock). The last column counts instead from",
        "when the client sent that `extend`, adding the way in and any wait before daphne read",
        f"it: an upper bound. Many tabs = {result.get('tabs_in_many')} tabs whose deadlines fall",
        "within 2 s. The reference is late by its poll and a page load and counts down without",
        "the server's deadline (by design). Targets: p99 under 50 ms for one tab, under 150 ms",
        "for many.",
        "",
        "| layer, tabs | warning p50 / p99 / max (ms) | expired p50 / p99 / max (ms) |"
        " p99 from the client's send, warning / expired (ms) |",
        "|---|---|---|---|",
    ]
    for layer in ("core", "pubsub"):
        for size in ("one_tab", "many_tabs"):
            entry = result.get(f"{layer}_{size}", {})
            bound = entry.get("from_client_send", {})
            lines.append(
                f"| {layer}, {size.replace('_', ' ')} | {ms(entry.get('warning', {}))} | "
                f"{ms(entry.get('expired', {}))} | "
                f"{p99(bound.get('warning', {}))} / {p99(bound.get('expired', {}))} |"
            )
    lines += [
        "",
        'How the expiry tail of many tabs was found and removed: "What the 1,000-tab figures',
        'show", at the end.',
        "",
    ]
    flat = {
        f"{key} {kind}": value[kind]
        for key, value in result.items()
        if key.endswith("many_tabs")
        for kind in ("warning", "expired")
    }
    return [*lines, *plot_cdf("timeliness", flat, "lateness after the deadline (ms)", images)]


def idle_section(result: dict[str, Any], images: Path) -> list[str]:
    ours, reference = result.get("ours", {}), result.get("reference", {})
    lines = [
        "## Idle tab cost (benchmark 1)",
        "",
        f"One idle tab over {result.get('window_s')} s, scaled to 10 minutes at warn 540 s /"
        " expire 600 s.",
        "",
        "| per idle tab per 10 min | sessions-live | django-session-security | reference / ours |",
        "|---|---|---|---|",
    ]
    for key in METRICS:
        if key not in ours and key not in reference:
            continue
        a, b = ours.get(key), reference.get(key)
        lines.append(f"| {key.replace('_', ' ')} | {a} | {b} | {ratio(b, a)} |")
    return [*lines, ""]


def capacity_section(result: dict[str, Any], images: Path) -> list[str]:
    lines = [
        "## Capacity (benchmark 4)",
        "",
        f"Idle tabs held by one daphne process; open files limit {result.get('open_files')}.",
        "",
        "| tabs | sessions-live RSS per tab (KiB) | bare Channels consumer (KiB) | added by"
        " sessions-live (KiB) | idle CPU (% of a core; bare) | tabs opened per s (bare) |"
        " reconnect all after restart (s; bare) |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = result.get("rows", [])
    for row in rows:
        reconnect = (
            f"{row['reconnect_s']:.1f} ({row['bare_reconnect_s']:.1f})"
            if "reconnect_s" in row
            else "-"
        )
        lines.append(
            f"| {row['tabs']} | {row['ours_kib_per_tab']:.1f} | {row['bare_kib_per_tab']:.1f} |"
            f" {row['ours_kib_per_tab'] - row['bare_kib_per_tab']:.1f} |"
            f" {row['idle_cpu_percent']:.2f} ({row['bare_idle_cpu_percent']:.2f}) |"
            f" {row.get('opened_per_s', 0):.0f} ({row.get('bare_opened_per_s', 0):.0f}) |"
            f" {reconnect} |"
        )
    lines.append("")
    return [*lines, *plot_capacity(rows, images)]


def plot_capacity(rows: list[dict[str, Any]], images: Path) -> list[str]:
    """RSS per tab and idle CPU against the number of tabs, ours beside the bare consumer."""
    if not rows:
        return []
    plt = pyplot()
    tabs = [row["tabs"] for row in rows]
    figure, (memory, cpu) = plt.subplots(1, 2, figsize=(9, 3.6))
    memory.plot(tabs, [row["ours_kib_per_tab"] for row in rows], "o-", label="sessions-live")
    memory.plot(tabs, [row["bare_kib_per_tab"] for row in rows], "s--", label="bare consumer")
    memory.set_ylabel("RSS per idle tab (KiB)")
    cpu.plot(tabs, [row["idle_cpu_percent"] for row in rows], "o-", label="sessions-live")
    cpu.plot(tabs, [row["bare_idle_cpu_percent"] for row in rows], "s--", label="bare consumer")
    cpu.set_ylabel("idle CPU (% of a core)")
    for axes in (memory, cpu):
        axes.set_xlabel("idle tabs in one daphne process")
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
    return save_figure(figure, "capacity", images)


def plot_cdf(name: str, series: dict[str, Any], label: str, images: Path) -> list[str]:
    """One PNG with a cumulative distribution per series; the Markdown that shows it."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 4))
    drawn = False
    for key, entry in series.items():
        samples = entry.get("samples_ms") if isinstance(entry, dict) else None
        if samples:
            fraction = [(index + 1) / len(samples) for index in range(len(samples))]
            axes.step(samples, fraction, where="post", label=key.replace("_", " "))
            drawn = True
    if not drawn:
        plt.close(figure)
        return []
    axes.set_xlabel(label)
    axes.set_ylabel("fraction of samples")
    axes.set_xscale("log")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    return save_figure(figure, name, images)
