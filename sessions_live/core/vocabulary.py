"""The words sessions-live uses for how a session ends and how the dashboard shows it,
defined once with their labels.

The protocol (``expired`` frames), the store (``LiveSession.end_reason``), the signals, the
sign-in page, the admin, the dashboard script and the metrics all take theirs from here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EndReason(enum.StrEnum):
    """Why a session ended: in ``expired`` frames, the record, the signals and the URL."""

    IDLE = "idle"
    ABSOLUTE = "absolute"
    TERMINATED = "terminated"
    LOGOUT = "logout"
    CLOSED = "closed"
    REPLACED = "replaced"
    #: Django could no longer read the session: its data was signed with a secret that is in
    #: neither SECRET_KEY nor SECRET_KEY_FALLBACKS any more.
    INVALIDATED = "invalidated"
    #: The user's password (the session auth hash Django checks) changed.
    PASSWORD_CHANGED = "password_changed"
    #: The user's account was deactivated (``is_active`` set to False).
    DEACTIVATED = "deactivated"
    #: The user's account was deleted.
    USER_DELETED = "user_deleted"
    #: The Django session was deleted or ended outside sessions-live: ``session.flush()``
    #: elsewhere, ``clearsessions``, an eviction, or :mod:`sessions_live.ending` by default.
    REVOKED = "revoked"


#: What each ending is called where staff read it (the admin, the dashboard).
END_REASON_LABELS: Mapping[EndReason, Promise] = {
    EndReason.IDLE: _("inactivity"),
    EndReason.ABSOLUTE: _("maximum session age"),
    EndReason.TERMINATED: _("ended by staff"),
    EndReason.LOGOUT: _("signed out"),
    EndReason.CLOSED: _("all tabs closed"),
    EndReason.REPLACED: _("replaced by a newer sign-in"),
    EndReason.INVALIDATED: _("could no longer be verified"),
    EndReason.PASSWORD_CHANGED: _("password changed"),
    EndReason.DEACTIVATED: _("account deactivated"),
    EndReason.USER_DELETED: _("account deleted"),
    EndReason.REVOKED: _("revoked elsewhere"),
}

#: The endings that are timeouts: ``session_expired`` is sent for them, besides
#: ``session_ended``.
TIMEOUT_REASONS: frozenset[EndReason] = frozenset(
    {EndReason.IDLE, EndReason.ABSOLUTE, EndReason.CLOSED}
)


class RowState(enum.StrEnum):
    """A session as the dashboard and the ``sessions_live_sessions`` metric count it."""

    ACTIVE = "active"
    WARNING = "warning"
    IDLE = "idle"  # no tab open
    ENDED = "ended"


#: In a context: bare "active" is also Django's word for a user account.
ROW_STATE_LABELS: Mapping[RowState, Promise] = {
    RowState.ACTIVE: pgettext_lazy("session state", "active"),
    RowState.WARNING: pgettext_lazy("session state", "warning"),
    RowState.IDLE: pgettext_lazy("session state", "no tab open"),
    RowState.ENDED: pgettext_lazy("session state", "ended"),
}


def end_reason_choices() -> list[tuple[str, Promise]]:
    """``LiveSession.end_reason``'s choices, in the order above."""
    return [(reason.value, END_REASON_LABELS[reason]) for reason in EndReason]
