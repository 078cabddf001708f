"""Two pages linked to each other, for each front end; for htmx also a page without the
client, a fragment for ``hx-get`` and a passive page that swaps its own body every second."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone


def page(template: str, title: str) -> Callable[[HttpRequest], HttpResponse]:
    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, template, {"title": title})

    return view


@login_required
def fragment(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"<p>Fresh at {timezone.now():%H:%M:%S}</p>")


urlpatterns = [
    path("htmx/", page("front_ends/htmx.html", "One")),
    path("htmx/two/", page("front_ends/htmx.html", "Two")),
    path("htmx/bare/", page("front_ends/htmx_bare.html", "Bare")),
    path("htmx/board/", page("front_ends/htmx_board.html", "Board")),
    path("htmx/fragment/", fragment),
    path("turbo/", page("front_ends/turbo.html", "One")),
    path("turbo/two/", page("front_ends/turbo.html", "Two")),
    path("login", auth_views.LoginView.as_view(), name="login"),
]
