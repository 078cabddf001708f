"""The signals sessions-live sends: what happened to a live session, for audits and metrics.

Every signal's sender is :class:`~sessions_live.models.LiveSession`, and its arguments include
``live_session``, the record; none carries the session key (a bearer credential). Each event is
sent once, by the process that recorded it, from synchronous code (the store and lifecycle
functions, which async callers run in a thread) or with ``asend`` from the consumers, so a
receiver may be a plain function or a coroutine function. A receiver that raises is logged
(logger ``django.dispatch``) and stops neither the other receivers nor the event itself.

docs/signals.md documents when each one is sent and its arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.dispatch import Signal

from sessions_live.core import vocabulary

if TYPE_CHECKING:
    from sessions_live.models import LiveSession

#: A LiveSession record was created: the user signed in.
session_started = Signal()
#: The warning period began (``reason``: the deadline it warns of, ``expires_in``: seconds).
session_warned = Signal()
#: Activity was recorded (``source``: ``"tab"`` or ``"http"``, ``at``: its aware datetime).
session_extended = Signal()
#: The session ended at a timeout (``reason``: ``idle``, ``absolute`` or ``closed``).
session_expired = Signal()
#: The session ended, for any reason (``reason``, ``actor``: a user or None).
session_ended = Signal()
#: A tab's socket joined the session (``channel_name``).
tab_connected = Signal()
#: A tab's socket left the session (``channel_name``).
tab_disconnected = Signal()

#: The endings ``session_expired`` is sent for (the timeouts), besides ``session_ended``.
TIMEOUT_REASONS = vocabulary.TIMEOUT_REASONS


def send(signal: Signal, live: LiveSession, **kwargs: Any) -> None:
    """Send ``signal`` about ``live`` from synchronous code."""
    signal.send_robust(sender=type(live), live_session=live, **kwargs)


async def asend(signal: Signal, live: LiveSession, **kwargs: Any) -> None:
    """Send ``signal`` about ``live`` from async code (sync receivers run in a thread)."""
    await signal.asend_robust(sender=type(live), live_session=live, **kwargs)
