"""A protected page, a page playing a video, two passive URLs (one by path, one by name inside
a namespace) and the sign-in views. The ``session_security/`` include is gone: see
``urls_unchanged``."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import include, path


@login_required
def page(request: HttpRequest) -> HttpResponse:
    return render(request, "migrating/page.html")


@login_required
def watch(request: HttpRequest) -> HttpResponse:
    return render(request, "migrating/watch.html")


def status(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


monitor = [path("status/", status, name="ignore")]

urlpatterns = [
    path("", page, name="page"),
    path("watch/", watch, name="watch"),  # a playing video calls sessionsLive.activity()
    path("poll/", status, name="poll"),  # in SESSION_SECURITY_PASSIVE_URLS
    path("monitor/", include((monitor, "monitor"))),  # "ignore" in ..._PASSIVE_URL_NAMES
    path("api/", status, name="api"),  # not passive
    path("login", auth_views.LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
]
