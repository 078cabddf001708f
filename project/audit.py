"""The demo's sign-in audit log: one line per sign-in and sign-out, from any process.

A deployment keeps such a trail; the scale-out tests count these lines to show that a session
ending on several processes at once is signed out exactly once.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

logger = logging.getLogger("project.audit")


def _name(user: Any) -> str:
    return user.get_username() if user is not None else "?"


@receiver(user_logged_in)
def signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    logger.info("audit: signed in user=%s", _name(user))


@receiver(user_logged_out)
def signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    logger.info("audit: signed out user=%s", _name(user))
