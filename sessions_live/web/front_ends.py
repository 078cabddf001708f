"""Requests made by htmx and Turbo, and where their refusal sends the user back to.

A refused page load is answered with a redirect and a refused ``fetch`` with a 401 (see
``middleware.refusal``). htmx and Turbo load pages with ``fetch``/XHR, so neither answer reaches
the user on its own: htmx follows neither a redirect (it would swap the login page into the
page) nor a 401 (it swaps nothing, by default, and the user sees nothing happen), and Turbo
reloads a visit answered by JSON, losing why the user was signed out. What each is answered
instead (docs/front-ends.md):

- htmx (``HX-Request: true``): the 401, with ``HX-Redirect`` to the login page. htmx 2 acts on
  ``HX-Redirect`` before it looks at the status (``handleAjaxResponse``: ``HX-Location``, then
  ``HX-Redirect``, then ``responseHandling``), so the redirect works whatever the app configured
  for 4xx, nothing is swapped, and no ``htmx:responseError`` fires; the status stays true for
  logs, monitors and plain fetches. ``HX-Redirect`` is a full page load: nothing of the signed-in
  page stays in memory (``HX-Location`` would swap the login page into it).
- htmx restoring history after a cache miss (``HX-History-Restore-Request``) ignores response
  headers and swaps only a 2xx-3xx: that request gets the page's redirect, which it follows.
- Turbo (``X-Turbo-Request-Id``, on every Turbo fetch): the page's redirect, which Turbo follows
  and renders as a visit to the login page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def is_history_restore(request: HttpRequest) -> bool:
    return request.headers.get("HX-History-Restore-Request") == "true"


def is_turbo(request: HttpRequest) -> bool:
    return "X-Turbo-Request-Id" in request.headers


def loads_a_page(request: HttpRequest) -> bool:
    """A request whose answer the front end renders as the page: a redirect reaches the user."""
    return is_turbo(request) or (is_htmx(request) and is_history_restore(request))


def wants_htmx_redirect(request: HttpRequest) -> bool:
    """An htmx request that only ``HX-Redirect`` can send to the login page."""
    return is_htmx(request) and not is_history_restore(request)


def same_site_path(request: HttpRequest, url: str | None) -> str | None:
    """``url``'s path and query if it is a page of this site (as the browser sees it), else None.

    Only a path is ever returned, never a host, so a ``next`` built from it stays on this site.
    """
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(url)
    if not parts.netloc:
        return None  # only a full URL (what the browser sends) says which page it is
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None  # "//host/...", read back as a URL, would leave the site
    return f"{path}?{parts.query}" if parts.query else path


def page_of(request: HttpRequest) -> str:
    """The page to come back to after signing in again, for a request made from a page.

    A boosted navigation (a link, a GET form) is going to the page it asks for, as it would
    without hx-boost; any other htmx request comes from the page in ``HX-Current-URL``. A Turbo
    frame's own URL is a fragment, so it comes back to the page that holds the frame (the
    ``Referer``). Anything off this site falls back to the request's own path.
    """
    own = request.get_full_path()
    if is_htmx(request):
        if request.headers.get("HX-Boosted") == "true" and request.method == "GET":
            return own
        return same_site_path(request, request.headers.get("HX-Current-URL")) or own
    if is_turbo(request) and "Turbo-Frame" in request.headers:
        return same_site_path(request, request.headers.get("Referer")) or own
    return own
