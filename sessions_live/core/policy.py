"""The timing rules: pure functions of epoch seconds, with no I/O and no clock of their own.

Every timing decision in sessions-live goes through this module. Callers pass ``now`` (UTC
epoch seconds from an injected clock), so the rules are tested without sleeping and every
process, sharing wall-clock epoch seconds through the store, reaches the same verdict.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TypeGuard

from sessions_live.core.vocabulary import EndReason


class State(enum.StrEnum):
    ACTIVE = "active"
    WARNING = "warning"
    EXPIRED = "expired"


class ExpiryReason(enum.StrEnum):
    """The endings the timing rules decide: the timeouts among the end reasons."""

    IDLE = EndReason.IDLE.value
    ABSOLUTE = EndReason.ABSOLUTE.value


def is_number(value: object) -> TypeGuard[float]:
    """A finite int or float that is not a bool (``True`` is no number of seconds)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_seconds(value: object) -> TypeGuard[float]:
    """A duration the timing rules accept: a finite number of seconds above 0."""
    return is_number(value) and value > 0


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long a session may idle, and live, in seconds."""

    warn_after: float
    expire_after: float
    absolute_expire_after: float | None = None


@dataclass(frozen=True, slots=True)
class Status:
    """A session's state at one instant, with durations to its deadlines (never negative)."""

    state: State
    warn_in: float
    expires_in: float
    #: The deadline that governs the session: idle, or absolute when that comes first.
    reason: ExpiryReason

    @property
    def next_deadline_in(self) -> float | None:
        """Seconds until the state next changes by itself, or None once expired."""
        if self.state is State.ACTIVE:
            return self.warn_in
        if self.state is State.WARNING:
            return self.expires_in
        return None


def evaluate(
    *,
    last_activity: float,
    started: float,
    timeouts: Timeouts,
    now: float,
    leased_until: float | None = None,
) -> Status:
    """The state of a session whose last activity and start are epoch seconds, at ``now``.

    A lease (``leased_until``, epoch seconds) keeps the session from idling out before it ends:
    the idle deadline is the later of the two; the absolute deadline still holds. The warning
    comes ``expire_after - warn_after`` seconds before whichever deadline falls
    first, so a session that ends by age is warned as long before as one that ends by idleness.
    Exactly at a deadline the later state holds: at the warning time the session is warning,
    at the expiry time it is expired.
    """
    idle_deadline = last_activity + timeouts.expire_after
    if leased_until is not None:
        idle_deadline = max(idle_deadline, leased_until)
    expires_at, reason = idle_deadline, ExpiryReason.IDLE
    if timeouts.absolute_expire_after is not None:
        absolute_deadline = started + timeouts.absolute_expire_after
        if absolute_deadline <= idle_deadline:
            expires_at, reason = absolute_deadline, ExpiryReason.ABSOLUTE
    warns_at = expires_at - (timeouts.expire_after - timeouts.warn_after)
    if now >= expires_at:
        state = State.EXPIRED
    elif now >= warns_at:
        state = State.WARNING
    else:
        state = State.ACTIVE
    return Status(
        state=state,
        warn_in=max(0.0, warns_at - now),
        expires_in=max(0.0, expires_at - now),
        reason=reason,
    )


def activity_time(*, now: float, idle: float | None, activity_interval: float) -> float:
    """When reported input happened: ``now`` less the client's ``idle``, clamped.

    A client reports how long ago the input was (it sends on the trailing edge of its throttle
    window); the server trusts that only within ``[0, activity_interval]``, so a client can
    neither date activity in the future nor claim more than one window back.
    """
    if idle is None:
        return now
    return now - min(max(idle, 0.0), activity_interval)
