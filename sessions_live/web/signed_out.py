"""What the sign-in page is told of a sign-out: its reason, and the user's own time limit.

The page learns why a visitor was signed out from its query string (``?signed_out=idle``),
written by whoever ended the session: the middleware's redirect or 401, the ``expired`` frame
a tab follows. By the time the page renders, the user is gone from the request (the Django
session is deleted), so a limit of the user's own (``TIMEOUTS_FOR``) travels with the reason
as ``signed_out_after``: the seconds, signed with the site's secret and bound to the reason, so
that a link cannot make the page state a limit the site never set. It holds no session key and
no user id, only a duration that user's tabs were told in every frame anyway. Without it (the
settings' limits applied, or the value does not verify) the page states the settings' limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.core.signing import BadSignature, Signer

from sessions_live.conf import get_settings
from sessions_live.core.policy import ExpiryReason, is_seconds

if TYPE_CHECKING:
    from sessions_live.models import LiveSession

#: The query parameters of the sign-in page: the end reason, and the user's own limit.
REASON = "signed_out"
LIMIT = "signed_out_after"


def _signer(reason: str) -> Signer:
    return Signer(salt=f"sessions_live.signed_out.{reason}")


def own_limit(reason: str, live: LiveSession | None) -> float | None:
    """The limit of ``live``'s own that ended it for ``reason`` (seconds), if it had one."""
    if live is None:
        return None
    if reason == ExpiryReason.IDLE:
        own = live.expire_after
    elif reason == ExpiryReason.ABSOLUTE:
        own = live.absolute_expire_after
    else:
        return None
    return None if own is None else own.total_seconds()


def query(reason: str, live: LiveSession | None = None) -> dict[str, str]:
    """The sign-in page's query for a session ``live`` ended for ``reason``."""
    values = {REASON: reason}
    limit = own_limit(reason, live)
    if limit is not None:
        values[LIMIT] = _signer(reason).sign(repr(limit))
    return values


def limit_of(params: Mapping[str, str], reason: str) -> float | None:
    """The user's own limit carried in ``params`` for ``reason``; None if none verifies."""
    signed = params.get(LIMIT)
    if not signed:
        return None
    try:
        limit = float(_signer(reason).unsign(signed))
    except (BadSignature, ValueError):
        return None
    return limit if is_seconds(limit) else None


def url(reason: str, live: LiveSession | None = None, login_url: str | None = None) -> str:
    """Where a signed-out tab goes: the login page (``login_url``, else the settings'), told
    why, and the limit of ``live``'s own that ended it, if it had one (the sign-in page adds
    ``next`` itself)."""
    login_url = login_url or get_settings().login_url
    separator = "&" if "?" in login_url else "?"
    return f"{login_url}{separator}{urlencode(query(reason, live))}"
