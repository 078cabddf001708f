"""``manage.py sessions_live_privacy``: reduce the sessions kept before ``KEEP_IP`` or
``KEEP_USER_AGENT`` changed to what the settings keep now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sessions_live import store
from sessions_live.conf import get_settings


class Command(BaseCommand):
    help = (
        "Reduce every stored session (live and ended) to what SESSIONS_LIVE['KEEP_IP'] and "
        "['KEEP_USER_AGENT'] keep now. What is removed cannot be brought back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the rows it would change; write none."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        conf = get_settings()
        done = store.keep_only(conf.KEEP_IP, conf.KEEP_USER_AGENT, write=not dry_run)
        verb = "Would reduce" if dry_run else "Reduced"
        self.stdout.write(
            f"{verb} {done.changed} of {done.rows} sessions to KEEP_IP={conf.KEEP_IP!r}, "
            f"KEEP_USER_AGENT={conf.KEEP_USER_AGENT!r}."
        )
