"""A protected page of the site's own, and allauth's views under accounts/."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "site/home.html")


urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("allauth.urls")),
]
