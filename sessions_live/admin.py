"""The live-sessions dashboard inside the Django admin, and its two actions over HTTP."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import django
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from sessions_live import dashboard
from sessions_live.core.protocol import BROADCAST_MAX_CHARS, DASHBOARD_SOCKET_PATH, DashboardFrame
from sessions_live.core.vocabulary import END_REASON_LABELS, ROW_STATE_LABELS
from sessions_live.dashboard.broadcasting import can_broadcast
from sessions_live.dashboard.ending import end
from sessions_live.models import Broadcast, LiveSession
from sessions_live.web.privacy import what_is_kept

logger = logging.getLogger(__name__)


if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[LiveSession]
else:  # ModelAdmin is generic for type checkers only
    ModelAdmin = admin.ModelAdmin


class NoEdits:
    """An admin's records are neither added, changed nor deleted there (no state: it only
    answers the three questions)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LiveSession)
class LiveSessionAdmin(NoEdits, ModelAdmin):
    """No add, change or delete: the changelist is the live dashboard."""

    def get_urls(self) -> list[URLPattern]:
        end_view = self.admin_site.admin_view(require_POST(self.end_view))
        return [
            path("end/", end_view, name="sessions_live_livesession_end"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not dashboard.can_view(request.user):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Live sessions"),
            "opts": self.model._meta,
            "can_end": dashboard.can_end(request.user),
            "can_broadcast": can_broadcast(request.user),
            "broadcast_max_chars": BROADCAST_MAX_CHARS,
            # Django 6.1's admin writes its breadcrumbs as a list, and styles only that.
            "breadcrumbs_as_list": django.VERSION >= (6, 1),
            "config": {"socket": "/" + DASHBOARD_SOCKET_PATH, "strings": dashboard_strings()},
            "states": [(state.value, label) for state, label in ROW_STATE_LABELS.items()],
            "kept": what_is_kept(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/sessions_live/dashboard.html", context)

    def end_view(self, request: HttpRequest) -> HttpResponse:
        """POST ``id`` (one session) or ``user_id`` (all of a user's): the CSRF-protected twin
        of the dashboard socket's ``end`` and ``end_user`` frames."""
        user = request.user
        if not dashboard.can_end(user):
            logger.warning("sessions_live: %s may not end sessions (HTTP)", user.get_username())
            raise PermissionDenied
        if request.POST.get("user_id"):
            frame = DashboardFrame(type="end_user", target=request.POST["user_id"])
        else:
            frame = DashboardFrame(type="end", target=request.POST.get("id", ""))
        if request.POST.get("confirm") != "yes":
            return self.confirm_end(request, frame)
        ended = end(frame, user, time.time())
        if ended:
            text = ngettext(
                "%(count)d session was ended.", "%(count)d sessions were ended.", ended
            ) % {"count": ended}
            self.message_user(request, text, messages.SUCCESS)
        else:
            self.message_user(request, _("No such live session."), messages.WARNING)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = reverse("admin:sessions_live_livesession_changelist")
        return HttpResponseRedirect(target)

    def confirm_end(self, request: HttpRequest, frame: DashboardFrame) -> HttpResponse:
        """Ask first, the way the admin asks before a deletion."""
        if frame.type == "end_user":
            targets = dashboard.sessions_of(frame.target)
        else:
            found = dashboard.find(frame.target)
            targets = [found] if found is not None and found.ended is None else []
        context = {
            **self.admin_site.each_context(request),
            "title": _("End live sessions?"),
            "opts": self.model._meta,
            "targets": targets,
            "fields": {k: v for k, v in request.POST.items() if k in ("id", "user_id", "next")},
        }
        return TemplateResponse(request, "admin/sessions_live/confirm_end.html", context)


def show_on_user_page(site: admin.AdminSite) -> None:
    """Put "End all live sessions" on the user's change page, unless its admin has a
    change-form template of its own."""
    user_admin = site._registry.get(get_user_model())
    if user_admin is not None and user_admin.change_form_template is None:
        # An instance attribute, for this site's user admin only.
        user_admin.change_form_template = "admin/sessions_live/user_change_form.html"  # type: ignore[misc]


def dashboard_strings() -> dict[str, Any]:
    """Every string the dashboard script shows, translated here."""
    return {
        "states": {state.value: str(label) for state, label in ROW_STATE_LABELS.items()},
        "reasons": {reason.value: str(label) for reason, label in END_REASON_LABELS.items()},
        "endedBy": _("by %(user)s"),
        "end": _("End session"),
        "endUser": _("End all of this user's sessions"),
        "confirmEnd": _("End this session of %(user)s? Their tabs go to the login page."),
        "confirmEndUser": _("End every session of %(user)s?"),
        "connected": _("Live"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        # The socket closed for good (4401, 4403): nothing comes back by reconnecting.
        "signedOut": _("You are signed out. Sign in again to watch live sessions."),
        "notAllowed": _("You are not allowed to watch live sessions."),
        "forbidden": _("You may not do that."),
        "notFound": _("No such live session."),
        "none": _("No sessions match."),
        "message": _("Message this session"),
        "messageUser": _("Message all of this user's tabs"),
        "toAll": _("every open tab"),
        "toSession": _("this session of %(user)s"),
        "toUser": _("every session of %(user)s"),
        "sending": _("Sending…"),
        "sent": _("Sent. Sessions with a tab open that it reached: %(count)s."),
        "rateLimited": _("Too many messages: wait a minute before sending another."),
        "noTab": _("No open tab to send it to."),
        "notSent": _("The message was not sent."),
    }


if TYPE_CHECKING:
    BroadcastModelAdmin = admin.ModelAdmin[Broadcast]
else:
    BroadcastModelAdmin = admin.ModelAdmin


@admin.register(Broadcast)
class BroadcastAdmin(NoEdits, BroadcastModelAdmin):
    """The audit trail of messages to open tabs: read only (sent from the dashboard)."""

    list_display = ("sent", "sent_by", "to", "user", "text", "sessions")
    list_filter = ("to",)
    search_fields = ("text",)
    date_hierarchy = "sent"
