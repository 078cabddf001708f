"""The timing rules, on a fake clock: every boundary, no sleeping."""

from __future__ import annotations

import pytest

from sessions_live.core.policy import (
    ExpiryReason,
    State,
    Timeouts,
    activity_time,
    evaluate,
    is_number,
    is_seconds,
)

T0 = 1_800_000_000.0  # an arbitrary epoch second
IDLE = Timeouts(warn_after=540, expire_after=600)
ABSOLUTE = Timeouts(warn_after=540, expire_after=600, absolute_expire_after=3600)


def at(seconds: float, *, last: float = 0, started: float = 0, timeouts: Timeouts = IDLE):
    return evaluate(
        last_activity=T0 + last, started=T0 + started, timeouts=timeouts, now=T0 + seconds
    )


def test_fresh_session_is_active_with_full_durations() -> None:
    status = at(0)
    assert status.state is State.ACTIVE
    assert (status.warn_in, status.expires_in) == (540, 600)
    assert status.next_deadline_in == 540


def test_just_before_warn_is_active() -> None:
    status = at(539.999)
    assert status.state is State.ACTIVE
    assert status.warn_in == pytest.approx(0.001, abs=1e-6)


def test_exactly_at_warn_is_warning() -> None:
    status = at(540)
    assert status.state is State.WARNING
    assert status.warn_in == 0
    assert status.expires_in == 60
    assert status.next_deadline_in == 60


def test_just_before_expire_is_warning() -> None:
    assert at(599.999).state is State.WARNING


def test_exactly_at_expire_is_expired_by_idleness() -> None:
    status = at(600)
    assert status.state is State.EXPIRED
    assert status.reason is ExpiryReason.IDLE
    assert (status.warn_in, status.expires_in) == (0, 0)
    assert status.next_deadline_in is None


def test_long_after_expire_durations_never_go_negative() -> None:
    status = at(10_000)
    assert status.state is State.EXPIRED
    assert status.expires_in == 0


def test_activity_during_warning_moves_both_deadlines() -> None:
    assert at(550).state is State.WARNING
    status = at(550, last=550)
    assert status.state is State.ACTIVE
    assert (status.warn_in, status.expires_in) == (540, 600)


def test_absolute_before_idle_expires_by_age_despite_activity() -> None:
    status = at(3600, last=3599, timeouts=ABSOLUTE)
    assert status.state is State.EXPIRED
    assert status.reason is ExpiryReason.ABSOLUTE


def test_absolute_deadline_is_warned_as_early_as_an_idle_one() -> None:
    just_before = at(3539.9, last=3539, timeouts=ABSOLUTE)
    assert just_before.state is State.ACTIVE
    warned = at(3540, last=3539, timeouts=ABSOLUTE)
    assert warned.state is State.WARNING
    assert warned.reason is ExpiryReason.ABSOLUTE
    assert warned.expires_in == 60


def test_idle_deadline_governs_while_it_comes_first() -> None:
    status = at(100, last=0, timeouts=ABSOLUTE)
    assert status.reason is ExpiryReason.IDLE
    assert status.expires_in == 500


def test_absolute_and_idle_on_the_same_instant_report_absolute() -> None:
    status = at(3600, last=3000, timeouts=ABSOLUTE)
    assert status.state is State.EXPIRED
    assert status.reason is ExpiryReason.ABSOLUTE


def test_activity_time_clamps_the_reported_idle_time() -> None:
    assert activity_time(now=T0, idle=None, activity_interval=10) == T0
    assert activity_time(now=T0, idle=3, activity_interval=10) == T0 - 3
    assert activity_time(now=T0, idle=-50, activity_interval=10) == T0  # not in the future
    assert activity_time(now=T0, idle=500, activity_interval=10) == T0 - 10  # one window back


def test_a_wall_clock_jump_forward_expires_exactly_when_due() -> None:
    # A laptop waking after two hours: the next evaluation sees the session long expired.
    assert at(7200).state is State.EXPIRED
    # Epoch seconds carry no time zone, so a DST change cannot move a deadline.
    assert at(539).state is State.ACTIVE


def test_a_lease_holds_off_idleness_but_not_the_absolute_limit() -> None:
    leased = evaluate(
        last_activity=T0, started=T0, timeouts=ABSOLUTE, now=T0 + 1000, leased_until=T0 + 1500
    )
    assert (leased.state, leased.reason) == (State.ACTIVE, ExpiryReason.IDLE)
    assert leased.expires_in == 500
    assert leased.warn_in == 500 - 60
    ended = evaluate(
        last_activity=T0, started=T0, timeouts=ABSOLUTE, now=T0 + 1500, leased_until=T0 + 1500
    )
    assert ended.state is State.EXPIRED
    past_lease = evaluate(  # a lease older than the activity changes nothing
        last_activity=T0 + 1000, started=T0, timeouts=IDLE, now=T0 + 1100, leased_until=T0 + 10
    )
    assert past_lease == evaluate(last_activity=T0 + 1000, started=T0, timeouts=IDLE, now=T0 + 1100)
    capped = evaluate(
        last_activity=T0, started=T0, timeouts=ABSOLUTE, now=T0 + 3000, leased_until=T0 + 9000
    )
    assert (capped.reason, capped.expires_in) == (ExpiryReason.ABSOLUTE, 600)


@pytest.mark.parametrize("value", [1, 0.5, 10**9])
def test_a_finite_number_above_zero_is_a_duration(value: float) -> None:
    assert is_number(value)
    assert is_seconds(value)


@pytest.mark.parametrize(
    "value", [0, -1, True, False, None, "60", float("inf"), float("-inf"), float("nan"), [60]]
)
def test_anything_else_is_no_duration(value: object) -> None:
    """The settings checks, the lease frame and the TIMEOUTS_FOR hook all ask this: a bool
    or infinity is no number of seconds anywhere."""
    assert not is_seconds(value)


def test_zero_and_negative_numbers_are_numbers_but_no_durations() -> None:
    assert is_number(0)
    assert is_number(-1.5)
    assert not is_number(True)
    assert not is_number(float("nan"))
