"""The client put into pages whose templates do not carry it: the Django admin's, by default,
and with ``INJECT_CLIENT`` every HTML page of a signed-in session.

As django-debug-toolbar does, the markup goes before the last ``</body>`` (in any case) of a
response the middleware can safely rewrite: complete (not streaming), HTML, not compressed,
not a download, not holding the client already (the tag rendered it for this request, or the
content has its configuration element, as a page cached whole would), and not from a view
marked with :func:`without_client`. ``Content-Length``, if set, is corrected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from sessions_live.conf import get_settings
from sessions_live.web import login_pages, page_client

ViewT = TypeVar("ViewT", bound=Callable[..., object])

OPT_OUT_ATTRIBUTE = "sessions_live_without_client"
BODY_END = b"</body>"
CONFIG_MARK = f'id="{page_client.CONFIG_ID}"'.encode()
#: Bytes at the end of a page searched first: ``</body>`` is nearly always there, and a page
#: of a megabyte is then not lower-cased whole (docs/benchmarks.md, benchmark 8).
TAIL = 64 * 1024


def body_end(content: bytes) -> int:
    """Where the last ``</body>`` (in any case) starts in ``content``; -1 if it has none."""
    start = max(0, len(content) - TAIL)
    at = content[start:].lower().rfind(BODY_END)
    if at >= 0 or start == 0:
        return at if at < 0 else start + at
    return content.lower().rfind(BODY_END)


def without_client(view: ViewT) -> ViewT:
    """Mark a view whose pages the middleware must not put the client into (a page shown in
    an iframe of another, a print view). The tag still renders it where a template uses it."""
    setattr(view, OPT_OUT_ATTRIBUTE, True)
    return view


def wanted(request: HttpRequest) -> bool:
    """Whether the settings ask for the client on this request's page."""
    conf = get_settings()
    match = request.resolver_match
    if match is None or getattr(match.func, OPT_OUT_ATTRIBUTE, False):
        return False
    if conf.INJECT_CLIENT:
        return True
    return conf.ADMIN_CLIENT and login_pages.is_django_admin(match)


def rewritable(response: HttpResponseBase) -> bool:
    """A complete, uncompressed HTML page, shown in the browser (not downloaded)."""
    return (
        isinstance(response, HttpResponse)
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
        and "Content-Encoding" not in response
        and not response.get("Content-Disposition", "").startswith("attachment")
    )


def inject(request: HttpRequest, response: HttpResponseBase) -> None:
    """Put the client into ``response`` if it is a page of a signed-in, live session that
    lacks it and the settings ask for it there."""
    if getattr(request, "sessions_live", None) is None or page_client.rendered(request):
        return  # no live session (or the tag gave the page its client)
    if not request.user.is_authenticated or not wanted(request) or not rewritable(response):
        return
    assert isinstance(response, HttpResponse)
    content = response.content
    at = body_end(content)
    if at < 0 or CONFIG_MARK in content:
        return
    # A page in a legacy charset gets the characters it lacks (a translation's quotes or
    # ellipses) as character references, which HTML reads the same.
    markup = page_client.render(request).encode(response.charset, "xmlcharrefreplace")
    response.content = b"".join((content[:at], markup, content[at:]))
    if "Content-Length" in response:
        response["Content-Length"] = str(len(response.content))
