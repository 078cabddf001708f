"""Bringing the rows kept before a privacy setting changed into line with it
(``manage.py sessions_live_privacy``): nothing rewrites them silently."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from sessions_live.core.privacy import kept_ip, kept_user_agent
from sessions_live.models import LiveSession

BATCH = 500


@dataclass(frozen=True)
class Rewritten:
    rows: int  # rows looked at
    changed: int  # rows that held more than the settings keep


def keep_only(keep_ip: str, keep_user_agent: str, *, write: bool = True) -> Rewritten:
    """Reduce every row (live and ended) to what ``keep_ip`` and ``keep_user_agent`` keep;
    with ``write`` False, only count the rows that would change."""
    rows = changed = 0
    pending: list[LiveSession] = []
    found = LiveSession.objects.only("id", "ip", "user_agent").order_by("pk")
    with transaction.atomic():
        for live in found.iterator(chunk_size=BATCH):
            rows += 1
            ip = kept_ip(live.ip, keep_ip)
            user_agent = kept_user_agent(live.user_agent, keep_user_agent)
            if (ip, user_agent) == (live.ip, live.user_agent):
                continue
            changed += 1
            live.ip, live.user_agent = ip, user_agent
            pending.append(live)
            if write and len(pending) >= BATCH:
                LiveSession.objects.bulk_update(pending, ["ip", "user_agent"])
                pending.clear()
        if write and pending:
            LiveSession.objects.bulk_update(pending, ["ip", "user_agent"])
    return Rewritten(rows=rows, changed=changed)
