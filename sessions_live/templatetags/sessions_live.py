"""``{% sessions_live_script %}``: the dialog, its strings and the client script, for a page."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from ..client_config import client_config, signed_out_message

register = template.Library()


@register.simple_tag(takes_context=True)
def sessions_live_script(context: template.Context) -> SafeString:
    """Render the client for a signed-in user (nothing for anonymous visitors)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return SafeString("")
    # Django's csp context processor, else django-csp's request attribute (where
    # django-session-security's all.html looked for it).
    nonce = context.get("csp_nonce") or getattr(request, "csp_nonce", None)
    return render_to_string(
        "sessions_live/script.html",
        {"config": client_config(), "csp_nonce": nonce},
        request=request,
    )


@register.simple_tag(takes_context=True)
def sessions_live_signed_out_message(context: template.Context) -> SafeString:
    """On the login page: why the visitor was signed out, if they were sent here for it."""
    request = context.get("request")
    reason = request.GET.get("signed_out", "") if request is not None else ""
    message = signed_out_message(reason)
    if not message:
        return SafeString("")
    return render_to_string("sessions_live/signed_out_message.html", {"message": message})
