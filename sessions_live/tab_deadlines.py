"""A tab's clock: one timer to its session's next deadline, and the ending when it comes.

When the timer fires the tab re-reads the store (another tab or process may have moved the
deadline) and hands the read to its siblings in this process, so one read serves every tab of
the session; the tab that wins an ending tells its siblings at once, then the rest follows
(the push to other processes, the Django session, the signals).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async

from . import lifecycle, outages, policy, push, store
from .clients import request_from_scope
from .models import EndReason, LiveSession
from .presence import presence
from .protocol import (
    CLOSE_NOT_AUTHENTICATED,
    CLOSE_SERVER_ERROR,
    ExpiredFrame,
    ServerFrame,
    encode,
)
from .scheduling import LOOP, Cancellable, Scheduler
from .single_flight import shared
from .tab_groups import SessionGroupMember, in_background
from .user_timeouts import timeouts_of

logger = logging.getLogger(__name__)

#: Seconds between two attempts to read the store while the database does not answer.
DATABASE_RETRY_INTERVAL = 2.0


class DeadlineKeeper(SessionGroupMember):
    def __init__(
        self,
        *args: Any,
        clock: Callable[[], float] = time.time,
        scheduler: Scheduler = LOOP,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock
        self.scheduler = scheduler
        self.session_key: str | None = None
        self.last_activity = -math.inf  # epoch seconds, the newest this tab knows of
        self.leased_until: float | None = None  # epoch seconds: the session's lease, if any
        self.warned = False  # this tab was told `warning` and not `active` since
        self.over = False  # the socket ended because the session is over
        # The pending wake-up: a timer handle until it fires (a few hundred bytes, where a
        # sleeping task costs over a kilobyte a tab), then the task checking the deadline.
        self.timer: Cancellable | None = None

    # Timing -----------------------------------------------------------------------------

    def status(self, now: float) -> policy.Status:
        assert self.live is not None
        return policy.evaluate(
            last_activity=self.last_activity,
            started=store.to_epoch(self.live.started),
            timeouts=timeouts_of(self.live),
            now=now,
            leased_until=self.leased_until,
        )

    async def apply(self, status: policy.Status, *, repeat_warning: bool = False) -> None:
        """Tell the tab what changed in ``status`` and wait for its next deadline."""
        assert self.live is not None
        live_id = self.live.pk
        if status.state is policy.State.EXPIRED:
            await self.check()
            return
        if status.state is policy.State.WARNING and (repeat_warning or not self.warned):
            await self.send_frame(
                {"type": "warning", "expires_in": status.expires_in, "reason": status.reason}
            )
            if not self.warned and presence.first_to_mark(live_id, self.last_activity):
                # The dashboard shows the session as warned from now on.
                await database_sync_to_async(lifecycle.mark_warned)(
                    self.live, status, now=self.clock()
                )
            self.warned = True
        elif status.state is policy.State.ACTIVE and self.warned:
            await self.send_frame(
                {"type": "active", "warn_in": status.warn_in, "expires_in": status.expires_in}
            )
            self.warned = False
        self.schedule(status)

    def schedule(self, status: policy.Status) -> None:
        """Wake at the next deadline. (An ending whose push was lost is noticed sooner, by the
        process's presence beat: :meth:`notice_ended`.)"""
        self.wake_in(status.next_deadline_in)

    def wake_in(self, delay: float | None) -> None:
        """Replace the pending timer with one that checks the deadline in ``delay`` seconds
        (none for None)."""
        self.cancel_timer()
        if delay is not None and not self.ended:
            self.timer = self.scheduler.call_later(delay, self.wake)

    def wake(self) -> None:
        self.timer = asyncio.get_running_loop().create_task(self.check_on_time())

    def cancel_timer(self) -> None:
        """Cancel the pending timer (not the running one: it is the caller, and it stops by
        itself once it has scheduled its successor or seen ``ended``)."""
        if self.timer is not None and self.timer is not asyncio.current_task():
            self.timer.cancel()
        self.timer = None

    async def check_on_time(self) -> None:
        """The timer fired: check the store, and keep the socket if it does not answer."""
        try:
            await self.check()
        except outages.DATABASE_UNAVAILABLE:
            # Nothing can be decided without the store, and the client counts down to the
            # deadline it has: try again soon, keeping the socket.
            outages.database.failed()
            self.wake_in(DATABASE_RETRY_INTERVAL)
        except Exception:
            logger.exception("sessions_live: could not check a session's deadline")
            await self.close(code=CLOSE_SERVER_ERROR)

    async def check(self) -> None:
        """Re-read the store and act on what it says now, in this tab and in its siblings:
        they share the deadline, so one read per session serves every tab of the process."""
        assert self.live is not None
        if self.ended:
            return
        live_id = self.live.pk
        live = await self.read_store()
        outages.database.recovered()
        if not self.joined:
            self.join_in_background()
        for sibling in presence.siblings(live_id, self):
            sibling.hand(live)
        await self.act_on(live)

    def hand(self, live: LiveSession | None) -> None:
        """Act on a read of the store that a sibling tab made (without blocking it)."""
        if not self.ended:
            self.cancel_timer()
            self.timer = asyncio.get_running_loop().create_task(self.act_on(live))

    def notice_ended(self, reason: str) -> None:
        """The process's presence beat read that this session ended (its push was lost)."""
        if not self.ended:
            in_background(self.finish(reason))

    async def act_on(self, live: LiveSession | None) -> None:
        if self.ended:
            return
        if live is None or live.ended is not None:
            # A record that vanished was deleted by someone: the protocol's word is terminated.
            await self.finish(live.end_reason if live is not None else EndReason.TERMINATED)
            return
        self.live = live
        self.last_activity = max(self.last_activity, store.to_epoch(live.last_activity))
        self.leased_until = leased_until_of(live, self.leased_until)
        status = self.status(self.clock())
        if status.state is policy.State.EXPIRED:
            await self.expire(status.reason)
        else:
            await self.apply(status)

    async def read_store(self) -> LiveSession | None:
        """The session's record, read once for all of this process's tabs asking at once."""
        assert self.live is not None
        live_id = self.live.pk
        return await shared.run(
            ("get", live_id), lambda: database_sync_to_async(store.get)(live_id)
        )

    # Ending -----------------------------------------------------------------------------

    async def expire(self, reason: policy.ExpiryReason) -> None:
        await self.end(reason.value)

    async def end(self, reason: str) -> None:
        """End the session (if nobody has yet) and leave."""
        assert self.live is not None
        live_now, now = self.live, self.clock()
        won = await shared.run(
            # Keyed by the reason too: a logout must not share an idle ending that loses
            # its claim to fresh activity.
            ("end", live_now.pk, reason),
            lambda: self.end_everywhere(live_now, reason, now),
        )
        if won:  # ended for `reason` in this process: no need to read the store again
            await self.finish(reason)
            return
        live = await self.read_store()
        if live is not None and live.ended is None:
            await self.check()  # the claim lost to newer activity: carry on
            return
        await self.finish(live.end_reason if live is not None else reason)

    async def end_everywhere(self, live: LiveSession, reason: str, now: float) -> bool:
        """Claim the ending; if won, tell this process's tabs of the session at once, before
        the rest of the ending (the push to other processes, the Django session, signals)."""
        if not await database_sync_to_async(store.claim_end)(live.pk, reason, now):
            return False
        await self.finish(reason)
        for sibling in presence.siblings(live.pk, self):
            await sibling.finish(reason)
        await database_sync_to_async(lifecycle.announce_end)(
            live,
            reason,
            now=now,
            session_key=self.session_key,
            request=request_from_scope(self.scope),
        )
        return True

    async def finish(self, reason: str, redirect: str | None = None) -> None:
        if self.ended:
            return
        self.ended = self.over = True
        self.cancel_timer()
        frame: ExpiredFrame = {
            "type": "expired",
            "reason": reason,
            "redirect": redirect or push.signed_out_url(reason, self.live),
        }
        await self.send_frame(frame)
        await self.close(code=CLOSE_NOT_AUTHENTICATED)

    async def send_frame(self, frame: ServerFrame) -> None:
        await self.send(text_data=encode(frame))


def leased_until_of(live: LiveSession, known: float | None) -> float | None:
    """The later of the record's lease and the one a tab already knows of."""
    stored = None if live.leased_until is None else store.to_epoch(live.leased_until)
    if stored is None or known is None:
        return stored if known is None else known
    return max(stored, known)
