"""The demo's sign-in audit log: one line per sign-in, sign-out and ended session, from any
process.

A deployment keeps such a trail; the scale-out tests count these lines to show that a session
ending on several processes at once is signed out exactly once, and the crash test that a
process killed mid-ending leaves no session without its lines (``DEMO_KILL_AT_SIGN_OUT=N``
makes the process kill itself, SIGKILL, at its N-th sign-out, before writing its line: the
moment between an ending's claim and its signals).
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from sessions_live.signals import session_ended

logger = logging.getLogger("project.audit")


def _name(user: Any) -> str:
    return user.get_username() if user is not None else "?"


@receiver(user_logged_in)
def signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    logger.info("audit: signed in user=%s", _name(user))


_sign_outs = itertools.count(1)
_KILL_AT = int(os.environ.get("DEMO_KILL_AT_SIGN_OUT", "0"))


@receiver(user_logged_out)
def signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if next(_sign_outs) == _KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)
    logger.info("audit: signed out user=%s", _name(user))


@receiver(session_ended)
def ended(sender: Any, live_session: Any, reason: str, **kwargs: Any) -> None:
    logger.info("audit: session ended id=%s reason=%s", live_session.pk, reason)
