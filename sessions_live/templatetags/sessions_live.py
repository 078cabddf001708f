"""``{% sessions_live_script %}``: the dialog, its strings and the client script, for a page."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from sessions_live.web import page_client, signed_out, signed_out_notice
from sessions_live.web.client_config import signed_out_message
from sessions_live.web.nonce import CONTEXT_KEY, csp_nonce

register = template.Library()


@register.simple_tag(takes_context=True)
def sessions_live_script(context: template.Context) -> SafeString:
    """Render the client for a signed-in user (nothing for anonymous visitors, nothing if
    this request's page has it already)."""
    return page_client.render(context.get("request"), context)


@register.simple_tag(takes_context=True)
def sessions_live_signed_out_message(context: template.Context) -> SafeString:
    """On the login page: why the visitor was signed out, if they were sent here for it
    (nothing if the page's messages showed it already: see
    :mod:`sessions_live.web.signed_out_notice`)."""
    request = context.get("request")
    if request is not None and not signed_out_notice.take(request):
        return SafeString("")
    params = request.GET if request is not None else {}
    reason = params.get(signed_out.REASON, "")
    message = signed_out_message(reason, signed_out.limit_of(params, reason))
    if not message:
        return SafeString("")
    return render_to_string(
        "sessions_live/signed_out_message.html",
        {"message": message, CONTEXT_KEY: csp_nonce(request, context)},
    )


@register.simple_tag(takes_context=True)
def sessions_live_nonce_attr(context: template.Context) -> SafeString:
    """`` nonce="…"`` for a script or stylesheet tag of ours, or nothing without a nonce."""
    nonce = csp_nonce(context.get("request"), context)
    return format_html(' nonce="{}"', nonce) if nonce else SafeString("")
