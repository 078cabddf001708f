"""The demo's pages: a protected home, a small personnel list, sign-in and sign-out."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

PERSONNEL = [
    ("Ada Lovelace", "Analytical engines"),
    ("Grace Hopper", "Compilers"),
    ("Katherine Johnson", "Trajectories"),
    ("Margaret Hamilton", "Flight software"),
    ("Radia Perlman", "Spanning trees"),
]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "index.html")


@login_required
def personnel(request: HttpRequest) -> HttpResponse:
    users = get_user_model().objects.order_by("username").values_list("username", flat=True)
    return render(request, "personnel.html", {"personnel": PERSONNEL, "users": list(users)})
