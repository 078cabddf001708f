"""``manage.py demo_user``: create (or reset) the demo's user with a fresh random password."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create the demo user, or give it a new random password, and print both."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        # The demo's user runs the admin's live-sessions dashboard too.
        user.is_staff = user.is_superuser = True
        user.save()
        self.stdout.write(f"Demo user: {username}  password: {password}")
