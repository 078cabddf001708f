"""What a tab reports: its user's input (throttled per session) and the leases it asks for.

Every tab of a session reports input, each at most twice per ``ACTIVITY_INTERVAL``; this
process writes the session's activity once per window (:mod:`sessions_live.core.throttle`), by
whichever of its tabs of the session is still there when the window ends.
"""

from __future__ import annotations

import logging
import uuid

from channels.db import database_sync_to_async

from sessions_live.conf import get_settings
from sessions_live.core import policy
from sessions_live.core.protocol import ERROR_FORBIDDEN, FrameError
from sessions_live.core.throttle import ActivityThrottle
from sessions_live.runtime import lifecycle, outages, push
from sessions_live.runtime.presence import presence
from sessions_live.sockets.tab import Tab

logger = logging.getLogger(__name__)


async def report_input(tab: Tab, idle: float | None) -> None:
    """The tab saw input ``idle`` seconds ago."""
    interval = float(get_settings().ACTIVITY_INTERVAL)
    now = tab.clock()
    at = policy.activity_time(now=now, idle=idle, activity_interval=interval)
    if at <= tab.last_activity:
        return  # older than what the session already has
    if tab.status(now).state is policy.State.WARNING:
        await tab.record_activity(at)  # a dialog is open: close it now
        return
    live_id = tab.live.pk
    throttle = presence.throttle(live_id, interval)
    write_now, flush_in = throttle.offer(at, tab.socket.monotonic())
    if write_now:
        await tab.record_activity(at)
    elif flush_in is not None:
        presence.start_flush(live_id, flush_activity(tab, live_id, throttle, flush_in))


async def flush_activity(
    tab: Tab, live_id: uuid.UUID, throttle: ActivityThrottle, delay: float
) -> None:
    """The trailing write of an activity window, by any tab of the session still here."""
    await tab.scheduler.sleep(delay)
    at = throttle.flush(tab.socket.monotonic())
    open_tabs = [other for other in presence.tabs_of(live_id) if not other.done]
    if at is None or not open_tabs:
        return
    try:
        await open_tabs[0].record_activity(at)
    except outages.DATABASE_UNAVAILABLE:
        outages.database.failed()  # the tabs report again: the next window writes
    except Exception:
        logger.exception("sessions_live: could not record a session's activity")


async def ask_lease(tab: Tab, seconds: float) -> None:
    """Keep the session from idling out as long as the page asked, within MAX_LEASE."""
    if get_settings().MAX_LEASE is None:
        await tab.socket.refuse(FrameError(ERROR_FORBIDDEN, "Leases are not enabled."))
        return
    grant = database_sync_to_async(lifecycle.grant_lease)
    until = await grant(tab.live, seconds, now=tab.clock())
    if until is None:
        await tab.check()  # over, or past its deadline: the store decides how
        return
    tab.hear(tab.last_activity, until)
    tab.tell_session(push.active_event(tab.last_activity, tab.leased_until))
