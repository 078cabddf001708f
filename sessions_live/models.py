"""Live-session state: one row per signed-in Django session, and the tabs open on it now."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sessions_live.core.vocabulary import EndReason, end_reason_choices

__all__ = ["Broadcast", "EndReason", "LiveProcess", "LiveSession", "LiveTab"]


class LiveSession(models.Model):
    """A signed-in session as sessions-live sees it.

    ``key_hash`` is a SHA-256 digest of the Django session key (the key is a bearer credential
    and is never stored here; the digest does not depend on SECRET_KEY, so a rotation keeps
    the record); ``id`` is the opaque identifier used in group names and the dashboard.
    Times are UTC; the timing rules use them as epoch seconds.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_sessions"
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    started = models.DateTimeField(_("signed in at"))
    last_activity = models.DateTimeField(_("last activity"))
    #: When the last tab was seen (connected or disconnected); None if no tab ever opened.
    tabs_seen = models.DateTimeField(null=True, blank=True, editable=False)
    #: This session's own timeouts, from the TIMEOUTS_FOR hook at sign-in; None: the settings'.
    warn_after = models.DurationField(null=True, blank=True, editable=False)
    expire_after = models.DurationField(null=True, blank=True, editable=False)
    absolute_expire_after = models.DurationField(null=True, blank=True, editable=False)
    #: A lease keeps the session from idling out until then (capped by the absolute limit).
    leased_until = models.DateTimeField(null=True, blank=True, editable=False)
    ended = models.DateTimeField(_("ended at"), null=True, blank=True, db_index=True)
    #: When anything shown on the dashboard last changed (set by every write of the store).
    changed = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    end_reason = models.CharField(
        _("end reason"), max_length=16, choices=end_reason_choices(), blank=True
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    #: An ending not announced yet (the push, the Django session, the signals), due by then:
    #: set by the claim, cleared by the announcement; past it, a sweep announces it (the
    #: process that claimed it died first).
    announce_by = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")
        indexes = [
            models.Index(fields=["ended", "last_activity"], name="sessions_live_due"),
            models.Index(
                fields=["announce_by"],
                name="sessions_live_unannounced",
                condition=models.Q(announce_by__isnull=False),
            ),
        ]
        permissions = [
            ("end_livesession", _("Can end live sessions")),
            ("broadcast_livesession", _("Can send messages to open tabs")),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.started:%Y-%m-%d %H:%M}"

    @property
    def group_name(self) -> str:
        """The channel-layer group of this session's tabs (no secret in it)."""
        return session_group(self.id)


class LiveProcess(models.Model):
    """A server process that holds tabs. Its heartbeat vouches for all of its tabs at once,
    so an idle tab costs no write; a process that stops beating is pruned with its tabs."""

    name = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started = models.DateTimeField()
    seen = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("server process")
        verbose_name_plural = _("server processes")

    def __str__(self) -> str:
        return f"{self.host} {self.pid}"


class LiveTab(models.Model):
    """One open WebSocket of a session, alive as long as its process (``LiveProcess``) is."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="tabs")
    channel_name = models.CharField(max_length=200, unique=True)
    #: The ``LiveProcess.name`` of the process holding the socket.
    process = models.CharField(max_length=64, db_index=True)
    opened = models.DateTimeField()

    class Meta:
        verbose_name = _("live tab")
        verbose_name_plural = _("live tabs")

    def __str__(self) -> str:
        return self.channel_name


def session_group(live_id: uuid.UUID) -> str:
    """The channel-layer group of a session's tabs, from its record's id alone."""
    return f"sessions_live.s.{live_id.hex}"


class Broadcast(models.Model):
    """A message staff sent to open tabs from the dashboard: the audit trail of who sent what,
    when, to whom. Kept for ``RETENTION``, like ended sessions."""

    class To(models.TextChoices):
        ALL = "all", _("every open tab")
        USER = "user", _("one user's tabs")
        SESSION = "session", _("one session's tabs")

    sent = models.DateTimeField(_("sent at"), db_index=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    to = models.CharField(_("sent to"), max_length=8, choices=To.choices)
    #: The user, or the session, it was sent to (``to`` says which; neither for ``all``).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    session = models.ForeignKey(
        LiveSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("live session"),
    )
    text = models.TextField(_("message"))
    #: How many live sessions with open tabs it was sent to.
    sessions = models.PositiveIntegerField(_("sessions"), default=0)

    class Meta:
        verbose_name = _("message to open tabs")
        verbose_name_plural = _("messages to open tabs")
        ordering = ["-sent"]

    def __str__(self) -> str:
        return f"{self.sent:%Y-%m-%d %H:%M} {self.to}"
