"""HTTP enforcement: an expired session is refused, and activity moves the deadline.

It needs no channel layer and no JavaScript: a session past its deadline is logged out on its
next request whatever else is down. Activity is recorded in the store, never in
``request.session``, so a slow request cannot overwrite newer activity from elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from sessions_live import store
from sessions_live.conf import activity_step, get_settings
from sessions_live.core import policy
from sessions_live.models import EndReason, LiveSession
from sessions_live.passive import is_passive
from sessions_live.runtime import lifecycle, push, revocation, vanished
from sessions_live.web import current_request, injection, login_pages, reauth, signed_out_notice
from sessions_live.web.refusal import refusal
from sessions_live.web.sign_in import SESSION_MARKER, start_session

__all__ = ["SESSION_MARKER", "SessionsLiveMiddleware", "refusal", "start_session"]

ENDED_UNKNOWN = "ended"


class SessionsLiveMiddleware:
    """Sync- and async-capable: under ASGI it runs in the event loop (Django adapts nothing),
    and reaches the store in one ``sync_to_async`` call before the view, only for requests
    that carry a session, and one after it, only when it has something to write."""

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], Any],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.get_response = get_response
        self.clock = clock
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        with current_request.answering(request):
            return self.answer(request)

    def answer(self, request: HttpRequest) -> HttpResponse:
        revocation.forget_cycles()
        key_before = request.session.session_key
        refused = self.enforce(request) if key_before else None
        if refused is not None:
            return refused
        response: HttpResponse = self.get_response(request)
        if self.has_work_after(request, key_before):
            event = self.after(request, key_before)
            if event is not None:
                push.pushes.post(*event)
        self.finish(request, response, key_before)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        push.pushes.attach()  # this loop serves the process: pushes from its threads go here
        with current_request.answering(request):  # sync_to_async carries it to the thread
            return await self.aanswer(request)

    async def aanswer(self, request: HttpRequest) -> HttpResponse:
        revocation.forget_cycles()
        key_before = request.session.session_key
        if key_before:
            refused = await sync_to_async(self.enforce)(request)
            if refused is not None:
                return refused
        response: HttpResponse = await self.get_response(request)
        if self.has_work_after(request, key_before):
            event = await sync_to_async(self.after)(request, key_before)
            if event is not None:
                push.pushes.post(*event)
        self.finish(request, response, key_before)
        return response

    def process_template_response(
        self, request: HttpRequest, response: TemplateResponse
    ) -> TemplateResponse:
        """A page about to render to a signed-out visitor sent here with a reason: the reason
        goes into its messages, and out again if the page did not show them."""
        if signed_out_notice.add(request):
            response.add_post_render_callback(lambda _: signed_out_notice.forget_unshown(request))
        return response

    def finish(self, request: HttpRequest, response: HttpResponse, key_before: str | None) -> None:
        """What the response gets on its way out: the client, if it is a page that should have
        it (no query: the record was read before the view), and its cache headers."""
        injection.inject(request, response)
        self.add_cache_headers(request, response, key_before)

    def enforce(self, request: HttpRequest) -> HttpResponse | None:
        """Refuse the request if its session is over; remember its record otherwise."""
        request.sessions_live = None  # type: ignore[attr-defined]
        if not request.user.is_authenticated:
            return self.refuse_unreadable(request) or self.refuse_disowned(request)
        key = request.session.session_key  # read after the user: Django may have cycled it
        if not key:
            return None
        now = self.clock()
        live = self.find(request, key)
        if live is None:
            if SESSION_MARKER in request.session:
                return self.refuse(request, ENDED_UNKNOWN, signal=False)
            live = start_session(request, request.user, now)
        elif live.ended is not None:
            return self.refuse(request, live.end_reason or ENDED_UNKNOWN, signal=False, live=live)
        elif (status := store.status(live, now)).state is policy.State.EXPIRED:
            won = lifecycle.end_session(live, status.reason, now=now, send_signal=False)
            return self.refuse(request, status.reason, signal=won, live=live)
        request.sessions_live = live  # type: ignore[attr-defined]
        request.sessions_live_at = now  # type: ignore[attr-defined]
        return None

    def find(self, request: HttpRequest, key: str) -> LiveSession | None:
        """The record of the request's session. When authenticating it cycled the key
        (Django verified the session with one of SECRET_KEY_FALLBACKS), the record follows
        from the cookie's key, whichever middleware first evaluated ``request.user``."""
        live = store.find(key)
        if live is not None:
            return live
        cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if cookie and cookie != key:
            if store.rekey(cookie, key):
                return store.find(key)
            live = store.find(cookie)
            if live is not None:
                return live  # ended already: refused with its reason
        return self.find_marked(request, key)

    def find_marked(self, request: HttpRequest, key: str) -> LiveSession | None:
        """The record the session's marker names, when no key leads to it any more: two
        requests that carried one cookie at once were each given a new key by Django (after a
        rotation), and the record followed the other one. It is keyed by this request's key
        from now on; should the browser keep the other cookie, its next request takes the
        record back the same way. (A query only for a session whose record was not found.)"""
        marker = request.session.get(SESSION_MARKER)
        live = store.find_marked(marker, request.user.pk) if marker else None
        if live is not None and live.ended is None:
            store.move(live.pk, key)
        return live

    def refuse_unreadable(self, request: HttpRequest) -> HttpResponse | None:
        """An anonymous request whose cookie names a Django session that holds no data any
        more (signed with a secret no longer configured): end its record if it is still live
        (``invalidated``), and refuse the request like an expired one. A query only for a
        cookie with an empty session; a visitor whose session has data costs none."""
        cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not lifecycle.unreadable(request.session, cookie):
            return None
        assert cookie is not None
        live = store.find(cookie)
        if live is None:
            return None
        if live.ended is not None:
            return self.refuse(request, live.end_reason or ENDED_UNKNOWN, signal=False, live=live)
        reason = EndReason.INVALIDATED
        lifecycle.end_session(live, reason, now=self.clock(), request=request)
        return self.refuse(request, reason, signal=False)

    def refuse_disowned(self, request: HttpRequest) -> HttpResponse | None:
        """An anonymous request whose session Django no longer accepts for its user: it
        flushed it while authenticating (the session auth hash no longer matches), or it
        holds a user Django refuses (deactivated). Refuse it with its record's reason, ending
        the record (``revoked``) if no signal told sessions-live first. A query only for such
        a session; a visitor who never signed in costs none."""
        key = self.disowned_key(request)
        live = store.find(key) if key else None
        if live is None:
            return None
        if live.ended is None:
            lifecycle.end_session(live, EndReason.REVOKED, now=self.clock(), request=request)
            return self.refuse(request, EndReason.REVOKED, signal=False)
        return self.refuse(request, live.end_reason or ENDED_UNKNOWN, signal=False, live=live)

    def disowned_key(self, request: HttpRequest) -> str | None:
        cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if cookie and revocation.deleted_here(request, cookie):
            return cookie
        if cookie and request.session.session_key is None:
            return cookie  # flushed while authenticating, by an engine that sends no signal
        key = request.session.session_key
        return key if key and SESSION_KEY in request.session else None

    def refuse(
        self, request: HttpRequest, reason: str, *, signal: bool, live: LiveSession | None = None
    ) -> HttpResponse | None:
        """Log the request out (``user_logged_out`` only if this request ended the session)."""
        if signal:
            logout(request)
        else:
            request.session.flush()
            request.user = AnonymousUser()
        login = login_pages.login_url(request)
        if login_pages.is_login_page(request, login) or reauth.is_endpoint(request):
            return None  # let the login page (or the sign-in in place) answer, signed out
        return refusal(request, reason, live, login)

    def has_work_after(self, request: HttpRequest, key_before: str | None) -> bool:
        """Whether the view's request needs the store once more (decided without it)."""
        key_after = request.session.session_key
        if key_before and key_after and key_after != key_before:
            return True  # the view cycled the key (login, password change)
        if revocation.pending(request) or vanished.marked_by(request):
            return True  # the view changed its user's password, deleted or cycled its session
        return self.activity_due(request) is not None

    def activity_due(self, request: HttpRequest) -> LiveSession | None:
        """The request's record, if this request is activity to write: not passive, and the
        session is being warned or its recorded activity is older than the write step."""
        live: LiveSession | None = getattr(request, "sessions_live", None)
        match = request.resolver_match
        if live is None or match is None or is_passive(request, match.func):
            return None
        at: float = request.sessions_live_at  # type: ignore[attr-defined]
        if store.status(live, at).state is policy.State.WARNING:
            return live
        if at - store.to_epoch(live.last_activity) < activity_step(get_settings()):
            return None
        return live

    def after(
        self, request: HttpRequest, key_before: str | None
    ) -> tuple[str, dict[str, Any]] | None:
        """Follow a cycled key, end the session if the view left it invalid
        (:func:`~sessions_live.runtime.revocation.settle`) and record the request's activity;
        the push to send, if any
        (the caller sends it, so an async request awaits it instead of blocking a thread)."""
        try:
            if key_before:
                self.follow_key_change(request, key_before)
            if revocation.pending(request):
                revocation.settle(request, now=self.clock())
        finally:
            vanished.done_cycling(request)  # its records follow their new keys, or ended
        live = self.activity_due(request)
        if live is None:
            return None
        at: float = request.sessions_live_at  # type: ignore[attr-defined]
        if not lifecycle.record_activity(live, at, now=self.clock(), source="http"):
            return None
        return live.group_name, push.active_event(at)

    def add_cache_headers(
        self, request: HttpRequest, response: HttpResponse, key_before: str | None
    ) -> None:
        """``no-store`` on HTML for signed-in users, so Back shows nothing after sign-out.
        ``request.user`` is read only where it is loaded already (no query here)."""
        if not (key_before or request.session.session_key):
            return  # no session: anonymous
        if (
            request.user.is_authenticated
            and "Cache-Control" not in response
            and response.get("Content-Type", "").startswith("text/html")
        ):
            add_never_cache_headers(response)

    def follow_key_change(self, request: HttpRequest, key_before: str) -> None:
        """Keep a session's record when the view cycled its key (login, password change)."""
        key_after = request.session.session_key
        if not key_after or key_after == key_before:
            return
        if not request.user.is_authenticated:
            return
        if store.find(key_after) is None:
            store.rekey(key_before, key_after)
            return
        replaced = store.find(key_before)  # a new sign-in replaced a signed-in session
        if replaced is not None and replaced.ended is None:
            lifecycle.end_session(replaced, EndReason.LOGOUT, now=self.clock(), send_signal=False)
