"""What the client is told at page load: its socket, its timing, and every string it shows.

Strings are translated here, on the server, so the script holds no English of its own.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext, ngettext

from sessions_live.conf import get_settings
from sessions_live.core.protocol import TAB_SOCKET_PATH
from sessions_live.core.vocabulary import EndReason
from sessions_live.web import login_pages
from sessions_live.web.reauth import offered

#: In the last minute the countdown is announced this many seconds before the deadline.
LAST_MINUTE_AT = (40, 20)


def announce_at(window: float) -> list[int]:
    """Seconds before the deadline at which the countdown is announced to screen readers, in
    a warning of ``window`` seconds: each whole minute, then every 20 s in the last minute,
    the cadence of the HMRC timeout dialog (the most tested one in use). The dialog's own
    announcement as it opens comes on top."""
    minutes = [60 * count for count in range(int(window // 60), 0, -1) if 60 * count < window]
    return [*minutes, *(at for at in LAST_MINUTE_AT if at < window)]


def duration_text(seconds: float) -> str:
    """'10 minutes', '1 minute', '45 seconds': a duration as people say it."""
    whole = round(seconds)
    if whole >= 120 or (whole >= 60 and whole % 60 == 0):
        minutes = round(whole / 60)
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return ngettext("%(count)d second", "%(count)d seconds", whole) % {"count": whole}


def signed_out_message(reason: str, limit: float | None = None) -> str:
    """Why the visitor was signed out; ``limit``: the user's own limit that ended the session
    (seconds), where one came with the reason (:mod:`sessions_live.web.signed_out`), else the
    settings' limit is stated."""
    conf = get_settings()
    if reason == EndReason.IDLE:
        idle = float(conf.EXPIRE_AFTER) if limit is None else limit
        return gettext("You were signed out after %(duration)s of inactivity.") % {
            "duration": duration_text(idle)
        }
    absolute = conf.ABSOLUTE_EXPIRE_AFTER if limit is None else limit
    if reason == EndReason.ABSOLUTE and absolute is not None:
        return gettext(
            "You were signed out because your session reached its limit of %(duration)s."
        ) % {"duration": duration_text(float(absolute))}
    messages: dict[str, str] = {
        EndReason.TERMINATED: gettext(
            "Your session was ended from another session or by an administrator."
        ),
        EndReason.LOGOUT: gettext("You signed out."),
        EndReason.CLOSED: gettext("You were signed out after closing every tab."),
        EndReason.REPLACED: gettext(
            "You were signed out because your account signed in elsewhere, beyond the number "
            "of sessions it may hold at once."
        ),
        EndReason.INVALIDATED: gettext(
            "You were signed out because your session could no longer be verified. "
            "Please sign in again."
        ),
        EndReason.PASSWORD_CHANGED: gettext(
            "You were signed out because your password was changed. "
            "Please sign in with your new password."
        ),
        EndReason.DEACTIVATED: gettext("You were signed out because your account was deactivated."),
        EndReason.USER_DELETED: gettext("You were signed out because your account was deleted."),
        EndReason.REVOKED: gettext(
            "You were signed out because your session was ended elsewhere. Please sign in again."
        ),
        # Not an end reason: what the client asks for when it cannot tell which one.
        "ended": gettext("Your session has ended. Please sign in again."),
    }
    return messages.get(reason, "")


def client_config(request: HttpRequest | None = None) -> dict[str, Any]:
    """The page's configuration; ``request``: the page's, which decides its login page
    (:mod:`sessions_live.web.login_pages`)."""
    conf = get_settings()
    window = float(conf.EXPIRE_AFTER) - float(conf.WARN_AFTER)
    config: dict[str, Any] = {
        "url": "/" + TAB_SOCKET_PATH,
        "loginUrl": login_pages.login_url(request),
        "activityInterval": float(conf.ACTIVITY_INTERVAL),
        "strings": {
            "countdown": gettext("You will be signed out in %(time)s."),
            "absolute": gettext("Your session reaches its time limit soon; sign in again then."),
            "ended": gettext("Your session has ended."),
            "endedTitle": gettext("Signed out"),
            "signIn": gettext("Sign in again"),
            "continue": gettext("Continue"),
            "reconnecting": gettext("Connection lost. Reconnecting…"),
            "broadcastTitle": gettext("Message from the site:"),
            "dismiss": gettext("Dismiss"),
            "toLogin": gettext("Go to the sign-in page"),
            "reauthText": gettext(
                "Your session has ended. Sign in again to carry on where you were; "
                "nothing on this page is lost."
            ),
            "announce": {
                str(at): gettext("You will be signed out in %(duration)s.")
                % {"duration": duration_text(at)}
                for at in announce_at(window)
            },
        },
    }
    reauth = offered(request)
    if reauth is not None:
        config["reauth"] = reauth
    return config
