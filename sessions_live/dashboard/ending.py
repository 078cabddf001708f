"""What staff end from the dashboard: one session, or every session of one user."""

from __future__ import annotations

from typing import Any

from sessions_live import dashboard
from sessions_live.core.protocol import DashboardFrame
from sessions_live.core.vocabulary import EndReason
from sessions_live.runtime import lifecycle


def end(frame: DashboardFrame, staff: Any, now: float) -> int:
    """End what a dashboard frame names, as ``staff``: how many live sessions it named (all
    ended now, by this call or a racing one); 0 if it names none."""
    if frame.type == "end":
        live = dashboard.find(frame.target)
        targets = [live] if live is not None and live.ended is None else []
    else:
        targets = dashboard.sessions_of(frame.target)
    for live in targets:
        lifecycle.end_session(live, EndReason.TERMINATED, now=now, by=staff)
    return len(targets)
