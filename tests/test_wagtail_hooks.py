"""Wagtail's admin hook (sessions_live/wagtail_hooks.py) and its editor's pings, in process;
the whole of it runs in Chromium in tests/browser/test_with_wagtail.py."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import ResolverMatch, path
from wagtail import hooks

from sessions_live.passive import BUILT_IN_PASSIVE_URL_NAMES, is_passive
from sessions_live.web import current_request, login_pages

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


# Wagtail's admin mounted under cms/, as a project may: this module is the request's URLconf.
urlpatterns = [
    path("cms/", view, name="wagtailadmin_home"),
    path("cms/login/", view, name="wagtailadmin_login"),
    path("cms/pages/2/edit/", view, name="wagtailadmin_pages_edit"),
    path("sso/login/", view, name="sso_login"),
    path("blog/", view, name="blog"),
]


@pytest.fixture
def wagtail_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = login_pages.apps.is_installed
    monkeypatch.setattr(
        login_pages.apps, "is_installed", lambda name: name == "wagtail.admin" or installed(name)
    )


def page_request(path: str) -> Any:
    request: Any = RequestFactory().get(path)
    request.urlconf = __name__
    return request


@pytest.mark.usefixtures("wagtail_installed")
def test_a_page_under_wagtails_admin_goes_to_wagtails_login_wherever_it_is_mounted() -> None:
    assert login_pages.login_url(page_request("/cms/pages/2/edit/")) == "/cms/login/"
    assert login_pages.is_login_page(page_request("/cms/login/"))
    assert login_pages.login_url(page_request("/blog/")) == "/login/"  # the site's


@pytest.mark.usefixtures("wagtail_installed")
def test_wagtails_own_login_setting_is_followed(settings: Any) -> None:
    settings.WAGTAILADMIN_LOGIN_URL = "/sso/login/"
    assert login_pages.login_url(page_request("/cms/pages/2/edit/")) == "/sso/login/"


def test_without_wagtail_its_paths_are_the_sites() -> None:
    assert login_pages.login_url(page_request("/cms/pages/2/edit/")) == "/login/"


def test_canary_wagtails_editing_session_urls_are_the_passive_names() -> None:
    """The built-in passive names are Wagtail's own: read from its URLconf's source (importing
    it needs Wagtail's apps installed)."""
    spec = importlib.util.find_spec("wagtail")  # not its submodule: that imports its models
    assert spec is not None
    assert spec.origin is not None
    source = (Path(spec.origin).parent / "admin" / "urls" / "editing_sessions.py").read_text()
    namespace = re.search(r'app_name = "([^"]+)"', source)
    assert namespace is not None
    names = {f"{namespace.group(1)}:{name}" for name in re.findall(r'name="(\w+)"', source)}
    assert names == BUILT_IN_PASSIVE_URL_NAMES
