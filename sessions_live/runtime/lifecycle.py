"""Ending a session: claimed once, then the Django session, the signals and the tabs follow.

Also the writes that send sessions-live's own signals (:mod:`sessions_live.signals`) once per
event: recorded activity and the start of a warning."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from functools import partial
from importlib import import_module

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest

from sessions_live import signals, store
from sessions_live.conf import get_settings
from sessions_live.core import policy
from sessions_live.models import EndReason, LiveSession
from sessions_live.runtime import push
from sessions_live.store import user_timeouts
from sessions_live.web import signed_out

logger = logging.getLogger(__name__)


def delete_django_session(session_key: str) -> None:
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore(session_key).delete()


def unreadable(session: SessionBase, cookie_key: str | None) -> bool:
    """Whether the cookie names a Django session that still exists but holds no data: what
    Django makes of one whose data was signed with a secret no longer in SECRET_KEY or
    SECRET_KEY_FALLBACKS (it logs it, keeps the key, and gives an empty session).

    A missing row is not one: Django then forgets the key, and it may be a key cycle in
    flight (the old row is deleted a moment before the record follows the new key).
    """
    if not cookie_key or session.keys():  # loads the session, if not loaded yet
        return False
    return session.session_key == cookie_key


def end_session(
    live: LiveSession,
    reason: str,
    *,
    now: float,
    session_key: str | None = None,
    request: HttpRequest | None = None,
    by: AbstractBaseUser | None = None,
    send_signal: bool = True,
    first: Callable[[], None] | None = None,
    when_committed: bool = False,
    keyed_by: Collection[str] | None = None,
) -> bool:
    """End ``live`` for ``reason`` if nobody else has; True for the one caller that did.
    Every ending, by HTTP, a tab, the dashboard, the sweep or the sign-in limit, is this call.

    The winner first calls ``first``: a tab ending its session tells this process's tabs
    through it, at once, with ``async_to_sync`` from the thread this runs in (so ``first``
    must not wait on other database work, which would wait on this thread). With ``keyed_by``
    (key hashes), only a record still keyed by one of them is claimed. With
    ``when_committed``, the claim is part of the caller's transaction and the rest waits for
    it to commit (nothing is announced of a change that rolls back). Then it pushes
    ``expired`` to every tab of the session (the record already says ended, so every request
    and socket is refused from here on, and the tabs should not wait for the rest), deletes
    the Django session when it knows its key (an HTTP request or a tab does; the sweep does
    not, and the middleware refuses that session at its next use), and sends
    ``user_logged_out`` unless Django's ``logout()`` is sending it, then ``session_expired``
    (for a timeout) and ``session_ended``.
    """
    if not store.claim_end(live.pk, reason, now, by=by, keyed_by=keyed_by):
        return False
    if first is not None:
        try:
            first()
        except Exception:  # the ending is claimed: the push, the session, the signals follow
            logger.exception("sessions_live: could not tell this process's tabs of an ending")
    announce = partial(
        announce_end,
        live,
        reason,
        now=now,
        session_key=session_key,
        request=request,
        by=by,
        send_signal=send_signal,
    )
    if when_committed:
        transaction.on_commit(announce, robust=True)
    else:
        announce()
    return True


def announce_end(
    live: LiveSession,
    reason: str,
    *,
    now: float,
    session_key: str | None,
    request: HttpRequest | None,
    by: AbstractBaseUser | None,
    send_signal: bool,
) -> None:
    """What follows a won claim in :func:`end_session` (its only caller): the push, the
    tabs' rows, the Django session and the signals."""
    push.pushes.post(live.group_name, push.expired_event(reason, signed_out.url(reason, live)))
    store.forget_tabs(live.pk)  # one statement, instead of one per tab as each one closes
    logger.info("sessions_live: session %s ended (%s)", live.pk, reason)
    if session_key is not None:
        delete_django_session(session_key)
    if send_signal:
        if request is None:
            request = HttpRequest()
        request.user = live.user
        user_logged_out.send(sender=type(live.user), request=request, user=live.user)
    live.ended, live.end_reason = store.to_datetime(now), reason
    if reason in signals.TIMEOUT_REASONS:
        signals.send(signals.session_expired, live, reason=reason)
    actor = by if by is not None or reason != EndReason.LOGOUT else live.user
    signals.send(signals.session_ended, live, reason=reason, actor=actor)
    store.announced(live.pk)


