"""The pages of benchmark 8 (bench/injection.py): the same HTML with and without the client."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from sessions_live.decorators import without_client

from .injection import SIZES

PARAGRAPH = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 8 + "</p>\n"


def page_of(size: int) -> bytes:
    """An HTML page of about ``size`` bytes, its ``</body>`` at the end, as most pages have."""
    head = "<!doctype html><html><head><title>Page</title></head><body>\n"
    body = PARAGRAPH * (size // len(PARAGRAPH) + 1)
    return (head + body[: size - len(head) - 15] + "</body></html>").encode()


PAGES = {name: page_of(size) for name, size in SIZES.items()}


def page(request: HttpRequest, size: str) -> HttpResponse:
    return HttpResponse(PAGES[size])


@without_client
def page_without_client(request: HttpRequest, size: str) -> HttpResponse:
    """The same page; the decorator marks this function, not :func:`page`."""
    return HttpResponse(PAGES[size])


urlpatterns = [
    path("with/<str:size>/", page),
    path("without/<str:size>/", page_without_client),
]
