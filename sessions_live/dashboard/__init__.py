"""The live-sessions dashboard: what it shows (:mod:`.rows`) and its socket (:mod:`.consumer`).

This package's names are :mod:`.rows`' (``dashboard.snapshot``, ``dashboard.can_end``, ...).
"""

from sessions_live.dashboard.rows import (
    END_PERMISSION,
    TICKING,
    VIEW_PERMISSION,
    SessionRow,
    Totals,
    can_end,
    can_view,
    changed_since,
    existing_ids,
    find,
    row,
    same,
    sessions_of,
    snapshot,
    totals,
)

__all__ = [
    "END_PERMISSION",
    "TICKING",
    "VIEW_PERMISSION",
    "SessionRow",
    "Totals",
    "can_end",
    "can_view",
    "changed_since",
    "existing_ids",
    "find",
    "row",
    "same",
    "sessions_of",
    "snapshot",
    "totals",
]