def announce_left(now: float) -> int:
    """Announce the endings whose claimer died before it announced them (each taken by one
    process, :func:`store.take_unannounced`): the push, the tabs' rows and the signals, which
    are therefore sent at least once (a receiver de-duplicates by the record's id). The
    Django session is left to the middleware, which refuses it at its next use."""
    left = store.take_unannounced(now)
    for live in left:
        logger.warning(
            "sessions_live: session %s ended (%s) was not announced by the process that "
            "ended it (it stopped first); announcing it now",
            live.pk,
            live.end_reason,
        )
        announce_end(
            live,
            live.end_reason,
            now=store.to_epoch(live.ended) if live.ended is not None else now,
            session_key=None,
            request=None,
            by=live.ended_by,
            send_signal=True,
        )
    return len(left)


def record_activity(live: LiveSession, at: float, *, now: float, source: str) -> bool:
    """Record activity at ``at`` (``source``: ``tab`` or ``http``) and send
    ``session_extended``; False, sending nothing, if the session is over or past its deadline."""
    if not store.touch(live.pk, at, now):
        return False
    signals.send(signals.session_extended, live, source=source, at=store.to_datetime(at))
    return True


def grant_lease(live: LiveSession, seconds: float, *, now: float) -> float | None:
    """Keep ``live`` from idling out for ``seconds``, at most MAX_LEASE and never past its
    absolute deadline: the moment granted (epoch seconds), recorded with ``session_extended``
    (``source="lease"``) and a log line; None if the session is over or past its deadline.

    Raises ``ImproperlyConfigured`` when leases are off (``MAX_LEASE`` is None): a caller asks
    only where they are on, as the tab consumer does before it calls this."""
    limit = get_settings().MAX_LEASE
    if limit is None:
        raise ImproperlyConfigured(
            "sessions_live: no lease can be granted while SESSIONS_LIVE['MAX_LEASE'] is None"
        )
    until = now + min(seconds, float(limit))
    absolute = user_timeouts.timeouts_of(live).absolute_expire_after
    if absolute is not None:
        until = min(until, store.to_epoch(live.started) + absolute)
    if not store.lease(live.pk, until, now):
        return None
    logger.info(
        "sessions_live: session %s leased for %.0f s (asked %.0f s)", live.pk, until - now, seconds
    )
    signals.send(
        signals.session_extended,
        live,
        source="lease",
        at=store.to_datetime(now),
        until=store.to_datetime(until),
    )
    return until


def mark_warned(live: LiveSession, status: policy.Status, *, now: float) -> None:
    """Show the session as warned on the dashboard and send ``session_warned`` (once per
    process that holds tabs of the session: see ``presence.first_to_mark``)."""
    store.mark_changed(live.pk, now)
    signals.send(
        signals.session_warned, live, reason=status.reason.value, expires_in=status.expires_in
    )


def enforce_session_limit(live: LiveSession, *, now: float) -> list[LiveSession]:
    """End the oldest live sessions of ``live``'s user beyond ``MAX_SESSIONS_PER_USER``,
    keeping ``live`` (the one signing in); the ones this call ended, each with ``replaced``.

    Sessions already past a deadline are not counted: they end for their own reason.
    """
    limit = get_settings().MAX_SESSIONS_PER_USER
    if limit is None:
        return []
    others = [
        other
        for other in LiveSession.objects.select_related("user")
        .filter(user_id=live.user_id, ended__isnull=True)
        .exclude(pk=live.pk)
        .order_by("-started", "-last_activity")
        if store.status(other, now).state is not policy.State.EXPIRED
    ]
    return [
        other
        for other in others[limit - 1 :]
        if end_session(other, EndReason.REPLACED, now=now, by=live.user)
    ]
