"""Receivers that follow Django's own sign-in and sign-out, and every change that ends a
session's validity (:mod:`sessions_live.runtime.revocation`); the signals sessions-live sends
are in :mod:`sessions_live.signals`."""

from __future__ import annotations

import time
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from sessions_live import store
from sessions_live.models import EndReason
from sessions_live.runtime import credentials, lifecycle, revocation, vanished
from sessions_live.web.sign_in import start_session


@receiver(user_logged_in, dispatch_uid="sessions_live.logged_in")
def on_logged_in(*, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        replaced = getattr(request, "sessions_live", None)
        key = request.session.session_key
        if replaced is not None and (not key or store.key_hash(key) != replaced.key_hash):
            # Another user signed in over this session (login() flushed it): the middleware
            # ends it as a sign-out as the request returns.
            vanished.cycling(replaced.pk, request)
        if request.session.session_key is None:
            # login() flushed a previous user's session: the new key exists only once saved.
            request.session.save()
        now = time.time()
        live = start_session(request, user, now)
        if live is not None:
            lifecycle.enforce_session_limit(live, now=now)


@receiver(user_logged_out, dispatch_uid="sessions_live.logged_out")
def on_logged_out(*, request: HttpRequest | None, **kwargs: Any) -> None:
    """Django's ``logout()`` (a logout view, or any code): end the record, tell every tab."""
    session = getattr(request, "session", None)
    key = session.session_key if session is not None else None
    if not key:
        return
    live = store.find(key)
    if live is not None and live.ended is None:
        # logout() deletes the Django session and sent this signal itself.
        lifecycle.end_session(live, EndReason.LOGOUT, now=time.time(), send_signal=False)


@receiver(pre_save, dispatch_uid="sessions_live.user_saving")
def on_user_saving(
    *,
    sender: type[Model],
    instance: Model,
    raw: bool,
    using: str,
    update_fields: Any,
    **kwargs: Any,
) -> None:
    """Any save of a user (a view, the admin, a shell, a data migration's historical model):
    keep its credentials as the database has them, to compare after the save."""
    if not raw and credentials.is_user_model(sender):
        credentials.remember_credentials(sender, instance, update_fields, using)


@receiver(post_save, dispatch_uid="sessions_live.user_saved")
def on_user_saved(
    *, sender: type[Model], instance: Model, raw: bool, update_fields: Any, **kwargs: Any
) -> None:
    """A password changed or an account deactivated: end the user's sessions."""
    if raw or not credentials.is_user_model(sender):
        return
    reason = credentials.change_of(instance, update_fields)
    if reason is not None:
        credentials.credentials_changed(instance, reason, now=time.time())


def on_user_deleting(*, instance: Model, **kwargs: Any) -> None:
    """A user is deleted, and its records with it: end its sessions first."""
    credentials.user_deleted(instance, now=time.time())


def on_session_saved(*, instance: AbstractBaseSession, created: bool, **kwargs: Any) -> None:
    """A Django session's row is created: remember it, if it may be a key cycle."""
    if created:
        revocation.session_created(instance.session_key, instance.get_decoded)


def on_session_deleted(
    *, sender: type[AbstractBaseSession], instance: AbstractBaseSession, **kwargs: Any
) -> None:
    """A Django session's row is deleted, by whatever code: end its record."""
    revocation.session_deleted(sender, instance.session_key, now=time.time())


def connect_model_receivers() -> None:
    """Connect the receivers that need a model class as sender: a receiver for any sender of
    ``pre_delete``/``post_delete`` would stop Django's fast deletes for every model. The
    user model's proxies send their own ``pre_delete``."""
    user_model = get_user_model()
    for model in apps.get_models():
        if model is user_model or (model._meta.proxy and model._meta.concrete_model is user_model):
            pre_delete.connect(
                on_user_deleting,
                sender=model,
                dispatch_uid=f"sessions_live.user_deleting.{model._meta.label}",
            )
    for model in session_models():
        uid = f"sessions_live.{model._meta.label}"
        post_save.connect(on_session_saved, sender=model, dispatch_uid=f"{uid}.saved")
        post_delete.connect(on_session_deleted, sender=model, dispatch_uid=f"{uid}.deleted")


def session_models() -> list[type[AbstractBaseSession]]:
    """The session model of SESSION_ENGINE, if it keeps sessions in the database (``db`` and
    ``cached_db``, or a project's own), else none."""
    engine = import_module(settings.SESSION_ENGINE)
    model_of = getattr(engine.SessionStore, "get_model_class", None)
    if model_of is None:
        return []  # cache, signed cookies: no row to delete (see revocation's docstring)
    try:
        model: type[AbstractBaseSession] = model_of()
    except RuntimeError:  # Django's Session model, with django.contrib.sessions not installed
        return []
    return [model]
