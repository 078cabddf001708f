"""Wagtail's admin hook (sessions_live/wagtail_hooks.py) and its editor's pings, in process;
the whole of it runs in Chromium in tests/browser/test_with_wagtail.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import ResolverMatch
from wagtail import hooks

from sessions_live.passive import is_passive
from sessions_live.web import current_request

CONFIG = 'id="sessions-live-config"'


def test_the_hook_is_found_by_wagtail() -> None:
    from sessions_live.wagtail_hooks import sessions_live_client

    assert sessions_live_client in hooks.get_hooks("insert_global_admin_js")


def test_the_hook_renders_the_client_once_for_the_request_being_answered(
    make_user: Callable[..., Any],
) -> None:
    from sessions_live.wagtail_hooks import sessions_live_client

    assert sessions_live_client() == ""  # outside a request
    request: Any = RequestFactory().get("/admin/")
    request.user = make_user()
    with current_request.answering(request):
        html = sessions_live_client()
        assert CONFIG in html
        assert sessions_live_client() == ""  # once per page
    assert current_request.get() is None


def test_the_hook_gives_an_anonymous_visitor_nothing(db: None) -> None:
    from sessions_live.wagtail_hooks import sessions_live_client

    request: Any = RequestFactory().get("/admin/login/")
    request.user = AnonymousUser()
    with current_request.answering(request):
        assert sessions_live_client() == ""


def test_admin_client_off_turns_the_hook_off(
    make_user: Callable[..., Any], timeouts: Callable[..., None]
) -> None:
    from sessions_live.wagtail_hooks import sessions_live_client

    timeouts(ADMIN_CLIENT=False)
    request: Any = RequestFactory().get("/admin/")
    request.user = make_user()
    with current_request.answering(request):
        assert sessions_live_client() == ""


def view(request: Any) -> None:
    """Stands for Wagtail's editing-session views."""


def test_the_editors_pings_and_release_are_never_activity_whatever_the_settings() -> None:
    for name in ("ping", "release"):
        request: Any = RequestFactory().post(f"/admin/editing-sessions/{name}/")
        request.resolver_match = ResolverMatch(
            view,
            (),
            {},
            url_name=name,
            app_names=["wagtailadmin_editing_sessions"],
            namespaces=["wagtailadmin_editing_sessions"],
        )
        assert is_passive(request, view), name
    request.resolver_match = ResolverMatch(view, (), {}, url_name="edit", namespaces=["x"])
    assert not is_passive(request, view)
