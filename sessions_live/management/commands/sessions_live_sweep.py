"""``manage.py sessions_live_sweep``: end sessions no tab is watching, once or in a loop."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sessions_live.conf import get_settings
from sessions_live.runtime.sweep import sweep_once


class Command(BaseCommand):
    help = "End live sessions past their deadline and forget tabs of dead processes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop",
            action="store_true",
            help="Keep sweeping every SESSIONS_LIVE['SWEEP_INTERVAL'] seconds until stopped.",
        )

    def handle(self, *args: Any, loop: bool = False, **options: Any) -> None:
        while True:
            result = sweep_once(time.time())
            if options["verbosity"] >= 1 and (result.ended or result.pruned or not loop):
                self.stdout.write(f"Ended {result.ended} sessions, pruned {result.pruned} tabs.")
            if not loop:
                return
            time.sleep(float(get_settings().SWEEP_INTERVAL))
