"""The idle benchmark's windows, and how its runs are taken to one idle window of 10 minutes.

A window's figures are scaled (quick) or extrapolated along the line through two windows
(full): see bench/idle_cost.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The idle window the scaled ones stand for: warn 540 s, expire 600 s, observed for 700 s.
TARGET_OBSERVE_S = 700.0
#: The figures taken to 10 minutes, and the report's rows, in this order.
METRICS = (
    "http_requests",
    "bytes_up",
    "bytes_down",
    "ws_frames",
    "db_writes",
    "db_commits",
    "sql_statements",
)


@dataclass(frozen=True)
class Window:
    """Timeouts of one run, and the factor that takes it to the 10-minute window."""

    name: str
    warn: float
    expire: float
    observe: float

    @property
    def scale(self) -> float:
        return TARGET_OBSERVE_S / self.observe


QUICK = Window("quick", 1.8, 2.0, 2.4)
FULL = Window("full", 54.0, 60.0, 70.0)
#: Full runs only: the same window six times shorter, to tell fixed costs from periodic ones.
SHORT = Window("short", 9.0, 10.0, 70.0 / 6)


def extrapolate(long: tuple[Window, float], short: tuple[Window, float]) -> float:
    """The line through two runs (a cost per window plus one per second), at 700 s. Its slope
    is at least 0: a longer idle window cannot cost less."""
    (long_window, long_cost), (short_window, short_cost) = long, short
    slope = max(0.0, (long_cost - short_cost) / (long_window.observe - short_window.observe))
    return round(long_cost + slope * (TARGET_OBSERVE_S - long_window.observe), 1)


def per_ten_minutes(
    runs: dict[str, dict[str, dict[str, Any]]], windows: list[Window]
) -> dict[str, dict[str, float]]:
    """Each system's figures for the 700 s window at warn 540 / expire 600."""
    main = windows[0]
    estimates: dict[str, dict[str, float]] = {}
    for system in ("ours", "reference"):
        long = runs[main.name][system]
        figures: dict[str, float] = {}
        for metric in (metric for metric in METRICS if metric in long):
            if len(windows) == 1:
                figures[metric] = round(long[metric] * main.scale, 1)
            else:
                short = (windows[1], runs[windows[1].name][system][metric])
                figures[metric] = extrapolate((main, long[metric]), short)
        estimates[system] = figures
    return estimates


def times_ten(run: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """The brief's plain scaling of the 70 s run, kept to show how far off it is."""
    return {
        system: {metric: figures[metric] * 10 for metric in METRICS if metric in figures}
        for system, figures in run.items()
    }


def ratios(estimates: dict[str, dict[str, float]]) -> dict[str, float]:
    ours, reference = estimates["ours"], estimates["reference"]
    return {
        metric: round(reference[metric] / ours[metric], 2)
        for metric in ours
        if ours[metric] > 0 and metric in reference
    }
