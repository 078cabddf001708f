"""How many tabs a session and a user may have open at once (MAX_TABS_PER_SESSION,
MAX_TABS_PER_USER), counted over every process from the store's tab rows. A tab past a cap is
refused at its handshake (close 4409, after an ``error`` frame saying which cap) and tries
again with the client's backoff, so it gets in once another tab closes: no open tab is ever
dropped for a new one. A handshake writes its own row before it counts, so handshakes at the
same moment never all pass (some may all be refused, and try again). The rows of a process
that stopped (a restart) count until the sweep prunes them, up to 25 s. Refusals are logged
at most once a minute per process, with how many there were."""

from __future__ import annotations

import logging

from sessions_live import store
from sessions_live.conf import get_settings
from sessions_live.core.protocol import CLOSE_TOO_MANY_TABS, ERROR_TOO_MANY_TABS, FrameError
from sessions_live.core.sampled_log import SampledLog
from sessions_live.models import LiveSession

logger = logging.getLogger(__name__)

#: Seconds between two log lines about refused tabs, in one process.
LOG_EVERY = 60.0


def refusal(live: LiveSession) -> FrameError | None:
    """Why one more tab of ``live`` may not open (synchronous: one query), or None."""
    conf = get_settings()
    per_session, per_user = conf.MAX_TABS_PER_SESSION, conf.MAX_TABS_PER_USER
    if per_session is None and per_user is None:
        return None
    session_tabs, user_tabs = store.tabs_open(live.pk, live.user_id)  # this one's included
    if per_session is not None and session_tabs > per_session:
        cap, count, whose = "MAX_TABS_PER_SESSION", per_session, "This session"
    elif per_user is not None and user_tabs > per_user:
        cap, count, whose = "MAX_TABS_PER_USER", per_user, "This user"
    else:
        return None
    if (refused := refusals.count()) is not None:
        logger.warning(
            "sessions_live: refused a tab of session %s (user id %s): %s (%d) tabs open already"
            " (%d tabs refused since the last line)",
            live.pk,
            live.user_id,
            cap,
            count,
            refused,
        )
    message = f"{whose} has {count} tabs open already ({cap})."
    return FrameError(ERROR_TOO_MANY_TABS, message, CLOSE_TOO_MANY_TABS)


#: This process's refusals, for a log line at most every LOG_EVERY seconds.
refusals = SampledLog(LOG_EVERY)
