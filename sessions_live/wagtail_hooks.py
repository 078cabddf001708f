"""Wagtail's admin carries the client, through Wagtail's own extension point: Wagtail imports
this module (``wagtail_hooks`` of every installed app) only when it is installed itself.

``insert_global_admin_js`` is output at the end of every admin page (``admin_base.html``),
sign-in page included, and called with no arguments: the page's request is the one the
middleware is answering (:mod:`sessions_live.web.current_request`), and a visitor who is not
signed in gets nothing. ``ADMIN_CLIENT=False`` turns it off. Wagtail's editor pings are never
activity (:data:`sessions_live.passive.BUILT_IN_PASSIVE_URL_NAMES`).
"""

from __future__ import annotations

from django.utils.safestring import SafeString
from wagtail import hooks

from sessions_live.conf import get_settings
from sessions_live.web import current_request, page_client


def sessions_live_client() -> SafeString:
    """The client, for the signed-in user of the admin page being rendered."""
    if not get_settings().ADMIN_CLIENT:
        return SafeString("")
    return page_client.render(current_request.get())


hooks.register("insert_global_admin_js", sessions_live_client)
