"""Views standing for other apps' pages, whose templates do not carry the client (the
injection's tests, tests/test_injection.py, and the browser's, tests/browser/)."""

from __future__ import annotations

import gzip

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path

from sessions_live.decorators import without_client
from sessions_live.web import current_request

PAGE = "<!doctype html><html><head><title>Other app</title></head><body><h1>{}</h1></BODY></html>"


def page(request: HttpRequest) -> HttpResponse:
    """A page of another app: its own markup, ``</BODY>`` in capitals, a length set."""
    response = HttpResponse(PAGE.format("Other app"))
    response["Content-Length"] = str(len(response.content))
    return response


def two_bodies(request: HttpRequest) -> HttpResponse:
    """``</body>`` inside a script, and the real one last."""
    inner = "<script>const html = '</body>';</script>"
    return HttpResponse(PAGE.format("Two").replace("<h1>", inner + "<h1>"))


def streaming(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(iter([PAGE.format("Streamed").encode()]))


def compressed(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(gzip.compress(PAGE.format("Compressed").encode()))
    response["Content-Encoding"] = "gzip"
    return response


def download(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(PAGE.format("Saved"))
    response["Content-Disposition"] = 'attachment; filename="page.html"'
    return response


def text(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE.format("Plain"), content_type="text/plain")


def fragment(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>a fragment, no body</p>")


@without_client
def opted_out(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE.format("Opted out"))


def with_tag(request: HttpRequest) -> HttpResponse:
    """A page whose template has ``{% sessions_live_script %}`` (twice, even)."""
    return render(request, "tests/with_tag_twice.html")


def cached(request: HttpRequest) -> HttpResponse:
    """A page rendered with the client for another request (and cached whole)."""
    client = '<script id="sessions-live-config" type="application/json">{}</script>'
    return HttpResponse(PAGE.format("Cached").replace("</BODY>", client + "</BODY>"))


def latin1(request: HttpRequest) -> HttpResponse:
    body = PAGE.format("Café").encode("latin-1")
    return HttpResponse(body, content_type="text/html; charset=latin-1")


def note(request: HttpRequest) -> HttpResponse:
    """Queue a message of another app's and show nothing: it waits for the next page."""
    messages.warning(request, "A note of another app's.")
    return HttpResponse("noted", content_type="text/plain")


def answering(request: HttpRequest) -> HttpResponse:
    """Whether the request the middleware is answering is this one (Wagtail's hook asks)."""
    return HttpResponse(str(current_request.get() is request), content_type="text/plain")


async def answering_async(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(current_request.get() is request), content_type="text/plain")


urlpatterns = [
    path("note/", note),
    path("answering/", answering),
    path("answering-async/", answering_async),
    path("page/", page, name="page"),
    path("two-bodies/", two_bodies),
    path("streaming/", streaming),
    path("compressed/", compressed),
    path("download/", download),
    path("text/", text),
    path("fragment/", fragment),
    path("opted-out/", opted_out),
    path("with-tag/", with_tag),
    path("cached/", cached),
    path("latin1/", latin1),
]
