"""The timing policy's deadlines as SQL, over ``LiveSession`` rows.

A row may carry its own timeouts (``TIMEOUTS_FOR``); a row without them follows the settings.
These expressions let one conditional UPDATE or one query apply, row by row, the rules that
:func:`sessions_live.core.policy.evaluate` applies to one session in Python.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import DateTimeField, DurationField, Expression, F, Q, Value
from django.db.models.expressions import Combinable, ExpressionWrapper
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import GreaterThan, IsNull, LessThanOrEqual

from sessions_live.conf import get_settings


def _duration(field: str, default: float | None) -> Combinable:
    """The row's own timeout, else the setting's (NULL when neither has one)."""
    if default is None:
        return F(field)
    return Coalesce(F(field), Value(dt.timedelta(seconds=default)), output_field=DurationField())


def _moment(epoch: float) -> Value:
    return Value(dt.datetime.fromtimestamp(epoch, tz=dt.UTC), output_field=DateTimeField())


def idle_deadline() -> Expression:
    """The idle deadline, or the row's lease (``leased_until``) when that is later."""
    timeouts = get_settings().timeouts
    idle = ExpressionWrapper(
        F("last_activity") + _duration("expire_after", timeouts.expire_after),
        output_field=DateTimeField(),
    )
    # Coalesced first: SQLite's MAX() of a NULL is NULL, PostgreSQL's GREATEST skips it.
    return Greatest(idle, Coalesce(F("leased_until"), idle), output_field=DateTimeField())


def absolute_deadline() -> Expression:
    """NULL for a session without an absolute limit."""
    timeouts = get_settings().timeouts
    return ExpressionWrapper(
        F("started") + _duration("absolute_expire_after", timeouts.absolute_expire_after),
        output_field=DateTimeField(),
    )


def idle_due(now: float) -> Q:
    return Q(LessThanOrEqual(idle_deadline(), _moment(now)))


def _absolute_by(deadline: Expression, now: float) -> Q:
    """``deadline <= now``, false (not NULL, which a negation would keep NULL) without an
    absolute limit."""
    return Q(IsNull(deadline, False)) & Q(LessThanOrEqual(deadline, _moment(now)))


def absolute_due(now: float) -> Q:
    return _absolute_by(absolute_deadline(), now)


def within(now: float) -> Q:
    """Rows that are live and not past any deadline at ``now``."""
    absolute = absolute_deadline()
    return (
        Q(ended__isnull=True)
        & Q(GreaterThan(idle_deadline(), _moment(now)))
        & (Q(IsNull(absolute, True)) | Q(GreaterThan(absolute, _moment(now))))
    )


def warned(now: float) -> Q:
    """Rows in their warning period at ``now`` (or past it): ``EXPIRE_AFTER - WARN_AFTER``
    before the idle or the absolute deadline."""
    timeouts = get_settings().timeouts
    warn = _duration("warn_after", timeouts.warn_after)
    expire = _duration("expire_after", timeouts.expire_after)
    idle_warning = ExpressionWrapper(
        idle_deadline() - (expire - warn), output_field=DateTimeField()
    )
    absolute_warning = ExpressionWrapper(
        absolute_deadline() - (expire - warn), output_field=DateTimeField()
    )
    return Q(LessThanOrEqual(idle_warning, _moment(now))) | _absolute_by(absolute_warning, now)
