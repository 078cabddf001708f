"""A login page, one protected page carrying session_security's script, and its ping view."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reference/index.html")


urlpatterns = [
    path("", index, name="index"),
    path("login", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("session_security/", include("session_security.urls")),
]
