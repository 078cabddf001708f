"""The client's markup for one page (the dialog, its configuration and the script), rendered
at most once per request however it is asked for: by ``{% sessions_live_script %}``, by
Wagtail's hook, or put in by the middleware (:mod:`sessions_live.web.injection`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.template import Context
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from sessions_live.web.client_config import client_config
from sessions_live.web.nonce import CONTEXT_KEY, csp_nonce

TEMPLATE = "sessions_live/script.html"
#: The id of the configuration element: a page holding it holds the client.
CONFIG_ID = "sessions-live-config"
#: Set on a request once its page has been given the client.
RENDERED = "sessions_live_client_rendered"


def rendered(request: HttpRequest) -> bool:
    """Whether this request's page was given the client already."""
    return bool(getattr(request, RENDERED, False))


def username_label() -> str:
    """What the user model calls the name one signs in with ("Username", "Email address")."""
    model = get_user_model()
    field = model._meta.get_field(model.USERNAME_FIELD)
    return str(capfirst(getattr(field, "verbose_name", model.USERNAME_FIELD)))


def render(
    request: HttpRequest | None, context: Context | Mapping[str, Any] | None = None
) -> SafeString:
    """The client for a signed-in user's page; nothing for an anonymous visitor, nothing the
    second time for one request. ``context``: the template's, where the CSP nonce may be."""
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated or rendered(request):
        return SafeString("")
    setattr(request, RENDERED, True)
    config = client_config(request)
    values = {
        "config": config,
        "reauth": config.get("reauth"),
        "username_label": username_label(),
        CONTEXT_KEY: csp_nonce(request, context),
        "request": request,
    }
    # Not a RequestContext: the project's context processors may query the database, and the
    # middleware renders this in the event loop under ASGI. The template needs none of them.
    return SafeString(render_to_string(TEMPLATE, values))
