"""A protected page of the site's own, allauth's views under accounts/, and the admin."""

from __future__ import annotations

from django.contrib import admin
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
    path("admin/", admin.site.urls),
]
