"""HTTP enforcement: an expired session is refused, and activity moves the deadline.

It needs no channel layer and no JavaScript: a session past its deadline is logged out on its
next request whatever else is down. Activity is recorded in the store, never in
``request.session``, so a slow request cannot overwrite newer activity from elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.cache import add_never_cache_headers

from . import front_ends, lifecycle, policy, push, signals, store, user_timeouts
from .clients import request_ip, request_user_agent
from .conf import activity_step, get_settings
from .models import EndReason, LiveSession
from .passive import is_passive

#: Key in ``request.session`` holding the id of the session's record, written once at start,
#: so a session whose record is gone is refused instead of being started afresh.
SESSION_MARKER = "_sessions_live"
ENDED_UNKNOWN = "ended"


def _wants_page(request: HttpRequest) -> bool:
    if front_ends.loads_a_page(request):
        return True
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode is not None:
        return mode == "navigate"
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return False
    return "text/html" in request.headers.get("Accept", "")


def refusal(request: HttpRequest, reason: str) -> HttpResponse:
    """The answer to a request whose session is over: a redirect for a page, else a 401, which
    tells htmx where to go in ``HX-Redirect`` (sessions_live/front_ends.py)."""
    login_url = push.signed_out_url(reason)
    back = f"{login_url}&{urlencode({'next': front_ends.page_of(request)})}"
    htmx = front_ends.wants_htmx_redirect(request)
    if not htmx and _wants_page(request):
        return HttpResponseRedirect(back)
    response = JsonResponse(
        {"error": "session_expired", "reason": reason, "redirect": login_url}, status=401
    )
    if htmx:
        response["HX-Redirect"] = back
    add_never_cache_headers(response)
    return response


def start_session(
    request: HttpRequest, user: AbstractBaseUser | AnonymousUser, now: float
) -> LiveSession | None:
    """Create the record of the request's signed-in session and mark the session with it."""
    key = request.session.session_key
    if not key or not isinstance(user, AbstractBaseUser) or not user.is_authenticated:
        return None
    live, created = store.start(
        key,
        user,
        ip=request_ip(request),
        user_agent=request_user_agent(request),
        now=now,
        timeouts=user_timeouts.fields_for(user, request),
    )
    if created:
        signals.send(signals.session_started, live)
    request.session[SESSION_MARKER] = live.pk.hex
    return live


class SessionsLiveMiddleware:
    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponse],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.get_response = get_response
        self.clock = clock

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key_before = request.session.session_key
        refused = self.enforce(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        self.follow_key_change(request, key_before)
        if (
            request.user.is_authenticated
            and "Cache-Control" not in response
            and response.get("Content-Type", "").startswith("text/html")
        ):
            add_never_cache_headers(response)
        return response

    def enforce(self, request: HttpRequest) -> HttpResponse | None:
        """Refuse the request if its session is over; remember its record otherwise."""
        request.sessions_live = None  # type: ignore[attr-defined]
        if not request.user.is_authenticated or not request.session.session_key:
            return None
        now = self.clock()
        live = store.find(request.session.session_key)
        if live is None:
            if SESSION_MARKER in request.session:
                return self.refuse(request, ENDED_UNKNOWN, signal=False)
            live = start_session(request, request.user, now)
        elif live.ended is not None:
            return self.refuse(request, live.end_reason or ENDED_UNKNOWN, signal=False)
        elif (status := store.status(live, now)).state is policy.State.EXPIRED:
            won = lifecycle.end_session(live, status.reason, now=now, send_signal=False)
            return self.refuse(request, status.reason, signal=won)
        request.sessions_live = live  # type: ignore[attr-defined]
        return None

    def refuse(self, request: HttpRequest, reason: str, *, signal: bool) -> HttpResponse | None:
        """Log the request out (``user_logged_out`` only if this request ended the session)."""
        if signal:
            logout(request)
        else:
            request.session.flush()
            request.user = AnonymousUser()
        if request.path == get_settings().login_url:
            return None  # let the login page render, signed out
        return refusal(request, reason)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        live: LiveSession | None = getattr(request, "sessions_live", None)
        if live is None or is_passive(request, view_func):
            return
        now = self.clock()
        was_warning = store.status(live, now).state is policy.State.WARNING
        recent = now - store.to_epoch(live.last_activity) < activity_step(get_settings())
        if (was_warning or not recent) and lifecycle.record_activity(
            live, now, now=now, source="http"
        ):
            push.send_sync(live.group_name, push.active_event(now))

    def follow_key_change(self, request: HttpRequest, key_before: str | None) -> None:
        """Keep a session's record when the view cycled its key (login, password change)."""
        key_after = request.session.session_key
        if not key_before or not key_after or key_after == key_before:
            return
        if not request.user.is_authenticated:
            return
        if store.find(key_after) is None:
            store.rekey(key_before, key_after)
            return
        replaced = store.find(key_before)  # a new sign-in replaced a signed-in session
        if replaced is not None and replaced.ended is None:
            lifecycle.end_session(replaced, EndReason.LOGOUT, now=self.clock(), send_signal=False)
