"""The answer to a request whose session is over: a redirect to the login page for a page
load, a 401 for anything else (htmx told where to go: :mod:`sessions_live.web.front_ends`)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.cache import add_never_cache_headers

from sessions_live.models import LiveSession
from sessions_live.web import front_ends, login_pages, signed_out


def _wants_page(request: HttpRequest) -> bool:
    if front_ends.loads_a_page(request):
        return True
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode is not None:
        return mode == "navigate"
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return False
    return "text/html" in request.headers.get("Accept", "")


def refusal(
    request: HttpRequest,
    reason: str,
    live: LiveSession | None = None,
    login: str | None = None,
) -> HttpResponse:
    """The answer to a request whose session (``live``, if known) is over: a redirect for a
    page, else a 401, which tells htmx where to go in ``HX-Redirect``
    (sessions_live/web/front_ends.py). ``login``: the login page
    :mod:`sessions_live.web.login_pages` chooses for the request, found here if not given."""
    login_url = signed_out.url(reason, live, login or login_pages.login_url(request))
    back = f"{login_url}&{urlencode({'next': front_ends.page_of(request)})}"
    htmx = front_ends.wants_htmx_redirect(request)
    if not htmx and _wants_page(request):
        return HttpResponseRedirect(back)
    response = JsonResponse(
        {"error": "session_expired", "reason": reason, "redirect": login_url}, status=401
    )
    if htmx:
        response["HX-Redirect"] = back
    add_never_cache_headers(response)
    return response
