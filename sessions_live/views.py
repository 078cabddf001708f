"""A signed-in user's own live sessions: see them, and end any other one, or all others.

Endings here are the staff's (``terminated``, every tab told at once), recorded with the
user as ``ended_by``. The session making the request is listed but never ended here: that
is what signing out does.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth import authenticate, login
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from sessions_live import store
from sessions_live.conf import get_settings
from sessions_live.core import policy
from sessions_live.core.privacy import device_of, kept_user_agent, shown_ip
from sessions_live.models import EndReason, LiveSession
from sessions_live.runtime import lifecycle
from sessions_live.web import reauth as reauthentication
from sessions_live.web.privacy import what_is_kept

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionView:
    """One session as its owner sees it (never its key, nor its key's hash)."""

    id: str
    device: str
    ip: str | None
    started: dt.datetime
    last_activity: dt.datetime
    tabs: int
    current: bool


def device_text(user_agent: str) -> str:
    """'Firefox 128 on Windows 10', 'Firefox 128', or 'Unknown device', of no more than the
    settings keep (``KEEP_USER_AGENT``)."""
    browser, os_name = device_of(kept_user_agent(user_agent, get_settings().KEEP_USER_AGENT))
    if browser and os_name:
        return gettext("%(browser)s on %(os)s") % {"browser": browser, "os": os_name}
    return browser or os_name or gettext("Unknown device")


def _user(request: HttpRequest) -> AbstractBaseUser:
    return cast(AbstractBaseUser, request.user)  # every view here is behind login_required


def _current_hashes(request: HttpRequest) -> list[str]:
    """The hashes the record of this request's session may be keyed by (store.key_hashes)."""
    key = request.session.session_key
    return store.key_hashes(key) if key else []


def _live_of(request: HttpRequest) -> QuerySet[LiveSession]:
    """The requesting user's sessions that are not ended."""
    return LiveSession.objects.filter(user_id=_user(request).pk, ended__isnull=True)


def _others(request: HttpRequest, now: float) -> list[LiveSession]:
    """The user's other live sessions, newest first (those past a deadline are left to end
    for their own reason)."""
    found = (
        _live_of(request)
        .select_related("user")
        .exclude(key_hash__in=_current_hashes(request))
        .order_by("-started")
    )
    return [live for live in found if store.status(live, now).state is not policy.State.EXPIRED]


def _view(live: LiveSession, current: list[str]) -> SessionView:
    return SessionView(
        id=live.pk.hex,
        device=device_text(live.user_agent),
        ip=shown_ip(live.ip, get_settings().KEEP_IP),
        started=live.started,
        last_activity=live.last_activity,
        tabs=int(getattr(live, "tab_count", 0)),
        current=live.key_hash in current,
    )


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(
        request,
        f"sessions_live/{template}",
        {"base_template": get_settings().BASE_TEMPLATE, "kept": what_is_kept(), **context},
    )


@require_GET
@login_required
def my_sessions(request: HttpRequest) -> HttpResponse:
    """The list: this session first, then the others, newest first."""
    now = time.time()
    current = _current_hashes(request)
    found = _live_of(request).annotate(tab_count=Count("tabs")).order_by("-started")
    sessions = sorted(
        (
            _view(live, current)
            for live in found
            if store.status(live, now).state is not policy.State.EXPIRED
        ),
        key=lambda view: not view.current,
    )
    ended = request.GET.get("ended", "")
    return _render(
        request,
        "my_sessions.html",
        {
            "sessions": sessions,
            "has_others": any(not view.current for view in sessions),
            "ended": int(ended) if ended.isascii() and ended.isdigit() else 0,
        },
    )


def _end(request: HttpRequest, targets: list[LiveSession], fields: dict[str, str]) -> HttpResponse:
    """Ask first (a page of its own, so it works without JavaScript); end once confirmed."""
    if request.POST.get("confirm") != "yes":
        current = _current_hashes(request)
        return _render(
            request,
            "my_sessions_confirm.html",
            {"targets": [_view(live, current) for live in targets], "fields": fields},
        )
    now, user = time.time(), _user(request)
    ended = sum(
        lifecycle.end_session(live, EndReason.TERMINATED, now=now, by=user) for live in targets
    )
    return HttpResponseRedirect(f"{reverse('sessions_live:my_sessions')}?ended={ended}")


@require_POST
@login_required
def end_session(request: HttpRequest) -> HttpResponse:
    """POST ``id``: end one of the user's other sessions; 404 for anything else (another
    user's session, this session, an ended one, or no such id)."""
    target = request.POST.get("id", "")
    found = [live for live in _others(request, time.time()) if live.pk.hex == target]
    if not found:
        raise Http404(gettext("No such live session."))
    return _end(request, found, {"id": target})


@require_POST
@login_required
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    """End every live session of the user but this one."""
    return _end(request, _others(request, time.time()), {})


@require_POST
@never_cache
def reauth(request: HttpRequest) -> JsonResponse:
    """Sign the user a timed-out page names in again, in place (``REAUTH_IN_PLACE``): only that
    user, with their password, while the page's record has ended at a timeout; anything else
    gets one answer, and the page goes to the login page. Answers ``{"ok": true,
    "csrf_token": ..., "token": ...}``: the token Django rotated at sign-in, and the page's
    token for its new session."""
    if not get_settings().REAUTH_IN_PLACE:
        raise Http404
    named = reauthentication.resumable(request.POST.get("token", ""))
    if named is None:
        return JsonResponse(reauthentication.REFUSED, status=403)
    user, _ = named
    if not reauthentication.attempt_allowed(request, user):
        logger.warning("sessions_live: too many sign-ins in place for user %s", user.pk)
        return JsonResponse({"ok": False, "reason": "throttled"}, status=429)
    checked = authenticate(
        request, username=user.get_username(), password=request.POST.get("password", "")
    )
    if checked is None or checked.pk != user.pk or not reauthentication.allowed(checked):
        return JsonResponse(reauthentication.REFUSED, status=403)
    login(request, checked)
    reauthentication.succeeded(checked)
    live = store.find(request.session.session_key or "")
    answer = {"ok": True, "csrf_token": get_token(request)}
    if live is not None:
        answer["token"] = reauthentication.token_for(checked, live)
    return JsonResponse(answer)
